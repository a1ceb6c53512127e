import strawberry
from strawberry import relay

# The items of ingestion batches and upserts are JSON scalars, checked item by item: see
# accounts/graphql/scalars.py.


@strawberry.input
class AccountMergeInput:
    source: relay.GlobalID = strawberry.field(description="The account merged away (deleted).")
    target: relay.GlobalID = strawberry.field(description="The account that keeps everything.")

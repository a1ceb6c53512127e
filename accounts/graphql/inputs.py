import strawberry
from strawberry import relay

from workspaces.graphql.describe import described

# The items of ingestion batches and upserts are JSON scalars, checked item by item: see
# accounts/graphql/scalars.py.


@described("Two accounts that are one company: the source is merged into the target.")
@strawberry.input
class AccountMergeInput:
    source: relay.GlobalID = strawberry.field(description="The account merged away (deleted).")
    target: relay.GlobalID = strawberry.field(description="The account that keeps everything.")

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from accounts.graphql.scalars import Amount, EventTime
from accounts.identity import AccountRef, ContactRef


@strawberry.input(description="Finds (or creates) an account: by external id, else by domain.")
class AccountRefInput:
    source: str | None = strawberry.field(default=None, description="e.g. hubspot, salesforce.")
    external_id: str | None = None
    domain: str | None = None
    name: str | None = strawberry.field(default=None, description="Used when it is created.")

    def to_ref(self) -> AccountRef:
        return AccountRef(
            source=self.source or "",
            external_id=self.external_id or "",
            domain=self.domain or "",
            name=self.name or "",
        )


@strawberry.input(description="Finds (or creates) a contact: by external id, else by email.")
class ContactRefInput:
    source: str | None = None
    external_id: str | None = None
    email: str | None = None
    name: str | None = None

    def to_ref(self) -> ContactRef:
        return ContactRef(
            source=self.source or "",
            external_id=self.external_id or "",
            email=self.email or "",
            name=self.name or "",
        )


@strawberry.input
class InteractionInput:
    client_id: str = strawberry.field(
        description="Your id for this event, unique in the workspace: a retry with the same "
        "id is stored once."
    )
    touchpoint: str = strawberry.field(description="The touchpoint's key.")
    occurred_at: EventTime
    account: AccountRefInput | None = None
    contact: ContactRefInput | None = None
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    cost: Amount | None = None
    properties: JSON | None = None


@strawberry.input
class MilestoneAchievementInput:
    client_id: str = strawberry.field(
        description="Your id for this event, unique in the workspace."
    )
    milestone: str = strawberry.field(description="The milestone's key.")
    occurred_at: EventTime
    account: AccountRefInput | None = None
    contact: ContactRefInput | None = None
    value: Amount | None = strawberry.field(
        default=None, description="Defaults to the milestone's value."
    )
    currency: str | None = None
    properties: JSON | None = None


@strawberry.input
class AccountUpsertInput:
    ref: AccountRefInput = strawberry.field(description="Which account (created if missing).")
    name: str | None = None
    industry: str | None = None
    employee_count: int | None = None
    annual_revenue: Amount | None = None
    country: str | None = None
    persona: relay.GlobalID | None = None


@strawberry.input
class AccountMergeInput:
    source: relay.GlobalID = strawberry.field(description="The account merged away (deleted).")
    target: relay.GlobalID = strawberry.field(description="The account that keeps everything.")

from decimal import Decimal
from enum import Enum

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto, relay
from strawberry.scalars import JSON
from strawberry_django.relay import DjangoListConnection

from accounts import models
from accounts.graphql.timeline import (
    TIMELINE_DESCRIPTION,
    TimelineConnection,
    account_timeline,
    contact_timeline,
)
from journeys.graphql.enums import Seniority
from journeys.graphql.types import (
    JourneyMapType,
    MilestoneType,
    PersonaType,
    StageType,
    TouchpointType,
)
from workspaces.access import Scope
from workspaces.graphql.base import WorkspaceNode


@strawberry.type(description="An id of the row in another system.")
class ExternalId:
    source: str
    external_id: str

    @classmethod
    def list_of(cls, rows) -> list["ExternalId"]:
        return [cls(source=row.source, external_id=row.external_id) for row in rows.all()]


@strawberry_django.filter_type(models.Account)
class AccountFilter:
    domain: str | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    persona: relay.GlobalID | None = strawberry.UNSET

    @strawberry_django.filter_field(description="Case-insensitive match on name or domain.")
    def search(self, value: str, prefix: str) -> Q:
        return Q(**{f"{prefix}name__icontains": value}) | Q(**{f"{prefix}domain__icontains": value})


@strawberry_django.order_type(models.Account)
class AccountOrder:
    name: auto
    domain: auto
    first_seen_at: auto
    created_at: auto


@strawberry_django.filter_type(models.Contact)
class ContactFilter:
    account: relay.GlobalID | None = strawberry.UNSET
    persona: relay.GlobalID | None = strawberry.UNSET

    @strawberry_django.filter_field(description="Case-insensitive match on name or email.")
    def search(self, value: str, prefix: str) -> Q:
        return Q(**{f"{prefix}name__icontains": value}) | Q(
            **{f"{prefix}email__icontains": value.lower()}
        )


@strawberry_django.order_type(models.Contact)
class ContactOrder:
    name: auto
    email: auto
    created_at: auto


@strawberry_django.type(models.AccountStage, name="AccountStage")
class AccountStageType(WorkspaceNode):
    read_scopes = (Scope.ACCOUNTS_READ,)

    journey_map: JourneyMapType
    stage: StageType
    entered_at: auto


@strawberry.enum(name="PersonaSource", description="Who decides an account's persona.")
class PersonaSource(Enum):
    MANUAL = strawberry.enum_value("manual", description="Set by hand; rules leave it alone.")
    RULE = strawberry.enum_value("rule", description="The personas' matching rules decide.")


@strawberry_django.type(
    models.Account, name="Account", filters=AccountFilter, ordering=AccountOrder
)
class AccountType(WorkspaceNode):
    read_scopes = (Scope.ACCOUNTS_READ,)

    name: auto
    domain: auto
    industry: auto
    employee_count: auto
    annual_revenue: Decimal | None
    country: auto
    persona: PersonaType | None
    first_seen_at: auto

    @strawberry_django.field(
        only=["persona_source"],
        description="MANUAL: the persona was set by hand and the personas' matching rules "
        "leave it alone; RULE: the rules decide it.",
    )
    def persona_source(self, root: models.Account) -> "PersonaSource":
        return PersonaSource(root.persona_source)

    created_at: auto
    contacts: list["ContactType"] = strawberry_django.field(description="The account's people.")
    current_stages: list[AccountStageType] = strawberry_django.field(
        field_name="stages", description="Where the account stands in each published map."
    )
    timeline: TimelineConnection = strawberry_django.field(
        resolver=account_timeline, only=["workspace_id"], description=TIMELINE_DESCRIPTION
    )

    @strawberry_django.field(prefetch_related=["external_ids"])
    def external_ids(self, root: models.Account) -> list[ExternalId]:
        return [
            ExternalId(source=e.source, external_id=e.external_id) for e in root.external_ids.all()
        ]


@strawberry_django.type(
    models.Contact, name="Contact", filters=ContactFilter, ordering=ContactOrder
)
class ContactType(WorkspaceNode):
    read_scopes = (Scope.ACCOUNTS_READ,)

    email: auto
    name: auto
    title: auto
    department: auto
    account: AccountType | None
    persona: PersonaType | None
    created_at: auto
    timeline: TimelineConnection = strawberry_django.field(
        resolver=contact_timeline, only=["workspace_id"], description=TIMELINE_DESCRIPTION
    )

    @strawberry_django.field(only=["seniority"])
    def seniority(self, root: models.Contact) -> Seniority | None:
        return Seniority(root.seniority) if root.seniority else None

    @strawberry_django.field(prefetch_related=["external_ids"])
    def external_ids(self, root: models.Contact) -> list[ExternalId]:
        return [
            ExternalId(source=e.source, external_id=e.external_id) for e in root.external_ids.all()
        ]


@strawberry_django.type(models.Interaction, name="Interaction")
class InteractionType(WorkspaceNode):
    read_scopes = (Scope.ACCOUNTS_READ,)

    client_id: auto
    occurred_at: auto
    received_at: auto
    account: AccountType
    contact: ContactType | None
    touchpoint: TouchpointType
    source: auto
    medium: auto
    campaign: auto
    cost: Decimal | None
    properties: JSON


MilestoneOrigin = strawberry.enum(models.MilestoneAchievement.Origin, name="MilestoneOrigin")


@strawberry_django.type(models.MilestoneAchievement, name="MilestoneAchievement")
class MilestoneAchievementType(WorkspaceNode):
    read_scopes = (Scope.ACCOUNTS_READ,)

    client_id: auto
    occurred_at: auto
    received_at: auto
    account: AccountType
    contact: ContactType | None
    milestone: MilestoneType
    value: Decimal | None
    currency: auto
    origin: MilestoneOrigin
    properties: JSON


@strawberry.enum(name="FeedbackInstrument", description="What a feedback response measures.")
class FeedbackInstrument(Enum):
    NPS = strawberry.enum_value("nps", description="Net Promoter Score, 0 to 10.")
    CSAT = strawberry.enum_value("csat", description="Customer satisfaction, 1 to 5 by default.")
    CES = strawberry.enum_value("ces", description="Customer effort, 1 to 7 by default.")
    RATING = strawberry.enum_value("rating", description="A rating, 1 to 5 stars by default.")
    TEXT = strawberry.enum_value("text", description="A comment without a score.")


@strawberry_django.type(
    models.FeedbackResponse,
    name="FeedbackResponse",
    description="What a customer said: a survey answer, a rating or a comment.",
)
class FeedbackResponseType(WorkspaceNode):
    read_scopes = (Scope.ACCOUNTS_READ,)

    client_id: auto = strawberry_django.field(description="The sender's id for the response.")
    occurred_at: auto = strawberry_django.field(description="When the customer answered.")
    received_at: auto = strawberry_django.field(description="When Waymark stored it.")
    account: AccountType = strawberry_django.field(description="The account that answered.")
    contact: ContactType | None = strawberry_django.field(description="The person, if known.")
    instrument: FeedbackInstrument = strawberry_django.field(description="What it measures.")
    score: Decimal | None = strawberry_django.field(description="The answer; null for TEXT.")
    scale_min: int | None = strawberry_django.field(description="The scale's bottom.")
    scale_max: int | None = strawberry_django.field(description="The scale's top.")
    comment: auto = strawberry_django.field(description="What the customer wrote.")
    source: auto = strawberry_django.field(description="e.g. survey, ticketing, review_site.")
    touchpoint: TouchpointType | None = strawberry_django.field(
        description="The touchpoint it is about, if given."
    )
    stage: StageType | None = strawberry_django.field(
        description="The stage it is about, if the sender named one."
    )
    properties: JSON = strawberry_django.field(description="Anything else the sender gave.")


@strawberry.enum(name="PersonaReassignmentStatus", description="Where a reassignment is.")
class PersonaReassignmentStatus(Enum):
    QUEUED = strawberry.enum_value("queued", description="Waiting for a worker.")
    RUNNING = strawberry.enum_value("running", description="Matching accounts.")
    SUCCEEDED = strawberry.enum_value("succeeded", description="Done.")
    FAILED = strawberry.enum_value("failed", description="Stopped by an error (see error).")


@strawberry_django.type(
    models.PersonaReassignment,
    name="PersonaReassignment",
    description="A run of the personas' matching rules over every account of the workspace.",
)
class PersonaReassignmentType(WorkspaceNode):
    read_scopes = (Scope.ACCOUNTS_READ,)

    progress: auto = strawberry_django.field(description="Percent done.")
    accounts: auto = strawberry_django.field(description="Accounts checked so far.")
    changed: auto = strawberry_django.field(description="Accounts whose persona changed.")
    error: auto = strawberry_django.field(description="Why it failed, if it did.")
    created_at: auto = strawberry_django.field(description="When it was requested.")
    started_at: auto = strawberry_django.field(description="When a worker took it up.")
    finished_at: auto = strawberry_django.field(description="When it finished.")

    @strawberry_django.field(only=["status"], description="Where the run is.")
    def status(self, root: models.PersonaReassignment) -> PersonaReassignmentStatus:
        return PersonaReassignmentStatus(root.status)


@strawberry.type(description="What a set of matching rules would match, before it is saved.")
class PersonaMatchPreview:
    matching: int = strawberry.field(description="Accounts the rules match (any persona now).")
    accounts: int = strawberry.field(description="Accounts in the workspace.")
    sample: list[AccountType] = strawberry.field(
        description="Up to 10 of the matching accounts, by name."
    )


AccountConnection = DjangoListConnection[AccountType]
ContactConnection = DjangoListConnection[ContactType]

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from accounts import models
from accounts.graphql.scalars import Amount, EventTime
from accounts.graphql.types import PersonaSource
from accounts.identity import AccountRef, ContactRef
from accounts.ingestion import AchievementItem, FeedbackItem, InteractionItem
from workspaces.graphql.describe import described, from_model


@from_model(
    models.AccountExternalId,
    domain="The company's web domain, e.g. acme.com (https://www.Acme.com/x is acme.com).",
)
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


@from_model(
    models.ContactExternalId,
    email="The person's email address (matched case-insensitively).",
    name="The person's name, stored when the contact is created.",
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


@from_model(
    models.Interaction,
    "One interaction: an account (and contact) touched a touchpoint at a time.",
    account="Who touched it: the account (or leave it out and name the contact).",
    contact="The person who touched it, if known.",
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


@from_model(
    models.MilestoneAchievement,
    "One milestone achievement: an account reached a milestone at a time.",
    account="Who reached it: the account (or leave it out and name the contact).",
    contact="The person who reached it, if known.",
)
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


@strawberry.input(
    description="A feedback response: a survey answer (NPS, CSAT, CES), a rating or a comment."
)
class FeedbackResponseInput:
    client_id: str = strawberry.field(
        description="Your id for this response, unique in the workspace: a retry with the "
        "same id is stored once."
    )
    instrument: str = strawberry.field(
        description="NPS (0-10), CSAT (1-5 by default), CES (1-7 by default), RATING (1-5 by "
        "default, halves allowed) or TEXT (a comment without a score); any letter case."
    )
    occurred_at: EventTime = strawberry.field(description="When the customer answered.")
    account: AccountRefInput | None = strawberry.field(
        default=None, description="The account (created if missing); or give a contact."
    )
    contact: ContactRefInput | None = strawberry.field(
        default=None, description="The person who answered (created if missing)."
    )
    score: Amount | None = strawberry.field(
        default=None,
        description="The answer on the instrument's scale; required except for TEXT. A score "
        "outside the scale rejects the item.",
    )
    scale: int | None = strawberry.field(
        default=None,
        description="The top of the scale: NPS is always 10; CSAT and CES 3 to 10 (default 5 "
        "and 7); RATING 2 to 100 (default 5). Scales start at 0 for NPS, else at 1.",
    )
    comment: str | None = strawberry.field(
        default=None, description="What the customer wrote (required for TEXT)."
    )
    source: str | None = strawberry.field(
        default=None, description="Where it came from, e.g. survey, ticketing, review_site."
    )
    touchpoint: str | None = strawberry.field(
        default=None, description="Key of the touchpoint the response is about, if any."
    )
    stage: str | None = strawberry.field(
        default=None, description="Global id of the stage the response is about, if any."
    )
    properties: JSON | None = strawberry.field(
        default=None, description="Anything else, as a JSON object (at most 16 KiB)."
    )


@from_model(
    models.Account,
    "One account to create or update: fields left out stay as they are.",
    persona="Key of the persona the account matches.",
)
@strawberry.input
class AccountUpsertInput:
    ref: AccountRefInput = strawberry.field(description="Which account (created if missing).")
    name: str | None = None
    industry: str | None = None
    employee_count: int | None = None
    annual_revenue: Amount | None = None
    country: str | None = None
    persona: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The account's persona, set by hand: its personaSource becomes MANUAL "
        "(unless personaSource is given too).",
    )
    persona_source: PersonaSource | None = strawberry.field(
        default=None,
        description="RULE hands the persona back to the personas' matching rules; MANUAL "
        "keeps the current one from them.",
    )


@described("Two accounts that are one company: the source is merged into the target.")
@strawberry.input
class AccountMergeInput:
    source: relay.GlobalID = strawberry.field(description="The account merged away (deleted).")
    target: relay.GlobalID = strawberry.field(description="The account that keeps everything.")


# A batch holds up to 1,000 items: they are built straight from the validated GraphQL
# values into the ingestion pipeline's items, skipping Strawberry's generic conversion,
# which costs more than storing them.


def _account_ref(value) -> AccountRef | None:
    if value is None:
        return None
    get = value.get
    return AccountRef(
        source=get("source") or "",
        external_id=get("externalId") or "",
        domain=get("domain") or "",
        name=get("name") or "",
    )


def _contact_ref(value) -> ContactRef | None:
    if value is None:
        return None
    get = value.get
    return ContactRef(
        source=get("source") or "",
        external_id=get("externalId") or "",
        email=get("email") or "",
        name=get("name") or "",
    )


def _interaction_item(cls, value, context) -> InteractionItem:
    get = value.get
    return InteractionItem(
        client_id=value["clientId"],
        touchpoint=value["touchpoint"],
        occurred_at=value["occurredAt"],
        account=_account_ref(get("account")),
        contact=_contact_ref(get("contact")),
        source=get("source") or "",
        medium=get("medium") or "",
        campaign=get("campaign") or "",
        cost=get("cost"),
        properties=get("properties"),
    )


def _achievement_item(cls, value, context) -> AchievementItem:
    get = value.get
    return AchievementItem(
        client_id=value["clientId"],
        milestone=value["milestone"],
        occurred_at=value["occurredAt"],
        account=_account_ref(get("account")),
        contact=_contact_ref(get("contact")),
        value=get("value"),
        currency=get("currency") or "",
        properties=get("properties"),
    )


def _feedback_item(cls, value, context) -> FeedbackItem:
    get = value.get
    return FeedbackItem(
        client_id=value["clientId"],
        instrument=value["instrument"],
        occurred_at=value["occurredAt"],
        account=_account_ref(get("account")),
        contact=_contact_ref(get("contact")),
        score=get("score"),
        scale=get("scale"),
        comment=get("comment") or "",
        source=get("source") or "",
        touchpoint=get("touchpoint"),
        stage=get("stage"),
        properties=get("properties"),
    )


InteractionInput.__strawberry_definition__.from_input = _interaction_item
FeedbackResponseInput.__strawberry_definition__.from_input = _feedback_item
MilestoneAchievementInput.__strawberry_definition__.from_input = _achievement_item

"""Lenient scalars for ingestion: a malformed item is rejected alone, not the whole batch.

The items of a batch (`InteractionInput`, `MilestoneAchievementInput`,
`AccountUpsertInput`) are JSON objects checked item by item by the pipeline: a missing
field, an unknown key or a value of the wrong type in one item rejects that item, with a
code per problem, and the other items are stored.
"""

from typing import Any, NewType

import strawberry

InteractionItemValue = NewType("InteractionItemValue", object)
AchievementItemValue = NewType("AchievementItemValue", object)
AccountUpsertItemValue = NewType("AccountUpsertItemValue", object)
FeedbackItemValue = NewType("FeedbackItemValue", object)


def _as_given(value: Any) -> Any:
    return value


_REF = (
    "`account` {source, externalId, domain, name} finds (or creates) the account: by "
    "external id for a source, else by domain (name is used when it is created); "
    "`contact` {source, externalId, email, name} likewise the contact, by external id, "
    "else by email."
)


def _item_scalar(name: str, fields: str) -> Any:
    return strawberry.scalar(
        name=name,
        description=f"One item of a batch, a JSON object checked item by item (a bad item "
        f"is rejected with a code per problem; the others are stored). Fields: {fields}",
        serialize=_as_given,
        parse_value=_as_given,
    )


SCALARS = {
    InteractionItemValue: _item_scalar(
        "InteractionInput",
        "`clientId` (required: your id for this event, unique in the workspace; a retry "
        "with the same id is stored once), `touchpoint` (required: the touchpoint's key), "
        "`occurredAt` (required: ISO 8601 with a UTC offset), `source`, `medium`, "
        "`campaign` (texts), `cost` (a decimal, at least 0), `properties` (a JSON object); " + _REF,
    ),
    AchievementItemValue: _item_scalar(
        "MilestoneAchievementInput",
        "`clientId` (required, unique in the workspace), `milestone` (required: the "
        "milestone's key), `occurredAt` (required: ISO 8601 with a UTC offset), `value` (a "
        "decimal, at least 0; defaults to the milestone's value), `currency` (ISO 4217), "
        "`properties` (a JSON object); " + _REF,
    ),
    FeedbackItemValue: _item_scalar(
        "FeedbackResponseInput",
        "a feedback response (a survey answer, a rating or a comment): `clientId` "
        "(required, unique in the workspace), `instrument` (required: NPS 0-10, CSAT 1-5 by "
        "default, CES 1-7 by default, RATING 1-5 by default with halves allowed, or TEXT, a "
        "comment without a score; any letter case), `occurredAt` (required: when the "
        "customer answered, ISO 8601 with a UTC offset), `score` (on the instrument's "
        "scale; required except for TEXT), `scale` (the top of the scale: NPS is always 10; "
        "CSAT and CES 3 to 10, RATING 2 to 100), `comment` (required for TEXT), `source` "
        "(e.g. survey, ticketing), `touchpoint` (a touchpoint's key), `stage` (a Stage id), "
        "`properties` (a JSON object of at most 16 KiB); " + _REF,
    ),
    AccountUpsertItemValue: _item_scalar(
        "AccountUpsertInput",
        "`ref` (required: {source, externalId, domain, name}, which account; created if "
        "missing), `name`, `industry` (texts), `employeeCount` (a whole number, at least "
        "0), `annualRevenue` (a decimal), `country` (ISO 3166-1 alpha-2 code, e.g. DE), "
        "`persona` (a Persona id; set by hand, its personaSource becomes MANUAL unless "
        "`personaSource` is given too), `personaSource` (RULE hands the persona back to "
        "the personas' matching rules; MANUAL keeps the current one from them).",
    ),
}

# Checked by their service item by item (config.limits leaves their texts to it).
PER_ITEM_SCALARS = frozenset(
    {"InteractionInput", "MilestoneAchievementInput", "FeedbackResponseInput", "AccountUpsertInput"}
)

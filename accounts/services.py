"""Writes to accounts and contacts outside event ingestion: upserts and merges."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import signals
from accounts.identity import AccountRef, IdentityError, clean_refs, resolve_identities
from accounts.ingestion import (
    MAX_BATCH,
    Checks,
    ItemError,
    ItemInvalid,
    ItemRejected,
    clean_amount,
    clean_text,
    ref_from_json,
    unknown_fields,
)
from accounts.models import (
    Account,
    AccountExternalId,
    AccountStage,
    Contact,
    FeedbackResponse,
    Interaction,
    MilestoneAchievement,
    PersonaSource,
)
from accounts.tasks import enqueue_activity_processing
from workspaces.cleaning import validate_country
from workspaces.errors import field_error
from workspaces.models import Workspace
from workspaces.services import apply_changes

ACCOUNT_FIELDS = (
    "name",
    "industry",
    "employee_count",
    "annual_revenue",
    "country",
    "persona",
    "persona_source",
)


@dataclass(frozen=True)
class AccountUpsert:
    ref: AccountRef
    changes: dict[str, Any]


@dataclass
class UpsertResult:
    index: int
    account: Account | None = None
    errors: list[ItemError] | None = None


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _validation_errors(error: ValidationError) -> list[ItemError]:
    """Model errors as item errors, named like the API's fields (camelCase)."""
    return [
        ItemError(_camel(name), message, getattr(detail, "code", None) or "invalid")
        for name, details in error.error_dict.items()
        for detail in details
        for message in detail.messages
    ]


def _employee_count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ItemInvalid("employeeCount", "Must be a whole number.", "invalid_type")
    if not 0 <= value <= 2_147_483_647:
        raise ItemInvalid("employeeCount", "From 0 to 2147483647.", "min_value")
    return value


def _country(value: Any) -> str:
    country = clean_text(value, "country", 2).upper()
    try:
        validate_country(country)
    except ValidationError as error:
        raise ItemInvalid("country", error.messages[0], "invalid_country") from None
    return country


def _persona_source(value: Any) -> str:
    names = {source.name: source.value for source in PersonaSource}
    if value not in names:
        raise ItemInvalid("personaSource", "RULE or MANUAL.", "invalid_choice")
    return names[value]


def account_upsert_from_json(value: Any, *, persona: Any = None) -> AccountUpsert:
    """An upsert item from its JSON object (the GraphQL API): every problem of the item
    at once (ItemRejected). `persona` is the row its persona id named (loaded by the
    caller inside the workspace), or the ItemError saying why it names none."""
    if not isinstance(value, dict):
        raise ItemRejected([ItemError(None, "Each item must be a JSON object.", "invalid_type")])
    errors = unknown_fields(value, UPSERT_KEYS)
    checks = Checks()
    checks.errors.extend(errors)
    ref = ref_from_json(value.get("ref"), "ref", AccountRef, checks.errors)
    if value.get("ref") is None:
        checks.errors.append(ItemError("ref", "This field is required.", "required"))
    changes: dict[str, Any] = {}
    for key, name, length in (("name", "name", 200), ("industry", "industry", 120)):
        if value.get(key) is not None:
            changes[name] = checks(clean_text, value[key], key, length)
    if value.get("employeeCount") is not None:
        changes["employee_count"] = checks(_employee_count, value["employeeCount"])
    if value.get("annualRevenue") is not None:
        changes["annual_revenue"] = checks(
            clean_amount, value["annualRevenue"], "annualRevenue", minimum=Decimal(0)
        )
    if value.get("country") is not None:
        changes["country"] = checks(_country, value["country"])
    if isinstance(persona, ItemError):
        checks.errors.append(persona)
    elif persona is not None:
        changes["persona"] = persona
    if value.get("personaSource") is not None:
        changes["persona_source"] = checks(_persona_source, value["personaSource"])
    checks.done()
    return AccountUpsert(ref=ref, changes=changes)


UPSERT_KEYS = frozenset(
    {
        "ref",
        "name",
        "industry",
        "employeeCount",
        "annualRevenue",
        "country",
        "persona",
        "personaSource",
    }
)


def accounts_upsert(
    *, workspace: Workspace, items: Sequence[AccountUpsert | ItemRejected]
) -> list[UpsertResult]:
    """Find or create each account by its reference, then set the given fields; items
    given as ItemRejected (see account_upsert_from_json) are answered with their errors."""
    if len(items) > MAX_BATCH:
        raise field_error("items", f"At most {MAX_BATCH} items a call.", "too_many")
    results = [UpsertResult(index) for index in range(len(items))]
    wanted = {}
    for index, item in enumerate(items):
        if isinstance(item, ItemRejected):
            results[index].errors = item.errors
            continue
        try:
            if not (item.ref.external_id or item.ref.domain):
                raise IdentityError(
                    "ref", "Give ref.externalId with ref.source, or ref.domain.", "required"
                )
            wanted[index] = clean_refs(item.ref, None)
        except IdentityError as error:
            results[index].errors = [
                ItemError(e.field.replace("account", "ref", 1), e.message, e.code)
                for e in error.errors
            ]
    with transaction.atomic():
        identities = resolve_identities(workspace, list(wanted.values()))
        accounts = Account.objects.in_bulk([i.account_id for i in identities])
        for index, identity in zip(wanted, identities, strict=True):
            results[index] = _apply_upsert(index, accounts[identity.account_id], items[index])
        regrouped = [
            result.account.pk
            for result, item in zip(results, items, strict=True)
            if result.account is not None
            and ("persona" in item.changes or "persona_source" in item.changes)
        ]
        if regrouped:  # a new persona means another published map to stand in
            enqueue_activity_processing(workspace.pk, regrouped)
    return results


def _apply_upsert(index: int, account: Account, item: AccountUpsert) -> UpsertResult:
    changes = dict(item.changes)
    if "persona" in changes and "persona_source" not in changes:
        # A persona given by hand stays: the personas' matching rules leave it alone.
        changes["persona_source"] = PersonaSource.MANUAL
    persona = changes.get("persona")
    if persona is not None and persona.workspace_id != account.workspace_id:
        return UpsertResult(index, errors=[ItemError("persona", "Persona not found.", "not_found")])
    try:
        with transaction.atomic():
            apply_changes(account, changes, allowed=ACCOUNT_FIELDS)
    except ValidationError as error:
        account.refresh_from_db()
        return UpsertResult(index, errors=_validation_errors(error))
    return UpsertResult(index, account=account)


@transaction.atomic
def account_merge(*, source: Account, target: Account) -> Account:
    """Move all of source's history, contacts and ids to target, then delete source."""
    if source.pk == target.pk:
        raise field_error("source", "An account cannot be merged into itself.", "invalid")
    if source.workspace_id != target.workspace_id:
        raise field_error("target", "Account not found.", "not_found")
    locked = {
        a.pk: a for a in Account.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    source, target = locked[source.pk], locked[target.pk]
    for model in (Interaction, MilestoneAchievement, FeedbackResponse, Contact, AccountExternalId):
        model.objects.filter(account=source).update(account=target)
    AccountStage.objects.filter(account=source).delete()
    for name in ACCOUNT_FIELDS:
        if getattr(target, name) in (None, "") and getattr(source, name) not in (None, ""):
            setattr(target, name, getattr(source, name))
    if not target.domain and source.domain:
        domain, source.domain = source.domain, ""
        source.save(update_fields=["domain"])
        target.domain = domain
    firsts = [t for t in (source.first_seen_at, target.first_seen_at) if t is not None]
    target.first_seen_at = min(firsts) if firsts else None
    merged = {
        "id": source.pk,
        "name": source.name,
        "domain": source.domain,
        "merged_at": timezone.now().isoformat(),
    }
    source.delete()
    target.full_clean()
    target.save()
    signals.after_commit(
        signals.account_merged, target.workspace_id, source=merged, target_id=target.pk
    )
    enqueue_activity_processing(target.workspace_id, [target.pk])
    return target

"""Writes to accounts and contacts outside event ingestion: upserts and merges."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import signals
from accounts.identity import AccountRef, IdentityError, clean_refs, resolve_identities
from accounts.ingestion import MAX_BATCH, ItemError, ItemInvalid, clean_amount
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


def accounts_upsert(*, workspace: Workspace, items: Sequence[AccountUpsert]) -> list[UpsertResult]:
    """Find or create each account by its reference, then set the given fields."""
    if len(items) > MAX_BATCH:
        raise field_error("items", f"At most {MAX_BATCH} items a call.", "too_many")
    results = [UpsertResult(index) for index in range(len(items))]
    wanted = {}
    for index, item in enumerate(items):
        try:
            if not (item.ref.external_id or item.ref.domain):
                raise IdentityError(
                    "ref", "Give ref.externalId with ref.source, or ref.domain.", "required"
                )
            wanted[index] = clean_refs(item.ref, None)
        except IdentityError as error:
            results[index].errors = [ItemError(error.field, error.message, error.code)]
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
    try:
        if "annual_revenue" in changes:
            changes["annual_revenue"] = clean_amount(changes["annual_revenue"], "annualRevenue")
        persona = changes.get("persona")
        if persona is not None and persona.workspace_id != account.workspace_id:
            raise ItemInvalid("persona", "Persona not found.", "not_found")
    except ItemInvalid as invalid:
        return UpsertResult(index, errors=[invalid.error])
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

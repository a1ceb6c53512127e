"""Personas that assign themselves: the personas' matching rules applied to accounts.

Each persona's rules (journeys.matching) become one SQL condition on accounts - a contact
condition an EXISTS over the account's contacts - and all personas one CASE in priority
order, so the database picks each account's persona in the query that finds the accounts
whose persona changes. Only accounts whose persona_source is RULE are touched: a persona
set by hand (accountsUpsert) is MANUAL and never overwritten. An account that no persona
matches any more loses its rule-given persona. A workspace none of whose personas has rules
is left alone.

Runs after ingestion (accounts.tasks.process_activity), nightly, and on demand
(personasReassign); the accounts whose persona changed have their current stages
recomputed.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from accounts.batches import for_each_account_batch
from accounts.event_store import AnyOf
from accounts.models import Account, Contact, PersonaReassignment, PersonaSource
from journeys.matching import ContactMatch, Group, Leaf, parse_matching_rules
from journeys.models import Persona
from workspaces.models import Workspace

logger = logging.getLogger(__name__)
Status = PersonaReassignment.Status
BATCH_SIZE = 5000
SAMPLE_SIZE = 10


def _texts_q(column: str, lookup: str, values) -> Q:
    return reduce(or_, (Q(**{f"{column}__{lookup}": value}) for value in values))


def _leaf_q(leaf: Leaf) -> Q:
    if leaf.op == "in":
        return _texts_q(leaf.field, "iexact", leaf.values)
    if leaf.op == "contains":
        return _texts_q(leaf.field, "icontains", leaf.values)
    if leaf.op == "suffix":
        return reduce(
            or_,
            (Q(domain__iexact=s) | Q(domain__iendswith=f".{s}") for s in leaf.values),
        )
    low, high = leaf.values  # between
    condition = Q(**{f"{leaf.field}__isnull": False})
    if low is not None:
        condition &= Q(**{f"{leaf.field}__gte": low})
    if high is not None:
        condition &= Q(**{f"{leaf.field}__lte": high})
    return condition


def condition_q(node) -> Q:
    """The SQL condition on accounts of a parsed rule condition."""
    if isinstance(node, Group):
        return reduce(and_ if node.mode == "all" else or_, (condition_q(p) for p in node.parts))
    if isinstance(node, ContactMatch):
        contacts = Contact.objects.filter(
            workspace_id=OuterRef("workspace_id"), account_id=OuterRef("pk")
        ).filter(condition_q(node.condition))
        return Q(Exists(contacts))
    return _leaf_q(node)


@dataclass(frozen=True)
class Candidate:
    persona_id: int
    key: str
    priority: int
    condition: Q


def candidates(workspace: Workspace) -> list[Candidate]:
    """The workspace's personas with rules, in the order they are tried."""
    found = []
    personas = Persona.objects.filter(workspace=workspace).exclude(matching_rules={})
    for persona_id, key, raw in personas.values_list("pk", "key", "matching_rules"):
        try:
            rules = parse_matching_rules(raw)
        except ValidationError:  # stored before the grammar was checked: skipped
            logger.warning("Persona %s: matching rules cannot be applied; skipped.", key)
            continue
        if rules is not None:
            found.append(Candidate(persona_id, key, rules.priority, condition_q(rules.condition)))
    return sorted(found, key=lambda c: (c.priority, c.key))


def wanted_persona(found: list[Candidate]) -> Case:
    """The persona each account should have, by the rules (NULL: none matches)."""
    return Case(
        *[When(c.condition, then=Value(c.persona_id)) for c in found],
        default=Value(None),
        output_field=IntegerField(),
    )


def match_personas(
    *,
    workspace: Workspace,
    account_ids=None,
    progress: Callable[[int, int], None] | None = None,
) -> list[int]:
    """Give these accounts (None: all of the workspace's) whose persona source is RULE the
    persona their rules pick; returns the ids of the accounts whose persona changed.
    progress(accounts checked, accounts changed) is called after each batch."""
    found = candidates(workspace)
    if not found:
        return []
    wanted = wanted_persona(found)
    changed: list[int] = []
    checked = 0

    def work(ids: list[int]) -> int:
        nonlocal checked
        # The CASE is evaluated once per account (filtering on it would repeat it); the
        # comparison with the current persona is done on the rows that come back.
        rows = (
            Account.objects.filter(AnyOf(F("pk"), ids), persona_source=PersonaSource.RULE)
            .annotate(wanted=wanted)
            .order_by()
            .values_list("pk", "persona_id", "wanted")
        )
        by_persona: dict[int | None, list[int]] = defaultdict(list)
        for pk, current, persona_id in rows:
            if current != persona_id:
                by_persona[persona_id].append(pk)
        for persona_id, pks in by_persona.items():
            Account.objects.filter(AnyOf(F("pk"), pks)).update(persona_id=persona_id)
            changed.extend(pks)
        checked += len(ids)
        if progress is not None:
            progress(checked, len(changed))
        return 0

    for_each_account_batch(workspace, account_ids, work, batch_size=BATCH_SIZE)
    return changed


@dataclass(frozen=True)
class Preview:
    matching: int
    accounts: int
    sample: list[Account]


def persona_match_preview(*, workspace: Workspace, rules) -> Preview:
    """How many of the workspace's accounts the given rules would match (whatever their
    persona now), and the first SAMPLE_SIZE of them by name. Raises ValidationError for
    rules that break the grammar."""
    parsed = parse_matching_rules(rules)
    if parsed is None:
        raise ValidationError({"rules": ValidationError("Give rules to preview.", "required")})
    accounts = Account.objects.filter(workspace=workspace)
    matching = accounts.filter(condition_q(parsed.condition))
    return Preview(
        matching=matching.count(),
        accounts=accounts.count(),
        sample=list(matching.order_by("name", "pk")[:SAMPLE_SIZE]),
    )


def persona_reassignment_start(*, workspace: Workspace) -> PersonaReassignment:
    """Re-run the personas' rules over all accounts of the workspace in the background;
    a run already queued or running is answered instead of a second one."""
    from accounts.tasks import enqueue_persona_reassignment

    with transaction.atomic():
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        active = PersonaReassignment.objects.filter(
            workspace=workspace, status__in=[Status.QUEUED, Status.RUNNING]
        ).first()
        if active is not None:
            return active
        run = PersonaReassignment.objects.create(workspace=workspace)
        enqueue_persona_reassignment(run.pk)
    return run


def persona_reassignment_run(reassignment_id: int) -> PersonaReassignment | None:
    """Run a queued reassignment: match every account, then recompute the current stages
    of those whose persona changed. Idempotent: a finished run is left alone, and running
    it again gives the same personas."""
    from accounts.stages import recompute_stages

    with transaction.atomic():
        run = PersonaReassignment.objects.select_for_update().filter(pk=reassignment_id).first()
        if run is None or run.status in (Status.SUCCEEDED, Status.FAILED):
            return None
        run.status, run.started_at, run.progress = Status.RUNNING, timezone.now(), 0
        run.save(update_fields=["status", "started_at", "progress", "updated_at"])
    total = Account.objects.filter(workspace_id=run.workspace_id).count() or 1

    def progress(checked: int, changed: int) -> None:
        PersonaReassignment.objects.filter(pk=run.pk).update(
            accounts=checked, changed=changed, progress=min(95, 95 * checked // total)
        )

    try:
        changed = match_personas(workspace=run.workspace, progress=progress)
        if changed:
            recompute_stages(workspace=run.workspace, account_ids=changed)
    except Exception as error:
        logger.exception("Persona reassignment %s failed", run.pk)
        PersonaReassignment.objects.filter(pk=run.pk).update(
            status=Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )  # fmt: skip
        raise
    PersonaReassignment.objects.filter(pk=run.pk).update(
        status=Status.SUCCEEDED, progress=100, changed=len(changed), finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run

"""Milestones derived from interactions by their rule.

A milestone's rule {"touchpoint": KEY, "min_count": N, "within_days": D} reads: the account
touched touchpoint KEY at least N times within D days. The account achieves the milestone
at the first interaction that makes this true: the earliest interaction of KEY (ordered by
occurred_at, then id) whose (N-1)-th predecessor of KEY happened at most D x 24 hours
before it. So the N-th interaction of a burst of N within D days is the moment; N
interactions spread over more than D days achieve nothing until a later burst does.

The result is stored as one MilestoneAchievement per account and milestone, with origin
RULE, client id `rule:<milestone id>:<account id>`, the milestone's value and the contact
of the deciding interaction. Rule achievements are derived data: each run makes them match
the current rule and the current interactions of the accounts it processes - created when
the rule first holds, moved when earlier interactions arrive late (or accounts are merged),
removed when it no longer holds (the rule was tightened). Reported achievements of the same
milestone are never touched. A milestone whose rule names an unknown touchpoint is skipped,
so a renamed touchpoint does not wipe its achievements.

All matching happens in the database with window functions (one query per rule milestone
and batch of accounts); only one row per achieving account comes back.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import F, QuerySet, Window
from django.db.models.functions import Lag, RowNumber
from django.utils import timezone

from accounts import signals
from accounts.batches import for_each_account_batch
from accounts.models import Interaction, MilestoneAchievement
from journeys.models import Milestone, Touchpoint
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

# What a rerun may change on a stored rule achievement.
CHANGING_FIELDS = ["account", "occurred_at", "contact", "value"]


@dataclass(frozen=True)
class Rule:
    milestone_id: int
    value: Decimal | None
    touchpoint_id: int
    min_count: int
    within: timedelta


RULE_CLIENT_ID_PREFIX = "rule:"


def rule_client_id(milestone_id: int, account_id: int) -> str:
    """The client id of an account's achievement of a rule milestone."""
    return f"{RULE_CLIENT_ID_PREFIX}{milestone_id}:{account_id}"


def workspace_rules(workspace: Workspace) -> list[Rule]:
    """The workspace's rule milestones whose touchpoint exists (two queries)."""
    milestones = list(
        Milestone.objects.filter(workspace=workspace, rule__isnull=False)
        .order_by("pk")
        .values_list("pk", "value", "rule")
    )
    keys = {rule.get("touchpoint") for _, _, rule in milestones if isinstance(rule, dict)}
    touchpoints = dict(
        Touchpoint.objects.filter(
            workspace=workspace, key__in=[k for k in keys if isinstance(k, str)]
        )
        .order_by()
        .values_list("key", "pk")
    )
    rules = []
    for milestone_id, value, rule in milestones:
        try:
            touchpoint_id = touchpoints[rule["touchpoint"]]
            min_count, within_days = int(rule["min_count"]), int(rule["within_days"])
        except (KeyError, TypeError, ValueError):
            logger.warning("Milestone %s: rule %r cannot be applied; skipped.", milestone_id, rule)
            continue
        if min_count < 1 or within_days < 1:
            logger.warning("Milestone %s: rule %r is out of range; skipped.", milestone_id, rule)
            continue
        rules.append(
            Rule(milestone_id, value, touchpoint_id, min_count, timedelta(days=within_days))
        )
    return rules


def first_matches(workspace: Workspace, rule: Rule, account_ids: list[int]) -> QuerySet:
    """(account_id, occurred_at, contact_id) of the interaction at which each of these
    accounts first satisfies the rule; accounts that never do are absent."""
    timeline = [F("occurred_at").asc(), F("id").asc()]
    matching = Interaction.objects.filter(
        workspace=workspace, touchpoint_id=rule.touchpoint_id, account_id__in=account_ids
    )
    if rule.min_count > 1:
        # The (N-1)-th earlier interaction of the same touchpoint: N of them fit into the
        # window ending here when it is at most D days older.
        matching = matching.annotate(
            window_start=Window(
                Lag("occurred_at", offset=rule.min_count - 1),
                partition_by=[F("account_id")],
                order_by=timeline,
            )
        ).filter(window_start__gte=F("occurred_at") - rule.within)
    return (
        Interaction.objects.filter(pk__in=matching.order_by().values("pk"))
        .order_by()
        .annotate(rank=Window(RowNumber(), partition_by=[F("account_id")], order_by=timeline))
        .filter(rank=1)
        .values_list("account_id", "occurred_at", "contact_id")
    )


def derive_rule_milestones(*, workspace: Workspace, account_ids=None) -> int:
    """Make the rule achievements of these accounts (None: all of the workspace's) match
    the rules; returns how many achievements were created, changed or removed."""
    rules = workspace_rules(workspace)
    if not rules:
        return 0
    return for_each_account_batch(
        workspace, account_ids, lambda ids: sum(_apply(workspace, rule, ids) for rule in rules)
    )


def _apply(workspace: Workspace, rule: Rule, account_ids: list[int]) -> int:
    wanted = {
        rule_client_id(rule.milestone_id, account_id): (account_id, occurred_at, contact_id)
        for account_id, occurred_at, contact_id in first_matches(workspace, rule, account_ids)
    }
    stored = MilestoneAchievement.objects.filter(
        workspace=workspace,
        milestone_id=rule.milestone_id,
        origin=MilestoneAchievement.Origin.RULE,
        account_id__in=account_ids,
    )
    existing = {row.client_id: row for row in stored.order_by().only(*CHANGING_FIELDS, "client_id")}
    stale = [row.pk for client_id, row in existing.items() if client_id not in wanted]
    now = timezone.now()
    created, changed = [], []
    for client_id, (account_id, occurred_at, contact_id) in wanted.items():
        row = existing.get(client_id)
        if row is None:
            created.append(
                MilestoneAchievement(
                    workspace=workspace,
                    account_id=account_id,
                    contact_id=contact_id,
                    milestone_id=rule.milestone_id,
                    occurred_at=occurred_at,
                    received_at=now,
                    client_id=client_id,
                    value=rule.value,
                    origin=MilestoneAchievement.Origin.RULE,
                )
            )
        elif (row.account_id, row.occurred_at, row.contact_id, row.value) != (
            account_id,
            occurred_at,
            contact_id,
            rule.value,
        ):
            row.account_id, row.occurred_at = account_id, occurred_at
            row.contact_id, row.value = contact_id, rule.value
            changed.append(row)
    if stale:
        MilestoneAchievement.objects.filter(pk__in=stale).delete()
    if changed:
        MilestoneAchievement.objects.bulk_update(changed, CHANGING_FIELDS)
    if created:
        # A client id taken meanwhile (by a concurrent run) keeps the first row.
        MilestoneAchievement.objects.bulk_create(created, ignore_conflicts=True)
        signals.announce_milestones(workspace.pk, [row.client_id for row in created])
    return len(stale) + len(changed) + len(created)

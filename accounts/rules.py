"""Milestones derived from activity by their rule (the grammar: journeys.milestone_rules).

Every part of a rule has a first moment per account, found in the database:
- touchpoint KEY at least N times within D days: the earliest interaction of KEY (ordered
  by occurred_at, then id) whose (N-1)-th predecessor of KEY happened at most D x 24 hours
  before it (without D: the N-th interaction of KEY). So the N-th interaction of a burst
  of N within D days is the moment; N interactions spread over more than D days achieve
  nothing until a later burst does. `properties` counts only interactions with those
  property values.
- N distinct contacts at touchpoint KEY: the first interaction of the N-th contact of the
  account to touch KEY (each contact's first interaction of KEY, in time order).
- feedback INSTRUMENT scored from X to Y: the account's first such response.
A basket `all` is achieved at the latest of its parts' moments (once all hold), `any` at
the earliest; the contact is that of the deciding event.

The result is stored as one MilestoneAchievement per account and milestone, with origin
RULE, client id `rule:<milestone id>:<account id>`, the milestone's value and the contact
of the deciding event. Rule achievements are derived data: each run makes them match
the current rule and the current activity of the accounts it processes - created when
the rule first holds, moved when earlier events arrive late (or accounts are merged),
removed when it no longer holds (the rule was tightened). Reported achievements of the same
milestone are never touched. A milestone whose rule names an unknown touchpoint is skipped,
so a renamed touchpoint does not wipe its achievements.

All matching happens in the database with window functions (one query per part of a rule
and batch of accounts); only one row per achieving account and part comes back.
"""

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet, Window
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Lag, RowNumber
from django.utils import timezone

from accounts.batches import for_each_account_batch
from accounts.models import FeedbackResponse, Interaction, MilestoneAchievement
from journeys.milestone_rules import (
    Basket,
    DistinctContacts,
    FeedbackScore,
    TouchCount,
    parse_milestone_rule,
    touchpoint_keys,
)
from journeys.models import Milestone, Touchpoint
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

# What a rerun may change on a stored rule achievement.
CHANGING_FIELDS = ["account", "occurred_at", "contact", "value"]


@dataclass(frozen=True)
class Rule:
    milestone_id: int
    value: Decimal | None
    condition: Any  # a part of journeys.milestone_rules, touchpoint keys resolved to ids


RULE_CLIENT_ID_PREFIX = "rule:"


def rule_client_id(milestone_id: int, account_id: int) -> str:
    """The client id of an account's achievement of a rule milestone."""
    return f"{RULE_CLIENT_ID_PREFIX}{milestone_id}:{account_id}"


def _resolve(part, touchpoints: dict[str, int]):
    """The part with its touchpoint keys replaced by ids; KeyError for an unknown key."""
    if isinstance(part, Basket):
        return replace(part, parts=tuple(_resolve(p, touchpoints) for p in part.parts))
    if isinstance(part, TouchCount | DistinctContacts):
        return replace(part, touchpoint=touchpoints[part.touchpoint])
    return part


def workspace_rules(workspace: Workspace) -> list[Rule]:
    """The workspace's rule milestones whose touchpoints exist (two queries)."""
    milestones = []
    for milestone_id, value, raw in (
        Milestone.objects.filter(workspace=workspace, rule__isnull=False)
        .order_by("pk")
        .values_list("pk", "value", "rule")
    ):
        try:
            milestones.append((milestone_id, value, parse_milestone_rule(raw)))
        except ValidationError:
            logger.warning("Milestone %s: rule %r cannot be applied; skipped.", milestone_id, raw)
    keys = set().union(set(), *(touchpoint_keys(rule) for _, _, rule in milestones))
    touchpoints = dict(
        Touchpoint.objects.filter(workspace=workspace, key__in=keys)
        .order_by()
        .values_list("key", "pk")
    )
    rules = []
    for milestone_id, value, rule in milestones:
        try:
            rules.append(Rule(milestone_id, value, _resolve(rule, touchpoints)))
        except KeyError:
            logger.warning(
                "Milestone %s: a touchpoint of its rule is unknown; skipped.", milestone_id
            )
    return rules


TIMELINE = [F("occurred_at").asc(), F("id").asc()]


def _with_properties(queryset: QuerySet, properties) -> QuerySet:
    """Only events whose properties hold these values (each key compared as JSON)."""
    for n, (key, value) in enumerate(properties):
        queryset = queryset.annotate(**{f"property_{n}": KeyTransform(key, "properties")})
        queryset = queryset.filter(**{f"property_{n}": value})
    return queryset


def _ranked_first(model, queryset: QuerySet, rank: int = 1) -> QuerySet:
    """(account_id, occurred_at, contact_id) of each account's rank-th row of queryset."""
    return (
        model.objects.filter(pk__in=queryset.order_by().values("pk"))
        .order_by()
        .annotate(rank=Window(RowNumber(), partition_by=[F("account_id")], order_by=TIMELINE))
        .filter(rank=rank)
        .values_list("account_id", "occurred_at", "contact_id")
    )


def first_matches(workspace: Workspace, part, account_ids: list[int]) -> dict[int, tuple]:
    """{account id: (occurred_at, contact_id)} of the event at which each of these accounts
    first satisfies the part; accounts that never do are absent."""
    if isinstance(part, Basket):
        found = [first_matches(workspace, p, account_ids) for p in part.parts]
        pick = max if part.mode == "all" else min
        accounts = set.intersection(*map(set, found)) if part.mode == "all" else set().union(*found)
        return {
            account: pick((f[account] for f in found if account in f), key=lambda m: m[0])
            for account in accounts
        }
    if isinstance(part, FeedbackScore):
        responses = FeedbackResponse.objects.filter(
            workspace=workspace, account_id__in=account_ids, instrument=part.instrument
        )
        if part.min_score is not None:
            responses = responses.filter(score__gte=part.min_score)
        if part.max_score is not None:
            responses = responses.filter(score__lte=part.max_score)
        rows = _ranked_first(FeedbackResponse, responses)
    else:
        matching = _with_properties(
            Interaction.objects.filter(
                workspace=workspace, touchpoint_id=part.touchpoint, account_id__in=account_ids
            ),
            part.properties,
        )
        if isinstance(part, DistinctContacts):
            # Each contact's first interaction, then the N-th of those.
            firsts = matching.filter(contact__isnull=False).annotate(
                contact_rank=Window(
                    RowNumber(), partition_by=[F("account_id"), F("contact_id")], order_by=TIMELINE
                )
            )
            rows = _ranked_first(
                Interaction,
                Interaction.objects.filter(pk__in=firsts.filter(contact_rank=1).values("pk")),
                part.distinct_contacts,
            )
        elif part.within_days is None:
            rows = _ranked_first(Interaction, matching, part.min_count)
        else:
            if part.min_count > 1:
                # The (N-1)-th earlier interaction of the same touchpoint: N of them fit into
                # the window ending here when it is at most D days older.
                matching = matching.annotate(
                    window_start=Window(
                        Lag("occurred_at", offset=part.min_count - 1),
                        partition_by=[F("account_id")],
                        order_by=TIMELINE,
                    )
                ).filter(window_start__gte=F("occurred_at") - timedelta(days=part.within_days))
            rows = _ranked_first(Interaction, matching)
    return {account: (at, contact) for account, at, contact in rows}


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
        for account_id, (occurred_at, contact_id) in first_matches(
            workspace, rule.condition, account_ids
        ).items()
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
    return len(stale) + len(changed) + len(created)

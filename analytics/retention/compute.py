"""Retention cohorts, computed in the database.

Three grouped queries do the work: cohort sizes (accounts by the period of their first
start achievement), retained accounts (distinct accounts with activity strictly after
that achievement, by cohort and activity period) and, optionally, the value of a chosen
milestone by cohort and period. Only those aggregated rows come into Python, where they
are laid out as a triangle and averaged.
"""

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Trunc
from django.utils.dateparse import parse_datetime

from accounts.models import Account, Interaction, MilestoneAchievement
from analytics.registry import RunContext
from journeys.models import Milestone, Persona

# Employee-count bands of the employee_count_band breakdown: (upper bound, label); an
# account without a head count is in band "".
EMPLOYEE_BANDS = (
    (10, "1-10"),
    (50, "11-50"),
    (200, "51-200"),
    (500, "201-500"),
    (1000, "501-1000"),
    (5000, "1001-5000"),
)
EMPLOYEE_TOP_BAND = "5001+"


def period_start(moment: datetime, period: str, zone: tzinfo = UTC) -> datetime:
    """The start of the day, week (Monday) or month that holds `moment`, in `zone` (the
    workspace's time zone): local midnight, as an aware datetime."""
    moment = moment.astimezone(zone)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def shift(start: datetime, period: str, count: int) -> datetime:
    """The period start `count` periods after (or before) `start`: wall-clock arithmetic,
    so a day is from midnight to midnight also across a daylight-saving change."""
    if period == "day":
        return start + timedelta(days=count)
    if period == "week":
        return start + timedelta(weeks=count)
    months = start.year * 12 + start.month - 1 + count
    return start.replace(year=months // 12, month=months % 12 + 1)


def _group_expression(breakdown: str | None, prefix: str):
    """The breakdown key of an account, as an SQL expression (prefix: path to the account)."""
    if breakdown == "persona":
        return Coalesce(F(f"{prefix}persona__key"), Value(""), output_field=CharField())
    if breakdown == "industry":
        return F(f"{prefix}industry")
    if breakdown == "employee_count_band":
        count = f"{prefix}employee_count"
        return Case(
            When(**{f"{count}__isnull": True}, then=Value("")),
            *[
                When(**{f"{count}__lte": bound}, then=Value(label))
                for bound, label in EMPLOYEE_BANDS
            ],
            default=Value(EMPLOYEE_TOP_BAND),
            output_field=CharField(),
        )
    return Value("", output_field=CharField())


class _Run:
    def __init__(self, context: RunContext):
        p = context.parameters
        self.workspace = context.workspace
        self.zone = context.workspace.zone
        self.cutoff = context.cutoff
        self.notes: list[str] = []
        self.period = p["period"]
        self.periods = p["periods"]
        self.breakdown = p.get("breakdown")
        as_of = parse_datetime(p["as_of"]) if p.get("as_of") else None
        if as_of is None or as_of > context.cutoff:
            if as_of is not None:
                self.notes.append(
                    "The as-of time is after the data cut-off: the cut-off is used instead."
                )
            as_of = context.cutoff
        self.as_of = as_of
        # Periods complete before as_of end at the start of the period that holds it.
        self.window_end = period_start(as_of, self.period, self.zone)
        self.starts = [
            shift(self.window_end, self.period, k - self.periods) for k in range(self.periods)
        ]
        self.window_start = self.starts[0]
        self.index = {start: i for i, start in enumerate(self.starts)}

        milestones = dict(
            Milestone.objects.filter(workspace=self.workspace).values_list("key", "id")
        )
        self.start_id = milestones.get(p["start_milestone"])
        if self.start_id is None:
            self.notes.append(f"The start milestone {p['start_milestone']!r} no longer exists.")
        self.value_key = p.get("value_milestone")
        self.value_id = milestones.get(self.value_key) if self.value_key else None
        if self.value_key and self.value_id is None:
            self.notes.append(f"The value milestone {self.value_key!r} no longer exists.")
        self.activity = p["activity"]
        self.activity_keys = p.get("activity_keys") or []
        if self.activity == "milestones":
            self.activity_ids = [milestones[k] for k in self.activity_keys if k in milestones]
        self.persona_key = p.get("persona")
        self.persona_missing = (
            self.persona_key is not None
            and not Persona.objects.filter(workspace=self.workspace, key=self.persona_key).exists()
        )
        if self.persona_missing:
            self.notes.append(
                f"The persona {self.persona_key!r} no longer exists: no account matches."
            )

    # SQL pieces ---------------------------------------------------------------------------

    def _trunc(self, expression):
        return Trunc(expression, self.period, output_field=DateTimeField(), tzinfo=self.zone)

    def _first_start(self, account_ref: str):
        """Each account's first achievement of the start milestone (received by the cut-off)."""
        first = (
            MilestoneAchievement.objects.filter(
                workspace=self.workspace,
                account=OuterRef(account_ref),
                milestone_id=self.start_id,
                received_at__lte=self.cutoff,
            )
            .order_by("occurred_at", "id")
            .values("occurred_at")[:1]
        )
        return Subquery(first, output_field=DateTimeField())

    def _scoped(self, queryset: QuerySet, prefix: str) -> QuerySet:
        """Only accounts of the persona, if one is given, and whose cohort is reported."""
        if self.persona_key is not None:
            queryset = queryset.filter(**{f"{prefix}persona__key": self.persona_key})
        return queryset.filter(first__gte=self.window_start, first__lt=self.window_end)

    def _events(self, queryset: QuerySet) -> QuerySet:
        """Events of cohort accounts strictly after their start, in complete periods."""
        queryset = queryset.filter(
            workspace=self.workspace,
            received_at__lte=self.cutoff,
            occurred_at__lt=self.window_end,
        ).annotate(first=self._first_start("account_id"))
        queryset = self._scoped(queryset, "account__")
        return queryset.filter(occurred_at__gt=F("first")).annotate(
            cohort=self._trunc("first"),
            at=self._trunc("occurred_at"),
            group=_group_expression(self.breakdown, "account__"),
        )

    def sizes(self) -> list[dict[str, Any]]:
        accounts = Account.objects.filter(workspace=self.workspace).annotate(
            first=self._first_start("pk")
        )
        return list(
            self._scoped(accounts, "")
            .annotate(cohort=self._trunc("first"), group=_group_expression(self.breakdown, ""))
            .values("cohort", "group")
            .annotate(size=Count("pk"))
            .order_by()
        )

    def retained(self) -> list[dict[str, Any]]:
        if self.activity == "milestones":
            events = MilestoneAchievement.objects.filter(milestone_id__in=self.activity_ids)
        else:
            events = Interaction.objects.all()
            if self.activity == "touchpoints":
                events = events.filter(touchpoint__key__in=self.activity_keys)
            elif self.activity == "channels":
                events = events.filter(touchpoint__channel__in=self.activity_keys)
        return list(
            self._events(events)
            .values("cohort", "at", "group")
            .annotate(count=Count("account_id", distinct=True))
            .order_by()
        )

    def values(self) -> list[dict[str, Any]]:
        money = DecimalField(max_digits=20, decimal_places=2)
        events = MilestoneAchievement.objects.filter(milestone_id=self.value_id)
        return list(
            self._events(events)
            .values("cohort", "at", "group")
            .annotate(
                total=Sum(
                    Coalesce("value", "milestone__value", Value(0), output_field=money),
                    output_field=money,
                )
            )
            .order_by()
        )

    # Layout -------------------------------------------------------------------------------

    def _position(self, moment: datetime) -> int:
        # Trunc gives an aware datetime (SQLite and PostgreSQL alike); normalise to UTC.
        return self.index[moment.astimezone(UTC)]

    def result(self) -> dict[str, Any]:
        if self.start_id is None or self.persona_missing:
            size_rows, retained_rows, value_rows = [], [], []
        else:
            size_rows = self.sizes()
            retained_rows = self.retained()
            value_rows = self.values() if self.value_id is not None else []
        with_values = self.value_key is not None
        n = self.periods
        groups = sorted(
            {row["group"] for row in size_rows} | ({""} if not self.breakdown else set())
        )
        table: dict[tuple[str, int], dict[str, Any]] = {}
        for group in groups:
            for i in range(n):
                table[group, i] = {"size": 0, "retained": [0] * (n - i), "values": [0.0] * (n - i)}
        for row in size_rows:
            table[row["group"], self._position(row["cohort"])]["size"] = row["size"]
        for row in retained_rows:
            i, j = self._position(row["cohort"]), self._position(row["at"])
            table[row["group"], i]["retained"][j - i] = row["count"]
        for row in value_rows:
            i, j = self._position(row["cohort"]), self._position(row["at"])
            table[row["group"], i]["values"][j - i] = float(row["total"] or 0)

        cohorts = []
        averages = []
        overall = {"sizes": [0] * n, "retained": [0] * n, "values": [0.0] * n}
        for group in groups:
            sizes = [0] * n
            retained = [0] * n
            values = [0.0] * n
            for i, start in enumerate(self.starts):
                cell = table[group, i]
                size = cell["size"]
                entry = {
                    "group": group,
                    "start": start.isoformat(),
                    "size": size,
                    "retained": cell["retained"],
                    "rates": [(count / size if size else None) for count in cell["retained"]],
                }
                if with_values:
                    entry["values"] = cell["values"]
                cohorts.append(entry)
                for k in range(n - i):
                    sizes[k] += size
                    retained[k] += cell["retained"][k]
                    values[k] += cell["values"][k]
            for k in range(n):
                overall["sizes"][k] += sizes[k]
                overall["retained"][k] += retained[k]
                overall["values"][k] += values[k]
            averages.append({"group": group, **_curve(sizes, retained, values, with_values)})
        return {
            "period": self.period,
            "periods": n,
            "as_of": self.as_of.isoformat(),
            "cohorts_from": self.window_start.isoformat(),
            "cohorts_to": self.window_end.isoformat(),
            "breakdown": self.breakdown,
            "cohorts": cohorts,
            "average": _curve(
                overall["sizes"], overall["retained"], overall["values"], with_values
            ),
            "averages": averages,
            "notes": self.notes,
        }


def _curve(sizes: list[int], retained: list[int], values: list[float], with_values: bool):
    """The average curve weighted by cohort size: period k's retained accounts over the
    accounts of the cohorts that reached period k."""
    curve: dict[str, Any] = {
        "sizes": sizes,
        "retained": retained,
        "rates": [(r / s if s else None) for r, s in zip(retained, sizes, strict=True)],
    }
    if with_values:
        curve["values"] = values
    return curve


def compute_retention(context: RunContext) -> dict[str, Any]:
    run = _Run(context)
    context.progress(10)
    result = run.result()
    context.progress(100)
    return result


__all__ = ["compute_retention", "period_start", "shift"]

"""Journeys, extracted and aggregated in the database.

Definitions (docs/attribution.md explains them with examples):

- A *conversion* is an achievement of one of the scope's conversion milestones,
  received by the cut-off, with its value (NULL counts 0). It is *in scope* when it
  occurred in the conversion date range (bounds inclusive, each optional) and its
  account matches the persona filter.
- Its *journey* is the account's interactions received by the cut-off that occurred
  after the account's previous conversion (of the same milestones, in scope or not)
  and at or before this one, and, with a lookback of L days, at most L days before it;
  in order of (occurred_at, id).
- A *non-converting journey* belongs to an account matching the persona filter with
  no conversion in the date range: its interactions received by the cut-off that
  occurred in the date range and, with a lookback, at most L days before the last of
  them. Interactions after an account's last conversion in the range are in no
  journey.

Python receives only aggregated rows: totals, credit sums per (touchpoint, campaign,
persona), and distinct paths with their counts.

The SQL is composed from fixed text, quoted table names, integers (ids, days) and floats
the engine computed itself; the date range and the cut-off travel as query parameters.
Hence the file-wide S608 exemption.
"""
# ruff: noqa: S608

from dataclasses import dataclass
from datetime import UTC, datetime

from accounts.models import Account, Interaction, MilestoneAchievement
from analytics.attribution import sql
from analytics.attribution.rule_models import ANCHOR_MODELS, weight_sql
from analytics.attribution.scope import Scope
from analytics.attribution.sql import Fragment, with_ctes
from journeys.models import Touchpoint
from journeys.versions import version_sql

# Stands in for "no previous conversion": before any stored time.
_DAWN = datetime(1, 1, 2, tzinfo=UTC)


def _in(column: str, ids: tuple[int, ...]) -> str:
    if not ids:
        return "1 = 0"
    return f"{column} IN ({', '.join(str(int(i)) for i in ids)})"


def _period(column: str, scope: Scope) -> Fragment:
    out = Fragment()
    if scope.conversions_from is not None:
        out += Fragment(f" AND {column} >= %s", [sql.timestamp(scope.conversions_from)])
    if scope.conversions_to is not None:
        out += Fragment(f" AND {column} <= %s", [sql.timestamp(scope.conversions_to)])
    return out


def _persona(column: str, scope: Scope) -> str:
    if not scope.persona_filter:
        return ""
    if scope.persona_id is None:
        return " AND 1 = 0"
    return f" AND {column} = {int(scope.persona_id)}"


def _conversions_all(scope: Scope) -> Fragment:
    """Every conversion received by the cut-off, with its previous conversion's time."""
    return Fragment(
        "SELECT a.id, a.account_id, a.occurred_at, COALESCE(a.value, 0) AS value, "
        "LAG(a.occurred_at, 1, %s) OVER ("
        "PARTITION BY a.account_id ORDER BY a.occurred_at, a.id) AS prev_at "
        f"FROM {sql.table(MilestoneAchievement)} a "
        "WHERE a.workspace_id = %s AND "
        f"{_in('a.milestone_id', scope.conversion_milestone_ids)} AND a.received_at <= %s",
        [sql.timestamp(_DAWN), scope.workspace_id, sql.timestamp(scope.cutoff)],
    )


def _anchor_time(scope: Scope, milestone_id: int | None, name: str) -> Fragment:
    """The account's first achievement of the anchor milestone within the journey."""
    if milestone_id is None:
        return Fragment(f", c.occurred_at AS {name}")  # unused: its position is 0
    lookback = ""
    if scope.lookback_days:
        lookback = " AND " + sql.at_most_days_before(
            "x.occurred_at", "c.occurred_at", scope.lookback_days
        )
    return Fragment(
        f", (SELECT MIN(x.occurred_at) FROM {sql.table(MilestoneAchievement)} x "
        "WHERE x.workspace_id = %s AND x.account_id = c.account_id "
        f"AND x.milestone_id = {int(milestone_id)} AND x.received_at <= %s "
        f"AND x.occurred_at <= c.occurred_at AND x.occurred_at > c.prev_at{lookback}) "
        f"AS {name}",
        [scope.workspace_id, sql.timestamp(scope.cutoff)],
    )


def _conversions(scope: Scope, anchors: bool = False) -> Fragment:
    """The conversions in scope."""
    select = Fragment(
        "SELECT c.id, c.account_id, c.occurred_at, c.value, c.prev_at, acc.persona_id"
    )
    if anchors:
        select += _anchor_time(scope, scope.lead_milestone_id, "lead_at")
        select += _anchor_time(scope, scope.opportunity_milestone_id, "opp_at")
    return (
        select
        + f" FROM conv_all c JOIN {sql.table(Account)} acc ON acc.id = c.account_id WHERE 1 = 1"
        + _period("c.occurred_at", scope)
        + _persona("acc.persona_id", scope)
    )


def _touches(scope: Scope, anchors: bool = False) -> Fragment:
    """The touches of the converting journeys in scope, one row per touch."""
    lookback = ""
    if scope.lookback_days:
        lookback = " AND " + sql.at_most_days_before(
            "i.occurred_at", "c.occurred_at", scope.lookback_days
        )
    anchor_columns = ", c.lead_at, c.opp_at" if anchors else ""
    return Fragment(
        "SELECT c.id AS conv_id, c.persona_id, c.occurred_at AS conv_at, "
        f"{sql.real('c.value')} AS fvalue{anchor_columns}, "
        "i.id AS touch_id, i.touchpoint_id, i.campaign, i.occurred_at "
        f"FROM conv c JOIN {sql.table(Interaction)} i ON i.account_id = c.account_id "
        "WHERE i.workspace_id = %s AND i.received_at <= %s "
        f"AND i.occurred_at <= c.occurred_at AND i.occurred_at > c.prev_at{lookback}",
        [scope.workspace_id, sql.timestamp(scope.cutoff)],
    )


def _journey_ctes(scope: Scope, anchors: bool = False) -> list[tuple[str, Fragment]]:
    return [
        ("conv_all", _conversions_all(scope)),
        # Materialized: the anchor subqueries then run once per conversion, not per touch.
        ("conv!" if anchors else "conv", _conversions(scope, anchors)),
        ("touch", _touches(scope, anchors)),
    ]


# Totals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    conversions: int
    value: float
    # Conversions in scope whose journey has no touch, and their value.
    untouched_conversions: int
    untouched_value: float
    touches: int

    @property
    def converting_journeys(self) -> int:
        return self.conversions - self.untouched_conversions


def totals(scope: Scope) -> Totals:
    ctes = [
        *_journey_ctes(scope),
        ("per_conv", Fragment("SELECT conv_id, COUNT(*) AS touches FROM touch GROUP BY conv_id")),
    ]
    query = with_ctes(
        ctes,
        Fragment(
            "SELECT COUNT(*), SUM(c.value), "
            "SUM(CASE WHEN p.conv_id IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN p.conv_id IS NULL THEN c.value ELSE 0 END), SUM(p.touches) "
            "FROM conv c LEFT JOIN per_conv p ON p.conv_id = c.id"
        ),
    )
    count, value, untouched, untouched_value, touches = sql.fetch(query.sql, query.params)[0]
    return Totals(
        conversions=int(count or 0),
        value=float(value or 0),
        untouched_conversions=int(untouched or 0),
        untouched_value=float(untouched_value or 0),
        touches=int(touches or 0),
    )


# Rule-based credits ---------------------------------------------------------------------


@dataclass(frozen=True)
class CreditRow:
    """Credit sums of the touches sharing a touchpoint, a campaign and a persona."""

    touchpoint_id: int
    campaign: str
    persona_id: int | None
    touches: int
    credits: dict[str, tuple[float, float]]  # model -> (conversions, value)
    # The persona's map version in force at the touches (analytics/stage_at_time.py).
    version: int | None = None


def rule_rows(
    scope: Scope, models: tuple[str, ...], timelines: dict | None = None
) -> list[CreditRow]:
    """Every rule-based model's credit, summed per (touchpoint, campaign, persona, map
    version in force at the touch) in one query: positions and journey lengths by window
    functions over each journey, the weights as closed-form expressions, then GROUP BY."""
    anchors = any(model in ANCHOR_MODELS for model in models)
    decays = "time_decay" in models
    lead = anchors and scope.lead_milestone_id is not None
    opportunity = anchors and scope.opportunity_milestone_id is not None
    columns = [
        "ROW_NUMBER() OVER (PARTITION BY conv_id ORDER BY occurred_at, touch_id) AS pos",
        "COUNT(*) OVER (PARTITION BY conv_id) AS n",
        "SUM(CASE WHEN occurred_at <= lead_at THEN 1 ELSE 0 END) "
        "OVER (PARTITION BY conv_id) AS lead_pos"
        if lead
        else "0 AS lead_pos",
        "SUM(CASE WHEN occurred_at <= opp_at THEN 1 ELSE 0 END) "
        "OVER (PARTITION BY conv_id) AS opp_pos"
        if opportunity
        else "0 AS opp_pos",
    ]
    source = "touch"
    if decays:
        # Ages count from the last touch (the youngest), so the largest weight is 1 and
        # the normalising sum never underflows.
        age = sql.seconds_between("conv_at", "occurred_at")
        columns.append("MIN(age) OVER (PARTITION BY conv_id) AS min_age")
        source = f"(SELECT touch.*, {age} AS age FROM touch)"
    ranked = Fragment(f"SELECT t.*, {', '.join(columns)} FROM {source} t")
    weighted = Fragment("SELECT r.* FROM ranked r")
    if decays:
        half_life = scope.half_life_days * 86400.0
        halvings = f"(age - min_age) / {sql.number(half_life)}"
        # Beyond 1,000 half-lives the weight (< 1e-301) is 0: PostgreSQL's POWER raises
        # on underflow instead of rounding to 0.
        decay = (
            f"(CASE WHEN {halvings} > 1000 THEN {sql.number(0)} "
            f"ELSE POWER({sql.number(0.5)}, {halvings}) END)"
        )
        weighted = Fragment(
            f"SELECT r.*, {decay} AS decay, "
            f"SUM({decay}) OVER (PARTITION BY conv_id) AS decay_sum FROM ranked r"
        )
    sums = "".join(
        f", SUM({weight}), SUM({weight} * fvalue)"
        for weight in (weight_sql(model, scope) for model in models)
    )
    version, version_params = version_sql((timelines or {}).values(), "occurred_at", "persona_id")
    query = with_ctes(
        [*_journey_ctes(scope, lead or opportunity), ("ranked", ranked), ("weighted", weighted)],
        Fragment(
            f"SELECT touchpoint_id, campaign, persona_id, {version} AS version, "
            f"COUNT(*){sums} FROM weighted GROUP BY 1, 2, 3, 4",
            version_params,
        ),
    )
    rows = []
    for touchpoint_id, campaign, persona_id, version, touches, *numbers in sql.fetch(
        query.sql, query.params
    ):
        credits = {
            model: (float(numbers[2 * i] or 0), float(numbers[2 * i + 1] or 0))
            for i, model in enumerate(models)
        }
        rows.append(
            CreditRow(touchpoint_id, campaign or "", persona_id, int(touches), credits, version)
        )
    return rows


# Paths and transitions ------------------------------------------------------------------


def _state_column(scope: Scope) -> str:
    return "tp.channel" if scope.markov_state == "channel" else "tp.key"


def _non_converting_touches(scope: Scope) -> Fragment:
    """The touches of the non-converting journeys (journey = account id)."""
    converted = Fragment(
        f"SELECT 1 FROM {sql.table(MilestoneAchievement)} a "
        "WHERE a.workspace_id = %s AND a.account_id = i.account_id AND "
        f"{_in('a.milestone_id', scope.conversion_milestone_ids)} AND a.received_at <= %s",
        [scope.workspace_id, sql.timestamp(scope.cutoff)],
    ) + _period("a.occurred_at", scope)
    last = ""
    if scope.lookback_days:
        last = ", MAX(i.occurred_at) OVER (PARTITION BY i.account_id) AS last_at"
    join = f" JOIN {sql.table(Account)} acc ON acc.id = i.account_id"
    touches = (
        Fragment(
            "SELECT i.account_id AS journey, i.id AS touch_id, i.occurred_at, "
            f"i.touchpoint_id{last} FROM {sql.table(Interaction)} i"
            + (join if scope.persona_filter else "")
            + " WHERE i.workspace_id = %s AND i.received_at <= %s",
            [scope.workspace_id, sql.timestamp(scope.cutoff)],
        )
        + _period("i.occurred_at", scope)
        + _persona("acc.persona_id", scope)
        + " AND NOT EXISTS ("
        + converted
        + ")"
    )
    if not scope.lookback_days:
        return touches
    window = sql.at_most_days_before("occurred_at", "last_at", scope.lookback_days)
    return "SELECT * FROM (" + touches + f") w WHERE {window}"


def _journey_sources(scope: Scope, converting: bool, non_converting: bool):
    """CTEs ending in `source` (kind, journey, touchpoint_id, occurred_at, touch_id, value):
    the touches of the converting (kind 1, journey = conversion id, value = its value)
    and/or non-converting journeys (kind 0, journey = account id, value 0)."""
    ctes, parts = [], []
    if converting:
        ctes += _journey_ctes(scope)
        parts.append(
            "SELECT 1 AS kind, conv_id AS journey, touchpoint_id, occurred_at, touch_id, "
            "fvalue AS value FROM touch"
        )
    if non_converting:
        ctes.append(("nc_touch", _non_converting_touches(scope)))
        parts.append(
            "SELECT 0 AS kind, journey, touchpoint_id, occurred_at, touch_id, "
            f"{sql.number(0)} AS value FROM nc_touch"
        )
    ctes.append(("source", Fragment(" UNION ALL ".join(parts))))
    return ctes


def _collapsed(scope: Scope) -> list[tuple[str, Fragment]]:
    """CTEs turning `source` into `collapsed`: one row per state of each journey, in order,
    consecutive repeats collapsed (journey = (kind, journey) from here on)."""
    states = Fragment(
        f"SELECT s.kind, s.journey, s.value, {_state_column(scope)} AS state, s.occurred_at, "
        f"s.touch_id FROM source s JOIN {sql.table(Touchpoint)} tp ON tp.id = s.touchpoint_id"
    )
    lagged = Fragment(
        "SELECT st.*, LAG(state) OVER ("
        "PARTITION BY kind, journey ORDER BY occurred_at, touch_id) AS prev_state FROM states st"
    )
    collapsed = Fragment(
        "SELECT kind, journey, value, state, occurred_at, touch_id FROM lagged "
        "WHERE prev_state IS NULL OR prev_state <> state"
    )
    return [("states", states), ("lagged", lagged), ("collapsed", collapsed)]


def _split(path: str) -> tuple[str, ...]:
    return tuple(path.split(sql.PATH_SEPARATOR))


def paths(scope: Scope, converting: bool = True) -> list[tuple[tuple[str, ...], int, float]]:
    """(states, journeys, value) per distinct path (consecutive repeats collapsed) of the
    converting journeys in scope that have touches, or of the non-converting journeys."""
    query = with_ctes(
        [
            *_journey_sources(scope, converting, not converting),
            *_collapsed(scope),
            ("paths", Fragment(sql.path_strings("collapsed", extra=("value",)))),
        ],
        Fragment("SELECT path, COUNT(*), SUM(value) FROM paths GROUP BY path"),
    )
    return [
        (_split(path), int(count), float(value or 0))
        for path, count, value in sql.fetch(query.sql, query.params)
    ]


@dataclass(frozen=True)
class Steps:
    """Journeys' steps sharing their last `order` + 1 states.

    `history` holds the `order` states before `state`, oldest first, None where the
    journey had not started; `steps` counts such steps, `ends` those that were the
    journey's last (then followed by a conversion when `converted`)."""

    history: tuple[str | None, ...]
    state: str
    converted: bool
    steps: int
    ends: int


def markov_steps(scope: Scope, order: int) -> list[Steps]:
    """Transition counts for a Markov chain of `order`, aggregated in the database: each
    collapsed step with the `order` states before it (LAG), counted per distinct
    (history, state, kind), and how many of them end their journey (LEAD is NULL)."""
    window = "OVER (PARTITION BY kind, journey ORDER BY occurred_at, touch_id)"
    if order == 1:
        return _first_order_steps(scope, window)
    lags = [f"LAG(state, {k}) {window} AS p{k}" for k in range(order, 0, -1)]
    history = [f"p{k}" for k in range(order, 0, -1)]
    steps = Fragment(
        f"SELECT kind, state, {', '.join(lags)}, "
        f"CASE WHEN LEAD(state) {window} IS NULL THEN 1 ELSE 0 END AS last_step "
        "FROM collapsed"
    )
    group = ", ".join([*history, "state", "kind"])
    query = with_ctes(
        [*_journey_sources(scope, True, True), *_collapsed(scope), ("steps", steps)],
        Fragment(f"SELECT {group}, COUNT(*), SUM(last_step) FROM steps GROUP BY {group}"),
    )
    out = []
    # Up to tens of thousands of groups: with 16 MB PostgreSQL hashes them rather than
    # sorting every step (measured: order 3 over 880,000 steps, 3.0 s -> 2.0 s).
    for row in sql.fetch(query.sql, query.params, work_mem_mb=16):
        *before, state, kind, count, ends = row
        out.append(Steps(tuple(before), state, bool(kind), int(count), int(ends)))
    return out


def _first_order_steps(scope: Scope, window: str) -> list[Steps]:
    """Order 1 in one window pass over the uncollapsed touches: a touch whose state
    differs from the previous touch's is a collapsed step from that state (LAG), and the
    journey's last touch (LEAD is NULL) ends it in its state, repeat or not. A last touch
    that repeats its predecessor comes out as (state, state) with steps 0."""
    states = Fragment(
        f"SELECT s.kind, s.journey, {_state_column(scope)} AS state, s.occurred_at, "
        f"s.touch_id FROM source s JOIN {sql.table(Touchpoint)} tp ON tp.id = s.touchpoint_id"
    )
    marked = Fragment(
        f"SELECT kind, state, LAG(state) {window} AS p1, "
        f"CASE WHEN LEAD(state) {window} IS NULL THEN 1 ELSE 0 END AS last_step FROM states"
    )
    query = with_ctes(
        [*_journey_sources(scope, True, True), ("states", states), ("marked", marked)],
        Fragment(
            "SELECT p1, state, kind, "
            "SUM(CASE WHEN p1 IS NULL OR p1 <> state THEN 1 ELSE 0 END), SUM(last_step) "
            "FROM marked GROUP BY p1, state, kind"
        ),
    )
    return [
        Steps((before,), state, bool(kind), int(count), int(ends))
        for before, state, kind, count, ends in sql.fetch(query.sql, query.params)
    ]


def non_converting_journeys(scope: Scope) -> int:
    """How many non-converting journeys there are: accounts with an interaction in the
    range and no conversion in it (with a lookback the journey keeps its last touch)."""
    touched = Fragment(
        f"SELECT 1 FROM {sql.table(Interaction)} i WHERE i.workspace_id = %s "
        "AND i.account_id = acc.id AND i.received_at <= %s",
        [scope.workspace_id, sql.timestamp(scope.cutoff)],
    ) + _period("i.occurred_at", scope)
    converted = Fragment(
        f"SELECT 1 FROM {sql.table(MilestoneAchievement)} a "
        "WHERE a.workspace_id = %s AND a.account_id = acc.id AND "
        f"{_in('a.milestone_id', scope.conversion_milestone_ids)} AND a.received_at <= %s",
        [scope.workspace_id, sql.timestamp(scope.cutoff)],
    ) + _period("a.occurred_at", scope)
    query = (
        Fragment(
            f"SELECT COUNT(*) FROM {sql.table(Account)} acc WHERE acc.workspace_id = %s",
            [scope.workspace_id],
        )
        + _persona("acc.persona_id", scope)
        + " AND EXISTS ("
        + touched
        + ") AND NOT EXISTS ("
        + converted
        + ")"
    )
    return int(sql.fetch(query.sql, query.params)[0][0] or 0)

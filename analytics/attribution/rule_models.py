"""Rule-based models: the credit of one touch as a closed-form SQL expression.

Each expression reads the columns of one touch of a converting journey (see
journeys.rule_rows):

    pos        1-based position in the journey, by (occurred_at, id)
    n          number of touches in the journey
    lead_pos   position of the touch leading to the lead milestone, 0 if none
    opp_pos    position of the touch leading to the opportunity milestone, 0 if none
    decay      2^(-(age - age of the last touch) / half-life), age = continuous time to
               the conversion
    decay_sum  the sum of decay over the journey

and gives its share of the conversion; the shares of one journey add up to 1.
docs/attribution.md has the definitions and a worked example.
"""

from analytics.attribution.scope import Scope
from analytics.attribution.sql import number, real

RULE_MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "full_path",
)
ANCHOR_MODELS = ("w_shaped", "full_path")
# W-shaped and full path: the anchors share 90%, the other touches 10%.
REST_SHARE = 0.1


def _flag(condition: str) -> str:
    return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def position_shares(first: float, last: float) -> tuple[float, float]:
    """The first and last touch's shares of a two-touch journey: proportional to the
    configured shares (50/50 when both are 0)."""
    if first + last <= 0:
        return 0.5, 0.5
    return first / (first + last), last / (first + last)


def _position_based(scope: Scope) -> str:
    first, last = scope.position_first, scope.position_last
    two_first, two_last = position_shares(first, last)
    middle = max(0.0, 1.0 - first - last)
    return (
        f"CASE WHEN n = 1 THEN {number(1)} "
        f"WHEN n = 2 THEN (CASE WHEN pos = 1 THEN {number(two_first)} "
        f"ELSE {number(two_last)} END) "
        f"WHEN pos = 1 THEN {number(first)} "
        f"WHEN pos = n THEN {number(last)} "
        f"ELSE {number(middle)} / {real('n - 2')} END"
    )


def _anchored(with_last_touch: bool) -> str:
    """W-shaped (first, lead, opportunity) or full path (those and the last touch).

    Each anchor role present in the journey gets an equal part of 90% (so 30% or 22.5%
    when all are present) on its touch; roles on the same touch add up there; the other
    touches share the 10% equally. A missing anchor's part goes to the anchors present,
    in proportion (equal parts again); with no other touch, the 10% does too.
    """
    roles = _flag("pos = 1") + " + " + _flag("pos = lead_pos") + " + " + _flag("pos = opp_pos")
    present = "1 + " + _flag("lead_pos > 0") + " + " + _flag("opp_pos > 0")
    distinct = "1 + " + _flag("lead_pos > 1") + " + " + _flag("opp_pos > 1 AND opp_pos <> lead_pos")
    if with_last_touch:
        roles += " + " + _flag("pos = n")
        present = "1 + " + present
        distinct += " + " + _flag("n > 1 AND n <> lead_pos AND n <> opp_pos")
    roles, present, rest = f"({roles})", f"({present})", f"(n - ({distinct}))"
    anchor_part = f"{real(roles)} / {real(present)}"
    return (
        f"CASE WHEN {rest} > 0 THEN "
        f"{number(1 - REST_SHARE)} * {anchor_part} + (CASE WHEN {roles} = 0 THEN "
        f"{number(REST_SHARE)} / {real(rest)} ELSE {number(0)} END) "
        f"ELSE {anchor_part} END"
    )


def weight_sql(model: str, scope: Scope) -> str:
    if model == "first_touch":
        return f"(CASE WHEN pos = 1 THEN {number(1)} ELSE {number(0)} END)"
    if model == "last_touch":
        return f"(CASE WHEN pos = n THEN {number(1)} ELSE {number(0)} END)"
    if model == "linear":
        return f"({number(1)} / {real('n')})"
    if model == "time_decay":
        return "(decay / decay_sum)"
    if model == "position_based":
        return f"({_position_based(scope)})"
    if model == "w_shaped":
        return f"({_anchored(with_last_touch=False)})"
    if model == "full_path":
        return f"({_anchored(with_last_touch=True)})"
    raise ValueError(f"not a rule-based model: {model}")

"""The grammar of a milestone's rule: when an account's own activity achieves it.

A rule is a CONDITION:

    {"all": [CONDITION, ...]}   every part holds; achieved when the last part first holds
    {"any": [CONDITION, ...]}   some part holds; achieved when the first part first holds
    {"touchpoint": KEY, "min_count": N, "within_days": D, "properties": {...}}
        the account touched KEY at least N times within D days (D left out: at any
        times); `properties` (optional) counts only interactions whose properties have
        these values
    {"touchpoint": KEY, "distinct_contacts": N, "properties": {...}}
        N different contacts of the account touched KEY (each at least once)
    {"feedback": INSTRUMENT, "min_score": X, "max_score": Y}
        a feedback response of INSTRUMENT (nps, csat, ces, rating) scored from X to Y
        (either may be left out, not both)

The original rule {"touchpoint": KEY, "min_count": N, "within_days": D} is the first kind
of part alone. Each part, once it holds, holds from then on; so `all` is achieved at the
latest of its parts' first moments and `any` at the earliest. accounts.rules derives the
achievements; docs/analytics.md ("Milestone rules") has examples.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

MAX_DEPTH = 4
MAX_PARTS = 20
MAX_PROPERTIES = 10
PROPERTY_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
FEEDBACK_INSTRUMENTS = ("nps", "csat", "ces", "rating")


@dataclass(frozen=True)
class TouchCount:
    touchpoint: str
    min_count: int
    within_days: int | None
    properties: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class DistinctContacts:
    touchpoint: str
    distinct_contacts: int
    properties: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class FeedbackScore:
    instrument: str
    min_score: Decimal | None
    max_score: Decimal | None


@dataclass(frozen=True)
class Basket:
    mode: str  # "all" or "any"
    parts: tuple


def _fail(path: str, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}", code="invalid")


def _whole(path: str, raw: dict, name: str, *, required: bool) -> int | None:
    if name not in raw and not required:
        return None
    number = raw.get(name)
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 100_000:
        raise _fail(path, f"The rule's {name} must be a whole number of at least 1.")
    return number


def _properties(path: str, raw: dict) -> tuple[tuple[str, Any], ...]:
    value = raw.get("properties", {})
    if not isinstance(value, dict) or len(value) > MAX_PROPERTIES:
        raise _fail(path, f"properties is an object of at most {MAX_PROPERTIES} key: value.")
    for key, item in value.items():
        if not PROPERTY_KEY.match(key) or "__" in key:
            raise _fail(path, f"Property key {key!r}: letters, digits, _ and - only.")
        if isinstance(item, float) or not isinstance(item, str | int | bool):
            raise _fail(path, f"Property {key!r}: compare with a text, a whole number or a bool.")
    return tuple(sorted(value.items()))


def _score(path: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(path, "Scores are numbers.")
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        raise _fail(path, "Scores are numbers.") from None
    if not score.is_finite():
        raise _fail(path, "Scores are finite numbers.")
    return score


def _part(path: str, raw: Any, depth: int):
    if not isinstance(raw, dict):
        raise _fail(path, "A rule is a JSON object.")
    if depth > MAX_DEPTH:
        raise _fail(path, f"Baskets nest at most {MAX_DEPTH} deep.")
    for mode in ("all", "any"):
        if mode in raw:
            parts = raw[mode]
            if set(raw) != {mode} or not isinstance(parts, list) or not parts:
                raise _fail(path, f"{mode} takes a non-empty list of rules, alone.")
            if len(parts) > MAX_PARTS:
                raise _fail(path, f"At most {MAX_PARTS} parts.")
            return Basket(
                mode, tuple(_part(f"{path}.{mode}[{i}]", p, depth + 1) for i, p in enumerate(parts))
            )
    if "feedback" in raw:
        if set(raw) - {"feedback", "min_score", "max_score"}:
            raise _fail(path, "A feedback rule has feedback, min_score and max_score.")
        if raw["feedback"] not in FEEDBACK_INSTRUMENTS:
            raise _fail(path, f"feedback is one of {', '.join(FEEDBACK_INSTRUMENTS)}.")
        low = _score(f"{path}.min_score", raw.get("min_score"))
        high = _score(f"{path}.max_score", raw.get("max_score"))
        if low is None and high is None:
            raise _fail(path, "Give min_score, max_score or both.")
        if low is not None and high is not None and low > high:
            raise _fail(path, "min_score must not be above max_score.")
        return FeedbackScore(raw["feedback"], low, high)
    if "touchpoint" not in raw:
        raise _fail(path, "A rule needs touchpoint, feedback, all or any.")
    if not isinstance(raw["touchpoint"], str) or not raw["touchpoint"]:
        raise _fail(path, "The rule's touchpoint must be a touchpoint key.")
    if "distinct_contacts" in raw:
        if set(raw) - {"touchpoint", "distinct_contacts", "properties"}:
            raise _fail(path, "A distinct-contacts rule has touchpoint, distinct_contacts and "
                        "properties.")  # fmt: skip
        count = _whole(path, raw, "distinct_contacts", required=True)
        return DistinctContacts(raw["touchpoint"], count, _properties(path, raw))
    if set(raw) - {"touchpoint", "min_count", "within_days", "properties"}:
        raise _fail(path, "A count rule has touchpoint, min_count, within_days and properties.")
    return TouchCount(
        raw["touchpoint"],
        _whole(path, raw, "min_count", required=True),
        _whole(path, raw, "within_days", required=False),
        _properties(path, raw),
    )


def parse_milestone_rule(value: Any):
    """The parsed rule (None for none), or a ValidationError saying where it is wrong."""
    if value is None:
        return None
    return _part("rule", value, 1)


def touchpoint_keys(rule) -> set[str]:
    """Every touchpoint key a parsed rule names."""
    if isinstance(rule, Basket):
        return set().union(*(touchpoint_keys(part) for part in rule.parts))
    if isinstance(rule, TouchCount | DistinctContacts):
        return {rule.touchpoint}
    return set()

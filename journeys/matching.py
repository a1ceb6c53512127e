"""The grammar of a persona's matching rules: which accounts (and their contacts) fit it.

A persona's `matching_rules` is {} (no rules: the persona is never matched) or

    {"priority": 100, "match": CONDITION}

CONDITION is one of
    {"all": [CONDITION, ...]}          every one holds (AND)
    {"any": [CONDITION, ...]}          at least one holds (OR)
    {"contact": CONTACT_CONDITION}     one contact of the account satisfies it
    {"field": F, "op": OP, "value": V} an account field, F and OP as below
CONTACT_CONDITION is `all` / `any` of CONTACT_CONDITIONs, or a contact field condition.

Account fields: industry in [text], country in [text], employee_count between
{"min": n, "max": n}, annual_revenue between {"min": n, "max": n}, domain suffix text or
[text]. Contact fields: title contains text or [text], seniority in [individual, manager,
director, vp, executive], department in [text]. Text compares without regard to letter
case; `between` includes both ends and either end may be left out; `suffix` "edu" or
".edu" matches the domain edu and any domain ending in .edu; an account without the field
never matches a condition on it.

The persona with the lowest priority (0 to 1000, default 100) whose condition an account
meets is its persona; equal priorities are decided by persona key, alphabetically.
docs/analytics.md ("Personas that assign themselves") has examples. The rules are applied
to accounts by accounts.personas.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

DEFAULT_PRIORITY = 100
MAX_PRIORITY = 1000
MAX_DEPTH = 6
MAX_VALUES = 200
MAX_CONDITIONS = 100

ACCOUNT_FIELDS = {
    "industry": "in",
    "country": "in",
    "employee_count": "between",
    "annual_revenue": "between",
    "domain": "suffix",
}
CONTACT_FIELDS = {"title": "contains", "seniority": "in", "department": "in"}
SENIORITIES = ("individual", "manager", "director", "vp", "executive")


@dataclass(frozen=True)
class Leaf:
    field: str
    op: str
    values: tuple  # in/contains/suffix: texts; between: (min, max), each None or Decimal


@dataclass(frozen=True)
class Group:
    mode: str  # "all" or "any"
    parts: tuple


@dataclass(frozen=True)
class ContactMatch:
    condition: Any  # a Leaf of a contact field or a Group of them


@dataclass(frozen=True)
class PersonaRules:
    priority: int
    condition: Any  # Leaf | Group | ContactMatch


class _Counter:
    def __init__(self):
        self.count = 0


def _fail(path: str, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}", code="invalid")


def _texts(path: str, value: Any, *, single: bool) -> tuple[str, ...]:
    values = [value] if single and isinstance(value, str) else value
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
        raise _fail(path, f"Give a list of 1 to {MAX_VALUES} texts.")
    if not all(isinstance(item, str) and item.strip() for item in values):
        raise _fail(path, "Every value must be a non-empty text.")
    return tuple(item.strip().lower() for item in values)


def _bound(path: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(path, "Must be a number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _fail(path, "Must be a number.") from None
    if not number.is_finite():
        raise _fail(path, "Must be a finite number.")
    return number


def _leaf(path: str, raw: dict, fields: dict[str, str]) -> Leaf:
    if set(raw) != {"field", "op", "value"}:
        raise _fail(path, "A field condition has exactly the keys field, op and value.")
    name, op, value = raw["field"], raw["op"], raw["value"]
    if name not in fields:
        raise _fail(path, f"Unknown field {name!r}: one of {', '.join(fields)}.")
    if op != fields[name]:
        raise _fail(path, f"{name} takes the operator {fields[name]!r}.")
    if op == "between":
        if not isinstance(value, dict) or not value or set(value) - {"min", "max"}:
            raise _fail(path, 'between takes {"min": n, "max": n} (either may be left out).')
        low, high = _bound(f"{path}.min", value.get("min")), _bound(f"{path}.max", value.get("max"))
        if low is not None and high is not None and low > high:
            raise _fail(path, "min must not be above max.")
        return Leaf(name, op, (low, high))
    values = _texts(f"{path}.value", value, single=op in ("contains", "suffix"))
    if name == "seniority" and set(values) - set(SENIORITIES):
        raise _fail(path, f"Seniorities are {', '.join(SENIORITIES)}.")
    if op == "suffix":
        values = tuple(item.lstrip(".") for item in values)
    return Leaf(name, op, values)


def _condition(path: str, raw: Any, depth: int, counter: _Counter, *, contact: bool):
    counter.count += 1
    if counter.count > MAX_CONDITIONS:
        raise _fail(path, f"At most {MAX_CONDITIONS} conditions.")
    if depth > MAX_DEPTH:
        raise _fail(path, f"Nested at most {MAX_DEPTH} deep.")
    if not isinstance(raw, dict):
        raise _fail(path, "A condition is a JSON object.")
    for mode in ("all", "any"):
        if mode in raw:
            parts = raw[mode]
            if set(raw) != {mode} or not isinstance(parts, list) or not parts:
                raise _fail(path, f"{mode} takes a non-empty list of conditions, alone.")
            return Group(
                mode,
                tuple(
                    _condition(f"{path}.{mode}[{i}]", part, depth + 1, counter, contact=contact)
                    for i, part in enumerate(parts)
                ),
            )
    if "contact" in raw:
        if contact or set(raw) != {"contact"}:
            raise _fail(path, "contact takes one condition on contact fields, alone, once.")
        inner = _condition(f"{path}.contact", raw["contact"], depth + 1, counter, contact=True)
        return ContactMatch(inner)
    return _leaf(path, raw, CONTACT_FIELDS if contact else ACCOUNT_FIELDS)


def parse_matching_rules(value: Any) -> PersonaRules | None:
    """The rules, or None for none ({}); a ValidationError saying where they are wrong."""
    if value in (None, {}):
        return None
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.", code="invalid")
    if set(value) - {"priority", "match"} or "match" not in value:
        raise _fail("matching_rules", 'Give {"match": CONDITION} and optionally "priority".')
    priority = value.get("priority", DEFAULT_PRIORITY)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise _fail("priority", f"A whole number from 0 to {MAX_PRIORITY}.")
    if not 0 <= priority <= MAX_PRIORITY:
        raise _fail("priority", f"A whole number from 0 to {MAX_PRIORITY}.")
    return PersonaRules(priority, _condition("match", value["match"], 1, _Counter(), contact=False))


def validate_matching_rules(value: Any) -> None:
    parse_matching_rules(value)

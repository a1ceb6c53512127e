"""Validators for the free-form JSON fields of the journey domain."""

from django.core.exceptions import ValidationError

MAX_LIST_ITEMS = 50
MAX_ITEM_LENGTH = 500


def validate_string_list(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("Must be a list of strings.", code="invalid")
    if len(value) > MAX_LIST_ITEMS:
        raise ValidationError(f"At most {MAX_LIST_ITEMS} items are allowed.", code="too_many")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ValidationError(f"Item {index} must be a non-empty string.", code="invalid")
        if len(item) > MAX_ITEM_LENGTH:
            raise ValidationError(
                f"Item {index} is longer than {MAX_ITEM_LENGTH} characters.", code="too_long"
            )


def validate_milestone_rule(value) -> None:
    """A rule reads: touchpoint KEY at least MIN_COUNT times within WITHIN_DAYS days."""
    if value is None:
        return
    expected = {"touchpoint", "min_count", "within_days"}
    if not isinstance(value, dict) or set(value) != expected:
        raise ValidationError(
            "A rule needs exactly the keys touchpoint, min_count and within_days.", code="invalid"
        )
    if not isinstance(value["touchpoint"], str) or not value["touchpoint"]:
        raise ValidationError("The rule's touchpoint must be a touchpoint key.", code="invalid")
    for name in ("min_count", "within_days"):
        number = value[name]
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValidationError(
                f"The rule's {name} must be a whole number of at least 1.", code="invalid"
            )

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
    """A rule of the grammar in journeys.milestone_rules."""
    from journeys.milestone_rules import parse_milestone_rule

    parse_milestone_rule(value)

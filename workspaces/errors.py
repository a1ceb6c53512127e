from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError


def field_error(field: str | None, message: str, code: StrEnum | str) -> ValidationError:
    """A ValidationError on one input field (None: on the whole input) with a stable code."""
    error = ValidationError(message, code=str(code))
    return error if field is None else ValidationError({field: error})


def describe(error: ValidationError) -> str:
    """One line naming each invalid field and its messages, for command-line output."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(dict.fromkeys(messages))}"
            for name, messages in error.message_dict.items()
        )
    return " ".join(dict.fromkeys(error.messages))


@dataclass(frozen=True)
class ItemError:
    """One problem of one item of a batch: the field (camelCase), a message and a code."""

    field: str | None
    message: str
    code: str

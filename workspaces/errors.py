from enum import StrEnum

from django.core.exceptions import ValidationError


def field_error(field: str | None, message: str, code: StrEnum | str) -> ValidationError:
    """A ValidationError on one input field (None: on the whole input) with a stable code."""
    error = ValidationError(message, code=str(code))
    return error if field is None else ValidationError({field: error})

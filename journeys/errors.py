from enum import StrEnum


class JourneyErrorCode(StrEnum):
    """Stable codes of the journey domain's validation errors (see docs/api.md)."""

    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    IN_USE = "in_use"
    REQUIRED = "required"
    INVALID_POSITION = "invalid_position"
    INVALID_TRANSITION = "invalid_transition"
    MAP_ARCHIVED = "map_archived"
    MAP_PUBLISHED = "map_published"
    NOT_PUBLISHED = "not_published"
    EMPTY_MAP = "empty_map"
    TEMPLATE = "template"
    MILESTONE_IN_USE = "milestone_in_use"
    TOO_MANY = "too_many"

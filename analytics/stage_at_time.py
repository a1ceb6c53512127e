"""Stage at the time: every analysis that places activity in a map's stages reads it
under the map version in force when it happened (journeys/versions.py defines "in
force"), unless a report pins one version number.

Attribution (the STAGE dimension), the funnel, map fit and the map_versions report all
take their versions from `timelines`, so the rule cannot drift between them.
"""

from collections.abc import Callable, Iterable
from typing import Any

from journeys.versions import MapTimeline, map_timelines


def timelines(
    workspace, persona_ids: Iterable[int] | None = None, pin: int | None = None
) -> dict[int, MapTimeline]:
    """The map timelines by persona id (None: every persona with a map version)."""
    return map_timelines(workspace, persona_ids, pin=pin)


def stage_version(add_error: Callable[[str, str], Any], field: str, value: Any) -> int | None:
    """A report's pinned version number: None (stage at the time) or a whole number >= 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        add_error(field, "A map version number (1, 2, ...), or leave it out.")
        return None
    return value

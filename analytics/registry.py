"""What each report kind provides: parameter checks, the computation, its chart and its
rows as a table (CSV)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.module_loading import import_string

from analytics.models import ReportKind
from workspaces.cleaning import MomentInvalid, clean_moment
from workspaces.models import Workspace


def moment_parameter(add: Callable[..., None], field: str, value: Any) -> str | None:
    """A date-time parameter as stored (ISO 8601, UTC), or None after `add(field, message,
    code)` when it is no date-time with an offset in range (workspaces.cleaning)."""
    if value is None:
        return None
    try:
        return clean_moment(value).isoformat()
    except MomentInvalid as invalid:
        add(field, f"An ISO 8601 date-time with a UTC offset: {invalid.message}", invalid.code)
        return None


@dataclass(frozen=True)
class RunContext:
    """What a computation gets: the workspace, its parameters and the data cut-off."""

    workspace: Workspace
    parameters: dict[str, Any]
    cutoff: datetime
    progress: Callable[[int], None]  # percent done, 0 to 100


@dataclass(frozen=True)
class KindSpec:
    kind: ReportKind
    # Bumped whenever the same parameters would give a different result.
    version: str
    # Checks and completes parameters (defaults filled in) or raises a ValidationError
    # naming the fields; the result is stored as the report's parameters.
    parse: Callable[[Workspace, dict[str, Any]], dict[str, Any]]
    # Computes the JSON result. Must read only data received up to context.cutoff.
    compute: Callable[[RunContext], dict[str, Any]]
    # The Vega-Lite spec (a dict) of the result's chart (analytics/<kind>/chart.py).
    chart: Callable[[dict[str, Any]], dict[str, Any]]
    # The result as a table: the column names, then one row per result row.
    table: Callable[[dict[str, Any]], tuple[list[str], Iterable[list[Any]]]]


_SPECS = {
    ReportKind.ATTRIBUTION: "analytics.attribution.report.SPEC",
    ReportKind.RETENTION: "analytics.retention.report.SPEC",
    ReportKind.FUNNEL: "analytics.funnel.report.SPEC",
    ReportKind.PATHS: "analytics.paths.report.SPEC",
    ReportKind.MAP_FIT: "analytics.map_fit.report.SPEC",
    ReportKind.MAP_VERSIONS: "analytics.map_versions.report.SPEC",
    ReportKind.FEEDBACK: "analytics.feedback.report.SPEC",
}


def spec_for(kind: str) -> KindSpec:
    return import_string(_SPECS[ReportKind(kind)])

"""The measured overlay of a journey map: what its latest succeeded stage funnel and map
fit reports say about each stage. A selector (reads only).

The journeys app draws maps but may not import analytics (dependencies point
workspaces <- journeys <- accounts <- analytics), so the settings name this function as
`JOURNEY_MAP_OVERLAY` and `journeys.pictures.overlay_for` calls it.
"""

from collections import defaultdict

from strawberry import relay

from analytics.models import Report, ReportKind
from journeys.models import JourneyMap
from journeys.pictures import Overlay, StageMeasures

OFF_MAP_PER_STAGE = 5


def latest_report(journey_map: JourneyMap, kind: ReportKind) -> Report | None:
    """The map's most recent succeeded report of the kind (funnel or map fit)."""
    reports = Report.objects.filter(
        workspace_id=journey_map.workspace_id, kind=kind, status=Report.Status.SUCCEEDED
    )
    if kind == ReportKind.FUNNEL:
        reports = reports.filter(result__journey_map__id=str(journey_map.pk))
    else:
        reports = reports.filter(
            parameters__journey_map=relay.to_base64("JourneyMap", journey_map.pk)
        )
    return reports.order_by("-finished_at", "-id").first()


def _source(report: Report) -> str:
    return (
        f"{report.get_kind_display()} report {report.pk} of {report.finished_at:%d %b %Y %H:%M} UTC"
    )


def _how_to_request(journey_map: JourneyMap, kind: ReportKind) -> str:
    label = "stage funnel" if kind == ReportKind.FUNNEL else "map fit"
    if journey_map.status != JourneyMap.Status.PUBLISHED or journey_map.persona is None:
        return (
            f"No {label} report: reports measure published maps; publish this map, then "
            "request one."
        )
    if kind == ReportKind.FUNNEL:
        how = f'funnelReportRequest(input: {{mapPersona: "{journey_map.persona.key}"}})'
    else:
        how = (
            "mapFitReportRequest(input: "
            f'{{journeyMap: "{relay.to_base64("JourneyMap", journey_map.pk)}"}})'
        )
    return f"No {label} report of this map yet: request one over GraphQL with {how}."


def map_overlay(journey_map: JourneyMap) -> Overlay:
    funnel = latest_report(journey_map, ReportKind.FUNNEL)
    fit = latest_report(journey_map, ReportKind.MAP_FIT)
    measures: dict[int, dict] = defaultdict(dict)
    if funnel is not None:
        for row in funnel.result["stages"]:
            measures[int(row["stage_id"])].update(
                entered=row["entered"],
                advanced=row["advanced"],
                conversion_rate=row["conversion_rate"],
                median_days=row["median_days"],
            )
    if fit is not None:
        for row in fit.result["stages"]:
            measures[int(row["stage_id"])]["stall_rate"] = row["stall_rate"]
        off_map = defaultdict(list)
        for row in fit.result["off_map"]:
            off_map[int(row["stage_id"])].append((row["touchpoint_name"], row["interactions"]))
        for stage_id, rows in off_map.items():
            rows.sort(key=lambda pair: (-pair[1], pair[0]))
            measures[stage_id]["off_map"] = tuple(rows[:OFF_MAP_PER_STAGE])
    return Overlay(
        stages={stage_id: StageMeasures(**values) for stage_id, values in measures.items()},
        sources=tuple(_source(r) for r in (funnel, fit) if r is not None),
        missing=tuple(
            _how_to_request(journey_map, kind)
            for kind, report in ((ReportKind.FUNNEL, funnel), (ReportKind.MAP_FIT, fit))
            if report is None
        ),
    )

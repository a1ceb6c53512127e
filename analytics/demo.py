"""One report of each kind on the demo workspace (seed_demo), run in this process: for
the screenshots of the docs (scripts/screenshots.py) and the pictures benchmark."""

from strawberry import relay

from analytics.models import Report, ReportKind
from analytics.runner import report_request, report_run
from journeys.models import JourneyMap
from workspaces.models import Workspace

DEMO_PERSONA = "revops-lead"


def demo_map(workspace: Workspace) -> JourneyMap:
    """The demo's published Head of RevOps map, the one the demo reports measure."""
    return JourneyMap.objects.get(
        workspace=workspace, persona__key=DEMO_PERSONA, status=JourneyMap.Status.PUBLISHED
    )


def run_demo_reports(workspace: Workspace) -> dict[ReportKind, Report]:
    journey_map = demo_map(workspace)
    parameters = {
        ReportKind.ATTRIBUTION: {
            "models": ["first_touch", "linear", "markov"],
            "dimensions": ["channel", "stage"],
        },
        ReportKind.RETENTION: {"period": "month", "periods": 6},
        ReportKind.FUNNEL: {"map_persona": DEMO_PERSONA},
        ReportKind.PATHS: {},
        ReportKind.MAP_FIT: {"journey_map": relay.to_base64("JourneyMap", journey_map.pk)},
        ReportKind.MAP_VERSIONS: {"map_persona": DEMO_PERSONA},
        ReportKind.FEEDBACK: {"persona": DEMO_PERSONA},
    }
    reports = {}
    for kind, params in parameters.items():
        report = report_request(workspace=workspace, kind=kind, parameters=params, enqueue=False)
        report_run(report.pk)
        report.refresh_from_db()
        reports[kind] = report
    return reports

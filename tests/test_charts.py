"""Charts of every report kind (content: titles, axes, labels, values) and report rows as
CSV, over GraphQL and /exports/, from stored results of the documented shapes."""

import csv
import io
import re

import pytest
from django.utils import timezone

from analytics.models import Report, ReportKind
from analytics.paths.chart import layout
from tests.conftest import token_client
from tests.graphql_helpers import gid
from workspaces.access import Scope

pytestmark = pytest.mark.django_db

ATTRIBUTION = {
    "totals": {"conversions": 4, "value": 400.0},
    "models": [
        {
            "model": "linear",
            "rows": [
                {
                    "dimension": "channel",
                    "key": "web",
                    "label": "Website",
                    "conversions": 2.5,
                    "value": 250.0,
                    "touches": 5,
                    "spend": None,
                    "cost_per_conversion": None,
                    "roi": None,
                },
                {
                    "dimension": "channel",
                    "key": "email",
                    "label": "Email",
                    "conversions": 1.5,
                    "value": 150.0,
                    "touches": 3,
                    "spend": 30.0,
                    "cost_per_conversion": 20.0,
                    "roi": 4.0,
                },
            ],
        },
        {
            "model": "first_touch",
            "rows": [
                {
                    "dimension": "channel",
                    "key": "web",
                    "label": "Website",
                    "conversions": 4.0,
                    "value": 400.0,
                    "touches": 4,
                },
                {
                    "dimension": "channel",
                    "key": "email",
                    "label": "Email",
                    "conversions": 0.0,
                    "value": 0.0,
                    "touches": 0,
                },
            ],
        },
    ],
}
RETENTION = {
    "period": "month",
    "periods": 2,
    "cohorts": [
        {
            "group": "",
            "start": "2026-01-01T00:00:00+00:00",
            "size": 4,
            "retained": [4, 3],
            "rates": [1.0, 0.75],
            "values": [],
        },
        {
            "group": "",
            "start": "2026-02-01T00:00:00+00:00",
            "size": 0,
            "retained": [0],
            "rates": [None],
            "values": [],
        },
    ],
    "average": {"sizes": [4, 4], "retained": [4, 3], "rates": [1.0, 0.75], "values": []},
}
FUNNEL = {
    "journey_map": {"id": "1", "name": "Buying", "persona": "p"},
    "totals": {"accounts": 10, "churned": 1, "value_lost": 100.0},
    "stages": [
        {
            "stage_id": "1",
            "position": 1,
            "name": "Aware",
            "entered": 10,
            "advanced": 4,
            "in_stage": 6,
            "conversion_rate": 0.4,
            "skipped": 0,
            "median_days": 3.5,
            "p90_days": 9.0,
            "timed": 4,
            "stalled": 2,
            "churned": 0,
            "value_lost": 0.0,
        },
        {
            "stage_id": "2",
            "position": 2,
            "name": "Buy",
            "entered": 4,
            "advanced": 1,
            "in_stage": 3,
            "conversion_rate": 0.25,
            "skipped": 1,
            "median_days": None,
            "p90_days": None,
            "timed": 0,
            "stalled": 1,
            "churned": 1,
            "value_lost": 100.0,
        },
    ],
    "personas": [],
}
PATHS = {
    "totals": {"conversions": 3},
    "paths": [
        {
            "path": ["ad", "demo"],
            "labels": ["Ad", "Demo"],
            "length": 2,
            "conversions": 2,
            "non_converting": 1,
            "journeys": 3,
            "conversion_rate": 2 / 3,
            "value": 200.0,
        },
        {
            "path": ["demo"],
            "labels": ["Demo"],
            "length": 1,
            "conversions": 1,
            "non_converting": 0,
            "journeys": 1,
            "conversion_rate": 1.0,
            "value": 100.0,
        },
    ],
    "transitions": [
        {"from": "(start)", "to": "ad", "count": 2},
        {"from": "(start)", "to": "demo", "count": 1},
        {"from": "ad", "to": "demo", "count": 2},
        {"from": "demo", "to": "(conversion)", "count": 3},
    ],
    "nodes": [
        {"key": "(start)", "label": "Start"},
        {"key": "ad", "label": "Ad"},
        {"key": "demo", "label": "Demo"},
        {"key": "(conversion)", "label": "Conversion"},
    ],
}
MAP_FIT = {
    "journey_map": {"id": "x", "name": "Buying", "persona": "p"},
    "stages": [
        {
            "stage_id": 1,
            "stage_position": 1,
            "stage_name": "Aware",
            "emotion_score": -2,
            "emotion_label": "unsure",
            "entered": 8,
            "stalled": 2,
            "stall_rate": 0.25,
        },
        {
            "stage_id": 2,
            "stage_position": 2,
            "stage_name": "Buy",
            "emotion_score": 3,
            "emotion_label": "glad",
            "entered": 4,
            "stalled": 0,
            "stall_rate": 0.0,
        },
    ],
    "off_map": [
        {
            "stage_id": 1,
            "stage_position": 1,
            "stage_name": "Aware",
            "touchpoint_id": 5,
            "touchpoint_key": "pricing",
            "touchpoint_name": "Pricing page",
            "channel": "web",
            "interactions": 7,
            "accounts": 3,
        }
    ],
    "unused": [
        {
            "stage_id": 2,
            "stage_position": 2,
            "stage_name": "Buy",
            "touchpoint_id": 6,
            "touchpoint_key": "call",
            "touchpoint_name": "Sales call",
            "channel": "sales",
            "interactions_elsewhere": 2,
        }
    ],
    "out_of_order": [],
}


def _version(number, name, conversion, share, retained):
    return {
        "number": number,
        "map_name": name,
        "published_at": "2026-01-01T00:00:00+00:00",
        "window": {
            "from": "2026-01-01T00:00:00+00:00",
            "to": "2026-03-01T00:00:00+00:00",
            "days": 59.0,
            "live": number == 2,
        },
        "accounts": {"entered": 10, "active": 12},
        "funnel": {"entered": 20, "advanced": 5, "conversion_rate": conversion, "stalled": 3},
        "stages": [],
        "off_map": {"interactions": 40, "off_map_interactions": 10, "share": share},
        "retention": {"eligible": 8, "retained": 6, "rate": retained},
    }


MAP_VERSIONS = {
    "persona": "p",
    "stall_days": 90,
    "retention": {"days": 90, "period": 30},
    "versions": [_version(1, "Buying", 0.25, 0.25, 0.75), _version(2, "Buying v2", 0.5, None, 0.5)],
    "notes": [],
}


def _metrics(responses, score, percent):
    return {
        "responses": responses,
        "nps": {
            "responses": responses,
            "promoters": 3,
            "passives": 1,
            "detractors": 1,
            "score": score,
        },
        "csat": {"responses": 2, "satisfied": 1, "percent": percent},
        "ces": {"responses": 0, "mean": None},
        "rating": {"responses": 0, "mean": None},
        "text_responses": 0,
        "comments": 1,
    }


FEEDBACK = {
    "period": {"from": None, "to": "2026-03-01T00:00:00+00:00"},
    "persona": None,
    "granularity": "month",
    "csat_satisfied_min": 4,
    "totals": _metrics(5, 40.0, 50.0),
    "by_persona": [{"persona": "p", "persona_name": "P", **_metrics(5, 40.0, 50.0)}],
    "by_period": [
        {"period_start": "2026-01-01T00:00:00+00:00", **_metrics(2, 20.0, None)},
        {"period_start": "2026-02-01T00:00:00+00:00", **_metrics(3, 60.0, 50.0)},
    ],
    "by_stage": [
        {
            "journey_map_id": 1,
            "journey_map_name": "Buying",
            "persona": "p",
            "stage_id": 7,
            "stage_position": 2,
            "stage_name": "Evaluate",
            **_metrics(5, 40.0, 50.0),
            "comment_samples": [],
        },
    ],
}
RESULTS = {
    ReportKind.ATTRIBUTION: ATTRIBUTION,
    ReportKind.RETENTION: RETENTION,
    ReportKind.FUNNEL: FUNNEL,
    ReportKind.PATHS: PATHS,
    ReportKind.MAP_FIT: MAP_FIT,
    ReportKind.MAP_VERSIONS: MAP_VERSIONS,
    ReportKind.FEEDBACK: FEEDBACK,
}
# What each chart must show: its title, axis titles, category labels and values.
EXPECTED = {
    ReportKind.FEEDBACK: [
        "Feedback: 5 responses, NPS 40",
        "NPS and CSAT by period",
        "2026-01-01",
        "2026-02-01",
        "NPS",
        "CSAT %",
        "20",
        "60",
        "50",
        "Buying: 2. Evaluate",
        "40",
        "NPS by stage at the time of the response",
    ],
    ReportKind.MAP_VERSIONS: [
        "Map versions of persona p",
        "v1: Buying",
        "v2: Buying v2",
        "Conversion",
        "Off-map share",
        "Retained",
        "25%",
        "75%",
        "50%",
        "Rate",
        "Version",
    ],
    ReportKind.ATTRIBUTION: [
        "Attribution: 4 conversions, credit per model",
        "Conversions credited",
        "Website",
        "Email",
        "Linear",
        "First touch",
        "2.50",
        "1.50",
        "4.00",
        "Channel",
    ],
    ReportKind.RETENTION: [
        "Retention by month cohort",
        "Months since start",
        "2026-01-01: 4",
        "2026-02-01: 0",
        "100%",
        "75%",
        "75.0%",
        "Average retained",
    ],
    ReportKind.FUNNEL: [
        "Stage funnel of Buying: 10 accounts",
        "1. Aware",
        "2. Buy",
        "40% advanced",
        "25% advanced",
        "Accounts",
        "Entered",
        "Advanced",
    ],
    ReportKind.PATHS: [
        "Paths before 3 conversions: the 4 most frequent transitions",
        "Start (3)",
        "Ad (2)",
        "Demo (3)",
        "Conversion (3)",
    ],
    ReportKind.MAP_FIT: [
        "Map fit of Buying",
        "Observed stall rate (bars)",
        "Designed emotion (line)",
        "25%",
        "0%",
        "Pricing page in 1. Aware",
        "7",
        "Interactions off the map",
    ],
}

CHART = """query($id: ID!, $format: PictureFormat!) {
  report(id: $id) { chart(format: $format) { format mediaType data } }
}"""


def stored(workspace, kind, result=None, status=Report.Status.SUCCEEDED) -> Report:
    return Report.objects.create(
        workspace=workspace,
        kind=kind,
        status=status,
        result=result,
        data_cutoff=timezone.now(),
        code_version="test",
    )


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


@pytest.mark.parametrize("kind", list(ReportKind))
def test_every_kind_has_a_chart_with_its_labels_and_values(viewer, workspace, kind):
    report = stored(workspace, kind, RESULTS[kind])
    picture = viewer(CHART, {"id": gid(report), "format": "SVG"}).data["report"]["chart"]
    assert picture["mediaType"] == "image/svg+xml"
    lines = texts(picture["data"])
    for expected in EXPECTED[kind]:
        assert expected in lines, (expected, lines)


def test_the_sankey_layout_sizes_bands_by_their_counts():
    nodes, bands = layout(PATHS)
    heights = {node["label"]: round(node["y2"] - node["y"], 6) for node in nodes}
    # 5 transitions out of the sources: each journey step is an equal share of the height.
    unit = heights["Ad (2)"] / 2
    assert heights["Start (3)"] == pytest.approx(3 * unit)
    assert heights["Conversion (3)"] == pytest.approx(3 * unit)
    thickness = {b["transition"]: round(b["y2"] - b["y"], 6) for b in bands}
    assert thickness["Start → Ad"] == pytest.approx(2 * unit)
    assert thickness["Start → Demo"] == pytest.approx(unit)
    assert thickness["Demo → Conversion"] == pytest.approx(3 * unit)


def test_no_chart_before_success_and_png_pdf_downloads(workspace):
    analyst = token_client(workspace, [Scope.ANALYTICS_READ])
    queued = stored(workspace, ReportKind.FUNNEL, status=Report.Status.QUEUED)
    assert analyst(CHART, {"id": gid(queued), "format": "SVG"}).data["report"]["chart"] is None
    response = analyst.client.get(
        f"/exports/reports/{gid(queued)}/chart.svg", headers=analyst.headers
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_READY"
    report = stored(workspace, ReportKind.FUNNEL, FUNNEL)
    for fmt, magic in (("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF")):
        response = analyst.client.get(
            f"/exports/reports/{gid(report)}/chart.{fmt}", headers=analyst.headers
        )
        assert response.status_code == 200
        assert response.content.startswith(magic)


def _csv(client, report) -> list[list[str]]:
    response = client.client.get(f"/exports/reports/{gid(report)}/rows.csv", headers=client.headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_rows_as_csv_one_line_per_result_row(workspace):
    analyst = token_client(workspace, [Scope.ANALYTICS_READ])
    rows = {kind: _csv(analyst, stored(workspace, kind, RESULTS[kind])) for kind in ReportKind}
    assert rows[ReportKind.ATTRIBUTION][0][:5] == [
        "model",
        "dimension",
        "key",
        "label",
        "conversions",
    ]
    assert rows[ReportKind.ATTRIBUTION][1:] == [
        ["linear", "channel", "web", "Website", "2.5", "250.0", "5", "", "", ""],
        ["linear", "channel", "email", "Email", "1.5", "150.0", "3", "30.0", "20.0", "4.0"],
        ["first_touch", "channel", "web", "Website", "4.0", "400.0", "4", "", "", ""],
        ["first_touch", "channel", "email", "Email", "0.0", "0.0", "0", "", "", ""],
    ]
    assert rows[ReportKind.RETENTION][1:] == [
        ["", "2026-01-01T00:00:00+00:00", "4", "0", "4", "1.0", ""],
        ["", "2026-01-01T00:00:00+00:00", "4", "1", "3", "0.75", ""],
        ["", "2026-02-01T00:00:00+00:00", "0", "0", "0", "", ""],
    ]
    funnel = rows[ReportKind.FUNNEL]
    assert funnel[0][:5] == ["persona", "position", "stage_id", "name", "entered"]
    assert [row[:8] for row in funnel[1:]] == [
        ["", "1", "1", "Aware", "10", "4", "6", "0.4"],
        ["", "2", "2", "Buy", "4", "1", "3", "0.25"],
    ]
    assert [row[:6] for row in rows[ReportKind.PATHS][1:]] == [
        ["ad > demo", "Ad > Demo", "2", "2", "1", "3"],
        ["demo", "Demo", "1", "1", "0", "1"],
    ]
    fit = rows[ReportKind.MAP_FIT]
    assert [row[:7] for row in fit[1:]] == [
        ["stage", "1", "Aware", "", "", "", ""],
        ["stage", "2", "Buy", "", "", "", ""],
        ["off_map", "1", "Aware", "pricing", "Pricing page", "web", "7"],
        ["unused", "2", "Buy", "call", "Sales call", "sales", "2"],
    ]
    assert fit[1][-1] == "0.25"
    assert [row[:5] for row in rows[ReportKind.FEEDBACK][1:]] == [
        ["total", "", "5", "40.0", "3"],
        ["persona", "p", "5", "40.0", "3"],
        ["period", "2026-01-01T00:00:00+00:00", "2", "20.0", "3"],
        ["period", "2026-02-01T00:00:00+00:00", "3", "60.0", "3"],
        ["stage", "Buying: 2. Evaluate", "5", "40.0", "3"],
    ]
    versions = rows[ReportKind.MAP_VERSIONS]
    assert versions[0][:3] == ["number", "map_name", "published_at"]
    assert [(row[0], row[1], row[11], row[15], row[18]) for row in versions[1:]] == [
        ("1", "Buying", "0.25", "0.25", "0.75"),
        ("2", "Buying v2", "0.5", "", "0.5"),
    ]


def test_csv_and_charts_keep_to_the_workspace_and_scope(workspace, outsider):
    report = stored(workspace, ReportKind.FUNNEL, FUNNEL)
    for path in ("rows.csv", "chart.svg"):
        url = f"/exports/reports/{gid(report)}/{path}"
        assert outsider.client.get(url, headers=outsider.headers).status_code == 404
        journeys_only = token_client(workspace, [Scope.JOURNEYS_READ])
        assert journeys_only.client.get(url, headers=journeys_only.headers).status_code == 403


EMPTY = {
    ReportKind.FEEDBACK: (
        {**FEEDBACK, "by_period": [], "by_stage": [], "totals": _metrics(0, None, None)},
        "No NPS or CSAT response in the period.",
    ),
    ReportKind.ATTRIBUTION: (
        {**ATTRIBUTION, "models": [{"model": "linear", "rows": []}]},
        "No conversion was credited to any touch.",
    ),
    ReportKind.RETENTION: (
        {**RETENTION, "cohorts": [RETENTION["cohorts"][1]], "average": {"rates": [None]}},
        "No cohort has any account yet.",
    ),
    ReportKind.FUNNEL: ({**FUNNEL, "stages": []}, "The map has no stages."),
    ReportKind.PATHS: ({**PATHS, "transitions": []}, "No converting journey had a touch."),
    ReportKind.MAP_FIT: ({**MAP_FIT, "stages": [], "off_map": []}, "The map has no stages."),
    ReportKind.MAP_VERSIONS: (
        {**MAP_VERSIONS, "versions": [_version(1, "Buying", None, None, None)]},
        "No version has measures yet: no account was active in any window.",
    ),
}


@pytest.mark.parametrize("kind", list(ReportKind))
def test_a_result_with_nothing_to_draw_says_so(workspace, kind):
    from analytics.charts import report_chart
    from journeys.pictures import PictureFormat

    result, message = EMPTY[kind]
    report = stored(workspace, kind, result)
    assert message in texts(report_chart(report).decode())
    assert report_chart(report, PictureFormat.PNG).startswith(b"\x89PNG")

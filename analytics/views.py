"""Downloads of reports for embedding and analysis: the chart as a picture, the rows as
CSV. Authenticated like the API (workspaces/http.py), with the analytics:read scope."""

import csv

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from analytics.charts import ChartUnavailable, report_chart
from analytics.models import Report
from analytics.registry import spec_for
from journeys.pictures import PictureFormat
from workspaces.access import Scope
from workspaces.http import download


def _not_ready(report: Report) -> JsonResponse:
    message = f"Report {report.pk} is {report.status}: only a succeeded report has results."
    return JsonResponse(
        {"errors": [{"message": message, "extensions": {"code": "NOT_READY"}}]}, status=409
    )


@require_GET
def report_chart_view(request, report_id: str, picture_format: str):
    fmt = PictureFormat(picture_format)

    def build(report: Report) -> HttpResponse:
        try:
            content = report_chart(report, fmt)
        except ChartUnavailable:
            return _not_ready(report)
        return HttpResponse(content, content_type=fmt.media_type)

    return download(request, Scope.ANALYTICS_READ, Report, report_id, build)


def write_csv(report: Report, response: HttpResponse) -> None:
    """The report's rows as CSV into the response: the header, then one line per row."""
    header, rows = spec_for(report.kind).table(report.result)
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(["" if value is None else value for value in row] for row in rows)


def csv_response(report: Report) -> HttpResponse:
    if report.status != Report.Status.SUCCEEDED or report.result is None:
        return _not_ready(report)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}-{report.kind}.csv"'
    write_csv(report, response)
    return response


@require_GET
def report_csv_view(request, report_id: str):
    return download(request, Scope.ANALYTICS_READ, Report, report_id, csv_response)

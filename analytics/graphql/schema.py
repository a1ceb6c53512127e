import strawberry
import strawberry_django

from analytics.graphql.types import (
    ReportConnection,
    ReportDefinitionConnection,
    ReportDefinitionType,
    ReportType,
    SpendConnection,
    SpendType,
)
from workspaces.access import Scope
from workspaces.graphql.permissions import requires


def _read():
    return requires(Scope.ANALYTICS_READ)


@strawberry.type
class AnalyticsQuery:
    reports: ReportConnection = strawberry_django.connection(
        extensions=_read(), description="Reports, newest first."
    )
    report: ReportType | None = strawberry_django.node(
        description="One report by its global id: poll it until SUCCEEDED or FAILED.",
        extensions=_read(),
    )
    report_definitions: ReportDefinitionConnection = strawberry_django.connection(
        extensions=_read(), description="Saved report definitions, by name."
    )
    report_definition: ReportDefinitionType | None = strawberry_django.node(
        description="One saved report by its global id, with its runs.", extensions=_read()
    )
    spends: SpendConnection = strawberry_django.connection(
        extensions=_read(), description="Spend records, latest period first."
    )
    spend: SpendType | None = strawberry_django.node(
        description="One spend row by its global id.", extensions=_read()
    )

"""Filters and orderings of reports, definitions and spend."""

import strawberry
import strawberry_django
from strawberry import auto, relay

from analytics import models
from analytics.graphql.enums import ReportKind, ReportSchedule, ReportStatus


@strawberry_django.filter_type(models.Report)
class ReportFilter:
    kind: ReportKind | None = strawberry.UNSET
    status: ReportStatus | None = strawberry.UNSET
    definition: relay.GlobalID | None = strawberry.UNSET


@strawberry_django.order_type(models.Report)
class ReportOrder:
    created_at: auto
    finished_at: auto


@strawberry_django.filter_type(models.ReportDefinition)
class ReportDefinitionFilter:
    kind: ReportKind | None = strawberry.UNSET
    schedule: ReportSchedule | None = strawberry.UNSET


@strawberry_django.order_type(models.ReportDefinition)
class ReportDefinitionOrder:
    name: auto
    next_run_at: auto
    created_at: auto


@strawberry_django.filter_type(models.Spend)
class SpendFilter:
    touchpoint: relay.GlobalID | None = strawberry.UNSET
    campaign: str | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET


@strawberry_django.order_type(models.Spend)
class SpendOrder:
    period_start: auto
    amount: auto
    created_at: auto

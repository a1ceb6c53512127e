"""Analytics mutations: thin resolvers that load rows in the workspace and call the
runner and the services. Requests are refused with field errors before anything is
queued; a report is queued once the mutation's transaction commits."""

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from analytics import runner, services
from analytics.graphql import inputs
from analytics.graphql.types import ReportDefinitionType, ReportType, SpendType
from analytics.models import ReportKind
from journeys.graphql.types import TouchpointType
from workspaces.access import Scope
from workspaces.graphql.base import Deleted, current_workspace, input_data, load
from workspaces.graphql.permissions import requires


def _write():
    return requires(Scope.ANALYTICS_WRITE)


def _definition_changes(data: dict) -> dict:
    """A definition input's fields as the services name them: the kind's input becomes
    the parameters; a null schedule is no change."""
    if "attribution" in data:
        attribution = data.pop("attribution")
        data["parameters"] = attribution.to_parameters() if attribution is not None else {}
    if data.get("schedule", strawberry.UNSET) is None:
        del data["schedule"]
    return data


def _touchpoint_ref(info: Info, data: dict) -> dict:
    if data.get("touchpoint") is not None:
        data["touchpoint"] = load(info, data["touchpoint"], TouchpointType, field="touchpoint")
    return data


@strawberry.type
class AnalyticsMutation:
    @strawberry_django.mutation(
        extensions=_write(),
        description="Request an attribution report. It is answered at once, QUEUED, and "
        "computed in the background: poll `report(id:)` for its status and progress. Bad "
        "parameters are field errors, and nothing is queued.",
    )
    def attribution_report_request(
        self, info: Info, input: inputs.AttributionReportInput
    ) -> ReportType:
        return runner.report_request(
            workspace=current_workspace(info),
            kind=ReportKind.ATTRIBUTION,
            parameters=input.to_parameters(),
            requested_by=info.context.request.user,
        )

    @strawberry_django.mutation(
        extensions=_write(),
        description="Delete a report. A run still going on stores nothing.",
    )
    def report_delete(self, info: Info, id: relay.GlobalID) -> Deleted:
        runner.report_delete(report=load(info, id, ReportType, field="id"))
        return Deleted(id=id)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Save a report definition: its parameters (checked now, defaults filled "
        "in at each run) and, optionally, a daily or weekly schedule.",
    )
    def report_definition_create(
        self, info: Info, input: inputs.ReportDefinitionCreateInput
    ) -> ReportDefinitionType:
        data = _definition_changes(input_data(input))
        return services.report_definition_create(
            workspace=current_workspace(info),
            kind=ReportKind.ATTRIBUTION,
            created_by=info.context.request.user,
            **data,
        )

    @strawberry_django.mutation(
        description="Change a saved report's name, parameters or schedule.", extensions=_write()
    )
    def report_definition_update(
        self, info: Info, input: inputs.ReportDefinitionUpdateInput
    ) -> ReportDefinitionType:
        definition = load(info, input.id, ReportDefinitionType, field="id")
        changes = _definition_changes(input_data(input))
        return services.report_definition_update(definition=definition, **changes)

    @strawberry_django.mutation(
        extensions=_write(), description="Delete a definition; its reports stay."
    )
    def report_definition_delete(self, info: Info, id: relay.GlobalID) -> Deleted:
        definition = load(info, id, ReportDefinitionType, field="id")
        services.report_definition_delete(definition=definition)
        return Deleted(id=id)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Run a definition now (its schedule is left as it is): the report is "
        "answered at once, QUEUED, and appears in the definition's runs.",
    )
    def report_definition_run(self, info: Info, id: relay.GlobalID) -> ReportType:
        definition = load(info, id, ReportDefinitionType, field="id")
        return services.report_definition_run(
            definition=definition, requested_by=info.context.request.user
        )

    @strawberry_django.mutation(
        extensions=_write(),
        description="Record spend on a touchpoint or a campaign over a period (one row per "
        "touchpoint, campaign and period): attribution rows then show cost per conversion "
        "and ROI.",
    )
    def spend_create(self, info: Info, input: inputs.SpendCreateInput) -> SpendType:
        data = _touchpoint_ref(info, input_data(input))
        return services.spend_create(workspace=current_workspace(info), **data)

    @strawberry_django.mutation(description="Change a spend row.", extensions=_write())
    def spend_update(self, info: Info, input: inputs.SpendUpdateInput) -> SpendType:
        spend = load(info, input.id, SpendType, field="id")
        return services.spend_update(spend=spend, **_touchpoint_ref(info, input_data(input)))

    @strawberry_django.mutation(description="Delete a spend row.", extensions=_write())
    def spend_delete(self, info: Info, id: relay.GlobalID) -> Deleted:
        services.spend_delete(spend=load(info, id, SpendType, field="id"))
        return Deleted(id=id)

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from workspaces.models import Role


@dataclass
class GraphQLResult:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        assert "errors" not in self.body, self.body["errors"]
        return self.body["data"]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors", [])


class GraphQLClient:
    """Posts GraphQL to /graphql/ the way a browser front-end does."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None):
        self.client = client
        self.headers = headers or {}

    def __call__(self, query: str, variables: dict | None = None, **headers: str):
        response = self.client.post(
            "/graphql/",
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )
        return GraphQLResult(response.status_code, response.json())


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(slug="acme", name="Acme")


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(slug="globex", name="Globex")


def _member_client(workspace, role: Role, username: str) -> GraphQLClient:
    user = UserFactory(username=username)
    MembershipFactory(workspace=workspace, user=user, role=role)
    client = Client()
    client.force_login(user)
    gql = GraphQLClient(client)
    gql.user = user
    return gql


@pytest.fixture
def editor(workspace):
    return _member_client(workspace, Role.EDITOR, "editor")


@pytest.fixture
def viewer(workspace):
    return _member_client(workspace, Role.VIEWER, "viewer")


@pytest.fixture
def admin_member(workspace):
    return _member_client(workspace, Role.ADMIN, "admin")


def token_client(workspace, scopes, created_by=None, **token_fields) -> GraphQLClient:
    """A partner integration: a bearer token, no cookies."""
    from workspaces.token_services import api_token_create

    issued = api_token_create(
        workspace=workspace,
        created_by=created_by,
        name="integration",
        scopes=[str(scope) for scope in scopes],
        **token_fields,
    )
    gql = GraphQLClient(Client(), headers={"Authorization": f"Bearer {issued.plaintext}"})
    gql.token = issued.token
    gql.plaintext = issued.plaintext
    return gql


@pytest.fixture(params=["session", "token"])
def outsider(request, other_workspace):
    """An admin of another workspace, by session or by an all-scopes token: must never
    see or touch the first workspace's rows."""
    from workspaces.access import Scope

    client = _member_client(other_workspace, Role.ADMIN, "outsider")
    if request.param == "token":
        return token_client(other_workspace, list(Scope), created_by=client.user)
    return client


@pytest.fixture
def anonymous(db):
    return GraphQLClient(Client())


def one_row_of_every_node_type(workspace) -> dict:
    """One row of every GraphQL node type in the workspace, keyed by type name."""
    from accounts.models import AccountStage, FeedbackResponse, PersonaReassignment
    from journeys.models import JourneyMapVersion, StageMilestone, StageTouchpoint
    from journeys.versions import snapshot_of
    from tests.factories import (
        AccountFactory,
        ContactFactory,
        InteractionFactory,
        JourneyMapFactory,
        MilestoneAchievementFactory,
        MilestoneFactory,
        StageFactory,
        TouchpointFactory,
    )
    from tests.schema_walk import NODE_TYPES
    from workspaces.audit import audit_record
    from workspaces.models import AuditEvent
    from workspaces.token_services import api_token_create

    stage = StageFactory(journey_map=JourneyMapFactory(workspace=workspace), position=1)
    touchpoint = TouchpointFactory(workspace=workspace)
    milestone = MilestoneFactory(workspace=workspace)
    StageMilestone.objects.create(
        workspace=workspace, journey_map=stage.journey_map, stage=stage, milestone=milestone
    )
    rows = {
        "JourneyMap": stage.journey_map,
        "Persona": stage.journey_map.persona,
        "Stage": stage,
        "Touchpoint": touchpoint,
        "Milestone": milestone,
        "StageTouchpoint": StageTouchpoint.objects.create(
            workspace=workspace, stage=stage, touchpoint=touchpoint, position=1
        ),
        "ApiToken": api_token_create(
            workspace=workspace, created_by=None, name="crm", scopes=["journeys:read"]
        ).token,
        "AuditEvent": audit_record(
            workspace=workspace, operation="personaCreate", source=AuditEvent.Source.GRAPHQL
        ),
    }
    account = AccountFactory(workspace=workspace)
    rows |= {
        "Account": account,
        "Contact": ContactFactory(account=account),
        "AccountStage": AccountStage.objects.create(
            workspace=workspace,
            account=account,
            journey_map=stage.journey_map,
            stage=stage,
            entered_at=stage.created_at,
        ),
        "Interaction": InteractionFactory(account=account, touchpoint=touchpoint),
        "MilestoneAchievement": MilestoneAchievementFactory(account=account, milestone=milestone),
        "FeedbackResponse": FeedbackResponse.objects.create(
            workspace=workspace,
            account=account,
            occurred_at=stage.created_at,
            received_at=stage.created_at,
            client_id="feedback-1",
            instrument=FeedbackResponse.Instrument.NPS,
            score=9,
            scale_min=0,
            scale_max=10,
            touchpoint=touchpoint,
            stage=stage,
        ),
        "PersonaReassignment": PersonaReassignment.objects.create(workspace=workspace),
    }
    rows |= _analytics_rows(workspace, touchpoint)
    rows["JourneyMapVersion"] = JourneyMapVersion.objects.create(
        workspace=workspace,
        persona=stage.journey_map.persona,
        journey_map=stage.journey_map,
        number=1,
        published_at=stage.created_at,
        snapshot=snapshot_of(stage.journey_map),
    )
    missing = NODE_TYPES - set(rows)
    assert not missing, f"add a row of {missing} to one_row_of_every_node_type"
    return {name: row for name, row in rows.items() if name in NODE_TYPES}


def _analytics_rows(workspace, touchpoint) -> dict:
    from datetime import date

    from django.utils import timezone

    from analytics.models import Report, ReportDefinition, ReportKind, Spend

    definition = ReportDefinition.objects.create(
        workspace=workspace, name="Weekly attribution", kind=ReportKind.ATTRIBUTION
    )
    return {
        "ReportDefinition": definition,
        "Report": Report.objects.create(
            workspace=workspace,
            kind=ReportKind.ATTRIBUTION,
            definition=definition,
            data_cutoff=timezone.now(),
            code_version="test",
        ),
        "Spend": Spend.objects.create(
            workspace=workspace,
            touchpoint=touchpoint,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            amount=100,
        ),
    }

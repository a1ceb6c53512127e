"""Reading a whole map costs a fixed number of SQL queries, whatever its size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journeys.models import StageMilestone, StageTouchpoint
from tests.factories import (
    JourneyMapFactory,
    MilestoneFactory,
    PersonaFactory,
    StageFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import gid

pytestmark = pytest.mark.django_db

MAP_QUERY = """
query Map($id: ID!) {
  journeyMap(id: $id) {
    name status
    persona { name goals }
    stages {
      position name emotionScore
      touchpoints { position notes touchpoint { key name channel } }
      milestones { key name isConversion }
    }
  }
}
"""
# Session, user and membership lookups, then: map, persona, stages, placements,
# touchpoints, exit milestones.
EXPECTED_QUERIES = 3 + 6


def build_map(workspace, stages: int):
    journey_map = JourneyMapFactory(
        workspace=workspace, persona=PersonaFactory(workspace=workspace)
    )
    for position in range(1, stages + 1):
        stage = StageFactory(journey_map=journey_map, position=position)
        for slot in (1, 2, 3):
            StageTouchpoint.objects.create(
                workspace=workspace,
                stage=stage,
                position=slot,
                touchpoint=TouchpointFactory(workspace=workspace),
            )
        StageMilestone.objects.create(
            workspace=workspace,
            journey_map=journey_map,
            stage=stage,
            milestone=MilestoneFactory(workspace=workspace),
        )
    return journey_map


def count_queries(client, journey_map) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        result = client(MAP_QUERY, {"id": gid(journey_map)})
    return len(captured.captured_queries), result.data


@pytest.mark.parametrize("stages", [2, 20])
def test_map_read_costs_the_same_for_2_and_20_stages(viewer, workspace, stages):
    journey_map = build_map(workspace, stages)
    queries, data = count_queries(viewer, journey_map)
    assert len(data["journeyMap"]["stages"]) == stages
    assert all(len(stage["touchpoints"]) == 3 for stage in data["journeyMap"]["stages"])
    assert queries == EXPECTED_QUERIES


@pytest.mark.parametrize("maps", [2, 8])
def test_connection_of_maps_is_constant(viewer, workspace, maps):
    for _ in range(maps):
        build_map(workspace, 2)
    query = (
        "{ journeyMaps(first: 10) { totalCount edges { node { name persona { name }"
        " stages { name touchpoints { touchpoint { name } } } } } } }"
    )
    with CaptureQueriesContext(connection) as captured:
        data = viewer(query).data
    assert data["journeyMaps"]["totalCount"] == maps
    # auth (3) + maps with their total (a window count) + personas + stages + placements
    # + touchpoints
    assert len(captured.captured_queries) == 3 + 5

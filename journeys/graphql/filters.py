"""Filters and orderings a front-end needs on the journey catalogue and maps."""

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto, relay

from journeys import models
from journeys.graphql.enums import Channel, JourneyMapStatus, Phase


def _search(prefix: str, value: str, *fields: str) -> Q:
    query = Q()
    for name in fields:
        query |= Q(**{f"{prefix}{name}__icontains": value})
    return query


@strawberry_django.filter_type(models.Persona)
class PersonaFilter:
    key: str | None = strawberry.UNSET

    @strawberry_django.filter_field(description="Case-insensitive match on name or key.")
    def search(self, value: str, prefix: str) -> Q:
        return _search(prefix, value, "name", "key")


@strawberry_django.filter_type(models.Touchpoint)
class TouchpointFilter:
    key: str | None = strawberry.UNSET
    channel: Channel | None = strawberry.UNSET
    phase: Phase | None = strawberry.UNSET
    is_online: bool | None = strawberry.UNSET
    owner_team: str | None = strawberry.UNSET

    @strawberry_django.filter_field(description="Case-insensitive match on name or key.")
    def search(self, value: str, prefix: str) -> Q:
        return _search(prefix, value, "name", "key")


@strawberry_django.filter_type(models.Milestone)
class MilestoneFilter:
    key: str | None = strawberry.UNSET
    is_conversion: bool | None = strawberry.UNSET

    @strawberry_django.filter_field(description="Case-insensitive match on name or key.")
    def search(self, value: str, prefix: str) -> Q:
        return _search(prefix, value, "name", "key")


@strawberry_django.filter_type(models.JourneyMap)
class JourneyMapFilter:
    status: JourneyMapStatus | None = strawberry.UNSET
    is_template: bool | None = strawberry.UNSET
    persona: relay.GlobalID | None = strawberry.UNSET

    @strawberry_django.filter_field(description="Case-insensitive match on the map's name.")
    def search(self, value: str, prefix: str) -> Q:
        return _search(prefix, value, "name")


@strawberry_django.filter_type(models.Stage)
class StageFilter:
    journey_map: relay.GlobalID | None = strawberry.UNSET
    owner_team: str | None = strawberry.UNSET

    @strawberry_django.filter_field(description="Case-insensitive match on the stage's name.")
    def search(self, value: str, prefix: str) -> Q:
        return _search(prefix, value, "name")


@strawberry_django.order_type(models.Persona)
class PersonaOrder:
    name: auto
    key: auto
    created_at: auto


@strawberry_django.order_type(models.Touchpoint)
class TouchpointOrder:
    name: auto
    key: auto
    channel: auto
    phase: auto
    owner_team: auto
    created_at: auto


@strawberry_django.order_type(models.Milestone)
class MilestoneOrder:
    name: auto
    key: auto
    created_at: auto


@strawberry_django.order_type(models.JourneyMap)
class JourneyMapOrder:
    name: auto
    status: auto
    created_at: auto
    updated_at: auto


@strawberry_django.order_type(models.Stage)
class StageOrder:
    position: auto
    name: auto

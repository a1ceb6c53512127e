"""The tenant-scoping base of every GraphQL type, and helpers shared by resolvers."""

import dataclasses
from typing import Any, ClassVar

import strawberry
from django.db.models import QuerySet
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry_django.utils.typing import get_django_definition

from workspaces.access import Scope
from workspaces.errors import ItemError, field_error
from workspaces.graphql.describe import described
from workspaces.graphql.permissions import get_access
from workspaces.models import Workspace


class WorkspaceNode(relay.Node):
    """Base of every tenant type: rows outside the request's workspace do not exist.

    `get_queryset` runs for root lists, connections, reverse relations, `node(id:)`
    and the optimizer's prefetches. A caller holding none of the type's read scopes sees
    nothing.
    """

    read_scopes: ClassVar[tuple[Scope, ...]] = (Scope.JOURNEYS_READ,)

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs: Any) -> QuerySet:
        access = get_access(info)
        if not any(access.can(scope) for scope in cls.read_scopes):
            return queryset.none()
        return queryset.filter(workspace=access.workspace)


def current_workspace(info: Info) -> Workspace:
    """The request's workspace; resolvers run behind RequireAccess, so there is one."""
    workspace = get_access(info).workspace
    assert workspace is not None, "resolver reached without RequireAccess"
    return workspace


def load_many(
    info: Info, ids: list[relay.GlobalID], node_type: type[WorkspaceNode], *, field: str
) -> list:
    """Fetch the rows a client named, in order, inside the request's workspace, in one query."""
    model = get_django_definition(node_type).model
    type_name = node_type.__strawberry_definition__.name
    for global_id in ids:
        if global_id.type_name != type_name:
            raise field_error(field, f"Expected the id of a {type_name}.", "invalid_id")
    wanted = [global_id.node_id for global_id in ids]
    if not all(node_id.isdigit() for node_id in wanted):
        raise field_error(field, f"{model._meta.verbose_name.capitalize()} not found.", "not_found")
    queryset = node_type.get_queryset(model._default_manager.all(), info)
    found = {str(row.pk): row for row in queryset.filter(pk__in=wanted)}
    missing = [node_id for node_id in wanted if node_id not in found]
    if missing:
        raise field_error(field, f"{model._meta.verbose_name.capitalize()} not found.", "not_found")
    return [found[node_id] for node_id in wanted]


def load_per_item(
    info: Info, given: list[Any], node_type: type[WorkspaceNode], *, field: str
) -> list[Any]:
    """For each value of a batch (a global id, or None), the row it names inside the
    request's workspace, None, or an error saying
    why it names none (ItemError): the batch's other items go on. One query for the whole batch."""
    model = get_django_definition(node_type).model
    type_name = node_type.__strawberry_definition__.name
    decoded: list[Any] = []
    for value in given:
        if value is None:
            decoded.append(None)
            continue
        node_id = parse_global_id(value, type_name)
        decoded.append(node_id or ItemError(field, f"Not the id of a {type_name}.", "invalid_id"))
    wanted = {value for value in decoded if isinstance(value, str)}
    queryset = node_type.get_queryset(model._default_manager.all(), info)
    found = {str(row.pk): row for row in queryset.filter(pk__in=wanted)} if wanted else {}
    missing = ItemError(field, f"{model._meta.verbose_name.capitalize()} not found.", "not_found")
    return [found.get(value, missing) if isinstance(value, str) else value for value in decoded]


def parse_global_id(value: Any, type_name: str | None = None) -> str | None:
    """The row id inside a global id (of `type_name`, if given), or None when it is not
    one: not text, not base64, no "Type:id", an id that is no positive number."""
    if not isinstance(value, str):
        return None
    try:
        global_id = relay.GlobalID.from_id(value)
    except Exception:  # any undecodable value is simply not an id
        return None
    if type_name is not None and global_id.type_name != type_name:
        return None
    return global_id.node_id if _is_row_number(global_id.node_id) else None


def _is_row_number(node_id: str) -> bool:
    return node_id.isdigit() and len(node_id) <= 18


def load(info: Info, global_id: relay.GlobalID, node_type: type[WorkspaceNode], *, field: str):
    """Fetch the row a client named, inside the request's workspace, or fail on that field."""
    return load_many(info, [global_id], node_type, field=field)[0]


def input_data(data: object, *, exclude: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """The fields a client actually sent in an input (unset ones are left out)."""
    return {
        item.name: getattr(data, item.name)
        for item in dataclasses.fields(data)
        if item.name not in exclude and getattr(data, item.name) is not strawberry.UNSET
    }


class CheckGlobalId(FieldExtension):
    """`node(id:)` answers INVALID_ID for a value that is no id of a node type of this
    API (`Persona:abc`, `Persona:`, `NoSuchType:1`), instead of failing while looking
    it up; an id of a row that does not exist (here) stays null."""

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        global_id = kwargs.get("id")
        type_name = getattr(global_id, "type_name", None)
        known = info.schema.get_type_by_name(type_name) if type_name else None
        origin = getattr(known, "origin", None)
        if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
            raise _invalid_id("No type of this API has ids of that kind.")
        if not _is_row_number(global_id.node_id):
            raise _invalid_id("The id names no row: its number is missing or malformed.")
        return next_(source, info, **kwargs)


def _invalid_id(message: str) -> GraphQLError:
    return GraphQLError(f"Invalid id. {message}", extensions={"code": "INVALID_ID"})


@described(id="Global id the deleted row had.")
@strawberry.type(description="The id of a row that a mutation deleted.")
class Deleted:
    id: relay.GlobalID

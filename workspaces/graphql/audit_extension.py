"""Every root mutation runs in one transaction with its audit record.

`AuditLogExtension` hooks the resolution of the root Mutation type's fields, so a
mutation added later is covered without doing anything. For a mutation made in a
workspace - one declaring `requires(...)`, which is what puts it in the request's
workspace - it records who (user, token), where (workspace), what (the mutation's
GraphQL name) and which rows (the global ids of the node types the mutation returned).

- The mutation and its record are one transaction: if writing the record fails, the
  mutation's changes roll back too.
- A mutation that answers with `OperationInfo` (a ValidationError, PermissionDenied or
  ObjectDoesNotExist turned into messages) failed: its changes are rolled back, even
  those a service made before it refused, and nothing is recorded. Errors likewise.
- Object ids are collected by walking the result along its GraphQL type: node types give
  their global id under their GraphQL name, fields of type ID give their value, payload
  types (`Deleted`, `IssuedApiToken`) are walked through their plain fields. Strings and
  other scalars are never read, so a secret in a result (`IssuedApiToken.secret`) cannot
  reach the log.
- Session mutations (login, logout) act in no workspace and are not recorded.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from django.db import models, transaction
from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLUnionType,
    OperationType,
    get_named_type,
)
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry_django.fields.types import OperationInfo

from workspaces.audit import audit_record
from workspaces.graphql.permissions import RequireAccess, get_access
from workspaces.models import AuditEvent

BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
# Non-node object types are walked this deep for ids (Deleted, IssuedApiToken: one level).
MAX_DEPTH = 4


def _is_root_mutation(info: GraphQLResolveInfo) -> bool:
    return info.path.prev is None and info.operation.operation == OperationType.MUTATION


def _strawberry_field(info: GraphQLResolveInfo) -> StrawberryField | None:
    field = info.parent_type.fields[info.field_name]
    return field.extensions.get(BACKREF)


def _in_workspace(field: StrawberryField | None) -> bool:
    """Whether the mutation acts in the request's workspace: it requires access to one."""
    return field is not None and any(isinstance(ext, RequireAccess) for ext in field.extensions)


def _concrete_type(
    value: Any, abstract: GraphQLUnionType | GraphQLInterfaceType, info: GraphQLResolveInfo
) -> GraphQLObjectType | None:
    for candidate in info.schema.get_possible_types(abstract):
        if candidate.is_type_of is not None:
            if candidate.is_type_of(value, info):
                return candidate
            continue
        definition = candidate.extensions.get(BACKREF)
        if definition is not None and isinstance(value, definition.origin):
            return candidate
    return None


def _implements_node(object_type: GraphQLObjectType) -> bool:
    return any(interface.name == "Node" for interface in object_type.interfaces)


def _walked_fields(object_type: GraphQLObjectType) -> Iterator[Any]:
    """The GraphQL types of the fields `object_ids` walks: plain data, not computed."""
    for field in object_type.fields.values():
        strawberry_field = field.extensions.get(BACKREF)
        if strawberry_field is not None and strawberry_field.base_resolver is None:
            yield field.type


@functools.cache
def _may_hold_ids(object_type: GraphQLObjectType) -> bool:
    """Whether a value of this type can hold an id `object_ids` would yield: a field of
    type ID or a node type, found along the fields it walks (a union by all its members).
    Computed once per type, from the type alone."""
    seen, pending = {object_type}, [object_type]
    while pending:
        current = pending.pop()
        if isinstance(current, GraphQLScalarType):
            if current.name == "ID":
                return True
            continue
        if isinstance(current, GraphQLInterfaceType):
            return True  # its implementations are known to the schema only: assume so
        if isinstance(current, GraphQLUnionType):
            children = list(current.types)
        elif isinstance(current, GraphQLObjectType):
            if _implements_node(current) and current.extensions.get(BACKREF) is not None:
                return True
            children = [get_named_type(t) for t in _walked_fields(current)]
        else:
            continue  # enums
        for child in children:
            if child not in seen:
                seen.add(child)
                pending.append(child)
    return False


def object_ids(
    value: Any, graphql_type: Any, info: GraphQLResolveInfo, depth: int = 0
) -> Iterator[str]:
    """The global ids of the rows in a mutation's result, read along its GraphQL type."""
    if value is None or depth > MAX_DEPTH:
        return
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    if isinstance(graphql_type, GraphQLList):
        for item in value:
            yield from object_ids(item, graphql_type.of_type, info, depth)
        return
    if isinstance(graphql_type, GraphQLScalarType):
        if graphql_type.name == "ID":
            yield str(value)
        return
    if isinstance(graphql_type, (GraphQLUnionType, GraphQLInterfaceType)):
        graphql_type = _concrete_type(value, graphql_type, info)
    if not isinstance(graphql_type, GraphQLObjectType):
        return  # enums, or a value no member of the union claims
    definition = graphql_type.extensions.get(BACKREF)
    if _implements_node(graphql_type) and definition is not None:
        node_id = definition.origin.resolve_id(value, info=info)
        yield relay.to_base64(graphql_type.name, node_id)
        return
    if isinstance(value, models.Model):
        return  # a row without a global id; its relations are not what the mutation changed
    if not _may_hold_ids(graphql_type):
        return  # e.g. an ingestion result: a thousand items, not one id among them
    for field in graphql_type.fields.values():
        strawberry_field = field.extensions.get(BACKREF)
        if strawberry_field is None or strawberry_field.base_resolver is not None:
            continue  # computed fields are not part of the result's data
        child = getattr(value, strawberry_field.python_name, None)
        yield from object_ids(child, field.type, info, depth + 1)


class AuditLogExtension(SchemaExtension):
    """Run each root mutation atomically and record it in its workspace's audit log."""

    def resolve(self, _next: Callable, root: Any, info: GraphQLResolveInfo, *args, **kwargs):
        if not _is_root_mutation(info):
            return _next(root, info, *args, **kwargs)
        field = _strawberry_field(info)
        with transaction.atomic():
            result = _next(root, info, *args, **kwargs)
            if inspect.isawaitable(result):
                # The transaction could not span the await: refuse rather than not audit.
                if hasattr(result, "close"):
                    result.close()
                raise RuntimeError("Mutations must resolve synchronously to be audited.")
            if isinstance(result, OperationInfo):
                # The mutation failed: undo whatever it wrote before it refused.
                transaction.set_rollback(True)
                return result
            if _in_workspace(field):
                self._record(info, result)
        return result

    @staticmethod
    def _record(info: GraphQLResolveInfo, result: Any) -> None:
        access = get_access(info)
        if access.workspace is None:
            return
        audit_record(
            workspace=access.workspace,
            operation=info.field_name,
            source=AuditEvent.Source.GRAPHQL,
            object_ids=list(dict.fromkeys(object_ids(result, info.return_type, info))),
            user=access.user,
            token=access.token,
        )

"""Descriptions of the schema elements that strawberry and strawberry-django generate, and
that no code of ours declares: mutation payload unions, ordering inputs, the AND/OR/NOT of
filters, the `Ordering` and `OperationInfo` types, and the `filters`, `ordering`, `input`
and `id` arguments. Everything else is described where it is declared; an element that is
neither fails tests/test_schema_descriptions.py."""

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

_LIBRARY_TYPES = {
    "OperationInfo": "What went wrong with a mutation's input: one message per problem.",
    "OperationMessage": "One problem with a mutation's input: what, where and a stable code.",
    "OperationMessageKind": "How serious an operation message is.",
    "Ordering": "A direction of sorting, and where rows without a value go.",
}
_ENUM_VALUES = {
    "Ordering": {
        "ASC": "Ascending.",
        "ASC_NULLS_FIRST": "Ascending, rows without a value first.",
        "ASC_NULLS_LAST": "Ascending, rows without a value last.",
        "DESC": "Descending.",
        "DESC_NULLS_FIRST": "Descending, rows without a value first.",
        "DESC_NULLS_LAST": "Descending, rows without a value last.",
    },
    "OperationMessageKind": {
        "INFO": "For information only.",
        "WARNING": "Done, but something deserves attention.",
        "ERROR": "Not done: an error.",
        "PERMISSION": "Not done: the caller may not do this.",
        "VALIDATION": "Not done: a value is invalid (field and code say which and why).",
    },
}
_FILTER_LOGIC = {
    "AND": "Rows that also match this filter.",
    "OR": "Rows that match this filter or the rest of this one.",
    "NOT": "Rows that do not match this filter.",
    "DISTINCT": "Drop repeated rows (a filter across a list can match one row twice).",
}
_ARGUMENTS = {
    "filters": "Only the rows that match these conditions (all of them).",
    "ordering": "Sort order: by the first entry, ties by the next, and so on.",
}


def _describe(item, text: str) -> None:
    if not item.description:
        item.description = text


def _payload_owners(schema: GraphQLSchema) -> dict[str, str]:
    mutation = schema.mutation_type
    if mutation is None:
        return {}
    return {get_named_type(field.type).name: name for name, field in mutation.fields.items()}


def _describe_type(graphql_type: GraphQLNamedType, owners: dict[str, str]) -> None:
    name = graphql_type.name
    if name in _LIBRARY_TYPES:
        _describe(graphql_type, _LIBRARY_TYPES[name])
    if isinstance(graphql_type, GraphQLEnumType):
        for value_name, value in graphql_type.values.items():
            text = _ENUM_VALUES.get(name, {}).get(value_name)
            if text:
                _describe(value, text)
    if isinstance(graphql_type, GraphQLUnionType) and name in owners:
        members = " or ".join(member.name for member in graphql_type.types)
        _describe(graphql_type, f"What `{owners[name]}` answers: {members}.")
    if isinstance(graphql_type, GraphQLInputObjectType):
        if name.endswith("Order"):
            _describe(
                graphql_type,
                f"How to sort {name.removesuffix('Order')} rows: set one field per entry.",
            )
            for field_name, field in graphql_type.fields.items():
                _describe(field, f"Sort by {field_name}.")
        if name.endswith("Filter"):
            for field_name, text in _FILTER_LOGIC.items():
                if field_name in graphql_type.fields:
                    _describe(graphql_type.fields[field_name], text)
    fields = getattr(graphql_type, "fields", {})
    if (
        isinstance(graphql_type, GraphQLObjectType)
        and name.endswith("Connection")
        and "edges" in fields
    ):
        _describe(fields["edges"], "The rows of this page, with their cursors.")
    if isinstance(graphql_type, GraphQLObjectType) and name.endswith("Edge") and "node" in fields:
        _describe(fields["node"], "The row.")
    if isinstance(graphql_type, GraphQLObjectType):
        for field_name, field in graphql_type.fields.items():
            for arg_name, arg in field.args.items():
                if arg_name in _ARGUMENTS:
                    _describe(arg, _ARGUMENTS[arg_name])
                elif arg_name == "input":
                    _describe(arg, f"What to write; see {get_named_type(arg.type).name}.")
                elif arg_name == "id":
                    _describe(arg, f"Global id of the {_entity(field_name, graphql_type)}.")


def _entity(field_name: str, owner: GraphQLObjectType) -> str:
    """personaDelete -> "persona", journeyMap -> "journey map": what an `id` names."""
    words = re.findall(r"[a-z]+|[A-Z][a-z]*", field_name)
    if owner.name == "Mutation" and len(words) > 1:
        words = words[:-1]
    return " ".join(word.lower() for word in words)


def describe_generated(schema: GraphQLSchema) -> None:
    owners = _payload_owners(schema)
    for name, graphql_type in schema.type_map.items():
        if not name.startswith("__"):
            _describe_type(graphql_type, owners)

"""Every element of the schema is described: types, fields, arguments, input fields, enum
values and mutations. New schema without a description fails here, naming each element."""

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from config.schema import schema

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(graphql_schema) -> list[str]:
    missing = []
    for name, graphql_type in sorted(graphql_schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        if not (graphql_type.description or "").strip():
            missing.append(f"type {name}")
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"field {name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if not (arg.description or "").strip():
                        missing.append(f"argument {name}.{field_name}({arg_name})")
        if isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, field in graphql_type.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"input field {name}.{field_name}")
        if isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                if not (value.description or "").strip():
                    missing.append(f"enum value {name}.{value_name}")
    return missing


def test_every_schema_element_is_described():
    missing = undescribed(schema._schema)
    assert not missing, f"{len(missing)} undescribed: " + ", ".join(missing)


def test_the_check_sees_every_kind_of_element():
    """The walk must not pass by looking at nothing: an SDL with one undescribed element
    of each kind yields exactly those."""
    from graphql import build_schema

    sdl = '''
    """q"""
    type Query { """f""" a(x: Int): E  b: Int }
    enum E { """v""" ONE TWO }
    input I { y: Int }
    scalar S
    """m"""
    type Mutation { """m""" m(i: I): Int }
    '''
    assert sorted(undescribed(build_schema(sdl))) == [
        "argument Mutation.m(i)",
        "argument Query.a(x)",
        "enum value E.TWO",
        "field Query.b",
        "input field I.y",
        "type E",
        "type I",
        "type S",
    ]


def test_the_served_sdl_carries_the_descriptions():
    printed = schema.as_str()
    assert '"""Sort by name."""' in printed
    assert '"""A calendar month."""' in printed
    assert len(printed) > 50_000

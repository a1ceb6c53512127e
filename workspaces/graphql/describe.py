"""Descriptions for the schema from one source each: model fields describe the inputs that
write them, and every enum value is described where the enum is declared. The schema
test (tests/test_schema_descriptions.py) fails on anything left undescribed."""

from collections.abc import Mapping
from enum import Enum

import strawberry
from django.core.exceptions import FieldDoesNotExist


def from_model(model, doc: str | None = None, /, *, like=None, **descriptions: str):
    """Class decorator, above `@strawberry.input` or `@strawberry.type`: the type takes
    `doc` as its description (unless it has one); a field without a description takes the
    given one, else that of the same field of the strawberry type `like`, else the
    help_text of `model`'s field of that name (`id`: the model's global id). `model` may
    be None for types that mirror no model."""

    def decorate(cls):
        definition = cls.__strawberry_definition__
        if doc and not definition.description:
            definition.description = doc
        borrowed = {}
        if like is not None:
            borrowed = {f.python_name: f.description for f in like.__strawberry_definition__.fields}
        for field in definition.fields:
            if field.description:
                continue
            name = field.python_name
            if name in descriptions:
                field.description = descriptions[name]
            elif borrowed.get(name):
                field.description = borrowed[name]
            elif model is None:
                continue
            elif name == "id":
                field.description = f"Global id of the {model._meta.verbose_name}."
            else:
                try:
                    help_text = model._meta.get_field(name).help_text
                except FieldDoesNotExist:
                    continue
                if help_text:
                    field.description = str(help_text)
        return cls

    return decorate


def described_enum(
    python_enum: type[Enum], *, name: str, description: str, values: Mapping | None = None
):
    """A GraphQL enum with its type and every value described. `values` maps members (or
    their names) to descriptions; Django choices fall back to their labels. A member left
    without one is an error when the schema is built, so a new member cannot slip in
    undescribed."""
    values = {getattr(key, "name", key): text for key, text in (values or {}).items()}
    graphql_enum = strawberry.enum(python_enum, name=name, description=description)
    for value in graphql_enum.__strawberry_definition__.values:
        member = python_enum[value.name]
        text = values.get(value.name) or str(getattr(member, "label", "") or "")
        if not text:
            raise ValueError(f"Enum value {name}.{value.name} has no description.")
        value.description = text
    return graphql_enum


def described(doc: str | None = None, /, **descriptions: str):
    """`from_model` for types that mirror no model: the descriptions given."""
    return from_model(None, doc, **descriptions)

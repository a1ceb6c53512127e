"""GraphQL request limits, error masking and introspection control, as schema extensions.

Every refusal is a GraphQL error with an `extensions.code` a client can branch on:
QUERY_TOO_DEEP, TOO_MANY_ALIASES, QUERY_TOO_LARGE, PAGE_TOO_LARGE, INVALID_PAGE_SIZE,
LIST_TOO_LONG, INVALID_CHARACTER (a NUL in a text), INTROSPECTION_DISABLED. An unexpected
exception reaches the client as "Unexpected error." with INTERNAL_ERROR. Settings are read
on every operation, except the page size, which the schema's config fixes at startup
(GRAPHQL_MAX_PAGE_SIZE).
"""

import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSyntaxError,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
    is_scalar_type,
)
from graphql.utilities import type_from_ast
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.relay.types import GlobalIDValueError

from workspaces.cleaning import NUL, has_nul

MASKED_MESSAGE = "Unexpected error."
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _with_code(error: GraphQLError, code: str, **details: Any) -> GraphQLError:
    error.extensions = {**(error.extensions or {}), "code": code, **details}
    return error


class _CodingContext:
    """A validation context whose reported errors carry an `extensions.code`."""

    def __init__(self, context: ValidationContext, code: str):
        self._context = context
        self._code = code

    def report_error(self, error: GraphQLError) -> None:
        self._context.report_error(_with_code(error, self._code))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def _coded(rule: type[ValidationRule], code: str) -> type[ValidationRule]:
    # strawberry's limiters report on the context they are given: hand them one that
    # stamps the code on each error.
    class CodedRule(rule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(_CodingContext(context, code))

    CodedRule.__name__ = f"Coded{rule.__name__}"
    return CodedRule


def depth_limiter() -> QueryDepthLimiter:
    """GRAPHQL_MAX_DEPTH levels of fields (a connection's `edges { node }` counts two)."""
    limiter = QueryDepthLimiter(max_depth=settings.GRAPHQL_MAX_DEPTH)
    limiter.validation_rules = [_coded(rule, "QUERY_TOO_DEEP") for rule in limiter.validation_rules]
    return limiter


def aliases_limiter() -> MaxAliasesLimiter:
    """At most GRAPHQL_MAX_ALIASES aliased fields in a document (fragments included)."""
    limiter = MaxAliasesLimiter(max_alias_count=settings.GRAPHQL_MAX_ALIASES)
    limiter.validation_rules = [
        _coded(rule, "TOO_MANY_ALIASES") for rule in limiter.validation_rules
    ]
    return limiter


class TokensLimiter(MaxTokensLimiter):
    """At most GRAPHQL_MAX_TOKENS lexical tokens: the parser stops at the limit."""

    def __init__(self) -> None:
        super().__init__(max_token_count=settings.GRAPHQL_MAX_TOKENS)

    def on_parse(self) -> Iterator[None]:
        yield
        # graphql-core raises a plain syntax error when it aborts; name it.
        marker = f"more than {self.max_token_count} tokens"
        for error in self.execution_context.pre_execution_errors or ():
            if isinstance(error, GraphQLSyntaxError) and marker in error.message:
                _with_code(error, "QUERY_TOO_LARGE", maxTokens=self.max_token_count)


def _literal_lists(node: ValueNode, path: str) -> Iterator[tuple[str, int]]:
    """(path, length) of every list literal inside an argument value."""
    stack = [(node, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, ListValueNode):
            yield where, len(value.values)
            stack.extend((item, f"{where}[{i}]") for i, item in enumerate(value.values))
        elif isinstance(value, ObjectValueNode):
            stack.extend((field.value, f"{where}.{field.name.value}") for field in value.fields)


def _longest_list(value: Any) -> int:
    """The length of the longest list inside a (JSON) variable value (0 if none)."""
    longest, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            longest = max(longest, len(item))
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return longest


def _variable_lists(value: Any, path: str) -> Iterator[tuple[str, int]]:
    """(path, length) of every list inside a (JSON) variable value."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, list):
            yield where, len(item)
            stack.extend((element, f"{where}[{i}]") for i, element in enumerate(item))
        elif isinstance(item, dict):
            stack.extend((element, f"{where}.{key}") for key, element in item.items())


def _list_too_long(path: str, length: int, limit: int, node=None) -> GraphQLError:
    return GraphQLError(
        f"The list at {path} has {length} items; at most {limit} are allowed.",
        node,
        extensions={"code": "LIST_TOO_LONG", "argument": path, "maxLength": limit},
    )


def _input_limits_rule(
    *, variables: dict[str, Any], max_list: int, max_page: int
) -> type[ValidationRule]:
    """A rule that refuses, before execution, long lists and oversized connection pages."""

    class InputLimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for name, value in variables.items():
                if _longest_list(value) <= max_list:
                    continue  # the common case, checked without naming every element
                for path, length in _variable_lists(value, f"${name}"):
                    if length > max_list:
                        self.report_error(_list_too_long(path, length, max_list))
                        break  # one error per variable is enough to fix it

        def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> None:
            if node.default_value is not None:
                self._check_literal(node.default_value, f"${node.variable.name.value}")

        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            for argument in node.arguments or ():
                self._check_literal(argument.value, f"{node.name.value}({argument.name.value})")
            self._check_paging(node)

        def _check_literal(self, value: ValueNode, where: str) -> None:
            for path, length in _literal_lists(value, where):
                if length > max_list:
                    self.report_error(_list_too_long(path, length, max_list, value))
                    break

        def _check_paging(self, node: FieldNode) -> None:
            definition = self.context.get_field_def()
            if definition is None:
                return
            returned = get_named_type(definition.type)
            if not isinstance(returned, GraphQLObjectType) or "pageInfo" not in returned.fields:
                return
            for argument in node.arguments or ():
                if argument.name.value in ("after", "before"):
                    cursor = _str_value(argument.value, variables)
                    if cursor is not None and not _is_cursor(cursor, returned.name):
                        self.report_error(
                            GraphQLError(
                                f"Argument '{argument.name.value}' of {node.name.value} is not "
                                "a cursor this API gave out (use pageInfo's endCursor).",
                                argument,
                                extensions={"code": "INVALID_CURSOR"},
                            )
                        )
                    continue
                if argument.name.value not in ("first", "last"):
                    continue
                size = _int_value(argument.value, variables)
                name = f"Argument '{argument.name.value}' of {node.name.value}"
                if size is not None and size > max_page:
                    self.report_error(
                        GraphQLError(
                            f"{name} cannot be higher than {max_page}: page through the "
                            "rest with cursors.",
                            argument,
                            extensions={"code": "PAGE_TOO_LARGE", "maxPageSize": max_page},
                        )
                    )
                elif size is not None and size < 0:
                    self.report_error(
                        GraphQLError(
                            f"{name} must not be negative.",
                            argument,
                            extensions={"code": "INVALID_PAGE_SIZE"},
                        )
                    )

    return InputLimitsRule


def _int_value(node: ValueNode, variables: dict[str, Any]) -> int | None:
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, VariableNode):
        value = variables.get(node.name.value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _str_value(node: ValueNode, variables: dict[str, Any]) -> str | None:
    if isinstance(node, StringValueNode):
        return node.value
    if isinstance(node, VariableNode):
        value = variables.get(node.name.value)
        if isinstance(value, str):
            return value
    return None


def _is_cursor(value: str, connection: str = "") -> bool:
    """Connections' cursors read base64("arrayconnection:<offset>"); a timeline's name a
    position of its own (accounts.timeline)."""
    if connection == "TimelineConnection":
        from accounts.timeline import is_timeline_cursor  # needs the app registry

        return is_timeline_cursor(value)
    try:
        prefix, offset = relay.from_base64(value)
    except ValueError:
        return False
    return prefix == "arrayconnection" and offset.isdigit()


def _nul_paths(value: Any, type_: Any, path: str, exempt: frozenset[str]) -> Iterator[str]:
    """Paths of the texts holding a NUL inside a (JSON) variable value of a GraphQL input
    type; values of the `exempt` types (checked item by item by their service) are left."""
    type_ = get_nullable_type(type_)
    if is_scalar_type(type_) and type_.name in exempt:
        return
    if is_list_type(type_) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, type_.of_type, f"{path}[{index}]", exempt)
    elif is_input_object_type(type_) and isinstance(value, dict):
        for name, item in value.items():
            field = type_.fields.get(name)
            if field is not None:
                yield from _nul_paths(item, field.type, f"{path}.{name}", exempt)
    elif has_nul(value):
        yield path


def _literal_nul_paths(node: ValueNode, type_: Any, path: str, exempt: frozenset[str]):
    """The same for a literal argument value (variables inside it are checked as such)."""
    type_ = get_nullable_type(type_)
    if type_ is None or (is_scalar_type(type_) and type_.name in exempt):
        return
    if isinstance(node, ListValueNode):
        item_type = type_.of_type if is_list_type(type_) else type_
        for index, item in enumerate(node.values):
            yield from _literal_nul_paths(item, item_type, f"{path}[{index}]", exempt)
    elif isinstance(node, ObjectValueNode):
        fields = type_.fields if is_input_object_type(type_) else {}
        for field in node.fields:
            name = field.name.value
            inner = fields[name].type if name in fields else type_
            yield from _literal_nul_paths(field.value, inner, f"{path}.{name}", exempt)
    elif isinstance(node, StringValueNode) and NUL in node.value:
        yield path


def _nul_error(path: str, node=None) -> GraphQLError:
    return GraphQLError(
        f"The text at {path} contains a NUL character (\\u0000), which cannot be stored.",
        node,
        extensions={"code": "INVALID_CHARACTER", "argument": path},
    )


def _text_rule(*, variables: dict[str, Any], exempt: frozenset[str]) -> type[ValidationRule]:
    """A rule that refuses NUL characters in every text of every argument and variable:
    PostgreSQL cannot store them, and a filter holding one matches nothing anyway."""

    class TextRule(ValidationRule):
        def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> None:
            name = node.variable.name.value
            type_ = type_from_ast(self.context.schema, node.type)
            if type_ is None or name not in variables:
                return
            for path in _nul_paths(variables[name], type_, f"${name}", exempt):
                self.report_error(_nul_error(path, node))

        def enter_argument(self, node, *_args: Any) -> None:
            argument = self.context.get_argument()
            if argument is None:
                return
            where = node.name.value
            for path in _literal_nul_paths(node.value, argument.type, where, exempt):
                self.report_error(_nul_error(path, node))

    return TextRule


class InputLimits(SchemaExtension):
    """Lists longer than GRAPHQL_MAX_LIST_INPUT (in variables or literal arguments) and
    connection pages over the schema's `relay_max_results` are refused during validation,
    so no resolver runs."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        rule = _input_limits_rule(
            variables=context.variables if isinstance(context.variables, dict) else {},
            max_list=settings.GRAPHQL_MAX_LIST_INPUT,
            max_page=context.schema.config.relay_max_results,
        )
        text_rule = _text_rule(
            variables=context.variables if isinstance(context.variables, dict) else {},
            exempt=per_item_types(),
        )
        context.validation_rules = (*context.validation_rules, rule, text_rule)
        yield


def per_item_types() -> frozenset[str]:
    """Types whose values their service checks item by item (ingestion batches): a bad
    character there rejects its item, not the whole request."""
    from accounts.graphql.scalars import PER_ITEM_SCALARS

    return PER_ITEM_SCALARS


def introspection_enabled() -> bool:
    return settings.GRAPHQL_INTROSPECTION


class _NoIntrospectionRule(NoSchemaIntrospectionCustomRule):
    def report_error(self, error: GraphQLError) -> None:
        super().report_error(_with_code(error, "INTROSPECTION_DISABLED"))


class IntrospectionGate(SchemaExtension):
    """Without GRAPHQL_INTROSPECTION: refuse `__schema`/`__type` and strip "Did you
    mean ...?" hints from error messages. Read per operation."""

    def on_operation(self) -> Iterator[None]:
        enabled = introspection_enabled()
        context = self.execution_context
        if not enabled:
            context.validation_rules = (*context.validation_rules, _NoIntrospectionRule)
        yield
        if enabled:
            return
        for error in getattr(context.result, "errors", None) or ():
            error.message = _SUGGESTION.sub("", error.message)


def is_unexpected(error: GraphQLError) -> bool:
    """An exception the code did not mean to raise (denials and bad queries are GraphQL
    errors of their own, or carry no original error)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | GlobalIDValueError)


class ErrorMasking(MaskErrors):
    """Unexpected exceptions reach the client as "Unexpected error." (INTERNAL_ERROR),
    without message or traceback; WaymarkSchema.process_errors has logged them already."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=MASKED_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return _with_code(super().anonymise_error(error), "INTERNAL_ERROR")

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        # A global id that names no type of this API, wherever one is resolved: the
        # client's mistake, with a code.
        for error in getattr(self.execution_context.result, "errors", None) or ():
            if isinstance(error.original_error, GlobalIDValueError):
                error.message = "Invalid id: it names no type of this API."
                _with_code(error, "INVALID_ID")


def graphql_limits() -> list:
    """The extensions of the root schema, as classes and factories (one per operation)."""
    return [
        depth_limiter,
        aliases_limiter,
        TokensLimiter,
        InputLimits,
        IntrospectionGate,
        ErrorMasking,
    ]

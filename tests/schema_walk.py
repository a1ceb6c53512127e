"""Walk the GraphQL schema by introspection to build calls of every field: the generic
isolation and permission suites use it, so they cover fields added later by themselves."""

from config.schema import schema
from tests.graphql_helpers import gid

INTROSPECTION = schema.introspect()["__schema"]
TYPES = {item["name"]: item for item in INTROSPECTION["types"]}
NODE_TYPES = {
    item["name"]
    for item in INTROSPECTION["types"]
    if any(iface["name"] == "Node" for iface in item.get("interfaces") or [])
}


def unwrap(type_ref: dict) -> dict:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref


def root_fields(root: str) -> list[dict]:
    """The fields of the root `query` or `mutation` type."""
    return TYPES[INTROSPECTION[f"{root}Type"]["name"]]["fields"]


def node_type_for(name: str, field_name: str | None = None) -> str | None:
    """The node type an argument refers to, from its name (`persona`, `milestones`, `id`
    of the field `stageMove`)."""
    if name == "id" and field_name is not None:
        matches = [
            t
            for t in NODE_TYPES
            if field_name.lower().startswith(t.lower())
            and (len(field_name) == len(t) or field_name[len(t)].isupper())
        ]
        return max(matches, key=len) if matches else None
    candidate = name[0].upper() + name[1:]
    for option in (candidate, candidate.removesuffix("s")):
        if option in NODE_TYPES:
            return option
    return None


def value_for(type_ref: dict, name: str, field_name: str, rows: dict, used: list):
    """A value for a required argument, pointing at the given rows wherever it can."""
    kind = type_ref["kind"]
    if kind == "NON_NULL":
        return value_for(type_ref["ofType"], name, field_name, rows, used)
    if kind == "LIST":
        return [value_for(type_ref["ofType"], name, field_name, rows, used)]
    type_name = type_ref["name"]
    if type_name == "ID":
        # An argument named after no type (`source` of accountMerge) is taken to be of the
        # field's own type; `node(id:)` takes any type: point it at the first row.
        node_type = (
            node_type_for(name, field_name) or node_type_for("id", field_name) or next(iter(rows))
        )
        used.append(node_type)
        return gid(rows[node_type])
    if kind == "INPUT_OBJECT":
        return {
            field["name"]: value_for(field["type"], field["name"], field_name, rows, used)
            for field in TYPES[type_name]["inputFields"]
            if field["type"]["kind"] == "NON_NULL" and field["defaultValue"] is None
        }
    if kind == "ENUM":
        return TYPES[type_name]["enumValues"][0]["name"]
    scalars = {
        "String": "x",
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "Decimal": "1",
        "Amount": "1",
        "Date": "2026-01-01",
        # The only required JSON argument is personaMatchPreview's rules: a valid rule.
        "JSON": {"match": {"field": "country", "op": "in", "value": ["x"]}},
    }
    return scalars.get(type_name, "2026-01-01T00:00:00+00:00")  # DateTime, EventTime


def type_literal(type_ref: dict) -> str:
    if type_ref["kind"] == "NON_NULL":
        return type_literal(type_ref["ofType"]) + "!"
    if type_ref["kind"] == "LIST":
        return f"[{type_literal(type_ref['ofType'])}]"
    return type_ref["name"]


def selection_for(type_ref: dict) -> str:
    target = unwrap(type_ref)
    if target["kind"] in ("SCALAR", "ENUM"):
        return ""
    if target["name"].endswith("Connection"):
        return "{ totalCount }"
    return "{ __typename }"


def operation_for(root: str, field: dict, rows: dict, *, selection: str | None = None):
    """An operation calling one root field with required arguments, its variables, and
    the node types those arguments point at."""
    used: list = []
    required = [
        arg
        for arg in field["args"]
        if arg["type"]["kind"] == "NON_NULL" and arg["defaultValue"] is None
    ]
    variables = {
        arg["name"]: value_for(arg["type"], arg["name"], field["name"], rows, used)
        for arg in required
    }
    declared = ", ".join(f"${arg['name']}: {type_literal(arg['type'])}" for arg in required)
    passed = ", ".join(f"{arg['name']}: ${arg['name']}" for arg in required)
    call = f"{field['name']}({passed})" if required else field["name"]
    header = f"{root}({declared})" if required else root
    if selection is None:
        selection = selection_for(field["type"])
    return f"{header} {{ {call} {selection} }}", variables, used

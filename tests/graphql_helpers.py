"""Small helpers to write GraphQL tests that read like the API's documentation."""

from strawberry import relay

OPERATION_INFO = "... on OperationInfo { messages { kind field message code } }"


def gid(instance) -> str:
    """The global id a client sees for a model row."""
    type_name = type(instance).__name__
    return relay.to_base64(type_name, instance.pk)


def mutation(
    name: str, result_type: str, selection: str, *, arg: str = "input", arg_type: str | None = None
) -> str:
    arg_type = arg_type or f"{name[0].upper()}{name[1:]}Input!"
    return (
        f"mutation Run($value: {arg_type}) {{ {name}({arg}: $value) {{"
        f" __typename ... on {result_type} {{ {selection} }} {OPERATION_INFO} }} }}"
    )


def run(client, name: str, result_type: str, selection: str, value, **kwargs) -> dict:
    """Run a mutation; return its payload (the object, or the OperationInfo)."""
    result = client(mutation(name, result_type, selection, **kwargs), {"value": value})
    return result.data[name]


def messages(payload: dict) -> list[tuple[str | None, str]]:
    assert payload["__typename"] == "OperationInfo", payload
    return [(message["field"], message["code"]) for message in payload["messages"]]

"""Every refusal of /graphql/ before execution is GraphQL-shaped JSON with a stable code:
CSRF, size, encoding, syntax, depth, shape, content type, batches. Never HTML, text/plain
or a 500."""

import json
import logging

import pytest
from django.test import Client

from tests.factories import MembershipFactory, UserFactory
from workspaces.models import Role


def _post(client, body, content_type="application/json", **extra):
    return client.generic("POST", "/graphql/", body, content_type=content_type, **extra)


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == code
    assert errors[0]["message"]
    return errors[0]


@pytest.fixture
def anonymous(db):
    return Client()


def test_failed_csrf_check_is_json(workspace):
    user = UserFactory(username="carol")
    MembershipFactory(workspace=workspace, user=user, role=Role.EDITOR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = _post(client, json.dumps({"query": "{ me { username } }"}))
    error = _error(response, 403, "CSRF_FAILED")
    assert "X-CSRFToken" in error["message"]


def test_failed_csrf_check_on_the_admin_keeps_the_html_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_oversized_body_is_413_with_the_limit_and_logged_once(anonymous, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    body = json.dumps({"query": "{ me { username } }", "variables": {"x": "a" * 300}})
    with caplog.at_level(logging.WARNING):
        response = _post(anonymous, body)
    error = _error(response, 413, "PAYLOAD_TOO_LARGE")
    assert error["extensions"]["limit"] == 200
    assert error["extensions"]["size"] == len(body)
    assert "200 bytes" in error["message"]
    records = [r for r in caplog.records if "too large" in r.getMessage()]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert not [r for r in caplog.records if r.exc_info]


def test_oversized_form_body_is_refused_before_the_csrf_check_reads_it(anonymous, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50
    response = _post(anonymous, "a=" + "b" * 100, "application/x-www-form-urlencoded")
    _error(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "EMPTY_BODY"),
        (b"   \n", "EMPTY_BODY"),
        (b"hello", "INVALID_JSON"),
        (b'{"query": ', "INVALID_JSON"),
        (b'"hello"', "INVALID_BODY"),
        (b"null", "INVALID_BODY"),
        (b"42", "INVALID_BODY"),
        (b'{"query": "{ me { username } }"}\xff', "INVALID_ENCODING"),
        (b'{"query": "\xc3("}', "INVALID_ENCODING"),
        (b'[{"query": "{ me { username } }"}]', "BATCH_NOT_SUPPORTED"),
        (b"{}", "MISSING_QUERY"),
        (b'{"query": 5}', "INVALID_BODY"),
        (b'{"query": "{ me { username } }", "variables": [1]}', "INVALID_BODY"),
    ],
)
def test_malformed_bodies_are_400_with_a_code(anonymous, body, code):
    _error(_post(anonymous, body), 400, code)


def test_invalid_json_says_where(anonymous):
    error = _error(_post(anonymous, b'{"query":\n  nope}'), 400, "INVALID_JSON")
    assert (error["extensions"]["line"], error["extensions"]["column"]) == (2, 3)


def test_invalid_utf8_says_which_byte(anonymous):
    error = _error(_post(anonymous, b'{"q": "\xff"}'), 400, "INVALID_ENCODING")
    assert error["extensions"]["position"] == 7


@pytest.mark.parametrize(
    "body",
    [
        '{"a":' * 3_000 + "1" + "}" * 3_000,
        "[" * 100_000 + "]" * 100_000,
        json.dumps(
            {
                "query": "mutation($p: JSON) { x }",
                "variables": {"p": json.loads('{"a":' * 900 + "1" + "}" * 900)},
            }
        ),
    ],
    ids=["3000-objects", "100000-arrays", "deep-properties"],
)
def test_deeply_nested_bodies_are_refused_with_the_limit(anonymous, body, settings):
    error = _error(_post(anonymous, body), 400, "JSON_TOO_DEEP")
    assert error["extensions"]["limit"] == settings.GRAPHQL_MAX_JSON_DEPTH == 32


def test_nesting_up_to_the_limit_is_accepted(anonymous, settings):
    settings.GRAPHQL_MAX_JSON_DEPTH = 5
    # the body (1) > variables (2) > the value of a (3) > of b (4) > the inner list (5)
    ok = {"query": "{ me { username } }", "variables": {"a": {"b": [[1]]}}}
    response = _post(anonymous, json.dumps(ok))
    assert response.status_code == 200
    assert response.json() == {"data": {"me": None}}
    too_deep = {"query": "{ me { username } }", "variables": {"a": {"b": [[[1]]]}}}
    _error(_post(anonymous, json.dumps(too_deep)), 400, "JSON_TOO_DEEP")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415(anonymous, content_type):
    response = _post(anonymous, json.dumps({"query": "{ me { username } }"}), content_type)
    error = _error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert "application/json" in error["message"]


def test_get_with_malformed_variables_is_json(anonymous):
    response = anonymous.get("/graphql/", {"query": "{ me { username } }", "variables": "{x"})
    _error(response, 400, "INVALID_JSON")


def test_other_methods_are_405_json(anonymous):
    _error(
        anonymous.put("/graphql/", "{}", content_type="application/json"), 405, "METHOD_NOT_ALLOWED"
    )

"""Front ends on other origins: CORS for listed origins only, and CSRF-checked sessions."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import MembershipFactory, UserFactory
from tests.test_limits import _settings_in_production
from workspaces.models import Role

APP = "https://app.example.com"
EVIL = "https://evil.example.net"


@pytest.fixture(autouse=True)
def _origins(settings):
    cache.clear()
    settings.CORS_ALLOWED_ORIGINS = [APP]
    settings.CSRF_TRUSTED_ORIGINS = [APP]
    yield
    cache.clear()


def preflight(origin: str, path: str = "/graphql/"):
    return Client().options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-csrftoken, x-workspace",
        },
    )


def test_preflight_from_a_listed_origin_allows_credentials():
    response = preflight(APP)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-csrftoken", "x-workspace", "authorization"} <= allowed
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_preflight_from_another_origin_gets_no_cors_headers():
    response = preflight(EVIL)
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


def test_cors_covers_the_api_only():
    assert "Access-Control-Allow-Origin" not in preflight(APP, "/healthz")


def test_no_origin_is_allowed_by_default(settings):
    settings.CORS_ALLOWED_ORIGINS = []
    assert "Access-Control-Allow-Origin" not in preflight(APP)


@pytest.mark.django_db
def test_cross_origin_session_post_with_csrf_from_a_trusted_origin(workspace):
    user = UserFactory(username="ann")
    MembershipFactory(workspace=workspace, user=user, role=Role.VIEWER)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/graphql/", {"query": "{ __typename }"}).status_code == 200
    token = browser.cookies["csrftoken"].value

    def post(origin: str, csrf: bool = True):
        headers = {"Origin": origin, "X-Workspace": "acme"}
        if csrf:
            headers["X-CSRFToken"] = token
        return browser.post(
            "/graphql/",
            json.dumps({"query": "{ me { username } }"}),
            content_type="application/json",
            headers=headers,
        )

    response = post(APP)
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"username": "ann"}}}
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    # The CSRF token is still required, and other origins fail CSRF's origin check.
    assert post(APP, csrf=False).status_code == 403
    refused = post(EVIL)
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused


def test_cors_origins_are_trusted_for_csrf_too():
    values = _settings_in_production(
        CORS_ALLOWED_ORIGINS=f"{APP}, https://admin.example.com",
        CSRF_TRUSTED_ORIGINS=f"https://ops.example.com,{APP}",
    )
    assert values["CORS_ALLOWED_ORIGINS"] == [APP, "https://admin.example.com"]
    assert values["CSRF_TRUSTED_ORIGINS"] == [
        "https://ops.example.com",
        APP,
        "https://admin.example.com",
    ]
    assert _settings_in_production()["CORS_ALLOWED_ORIGINS"] == []

"""Credentials in query strings never reach a log line: Django's, ours or gunicorn's."""

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest

from workspaces.observability import RedactFilter, redact

TOKEN = "wmk_0123456789abcdef_Sup3rS3cretValue-xyz"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/graphql/?access_token=abc&query=x", "/graphql/?access_token=[REDACTED]&query=x"),
        ("/graphql/?query=x&Token=abc", "/graphql/?query=x&Token=[REDACTED]"),
        ("/graphql/?api_key=1;password=2", "/graphql/?api_key=[REDACTED];password=[REDACTED]"),
        ("GET /x?authorization=Bearer%20abc HTTP/1.1", "GET /x?authorization=[REDACTED] HTTP/1.1"),
        (f"/graphql/?q={TOKEN}", "/graphql/?q=wmk_0123456789abcdef_[REDACTED]"),
        ("/graphql/?query=%7Bme%7D&monkey=1", "/graphql/?query=%7Bme%7D&monkey=1"),
    ],
)
def test_redact(given, expected):
    assert redact(given) == expected


def test_log_records_are_redacted():
    record = logging.LogRecord(
        "django.server",
        logging.WARNING,
        __file__,
        1,
        '"%s" %s',
        ("GET /?token=abc HTTP/1.1", 401),
        None,
    )
    assert RedactFilter().filter(record)
    assert record.getMessage() == '"GET /?token=[REDACTED] HTTP/1.1" 401'


def test_gunicorn_access_lines_are_redacted():
    from gunicorn.config import Config
    from gunicorn.glogging import SafeAtoms

    from config import gunicorn as settings_module

    config = Config()
    config.set("accesslog", "-")
    logger = settings_module.RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/graphql/?access_token={TOKEN}&query=x",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": f"access_token={TOKEN}&query=x",
        "PATH_INFO": "/graphql/",
        "HTTP_REFERER": "https://app.example.com/?token=abc",
    }
    response = SimpleNamespace(
        status="401 Unauthorized", headers=[("X-Request-Id", "r-1")], sent=10
    )
    request = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {TOKEN}")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    line = settings_module.access_log_format % SafeAtoms(atoms)
    assert "Sup3rS3cret" not in line
    assert "abc" not in line
    assert "request_id=r-1" in line
    assert atoms["r"] == "GET /graphql/?access_token=[REDACTED]&query=x HTTP/1.1"
    assert atoms["{authorization}i"] == "[REDACTED]"

import pytest


@pytest.mark.django_db
def test_healthz_reports_database_broker_worker_and_queue(client):
    from monitoring.tasks import heartbeat

    heartbeat()  # what a live worker does every minute
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "worker": "ok",
        "workerLastSeenSeconds": 0,
        "queuedTasks": 0,
        "oldestQueuedTaskSeconds": None,
    }


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["status"] == "unavailable"


def test_healthz_accepts_get_only(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize(("enabled", "status"), [(True, 200), (False, 400)])
def test_graphiql_follows_its_setting(client, settings, enabled, status):
    settings.GRAPHQL_GRAPHIQL = enabled
    response = client.get("/graphql/", headers={"Accept": "text/html"})
    assert response.status_code == status
    assert (b"graphiql" in response.content.lower()) is enabled

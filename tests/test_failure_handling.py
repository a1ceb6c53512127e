"""What a run does when the database fails under it: lost races are run again inside the
service or task, a database that went away is waited for, and a failed report says what
failed without SQL."""

import pytest
from django.db import DataError, IntegrityError, OperationalError

from analytics.models import Report
from analytics.runner import report_run
from tests.test_reports import RESULT, catalogue, fake_engine, make_report  # noqa: F401
from workspaces.transactions import atomic_with_retry, lost_race

Status = Report.Status


class SqlState(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def database_error(kind, sqlstate, message="boom"):
    error = kind(message)
    error.__cause__ = SqlState(sqlstate)
    return error


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (database_error(OperationalError, "40P01"), True),  # deadlock detected
        (database_error(OperationalError, "40001"), True),  # serialization failure
        (database_error(IntegrityError, "23505"), True),  # a concurrent insert won
        (database_error(IntegrityError, "23502"), False),  # NOT NULL: the data is wrong
        (OperationalError("database is locked"), True),  # SQLite's busy timeout
        (OperationalError("disk I/O error"), False),
    ],
)
def test_only_lost_races_count_as_such(error, retried):
    assert lost_race(error) is retried


@pytest.mark.django_db
def test_a_lost_race_is_run_again_and_a_real_error_is_not(monkeypatch):
    monkeypatch.setattr("workspaces.transactions.time.sleep", lambda seconds: None)
    calls = []

    def deadlocked_once():
        calls.append(1)
        if len(calls) == 1:
            raise database_error(OperationalError, "40P01")
        return "done"

    assert atomic_with_retry(deadlocked_once) == "done"
    assert len(calls) == 2

    def always_deadlocked():
        calls.append(1)
        raise database_error(OperationalError, "40P01")

    calls.clear()
    with pytest.raises(OperationalError):
        atomic_with_retry(always_deadlocked, attempts=3)
    assert len(calls) == 3

    def wrong_data():
        calls.append(1)
        raise database_error(IntegrityError, "23502")

    calls.clear()
    with pytest.raises(IntegrityError):
        atomic_with_retry(wrong_data)
    assert len(calls) == 1


@pytest.mark.django_db
def test_a_report_failing_in_the_database_says_so_without_sql(workspace, catalogue, fake_engine):  # noqa: F811
    fake_engine.error = DataError('value "9999-12-31" out of range\nLINE 1: SELECT "x" FROM')
    report = report_run(make_report(workspace).pk)
    assert report.status == Status.FAILED
    assert report.error == "DataError: the database refused a query of this report."


@pytest.mark.django_db(transaction=True)
def test_a_report_waits_out_a_database_that_went_away(workspace, catalogue, fake_engine):  # noqa: F811
    report = make_report(workspace)
    failures = [OperationalError("terminating connection due to administrator command")]

    def during(context):
        if failures:
            raise failures.pop()

    fake_engine.during = during
    done = report_run(report.pk)
    assert (done.status, done.attempts, done.result) == (Status.SUCCEEDED, 1, RESULT)
    assert len(fake_engine.calls) == 2  # computed again, in the same run

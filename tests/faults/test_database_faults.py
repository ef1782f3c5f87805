"""A database that is gone or too busy: a clear 503 page, nothing written, recovery on its own."""

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import IntegrityError, OperationalError, close_old_connections, connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from ctpat.middleware import DatabaseUnavailableMiddleware
from events.models import OutboundEmail, Registration

ROOT = Path(__file__).resolve().parents[2]


def _form(seminar, company, **overrides) -> dict:
    return {
        "account_number": company.account_number,
        "first_name": "María",
        "last_name": "González",
        "email": "maria.gonzalez@partner.example",
        "job_title": "Supply chain security manager",
        "phone": "+52 664 555 0100",
        "workshop_day": str(seminar.days.order_by("date", "id").first().pk),
    } | overrides


def _url(seminar) -> str:
    return reverse("events:registration_create", args=[seminar.slug])


def _sqlite_busy(tmp_path) -> OperationalError:
    """A real "database is locked" from SQLite, as Django's cursor wrapper raises it."""
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        waiter.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        error = OperationalError(*exc.args)
        error.__cause__ = exc
        return error
    finally:
        waiter.close()
        holder.close()
    raise AssertionError("SQLite did not report the database as locked")


def _fault_response(exception):
    request = RequestFactory().post("/seminars/san-diego/register/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    return middleware.process_exception(request, exception)


# --- The page --------------------------------------------------------------------------------


def test_fault_page_busy_sqlite_is_503_with_short_retry_after(tmp_path):
    response = _fault_response(_sqlite_busy(tmp_path))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert 'data-database-fault="busy"' in html
    assert "We are very busy right now" in html
    assert "You can try again in 5 seconds." in html
    # The site's own look: its header, stylesheet and way back.
    assert "CTPAT Training Seminars" in html
    assert "css/site.css" in html
    assert 'href="/"' in html


def test_fault_page_unavailable_is_503_with_longer_retry_after():
    error = OperationalError("connection failed: Connection refused")
    error.__cause__ = psycopg.OperationalError("connection failed: Connection refused")

    response = _fault_response(error)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert 'data-database-fault="unavailable"' in html
    assert "The site is briefly unavailable" in html
    assert "You can try again in 30 seconds." in html


def test_fault_page_in_the_active_language(tmp_path):
    with translation.override("es"):
        response = _fault_response(_sqlite_busy(tmp_path))

    assert '<html lang="es">' in response.content.decode()


@pytest.mark.parametrize(
    "exception",
    [ValueError("not a database fault"), IntegrityError("duplicate key")],
    ids=["value-error", "integrity-error"],
)
def test_fault_page_not_for_other_errors(exception):
    assert _fault_response(exception) is None


# --- Timeouts in the settings ----------------------------------------------------------------


def _options_for(*argv: str) -> str:
    """The PostgreSQL connection options the settings give a process started as ``argv``."""
    code = (
        f"import sys; sys.argv = {list(argv)!r}; from ctpat import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['options'])"
    )
    env = os.environ | {
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing",
        "SECRET_KEY": "x",
    }
    for name in ("DB_LOCK_TIMEOUT_MS", "DB_STATEMENT_TIMEOUT_MS"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_timeouts_default_for_app_servers():
    assert _options_for("gunicorn", "ctpat.wsgi:application") == (
        "-c lock_timeout=5000 -c statement_timeout=15000 "
        "-c idle_in_transaction_session_timeout=60000"
    )


def test_timeouts_off_for_migrate():
    assert _options_for("manage.py", "migrate", "--noinput") == (
        "-c lock_timeout=0 -c statement_timeout=0 -c idle_in_transaction_session_timeout=60000"
    )


@pytest.mark.postgres
def test_timeouts_reach_postgresql_sessions(db, settings):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('lock_timeout', 'statement_timeout', 'idle_in_transaction_session_timeout')"
        )
        assert dict(cursor.fetchall()) == {
            "lock_timeout": str(settings.DB_LOCK_TIMEOUT_MS),
            "statement_timeout": str(settings.DB_STATEMENT_TIMEOUT_MS),
            "idle_in_transaction_session_timeout": str(settings.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS),
        }


# --- Through the real request path on PostgreSQL ---------------------------------------------


@pytest.fixture
def other_session(transactional_db):
    """A second PostgreSQL session, as another worker or a stuck job would hold one."""
    session = psycopg.connect(**connection.get_connection_params())
    yield session
    session.close()
    # Whatever the test did to this thread's connection (settings, a killed backend) ends here.
    connection.close()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "timeouts",
    ["SET lock_timeout = '200ms'", "SET lock_timeout = 0; SET statement_timeout = '300ms'"],
    ids=["lock-timeout", "statement-timeout"],
)
def test_registration_waiting_on_a_held_lock_is_503_busy_and_writes_nothing(
    client, seminar, company, seat_ledger, other_session, timeouts
):
    empty = seat_ledger(seminar)
    with connection.cursor() as cursor:
        cursor.execute(timeouts)
    other_session.execute("SELECT id FROM events_seminar WHERE id = %s FOR UPDATE", [seminar.pk])

    response = client.post(_url(seminar), _form(seminar, company))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert 'data-database-fault="busy"' in response.content.decode()
    assert Registration.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert seat_ledger(seminar) == empty

    other_session.rollback()
    response = client.post(_url(seminar), _form(seminar, company))

    assert response.status_code == 302
    assert list(Registration.objects.values_list("email", "status")) == [
        ("maria.gonzalez@partner.example", "confirmed")
    ]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["rows"]["seminar"] == 1


def _terminate_backend(other_session) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    other_session.execute("SELECT pg_terminate_backend(%s)", [pid])
    other_session.commit()


@pytest.mark.postgres
def test_registration_on_a_lost_connection_is_503_then_the_next_request_reconnects(
    client, seminar, company, seat_ledger, other_session, caplog
):
    form = _form(seminar, company)
    _terminate_backend(other_session)

    with caplog.at_level(logging.WARNING, logger="ctpat.middleware"):
        response = client.post(_url(seminar), form)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert 'data-database-fault="unavailable"' in response.content.decode()
    assert [record.getMessage() for record in caplog.records] == [
        "Database unavailable: POST events:registration_create (AdminShutdown, SQLSTATE 57P01)"
    ]
    # At the request's end Django drops the broken connection (the test client skips that step).
    close_old_connections()
    assert connection.connection is None

    response = client.post(_url(seminar), form)

    assert response.status_code == 302
    assert Registration.objects.count() == 1
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]


@pytest.mark.postgres
def test_admin_on_a_lost_connection_is_503(staff_client, other_session):
    client = staff_client("view_registration")
    _terminate_backend(other_session)

    response = client.get(reverse("admin:events_registration_changelist"))

    assert response.status_code == 503
    assert 'data-database-fault="unavailable"' in response.content.decode()

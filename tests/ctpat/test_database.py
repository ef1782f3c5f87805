"""PostgreSQL as the site uses it: Django's own backend, health-checked before a kept connection
is reused (so the site recovers by itself when the server ends a session), and a schema of
tables and constraints only: every rule lives in Python, the same on SQLite."""

import select

import psycopg
import pytest
from django.db import connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_database_is_djangos_postgresql_backend_with_health_checks(settings):
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_HEALTH_CHECKS"] is True


def test_database_schema_holds_no_sql_function():
    """After every migration (0012 created a seat function; 0013 dropped it)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public'"
        )
        assert cursor.fetchall() == []


@pytest.fixture
def own_connection():
    """A connection of its own (the test's may sit in a transaction the test case rolls back)."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


@pytest.fixture
def admin():
    wrapper = connections.create_connection("default")
    params = wrapper.get_connection_params()
    params.pop("context", None)
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as connection:
        yield connection


def test_health_check_of_an_ended_session_fails_and_the_next_request_reconnects(
    own_connection, admin
):
    pid = own_connection.connection.info.backend_pid
    admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    poller = select.poll()
    poller.register(own_connection.connection.pgconn.socket, select.POLLIN)
    assert poller.poll(5000), "the server did not close the session"

    assert not own_connection.is_usable()
    # What Django does at the start of a request with CONN_HEALTH_CHECKS on.
    own_connection.health_check_done = False
    own_connection.close_if_health_check_failed()
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid

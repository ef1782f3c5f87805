"""The PostgreSQL health check: no round trip while it passes, the server's word when not."""

import select
import uuid

import psycopg
import pytest
from django.db import connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


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


def _last_query(admin, wrapper) -> str:
    pid = wrapper.connection.info.backend_pid
    [(query,)] = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
    return query


def test_health_check_of_a_quiet_connection_sends_nothing(own_connection, admin):
    marker = f"SELECT 'marker {uuid.uuid4()}'"
    with own_connection.cursor() as cursor:
        cursor.execute(marker)
    assert own_connection.is_usable()
    assert own_connection.is_usable()
    # Django's own check would have been the backend's last query ("SELECT 1").
    assert _last_query(admin, own_connection) == marker


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

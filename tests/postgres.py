"""pytest plugin: ``--postgres`` runs the suite on a real PostgreSQL server.

The server is ``TEST_DATABASE_URL`` when set, otherwise a throwaway one started here and stopped at
the end. It must be chosen before pytest-django reads the settings, hence the early hook.
Without ``--postgres`` the suite runs on SQLite and tests marked ``postgres`` are skipped; with it,
tests marked ``browser`` are skipped (they run once, in the SQLite pass).
"""

import os

import pytest

from tests.pgserver import PostgresServer

_server: PostgresServer | None = None


def pytest_addoption(parser):
    parser.addoption(
        "--postgres",
        action="store_true",
        help="run on PostgreSQL: TEST_DATABASE_URL, or a throwaway server started for the run",
    )


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _server
    os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
    if "--postgres" in args:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            _server = PostgresServer().start()
            url = _server.url
        os.environ["DATABASE_URL"] = url
    return (yield)


def pytest_unconfigure(config):
    if _server is not None:
        _server.stop()


def pytest_collection_modifyitems(config, items):
    if config.getoption("--postgres"):
        # The browser tests check pages, not the database: the SQLite pass runs them once.
        skip = pytest.mark.skip(reason="browser tests run in the SQLite pass only")
        marker = "browser"
    else:
        skip = pytest.mark.skip(reason="needs PostgreSQL: run with --postgres")
        marker = "postgres"
    for item in items:
        if marker in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine} {database.get('HOST') or database['NAME']}"

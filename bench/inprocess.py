"""What the in-process benchmarks share: the project's virtualenv, and a throwaway PostgreSQL
that the project's settings point at, migrated and seeded."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
# Production settings for a test client in this process: DEBUG off, rate limits off (one
# client sends every request).
ENVIRON = {
    "DJANGO_SETTINGS_MODULE": "ctpat.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-in-process-not-a-secret",
    "ALLOWED_HOSTS": "testserver,127.0.0.1",
    "RATELIMIT_ENABLED": "0",
}


def reexec_in_venv() -> None:
    """``python bench/x.py`` with any Python: run under the project's virtualenv, with the
    project (not ``bench/``) first on the import path."""
    if sys.prefix == sys.base_prefix and VENV_PYTHON.exists():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def seeded_database(
    *, durable: bool, environ: dict[str, str], commands: list[list[str]]
) -> Iterator[str]:
    """A throwaway PostgreSQL with a database ``ctpat``; ``ENVIRON``, ``environ`` and
    ``DATABASE_URL`` go into this process's environment for Django, then each of ``commands``
    runs through ``manage.py``. Yields the database's URL; the server is removed afterwards."""
    import psycopg

    from tests.pgserver import PostgresServer

    server = PostgresServer(durable=durable).start()
    try:
        with psycopg.connect(server.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE ctpat")
        os.environ.update({**ENVIRON, **environ, "DATABASE_URL": server.url})
        for args in commands:
            subprocess.run(
                [sys.executable, "manage.py", *args], cwd=ROOT, check=True, capture_output=True
            )
        yield server.url
    finally:
        server.stop()

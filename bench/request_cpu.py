"""CPU milliseconds and SQL queries of one request, by kind, in one process.

    python bench/request_cpu.py [--repeat N] [--profile KIND]

Starts a throwaway PostgreSQL with its production defaults (fsync and synchronous_commit on),
migrates, seeds the San Diego demo (``seed_demo --companies C``) and a small second seminar that
it fills, then sends each kind of request ``N`` times (200 by default) through Django's test
client, with CSRF checks on, under production settings (DEBUG off, rate limits off), and prints
for each kind its queries, CPU and wall milliseconds, and how long it held the seminar's row:

- ``GET form``: the registration form, for a visitor without cookies (a rush's first request);
- ``POST confirmed``: a registration that gets a seat (each of a different company, every other
  one with a break-out session);
- ``POST refused: company limit``: a company that already holds its two seats;
- ``POST refused: seminar full``: a full seminar, without the wait-list box (the wait-list step);
- ``GET seminar page`` and ``GET availability.json``.

Each figure is the process's CPU time (``time.process_time``) spent in Django's handler over the
``N`` requests, divided by ``N``: what an app server spends on the request, from the WSGI
environment to the response (the test client's own work left out). Forms are posted URL-encoded,
as browsers post them. ``--profile "POST confirmed"`` also prints the SQL of one request of each
kind whose name starts with the text, and a cProfile of its ``N`` requests (wall time, so the
database's share shows too; that kind's CPU and wall figures then include the profiler's cost).
Only the HTTP contract of the product brief is used, so the script measures any version of the
code.
"""

import argparse
import contextlib
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.inprocess import reexec_in_venv, seeded_database

FULL_SLUG = "bench-full"


def main() -> int:
    reexec_in_venv()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="requests of each kind (200)")
    parser.add_argument(
        "--profile",
        metavar="KIND",
        help="also profile the requests whose kind starts with KIND (cProfile, top functions)",
    )
    options = parser.parse_args()
    environ = {
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "OUTBOX_DELIVER_ON_COMMIT": "0",
    }
    companies = str(2 * options.repeat + 10)
    commands = [
        ["migrate", "--noinput", "-v", "0"],
        ["seed_demo", "--companies", companies],
        ["seed_demo", "--slug", FULL_SLUG, "--seats", "2", "--companies", companies],
    ]
    with seeded_database(durable=True, environ=environ, commands=commands):
        measure(repeat=options.repeat, profile=options.profile)
    return 0


def measure(*, repeat: int, profile: str | None = None) -> None:
    import cProfile
    import pstats

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.test.client import ClientHandler
    from django.test.utils import CaptureQueriesContext

    # Static files through the plain storage: no collectstatic needed for rendering.
    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    # No setup_test_environment(): its instrumented template rendering is not a server's cost.
    from events.models import Seminar

    seminar = Seminar.objects.get(slug="san-diego")
    days = list(seminar.days.order_by("date"))
    sessions = [list(day.sessions.order_by("starts_at", "id")) for day in days]
    full = Seminar.objects.get(slug=FULL_SLUG)
    full_day = full.days.order_by("date").first()
    form = f"/seminars/{seminar.slug}/register/"
    full_form = f"/seminars/{full.slug}/register/"

    def person(n: int, company: int, *, day, session=None) -> dict:
        data = {
            "account_number": f"DEMO{company:05d}",
            "first_name": "Ana",
            "last_name": "Garcia",
            "email": f"person{n}@demo.example",
            "job_title": "Security manager",
            "phone": "+1 619 555 0100",
            "workshop_day": str(day.pk),
        }
        if session is not None:
            data["sessions"] = [str(session.pk)]
        return data

    spent = {"cpu": 0.0, "wall": 0.0}

    class Timed:
        """The client's handler, timed: the server's side of the request only."""

        def __init__(self, handler):
            self.handler = handler

        def __call__(self, environ):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return self.handler(environ)
            finally:
                spent["cpu"] += time.process_time() - cpu
                spent["wall"] += time.perf_counter() - wall

    # One handler for every client, as one app server serves every visitor: a client's own
    # would set up the middleware again on its first request.
    handler = Timed(ClientHandler(enforce_csrf_checks=True))

    def new_client(**kwargs) -> Client:
        client = Client(**kwargs)
        client.handler = handler
        return client

    def send(client: Client, method: str, path: str, data: dict | None):
        if data is None:
            return client.get(path)
        return client.post(
            path, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded"
        )

    def token_client(path: str) -> tuple[Client, str]:
        client = new_client()
        page = client.get(path).content.decode()
        return client, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    # Fill the small seminar (one person on each of its days), and give DEMO00001 its two seats.
    setup = [
        (full_form, 1, full_day),
        (full_form, 2, full.days.order_by("date").last()),
        (form, 1, days[0]),
        (form, 1, days[1]),
    ]
    for n, (path, company, day) in enumerate(setup):
        client, token = token_client(path)
        data = {**person(90000 + n, company, day=day), "csrfmiddlewaretoken": token}
        response = send(client, "post", path, data)
        if response.status_code != 302:
            raise SystemExit(f"setting up: status {response.status_code}")

    def posts(path: str, data_for) -> list:
        prepared = []
        for n in range(repeat):
            client, token = token_client(path)
            prepared.append((client, {**data_for(n), "csrfmiddlewaretoken": token}))
        return prepared

    kinds = [
        ("GET form", lambda: [(new_client(), None) for _ in range(repeat)], "get", form, 200),
        (
            "POST confirmed",
            lambda: posts(
                form,
                lambda n: person(
                    n,
                    10 + n,
                    day=days[n % 2],
                    session=sessions[n % 2][n % 6] if n % 2 else None,
                ),
            ),
            "post",
            form,
            302,
        ),
        (
            "POST refused: company limit",
            lambda: posts(form, lambda n: person(10000 + n, 1, day=days[0])),
            "post",
            form,
            422,
        ),
        (
            "POST refused: seminar full",
            lambda: posts(full_form, lambda n: person(20000 + n, 20 + n, day=full_day)),
            "post",
            full_form,
            422,
        ),
        (
            "GET seminar page",
            lambda: [(new_client(), None) for _ in range(repeat)],
            "get",
            f"/seminars/{seminar.slug}/",
            200,
        ),
        (
            "GET availability.json",
            lambda: [(new_client(), None) for _ in range(repeat)],
            "get",
            f"/seminars/{seminar.slug}/availability.json",
            200,
        ),
    ]
    # How long each transaction holds the seminar's row: from the statement that locks it to the
    # end of its COMMIT (on_commit runs right after it).
    held: list[float] = []

    def seminar_lock_timer(execute, sql, params, many, context):
        if sql.startswith('SELECT "events_seminar"') and "FOR NO KEY UPDATE" in sql:
            started = time.perf_counter()
            transaction.on_commit(lambda: held.append(time.perf_counter() - started))
        return execute(sql, params, many, context)

    print(f"{'request':<32}{'status':>7}{'queries':>9}{'CPU ms':>9}{'wall ms':>9}{'lock ms':>9}")
    for name, prepare, method, path, expected in kinds:
        prepared = prepare()
        # The first request of each kind warms what a running server has warm already.
        client, data = prepared.pop(0)
        with CaptureQueriesContext(connection) as captured:
            response = send(client, method, path, data)
        if response.status_code != expected:
            raise SystemExit(f"{name}: status {response.status_code}, expected {expected}")
        statements = [query["sql"] for query in captured.captured_queries]
        queries = len(statements)
        spent.update(cpu=0.0, wall=0.0)
        held.clear()
        profiler = cProfile.Profile() if profile and name.startswith(profile) else None
        with connection.execute_wrapper(seminar_lock_timer), profiler or contextlib.nullcontext():
            for client, data in prepared:
                response = send(client, method, path, data)
                if response.status_code != expected:
                    raise SystemExit(f"{name}: status {response.status_code}, expected {expected}")
        cpu = spent["cpu"] * 1000 / len(prepared)
        wall = spent["wall"] * 1000 / len(prepared)
        lock = f"{sum(held) * 1000 / len(held):.2f}" if held else "-"
        print(f"{name:<32}{response.status_code:>7}{queries:>9}{cpu:>9.2f}{wall:>9.2f}{lock:>9}")
        if profiler:
            for sql in statements:
                print(f"  {sql[:300]}")
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    sys.exit(main())

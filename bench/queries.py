"""Where a request's time goes: the SQL queries of each public request of the rush.

    python bench/queries.py [--verbose]

Starts a throwaway PostgreSQL, migrates, seeds the San Diego demo and counts, with Django's test
client and ``CaptureQueriesContext``, the queries of: the seminar page, availability.json, the
registration form, a registration that succeeds (with and without sessions), one refused by the
company limit and one refused as a duplicate e-mail, with the page cache off (what a page costs
when it is built); then the time of the GETs built and served from the page cache.
``--verbose`` prints every statement.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.inprocess import reexec_in_venv, seeded_database


def main() -> int:
    reexec_in_venv()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="print every statement")
    options = parser.parse_args()
    environ = {
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PUBLIC_PAGE_CACHE_SECONDS": "0",
    }
    commands = [["migrate", "--noinput", "-v", "0"], ["seed_demo", "--companies", "20"]]
    with seeded_database(durable=False, environ=environ, commands=commands):
        count(verbose=options.verbose)
    return 0


def count(*, verbose: bool) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    # Static files through the plain storage: no collectstatic needed for rendering.
    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    setup_test_environment()
    from events.models import Seminar

    seminar = Seminar.objects.get(slug="san-diego")
    days = list(seminar.days.order_by("date"))
    sessions = list(days[0].sessions.order_by("starts_at", "id"))
    form = f"/seminars/{seminar.slug}/register/"

    def person(n, **extra):
        return {
            "account_number": "DEMO00001",
            "first_name": "Ana",
            "last_name": "Garcia",
            "email": f"person{n}@demo.example",
            "job_title": "Security manager",
            "phone": "+1 619 555 0100",
            "workshop_day": str(days[0].pk),
            **extra,
        }

    client = Client()
    steps = [
        ("GET seminar page", "get", f"/seminars/{seminar.slug}/", None),
        ("GET availability.json", "get", f"/seminars/{seminar.slug}/availability.json", None),
        ("GET registration form", "get", form, None),
        ("POST registration, no sessions", "post", form, person(1)),
        (
            "POST registration, 2 sessions",
            "post",
            form,
            person(2, sessions=[str(sessions[0].pk), str(sessions[2].pk)]),
        ),
        ("POST refused: company limit", "post", form, person(3)),
        ("POST refused: duplicate e-mail", "post", form, person(1, account_number="DEMO00002")),
        ("GET registration form (after)", "get", form, None),
    ]
    print(f"{'request':<36}{'status':>7}{'queries':>9}{'ms':>8}{'SQL ms':>8}")
    for name, method, path, data in steps:
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path, data) if data else client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        sql = sum(float(query["time"]) for query in captured.captured_queries) * 1000
        print(
            f"{name:<36}{response.status_code:>7}{len(captured.captured_queries):>9}"
            f"{elapsed:>8.1f}{sql:>8.1f}"
        )
        if verbose:
            for query in captured.captured_queries:
                print(f"    {query['sql'][:160]}")
    # The GETs again, warm, without capturing: the time of one request in one process, built
    # every time and then served from the page cache.
    print(f"\n{'warm GET, mean of 20':<36}{'built':>8}{'cached':>8}")
    for name, _method, path, _data in [step for step in steps if step[1] == "get"][:3]:
        times = []
        for ttl in (0, 1):
            settings.PUBLIC_PAGE_CACHE_SECONDS = ttl
            client.get(path)
            started = time.perf_counter()
            for _ in range(20):
                client.get(path)
            times.append((time.perf_counter() - started) * 50)
        print(f"{name:<36}{times[0]:>8.1f}{times[1]:>8.1f}")


if __name__ == "__main__":
    sys.exit(main())

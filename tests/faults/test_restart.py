"""PostgreSQL restarted in the middle of a rush, against a real app server (issue 6, R10).

The test runs its own throwaway PostgreSQL (it restarts it, so not the suite's) and serves the
app from it with gunicorn, as in production: several worker threads, connections kept between
requests (CONN_MAX_AGE) and checked before reuse (CONN_HEALTH_CHECKS). Clients register from
threads while the database restarts; every answer must be a page, never a 500, and afterwards the
same app server, not restarted, registers people again and the database holds every rule.
"""

import http.client
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest

from tests.pgserver import PostgresServer, _free_port

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
# Enough seats that the rush (at most two people of each of its companies) never fills them.
SEATS = 1000
PER_COMPANY = 2
COMPANIES = 400
CLIENTS = 8
# Companies kept out of the rush for the registrations after it, which must all succeed.
SPARE = 2 * CLIENTS
ALLOWED = {200, 302, 422, 503}
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def database():
    server = PostgresServer().start()
    try:
        with psycopg.connect(server.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE ctpat")
        yield server
    finally:
        server.stop()


def _manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


@pytest.fixture
def app(database, tmp_path):
    """gunicorn serving the app from ``database``: (port, server), stopped at the end."""
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": database.url,
        "SECRET_KEY": "tests-only-not-a-secret",
        # DEBUG only spares a collectstatic run (templates name static files); errors still 500.
        "DEBUG": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "60",
        "OUTBOX_DELIVER_ON_COMMIT": "0",
        "RATELIMIT_ENABLED": "0",
        "LOG_LEVEL": "WARNING",
    }
    _manage(env, "migrate", "--noinput")
    _manage(
        env,
        "seed_demo",
        f"--seats={SEATS}",
        f"--per-company={PER_COMPANY}",
        f"--companies={COMPANIES}",
    )
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ctpat.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--worker-class=gthread",
            "--threads=4",
            "--timeout=60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_serving(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_serving(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _request(port, method, path, *, body=b"", headers=None) -> tuple[int, list[str], str]:
    """The status, the Set-Cookie headers and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        cookies = response.msg.get_all("Set-Cookie") or []
        return response.status, cookies, response.read().decode()
    finally:
        conn.close()


class Rush:
    """Clients registering one person after another; every answer's status is kept."""

    def __init__(self, port: int, program: list[tuple[int, int]]):
        self.port = port
        self.program = program
        self.statuses: list[int] = []
        self.numbers = iter(range(1, 1_000_000))
        self.lock = threading.Lock()

    def register(self, company: int | None = None) -> int:
        """One person: GET the form for its CSRF cookie, then POST; the POST's status (or GET's)."""
        with self.lock:
            number = next(self.numbers)
        company = company or number % (COMPANIES - SPARE) + 1
        path = "/seminars/san-diego/register/"
        status, cookies, body = _request(self.port, "GET", path)
        self.statuses.append(status)
        if status != 200:
            return status
        cookie = SimpleCookie("; ".join(cookies))["csrftoken"].value
        day, session = self.program[number % len(self.program)]
        fields = {
            "csrfmiddlewaretoken": _CSRF_INPUT.search(body).group(1),
            "account_number": f"DEMO{company:05d}",
            "first_name": "Ana",
            "last_name": f"Rush {number}",
            "email": f"person{number}@rush.example",
            "job_title": "Security manager",
            "phone": "+1 619 555 0100",
            "workshop_day": day,
            "sessions": session,
        }
        status, _, _ = _request(
            self.port,
            "POST",
            path,
            body=urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie}",
            },
        )
        self.statuses.append(status)
        return status

    def run(self, stop: threading.Event) -> None:
        def client():
            while not stop.is_set():
                self.register()

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        self.threads = threads

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)
        assert [thread for thread in self.threads if thread.is_alive()] == []


def _program(url: str) -> list[tuple[int, int]]:
    """(day id, session id) for every session: the rush spreads over all of them."""
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT day_id, id FROM events_breakoutsession ORDER BY id").fetchall()


def _violations(url: str) -> dict[str, list]:
    """Every rule and counter checked by counting rows; each list must be empty."""
    checks = {
        "seminar": """
            SELECT s.id, s.confirmed_count, COUNT(r.id) FROM events_seminar s
            LEFT JOIN events_registration r ON r.seminar_id = s.id AND r.status = 'confirmed'
            GROUP BY s.id HAVING s.confirmed_count <> COUNT(r.id) OR COUNT(r.id) > s.capacity""",
        "day": """
            SELECT d.id, d.confirmed_count, COUNT(r.id) FROM events_workshopday d
            LEFT JOIN events_registration r ON r.workshop_day_id = d.id AND r.status = 'confirmed'
            GROUP BY d.id HAVING d.confirmed_count <> COUNT(r.id) OR COUNT(r.id) > d.capacity""",
        "session": """
            SELECT s.id, s.confirmed_count, COUNT(r.id) FROM events_breakoutsession s
            LEFT JOIN events_registrationsession p ON p.session_id = s.id
            LEFT JOIN events_registration r ON r.id = p.registration_id AND r.status = 'confirmed'
            GROUP BY s.id HAVING s.confirmed_count <> COUNT(r.id) OR COUNT(r.id) > s.capacity""",
        "company": """
            SELECT a.company_id, a.confirmed_count, COUNT(r.id)
            FROM events_companyallocation a JOIN events_seminar s ON s.id = a.seminar_id
            LEFT JOIN events_registration r ON r.seminar_id = a.seminar_id
                AND r.company_id = a.company_id AND r.status = 'confirmed'
            GROUP BY a.company_id, a.confirmed_count, s.per_company_limit
            HAVING a.confirmed_count <> COUNT(r.id) OR COUNT(r.id) > s.per_company_limit""",
        "company without allocation": """
            SELECT r.company_id FROM events_registration r
            LEFT JOIN events_companyallocation a
                ON a.seminar_id = r.seminar_id AND a.company_id = r.company_id
            WHERE r.status = 'confirmed' AND a.id IS NULL""",
        "duplicate e-mail": """
            SELECT LOWER(email) FROM events_registration
            WHERE status IN ('confirmed', 'waitlisted')
            GROUP BY seminar_id, LOWER(email) HAVING COUNT(*) > 1""",
        "half-written: picks": """
            SELECT r.id FROM events_registration r
            LEFT JOIN events_registrationsession p ON p.registration_id = r.id
            GROUP BY r.id HAVING COUNT(p.id) <> 1""",
        "half-written: e-mail": """
            SELECT r.id FROM events_registration r
            LEFT JOIN events_outboundemail e ON e.registration_id = r.id
            GROUP BY r.id HAVING COUNT(e.id) = 0""",
    }
    with psycopg.connect(url) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in checks.items()}


def test_restart_mid_rush_answers_503_then_recovers_without_app_restart(database, app):
    rush = Rush(app, _program(database.url))
    stop = threading.Event()
    rush.run(stop)
    time.sleep(1.5)
    before_restart = len(rush.statuses)
    database.restart(mode="fast")
    time.sleep(1.5)
    stop.set()
    rush.join()

    assert set(rush.statuses) <= ALLOWED, Counter(rush.statuses)
    assert before_restart > 0
    assert 503 in rush.statuses
    # The same app server, never restarted, registers people again on every worker thread.
    after = [rush.register(company) for company in range(COMPANIES - SPARE + 1, COMPANIES + 1)]
    assert after == [302] * SPARE
    violations = _violations(database.url)
    assert violations == {name: [] for name in violations}

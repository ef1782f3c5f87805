"""Shared machinery of the PostgreSQL race tests: threads released together, rows judged after.

Each task is ``(prepare, act)``: ``prepare`` runs in the thread before the start signal (its own
rows, its own connection, like a request), ``act`` right after it and returns a label for the
outcome; a refusal of the rules is labelled with its type. Anything else (a deadlock, an
integrity error reaching the caller) fails the race.
"""

import threading
from collections.abc import Callable

from django.db import connection

from ctpat.exceptions import DomainError
from events.enums import ACTIVE_STATUSES
from events.models import BreakoutSession, Registration, Seminar

Task = tuple[Callable[[], object], Callable[[object], str]]


def race(tasks: list[Task]) -> list[object]:
    """Run every task in its own thread, all released at once; the outcomes in task order."""
    barrier = threading.Barrier(len(tasks))
    outcomes: list[object] = [None] * len(tasks)

    def run(index: int, prepare, act) -> None:
        try:
            prepared = prepare()
            barrier.wait(timeout=60)
            try:
                outcomes[index] = act(prepared)
            except DomainError as refusal:
                outcomes[index] = type(refusal).__name__
        except BaseException as error:  # reported below, in the test's own thread
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *task)) for i, task in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [thread for thread in threads if thread.is_alive()] == []
    errors = [repr(o) for o in outcomes if isinstance(o, BaseException)]
    assert errors == [], errors
    return outcomes


def person(company, email: str, *, day, sessions=(), waitlist=False, now=None) -> dict:
    """The fields ``registration_create`` takes for one colleague of ``company``."""
    fields = {
        "account_number": company.account_number,
        "first_name": "Lucía",
        "last_name": "Hernández",
        "email": email,
        "job_title": "Compliance manager",
        "phone": "+52 664 555 0199",
        "workshop_day_id": day.pk,
        "session_ids": [session.pk for session in sessions],
        "waitlist": waitlist,
    }
    if now is not None:
        fields["now"] = now
    return fields


def colleague(email: str, *, last_name: str = "Ramírez") -> dict:
    """The fields ``registration_substitute`` takes for the colleague who takes a seat over."""
    return {
        "first_name": "Jorge",
        "last_name": last_name,
        "email": email,
        "job_title": "Security coordinator",
        "phone": "+52 664 555 0123",
    }


def assert_caps_hold(seminar: Seminar, seat_ledger) -> dict:
    """R2-R6 by row count: every cap holds, every counter equals its rows, one e-mail one seat."""
    seminar.refresh_from_db()
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    rows = ledger["rows"]
    assert rows["seminar"] <= seminar.capacity
    for day in seminar.days.all():
        assert rows[f"day {day.pk}"] <= day.capacity
    for session in BreakoutSession.objects.filter(day__seminar=seminar):
        assert rows[f"session {session.pk}"] <= session.capacity
    for key, confirmed in rows.items():
        if key.startswith("company "):
            assert confirmed <= seminar.per_company_limit
    active = Registration.objects.filter(seminar=seminar, status__in=ACTIVE_STATUSES)
    emails = [email.lower() for email in active.values_list("email", flat=True)]
    assert len(emails) == len(set(emails))
    return ledger

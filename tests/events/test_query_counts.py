"""The queries of every public request of the rush, fixed: a new one is a decision, not an accident.

A registration POST reads the seminar, its days and sessions (the form validates the choice and
the service checks it against the same loaded program; in production they come from the page
cache, off in tests), the seminar's questions, and the company with whether it holds its limit
already (one query); then, in one transaction, it inserts the registration, its picks and its outbox
messages and takes the seats. On PostgreSQL the seats are one call (seminar, day, sessions and
the company's allocation), sent in one query with the registration, its picks and messages;
SQLite, whose writers queue for the whole database anyway, runs each INSERT and moves each counter
with a statement of its own. E-mail goes out later, from the worker (``send_outbox --loop``).

In a test the registration's transaction is a savepoint inside the test's own transaction: two
of the counted statements (SAVEPOINT and RELEASE or ROLLBACK TO SAVEPOINT) stand for BEGIN and
COMMIT or ROLLBACK in production.
"""

import pytest
from django.db import connection
from django.urls import reverse

from events.enums import RegistrationStatus
from events.models import Registration
from tests.factories import CompanyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

# seminar, days, sessions, questions, the company with its seats against its limit
READS = 5


def seat_statements(*, sessions: bool = False) -> int:
    """The seat statements of one confirmed registration: seminar, day, sessions, company."""
    if connection.vendor == "postgresql":
        return 1
    return 4 if sessions else 3


def confirmed_writes(*, sessions: bool = False) -> int:
    """SAVEPOINT, registration INSERT, [picks INSERT,] outbox INSERT, the seats, RELEASE.

    On PostgreSQL the registration, its picks, its outbox messages and the seat call are one
    query: SAVEPOINT, that query, RELEASE here; in production, outside any transaction, the one
    query is the whole transaction (PostgreSQL runs a query of several statements as one).
    """
    if connection.vendor == "postgresql":
        return 3
    return 4 + sessions + seat_statements(sessions=sessions)


def register_url(seminar) -> str:
    return reverse("events:registration_create", args=[seminar.slug])


def person(seminar, company, number: int, **overrides) -> dict:
    return {
        "account_number": company.account_number,
        "first_name": "María",
        "last_name": "González",
        "email": f"person{number}@partner.example",
        "job_title": "Supply chain security manager",
        "phone": "+52 664 555 0100",
        "workshop_day": str(seminar.days.order_by("date", "id").first().pk),
    } | overrides


def test_query_count_registration_confirmed_without_sessions(
    client, seminar, company, django_assert_num_queries
):
    data = person(seminar, company, 1)

    with django_assert_num_queries(READS + confirmed_writes()):
        response = client.post(register_url(seminar), data)

    assert response.status_code == 302
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED


def test_query_count_registration_confirmed_with_sessions(
    client, seminar, company, django_assert_num_queries
):
    day = seminar.days.order_by("date", "id").first()
    first, _overlapping, later = day.sessions.order_by("starts_at", "id")
    data = person(seminar, company, 1, sessions=[str(first.pk), str(later.pk)])

    # One INSERT for both picks, and on SQLite one UPDATE for both sessions' seats.
    with django_assert_num_queries(READS + confirmed_writes(sessions=True)):
        response = client.post(register_url(seminar), data)

    assert response.status_code == 302
    assert Registration.objects.get().picks.count() == 2


def test_query_count_registration_waitlisted(
    client, seminar, company, register, django_assert_num_queries
):
    seminar.capacity = 1
    seminar.save()
    register(seminar, CompanyFactory())
    data = person(seminar, company, 1, waitlist="on")

    # SAVEPOINT, registration INSERT, the failed seminar UPDATE, the seminar's row locked and
    # read, the UPDATE again, the company's seats held, the registration marked wait-listed,
    # outbox INSERT, RELEASE.
    with django_assert_num_queries(READS + 9):
        response = client.post(register_url(seminar), data)

    assert response.status_code == 302
    assert Registration.objects.get(email=data["email"]).status == RegistrationStatus.WAITLISTED


def test_query_count_registration_refused_seminar_full(
    client, seminar, company, register, django_assert_num_queries
):
    seminar.capacity = 1
    seminar.save()
    register(seminar, CompanyFactory())
    data = person(seminar, company, 1)

    # Full by the form's copy, and by one read of the seminar's row: refused with nothing
    # written and no lock taken; the form is shown again with the wait-list offered.
    with django_assert_num_queries(READS + 1):
        response = client.post(register_url(seminar), data)

    assert response.status_code == 422
    assert 'id="waitlist-offer"' in response.content.decode()
    assert Registration.objects.count() == 1


def test_query_count_registration_refused_company_limit(
    client, seminar, company, register, django_assert_num_queries
):
    register(seminar, company)
    register(seminar, company)
    data = person(seminar, company, 1)

    # Told by the reads, before any write; the form is shown again with no query of its own.
    with django_assert_num_queries(READS):
        response = client.post(register_url(seminar), data)

    assert response.status_code == 422
    assert Registration.objects.count() == 2


def test_query_count_registration_refused_duplicate_email(
    client, seminar, company, register, django_assert_num_queries
):
    register(seminar, CompanyFactory(), email="person1@partner.example")
    data = person(seminar, company, 1)

    # No read first: the unique index refuses the INSERT, before any seat is touched.
    # SAVEPOINT, the refused INSERT, ROLLBACK TO and RELEASE SAVEPOINT.
    with django_assert_num_queries(READS + 4):
        response = client.post(register_url(seminar), data)

    assert response.status_code == 422
    assert Registration.objects.count() == 1


def test_query_count_registration_form(client, seminar, django_assert_num_queries):
    # seminar, days, sessions, questions (uncached: the page cache is off in tests by default)
    with django_assert_num_queries(4):
        response = client.get(register_url(seminar))

    assert response.status_code == 200


def test_query_count_seminar_page(client, seminar, django_assert_num_queries):
    with django_assert_num_queries(3):
        response = client.get(reverse("events:seminar_detail", args=[seminar.slug]))

    assert response.status_code == 200


def test_query_count_availability(client, seminar, django_assert_num_queries):
    # seminar, days, sessions, the wait-listed count
    with django_assert_num_queries(4):
        response = client.get(reverse("events:seminar_availability", args=[seminar.slug]))

    assert response.status_code == 200

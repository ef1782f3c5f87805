"""The queries of every public request of the rush, fixed: a new one is a decision, not an accident.

A registration POST reads the seminar, its days (with their count of sessions) and questions,
the chosen day (and sessions) as the form's fields check them, and the company with whether it
holds its limit already; then, in one transaction, it inserts the registration and its
picks, locks the seminar's row, takes the seats (day, sessions, the company's allocation, the
seminar) and writes its outbox messages. E-mail goes out later, from the worker
(``send_outbox --loop``). The same statements run on SQLite and PostgreSQL.

In a test the registration's transaction is a savepoint inside the test's own transaction: two
of the counted statements (SAVEPOINT and RELEASE or ROLLBACK TO SAVEPOINT) stand for BEGIN and
COMMIT or ROLLBACK in production.
"""

import pytest
from django.urls import reverse

from events.enums import RegistrationStatus
from events.models import Registration
from tests.factories import CompanyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

# seminar, days, questions, the chosen day (the form's field), the company with whether it holds
# its limit
READS = 5
# Chosen sessions add two: the form's field reads them, the service the day's program to check
# them against.
SESSION_READS = 2
# A form shown again reads the choices it offers: the days, and the sessions by day.
FORM_AGAIN = 2


def confirmed_writes(*, sessions: bool = False) -> int:
    """SAVEPOINT, the registration's INSERT, [its picks' INSERT,] the seminar's row locked, the
    day's seat, [the sessions' seats,] the company's allocation (INSERT … ON CONFLICT DO NOTHING
    and its UPDATE), the seminar's seat, the outbox INSERT, RELEASE."""
    return 9 + 2 * sessions


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

    # One INSERT for both picks, one UPDATE for both sessions' seats.
    with django_assert_num_queries(READS + SESSION_READS + confirmed_writes(sessions=True)):
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

    # SAVEPOINT, registration INSERT, the seminar's row locked and read (full), the company's
    # seats held, the registration marked wait-listed, outbox INSERT, RELEASE.
    with django_assert_num_queries(READS + 7):
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

    # Full by the seminar as read for this request: refused with nothing written and no lock
    # taken; the wait-list step needs no choices.
    with django_assert_num_queries(READS):
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

    # Told by the reads, before any write; the form is shown again.
    with django_assert_num_queries(READS + FORM_AGAIN):
        response = client.post(register_url(seminar), data)

    assert response.status_code == 422
    assert Registration.objects.count() == 2


def test_query_count_registration_refused_duplicate_email(
    client, seminar, company, register, django_assert_num_queries
):
    register(seminar, CompanyFactory(), email="person1@partner.example")
    data = person(seminar, company, 1)

    # No read first: the unique index refuses the INSERT, before any seat is touched.
    # SAVEPOINT, the refused INSERT, ROLLBACK TO and RELEASE SAVEPOINT; the form again.
    with django_assert_num_queries(READS + 4 + FORM_AGAIN):
        response = client.post(register_url(seminar), data)

    assert response.status_code == 422
    assert Registration.objects.count() == 1


def test_query_count_registration_form(client, seminar, django_assert_num_queries):
    # seminar, days, questions, then the form's choices (the cache is off in tests by default;
    # tests/events/test_caching.py has them kept)
    with django_assert_num_queries(3 + FORM_AGAIN):
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

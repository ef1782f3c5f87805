"""Staff change capacities: never below the confirmed seats; a raise fills from the wait-list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.capacity import (
    seminar_capacity_set,
    session_capacity_set,
    workshop_day_capacity_set,
)
from events.enums import RegistrationStatus
from events.exceptions import CapacityBelowConfirmed
from events.models import BreakoutSession
from tests.factories import CompanyFactory, seminar_build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


@pytest.fixture
def busy_seminar(register):
    """Capacity 10, days of 5: 3 confirmed on day 1 and in its first session, 2 of one company."""
    seminar = seminar_build(capacity=10, day_capacities=(5, 5), session_capacity=5)
    day = seminar.days.first()
    session = day.sessions.first()
    company = CompanyFactory()
    for person_company in (company, company, CompanyFactory()):
        register(seminar, person_company, day=day, sessions=[session])
    return seminar


def _set_seminar(seminar, value):
    return seminar_capacity_set(seminar=seminar, capacity=value)


def _set_limit(seminar, value):
    return seminar_capacity_set(seminar=seminar, per_company_limit=value)


def _set_day(seminar, value):
    return workshop_day_capacity_set(day=seminar.days.first(), capacity=value)


def _set_session(seminar, value):
    return session_capacity_set(session=seminar.days.first().sessions.first(), capacity=value)


SETTERS = [
    pytest.param(_set_seminar, "capacity", 3, id="seminar"),
    pytest.param(_set_day, "capacity", 3, id="day"),
    pytest.param(_set_session, "capacity", 3, id="session"),
    pytest.param(_set_limit, "per_company_limit", 2, id="per-company-limit"),
]


@pytest.mark.parametrize(("set_capacity", "field", "confirmed"), SETTERS)
def test_capacity_set_below_confirmed_refused(
    busy_seminar, seat_ledger, set_capacity, field, confirmed
):
    seminar = busy_seminar
    before = seat_ledger(seminar)
    capacities = _capacities(seminar)

    with pytest.raises(CapacityBelowConfirmed) as refusal:
        set_capacity(seminar, confirmed - 1)

    assert refusal.value.field == field
    message = str(refusal.value)
    assert f"{confirmed} confirmed" in message
    assert f"cannot be {confirmed - 1}" in message
    assert seat_ledger(seminar) == before
    assert _capacities(seminar) == capacities


@pytest.mark.parametrize(("set_capacity", "field", "confirmed"), SETTERS)
def test_capacity_set_to_confirmed_allowed(busy_seminar, set_capacity, field, confirmed):
    set_capacity(busy_seminar, confirmed)

    capacities = _capacities(busy_seminar)
    name = set_capacity.__name__.removeprefix("_set_")
    assert capacities[name] == confirmed


def _capacities(seminar) -> dict:
    seminar.refresh_from_db()
    day = seminar.days.first()
    return {
        "seminar": seminar.capacity,
        "limit": seminar.per_company_limit,
        "day": day.capacity,
        "session": day.sessions.first().capacity,
    }


def test_seminar_capacity_raise_promotes_in_order(register, seat_ledger):
    seminar = seminar_build(capacity=2)
    for _ in range(2):
        register(seminar, CompanyFactory())
    start = timezone.now()
    waiting = [
        register(seminar, CompanyFactory(), waitlist=True, now=start + timedelta(seconds=n))
        for n in range(4)
    ]

    promoted = seminar_capacity_set(seminar=seminar, capacity=5)

    assert promoted == waiting[:3]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["registrations"] == {CONFIRMED: 5, WAITLISTED: 1}


def test_seminar_capacity_raise_skips_waiting_for_full_day(register, seat_ledger):
    seminar = seminar_build(capacity=3, day_capacities=(2, 2))
    tuesday, thursday = seminar.days.all()
    register(seminar, CompanyFactory(), day=tuesday)
    register(seminar, CompanyFactory(), day=tuesday)
    register(seminar, CompanyFactory(), day=thursday)
    start = timezone.now()
    for_tuesday = register(seminar, CompanyFactory(), day=tuesday, waitlist=True, now=start)
    for_thursday = register(
        seminar, CompanyFactory(), day=thursday, waitlist=True, now=start + timedelta(seconds=1)
    )

    promoted = seminar_capacity_set(seminar=seminar, capacity=5)

    assert promoted == [for_thursday]
    for_tuesday.refresh_from_db()
    assert for_tuesday.status == WAITLISTED
    seminar.refresh_from_db()
    assert seminar.remaining == 1


def test_workshop_day_capacity_raise_promotes_that_day(register, seat_ledger):
    seminar = seminar_build(capacity=10, day_capacities=(1, 1))
    tuesday, thursday = seminar.days.all()
    register(seminar, CompanyFactory(), day=tuesday)
    register(seminar, CompanyFactory(), day=thursday)
    start = timezone.now()
    for_thursday = register(seminar, CompanyFactory(), day=thursday, waitlist=True, now=start)
    for_tuesday = [
        register(
            seminar, CompanyFactory(), day=tuesday, waitlist=True, now=start + timedelta(seconds=n)
        )
        for n in (1, 2, 3)
    ]

    promoted = workshop_day_capacity_set(day=tuesday, capacity=3)

    assert promoted == for_tuesday[:2]
    for_thursday.refresh_from_db()
    assert for_thursday.status == WAITLISTED
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["rows"][f"day {tuesday.pk}"] == 3


def test_per_company_limit_raise_promotes_colleague(register, seat_ledger):
    seminar = seminar_build(capacity=1, per_company_limit=1)
    register(seminar, CompanyFactory())
    company = CompanyFactory()
    start = timezone.now()
    first, second = (
        register(seminar, company, waitlist=True, now=start + timedelta(seconds=n)) for n in (1, 2)
    )
    assert seminar_capacity_set(seminar=seminar, capacity=3) == [first]

    promoted = seminar_capacity_set(seminar=seminar, per_company_limit=2)

    assert promoted == [second]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["rows"][f"company {company.pk}"] == 2


def test_session_capacity_raise_makes_room_for_new_picks(register, seat_ledger):
    seminar = seminar_build(session_capacity=1)
    session = seminar.days.first().sessions.first()
    register(seminar, CompanyFactory(), sessions=[session])

    assert session_capacity_set(session=session, capacity=2) is None

    assert register(seminar, CompanyFactory(), sessions=[session]).status == CONFIRMED
    assert BreakoutSession.objects.get(pk=session.pk).confirmed_count == 2
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]

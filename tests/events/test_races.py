"""R10 on a real PostgreSQL server: many people press "Register" at the same moment.

Each race starts its threads together at a barrier; each thread opens its own connection, calls
the service once and closes the connection. The verdict comes from counting rows afterwards: no cap
is exceeded and every counter equals the rows it counts. Any error other than a refusal of the
rules (a deadlock, a lost connection, an integrity error reaching the caller) fails the race.
Every race runs ROUNDS times.
"""

import random
from collections import Counter
from functools import partial

import pytest

from events.enums import ACTIVE_STATUSES, RegistrationStatus
from events.models import BreakoutSession, Registration, Seminar
from events.services import registration_create
from tests.factories import CompanyFactory, seminar_build
from tests.races import assert_caps_hold, person, race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = range(5)
CONFIRMED, WAITLISTED = str(RegistrationStatus.CONFIRMED), str(RegistrationStatus.WAITLISTED)


def _race(seminar: Seminar, attempts: list[dict]) -> Counter:
    """Register every attempt in its own thread, all released at once; count the outcomes."""

    def own_seminar() -> Seminar:
        return Seminar.objects.get(pk=seminar.pk)

    return Counter(race([(own_seminar, partial(_register, fields=f)) for f in attempts]))


def _register(own_seminar: Seminar, *, fields: dict) -> str:
    return str(registration_create(seminar=own_seminar, **fields).status)


def _assert_invariants(seminar: Seminar, seat_ledger) -> dict:
    """Every cap holds by row count, every counter equals its rows, R6 and R8 hold."""
    ledger = assert_caps_hold(seminar, seat_ledger)
    active = Registration.objects.filter(seminar=seminar, status__in=ACTIVE_STATUSES)
    for waiting in active.filter(status=WAITLISTED).select_related("workshop_day"):
        assert seminar.remaining == 0 or waiting.workshop_day.remaining == 0
    return ledger


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_last_seminar_seats_never_oversold(round_, seat_ledger):
    seminar = seminar_build(capacity=10)
    days = list(seminar.days.all())
    attempts = [
        person(CompanyFactory(), f"buyer{n}@race.example", day=days[n % 2]) for n in range(40)
    ]

    outcomes = _race(seminar, attempts)

    assert outcomes == {CONFIRMED: 10, "SeminarFull": 30}
    ledger = _assert_invariants(seminar, seat_ledger)
    assert ledger["counters"]["seminar"] == seminar.confirmed_count == 10
    assert ledger["registrations"] == {CONFIRMED: 10}


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_three_colleagues_at_once_two_get_seats(round_, seat_ledger):
    seminar = seminar_build()
    day = seminar.days.first()
    companies = [CompanyFactory() for _ in range(8)]
    attempts = [
        person(company, f"colleague{n}@{company.account_number.lower()}.example", day=day)
        for company in companies
        for n in range(3)
    ]

    outcomes = _race(seminar, attempts)

    assert outcomes == {CONFIRMED: 16, "CompanyLimitReached": 8}
    ledger = _assert_invariants(seminar, seat_ledger)
    assert {ledger["rows"][f"company {company.pk}"] for company in companies} == {2}
    assert ledger["allocations"] == 8


@pytest.mark.parametrize("round_", ROUNDS)
@pytest.mark.parametrize(
    ("capacity", "first_day_capacity", "prefilled", "same_day", "waitlist"),
    [
        pytest.param(1200, 600, False, False, False, id="seats-left"),
        pytest.param(1, 600, True, False, True, id="seminar-full-both-wait"),
        pytest.param(1200, 1, True, False, True, id="one-waits-for-full-day-one-confirms"),
        pytest.param(1, 600, False, True, True, id="last-seat-same-session"),
    ],
)
def test_race_same_email_twice_at_once_one_registration(
    round_, capacity, first_day_capacity, prefilled, same_day, waitlist, seat_ledger
):
    seminar = seminar_build(capacity=capacity, day_capacities=(first_day_capacity, 600))
    first_day, second_day = seminar.days.all()
    session = first_day.sessions.first()
    if prefilled:
        registration_create(
            seminar=seminar, **person(CompanyFactory(), "early@bird.example", day=first_day)
        )
    attempts = []
    for n in range(10):
        email = f"Twin.{n}@Race.example"
        for twin, day in ((email.lower(), first_day), (email.upper(), second_day)):
            if same_day:
                day = first_day
            picks = [session] if day == first_day else []
            attempts.append(
                person(CompanyFactory(), twin, day=day, sessions=picks, waitlist=waitlist)
            )

    outcomes = _race(seminar, attempts)

    assert outcomes["AlreadyRegistered"] == 10
    assert outcomes[CONFIRMED] + outcomes[WAITLISTED] == 10
    _assert_invariants(seminar, seat_ledger)
    twins = Registration.objects.filter(seminar=seminar, email__istartswith="twin.")
    assert twins.count() == 10
    assert {email.lower() for email in twins.values_list("email", flat=True)} == {
        f"twin.{n}@race.example" for n in range(10)
    }


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_last_workshop_day_seats_never_oversold(round_, seat_ledger):
    seminar = seminar_build(day_capacities=(5, 600))
    day = seminar.days.first()
    attempts = [person(CompanyFactory(), f"day{n}@race.example", day=day) for n in range(20)]

    outcomes = _race(seminar, attempts)

    assert outcomes == {CONFIRMED: 5, "WorkshopDayFull": 15}
    ledger = _assert_invariants(seminar, seat_ledger)
    assert ledger["rows"][f"day {day.pk}"] == 5
    assert ledger["counters"]["seminar"] == 5


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_last_session_seats_never_oversold(round_, seat_ledger):
    seminar = seminar_build(day_capacities=(600, 600), session_capacity=600)
    day = seminar.days.first()
    scarce, plenty = day.sessions.all()
    BreakoutSession.objects.filter(pk=scarce.pk).update(capacity=5)
    attempts = [
        person(CompanyFactory(), f"room{n}@race.example", day=day, sessions=[plenty, scarce])
        for n in range(20)
    ]

    outcomes = _race(seminar, attempts)

    assert outcomes == {CONFIRMED: 5, "SessionFull": 15}
    ledger = _assert_invariants(seminar, seat_ledger)
    assert ledger["rows"][f"session {scarce.pk}"] == ledger["rows"][f"session {plenty.pk}"] == 5


STORM_OUTCOMES = {
    CONFIRMED,
    WAITLISTED,
    "SeminarFull",
    "WorkshopDayFull",
    "SessionFull",
    "CompanyLimitReached",
    "AlreadyRegistered",
}


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_mixed_storm_keeps_every_rule(round_, seat_ledger):
    rng = random.Random(round_)
    seminar = seminar_build(
        capacity=30, day_capacities=(18, 18), sessions_per_day=3, session_capacity=8
    )
    days = list(seminar.days.all())
    sessions = {day.pk: list(day.sessions.all()) for day in days}
    companies = [CompanyFactory() for _ in range(20)]
    attempts = []
    for n in range(60):
        day = rng.choice(days)
        picks = rng.sample(sessions[day.pk], k=rng.randint(0, 2))
        # Every tenth person registers twice, the second time in capitals.
        email = f"storm{n - 1 if n % 10 == 9 else n}@race.example"
        attempts.append(
            person(
                companies[n % 20],
                email.upper() if n % 10 == 9 else email,
                day=day,
                sessions=picks,
                waitlist=rng.random() < 0.5,
            )
        )

    outcomes = _race(seminar, attempts)

    assert set(outcomes) <= STORM_OUTCOMES
    assert sum(outcomes.values()) == 60
    ledger = _assert_invariants(seminar, seat_ledger)
    assert ledger["registrations"].get(CONFIRMED, 0) == outcomes[CONFIRMED]
    assert ledger["registrations"].get(WAITLISTED, 0) == outcomes[WAITLISTED]
    waitlisted_emails = set(
        Registration.objects.filter(seminar=seminar, status=WAITLISTED).values_list(
            "email", flat=True
        )
    )
    asked = {fields["email"] for fields in attempts if fields["waitlist"]}
    assert waitlisted_emails <= asked

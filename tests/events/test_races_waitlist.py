"""R8-R10 on a real PostgreSQL server: seats given back while others register, wait or leave.

Each race prepares every thread's own objects, releases the threads together at a barrier, and
closes each thread's connection at its end. Any error other than a refusal of the rules (a
deadlock, an integrity error reaching the caller) fails the race. The verdict comes from the rows
afterwards: no cap exceeded, every counter equal to its rows, no seat left free while a fitting
entry waits, nobody promoted twice, and promotions in order of waiting. Every race runs ROUNDS
times.
"""

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from events.capacity import seminar_capacity_set, workshop_day_capacity_set
from events.changes import registration_cancel, registration_change, registration_substitute
from events.enums import EmailKind, RegistrationAction, RegistrationStatus
from events.models import (
    CompanyAllocation,
    OutboundEmail,
    Registration,
    RegistrationChange,
    Seminar,
)
from events.services import registration_create
from tests.factories import CompanyFactory, seminar_build
from tests.races import Task, assert_caps_hold, colleague, person, race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("outbox_kept"),
]

ROUNDS = range(5)
CONFIRMED, WAITLISTED = str(RegistrationStatus.CONFIRMED), str(RegistrationStatus.WAITLISTED)
CANCELLED = str(RegistrationStatus.CANCELLED)


def _own(pk: int) -> Callable[[], Registration]:
    return lambda: Registration.objects.get(pk=pk)


def _cancel(registration: Registration) -> Task:
    return _own(registration.pk), lambda r: str(registration_cancel(registration=r).status)


def _register(seminar: Seminar, fields: dict) -> Task:
    def act(own_seminar):
        return str(registration_create(seminar=own_seminar, **fields).status)

    return lambda: Seminar.objects.get(pk=seminar.pk), act


def _setup(seminar: Seminar, people: list[dict], expected: str) -> list[Registration]:
    registrations = [registration_create(seminar=seminar, **fields) for fields in people]
    assert {str(r.status) for r in registrations} == {expected}
    return registrations


def _assert_invariants(seminar: Seminar, seat_ledger) -> dict:
    """Caps hold by row count, counters equal rows, no free seat while a fitting entry waits."""
    ledger = assert_caps_hold(seminar, seat_ledger)
    held = dict(
        CompanyAllocation.objects.filter(seminar=seminar).values_list(
            "company_id", "confirmed_count"
        )
    )
    assert max(held.values(), default=0) <= seminar.per_company_limit
    waiting = Registration.objects.filter(seminar=seminar, status=WAITLISTED).select_related(
        "workshop_day", "company"
    )
    fitting = [
        entry
        for entry in waiting
        if entry.workshop_day.remaining > 0
        and held.get(entry.company_id, 0) < seminar.per_company_limit
        and entry.company.is_eligible()
    ]
    assert seminar.remaining == 0 or fitting == []
    return ledger


def _promoted_once(seminar: Seminar) -> set[int]:
    """Who was promoted; each exactly once in the history and once in the outbox."""
    changes = Counter(
        RegistrationChange.objects.filter(
            registration__seminar=seminar, action=RegistrationAction.PROMOTED
        ).values_list("registration_id", flat=True)
    )
    emails = Counter(
        OutboundEmail.objects.filter(
            registration__seminar=seminar, kind=EmailKind.PROMOTED
        ).values_list("registration_id", "to")
    )
    addresses = dict(Registration.objects.filter(pk__in=changes).values_list("pk", "email"))
    assert set(changes.values()) <= {1}
    assert emails == Counter(dict.fromkeys(addresses.items(), 1))
    return set(changes)


def _assert_promoted_in_order(seminar: Seminar, promoted: set[int], *, per_day: bool) -> None:
    """No entry still waits that fitted and waited longer than someone promoted before it.

    Companies whose limit now blocks an entry only ever gained seats in these races, so an entry
    not blocked now was never blocked.
    """
    entries = list(
        Registration.objects.filter(seminar=seminar, waitlisted_at__isnull=False).order_by(
            "waitlisted_at", "pk"
        )
    )
    held = dict(seminar.allocations.values_list("company_id", "confirmed_count"))
    for group in {e.workshop_day_id if per_day else None for e in entries}:
        members = [e for e in entries if not per_day or e.workshop_day_id == group]
        ranks = [n for n, e in enumerate(members) if e.pk in promoted]
        still_fitting = [
            n
            for n, e in enumerate(members)
            if e.status == WAITLISTED and held.get(e.company_id, 0) < seminar.per_company_limit
        ]
        assert max(ranks, default=-1) < min(still_fitting, default=len(members))


# --- (a) cancellations, new registrations and departures from the wait-list ---------------------


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_waitlist_cancel_register_leave_promotes_in_order(round_, seat_ledger):
    seminar = seminar_build(
        capacity=12, per_company_limit=1, day_capacities=(12, 12), session_capacity=3
    )
    days = list(seminar.days.order_by("date"))
    sessions = {day.pk: list(day.sessions.order_by("starts_at")) for day in days}
    start = timezone.now() - timedelta(hours=1)
    holders = _setup(
        seminar,
        [
            person(
                CompanyFactory(),
                f"holder{n}@race.example",
                day=days[n % 2],
                sessions=[sessions[days[n % 2].pk][n // 2 % 2]],
                waitlist=False,
            )
            for n in range(12)
        ],
        CONFIRMED,
    )
    # 16 waiting: 4 companies with two colleagues each (the second one skipped, as the limit is 1,
    # once the first is promoted), interleaved with 8 companies of one.
    pairs = [CompanyFactory() for _ in range(4)]
    pair_of = {0: 0, 4: 0, 1: 1, 7: 1, 3: 2, 9: 2, 5: 3, 12: 3}
    waiting_companies = [pairs[pair_of[n]] if n in pair_of else CompanyFactory() for n in range(16)]
    waiting = _setup(
        seminar,
        [
            person(
                company,
                f"waiting{n}@race.example",
                day=days[n % 2],
                sessions=[sessions[days[n % 2].pk][n % 2]],
                now=start + timedelta(seconds=n),
                waitlist=True,
            )
            for n, company in enumerate(waiting_companies)
        ],
        WAITLISTED,
    )
    leavers = [waiting[n] for n in (2, 6, 11, 15)]  # companies of one
    cancellers = holders[round_ : round_ + 5]
    newcomers = [
        person(CompanyFactory(), f"new{n}@race.example", day=days[n % 2], waitlist=True)
        for n in range(5)
    ]
    tasks = [_cancel(r) for r in cancellers] + [_cancel(r) for r in leavers]
    tasks += [_register(seminar, fields) for fields in newcomers]

    outcomes = race(tasks)

    assert outcomes == [CANCELLED] * 9 + [WAITLISTED] * 5
    ledger = _assert_invariants(seminar, seat_ledger)
    assert ledger["rows"]["seminar"] == seminar.capacity == 12
    promoted = _promoted_once(seminar)
    promoted_leavers = promoted & {r.pk for r in leavers}
    assert len(promoted) == len(cancellers) + len(promoted_leavers)
    assert promoted <= {r.pk for r in waiting}
    _assert_promoted_in_order(seminar, promoted, per_day=False)


# --- (b) a capacity raise while seats are given back and taken ----------------------------------


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_waitlist_capacity_raise_with_cancellations(round_, seat_ledger):
    seminar = seminar_build(capacity=16, day_capacities=(8, 8))
    tuesday, thursday = seminar.days.order_by("date")
    start = timezone.now() - timedelta(hours=1)
    holders = _setup(
        seminar,
        [
            person(CompanyFactory(), f"holder{n}@race.example", day=day, waitlist=False)
            for n, day in enumerate([tuesday, thursday] * 8)
        ],
        CONFIRMED,
    )
    _setup(
        seminar,
        [
            person(
                CompanyFactory(),
                f"waiting{n}@race.example",
                day=(tuesday, thursday)[(n + round_) % 2],
                now=start + timedelta(seconds=n),
                waitlist=True,
            )
            for n in range(20)
        ],
        WAITLISTED,
    )
    own_seminar = lambda: Seminar.objects.get(pk=seminar.pk)  # noqa: E731
    tasks = [
        (own_seminar, lambda s: str(len(seminar_capacity_set(seminar=s, capacity=20)))),
        (
            lambda: seminar.days.get(pk=tuesday.pk),
            lambda d: str(len(workshop_day_capacity_set(day=d, capacity=12))),
        ),
        *[_cancel(r) for r in holders[:4]],  # two on each day
        *[
            _register(
                seminar, person(CompanyFactory(), f"new{n}@race.example", day=day, waitlist=True)
            )
            for n, day in enumerate([tuesday, thursday] * 2)
        ],
    ]

    outcomes = race(tasks)

    assert outcomes[2:] == [CANCELLED] * 4 + [WAITLISTED] * 4
    assert sum(int(n) for n in outcomes[:2]) <= 4
    seminar.refresh_from_db()
    ledger = _assert_invariants(seminar, seat_ledger)
    assert (
        ledger["rows"]["seminar"],
        ledger["rows"][f"day {tuesday.pk}"],
        ledger["rows"][f"day {thursday.pk}"],
    ) == (20, 12, 8)
    promoted = _promoted_once(seminar)
    assert len(promoted) == 8
    _assert_promoted_in_order(seminar, promoted, per_day=True)


# --- (c) people moving between two nearly full days ---------------------------------------------


@pytest.mark.parametrize("round_", ROUNDS)
@pytest.mark.parametrize(
    ("first_day_full", "outcome_counts"),
    [
        pytest.param(False, None, id="both-nearly-full"),
        pytest.param(True, {"changed": 1, "WorkshopDayFull": 9}, id="one-full-with-waitlist"),
    ],
)
def test_race_change_day_never_oversells(round_, first_day_full, outcome_counts, seat_ledger):
    seminar = seminar_build(capacity=40, day_capacities=(10, 10))
    tuesday, thursday = seminar.days.order_by("date")
    people = [(tuesday, n) for n in range(10 if first_day_full else 9)]
    people += [(thursday, n) for n in range(9)]
    holders = _setup(
        seminar,
        [
            person(CompanyFactory(), f"{day.pk}-{n}@race.example", day=day, waitlist=False)
            for day, n in people
        ],
        CONFIRMED,
    )
    if first_day_full:
        start = timezone.now() - timedelta(hours=1)
        _setup(
            seminar,
            [
                person(
                    CompanyFactory(),
                    f"waiting{n}@race.example",
                    day=tuesday,
                    now=start + timedelta(seconds=n),
                    waitlist=True,
                )
                for n in range(3)
            ],
            WAITLISTED,
        )
    movers = [r for r in holders if r.workshop_day == tuesday][:5]
    movers += [r for r in holders if r.workshop_day == thursday][:5]
    target = {r.pk: (thursday if r.workshop_day == tuesday else tuesday) for r in movers}

    def move(registration: Registration) -> Task:
        def act(own):
            registration_change(registration=own, workshop_day_id=target[own.pk].pk)
            return "changed"

        return _own(registration.pk), act

    outcomes = race([move(r) for r in movers])

    assert set(outcomes) <= {"changed", "WorkshopDayFull"}
    if outcome_counts is not None:
        assert Counter(outcomes) == outcome_counts
    ledger = _assert_invariants(seminar, seat_ledger)
    assert ledger["rows"][f"day {tuesday.pk}"] + ledger["rows"][f"day {thursday.pk}"] == len(
        people
    ) + len(_promoted_once(seminar))
    for mover, outcome in zip(movers, outcomes, strict=True):
        expected_day = target[mover.pk] if outcome == "changed" else mover.workshop_day
        assert Registration.objects.get(pk=mover.pk).workshop_day == expected_day


# --- (d) two hands on one registration ------------------------------------------------------------


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_substitute_same_registration_twice_one_wins(round_, seat_ledger):
    seminar = seminar_build(capacity=4, day_capacities=(4, 4))
    day = seminar.days.first()
    session = day.sessions.first()
    originals = _setup(
        seminar,
        [
            person(
                CompanyFactory(),
                f"holder{n}@race.example",
                day=day,
                sessions=[session],
                waitlist=True,
            )
            for n in range(4)
        ],
        CONFIRMED,
    )
    originals += _setup(
        seminar,
        [person(CompanyFactory(), "waiting@race.example", day=day, waitlist=True)],
        WAITLISTED,
    )
    before = seat_ledger(seminar)

    def hand_over(registration: Registration, hand: int) -> Task:
        fields = colleague(
            f"colleague{registration.pk}-{hand}@race.example", last_name=f"Hand {hand}"
        )

        def act(own):
            return registration_substitute(registration=own, **fields).email

        return _own(registration.pk), act

    tasks = [hand_over(r, hand) for r in originals for hand in (1, 2)]

    outcomes = race(tasks)

    after = _assert_invariants(seminar, seat_ledger)
    assert after["counters"] == before["counters"]
    assert after["registrations"] == {CONFIRMED: 4, "substituted": 5, WAITLISTED: 1}
    statuses = [CONFIRMED] * 4 + [WAITLISTED]
    for n, (original, status) in enumerate(zip(originals, statuses, strict=True)):
        pair = outcomes[2 * n : 2 * n + 2]
        [winner] = [o for o in pair if o != "RegistrationNotActive"]
        assert pair.count("RegistrationNotActive") == 1
        original.refresh_from_db()
        assert (original.status, original.substituted_by.email) == ("substituted", winner)
        assert original.substituted_by.status == status
        handed_over = OutboundEmail.objects.filter(
            registration=original, kind=EmailKind.HANDED_OVER
        )
        assert handed_over.count() == 1


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_hand_over_to_an_email_that_registers_itself_one_wins(round_, seat_ledger):
    """A seat handed to a colleague while that colleague registers with the same address: one
    of the two gets it and the other is refused (R6), never a deadlock between the e-mail's
    index entry and the seminar's row."""
    seminar = seminar_build(capacity=20, day_capacities=(20, 20))
    day = seminar.days.first()
    holders = _setup(
        seminar,
        [person(CompanyFactory(), f"holder{n}@race.example", day=day) for n in range(6)],
        CONFIRMED,
    )

    def hand_over(registration: Registration, email: str) -> Task:
        return _own(registration.pk), lambda own: str(
            registration_substitute(registration=own, **colleague(email)).status
        )

    tasks = []
    for n, holder in enumerate(holders):
        email = f"both{n}@race.example"
        tasks.append(hand_over(holder, email))
        tasks.append(_register(seminar, person(CompanyFactory(), email, day=day)))

    outcomes = race(tasks)

    _assert_invariants(seminar, seat_ledger)
    for n in range(len(holders)):
        pair = outcomes[2 * n : 2 * n + 2]
        assert sorted(pair) == sorted([CONFIRMED, "AlreadyRegistered"]), pair
        active = Registration.objects.filter(
            seminar=seminar, email=f"both{n}@race.example", status__in=[CONFIRMED]
        )
        assert active.count() == 1

"""R8: a freed seat goes at once to the longest-waiting entry that fits every rule."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ctpat.enums import CertificationStatus
from ctpat.models import Company
from ctpat.services import company_set_status
from events.capacity import seminar_capacity_set, workshop_day_capacity_set
from events.changes import registration_cancel, registration_change
from events.enums import EmailKind, RegistrationAction, RegistrationStatus
from events.models import BreakoutSession, OutboundEmail, Registration, RegistrationChange, Seminar
from events.selectors import waitlist_place, waitlist_position
from events.waitlist import waitlist_promote
from tests.factories import CompanyFactory, seminar_build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED
SECOND = timedelta(seconds=1)


def _confirm(register, seminar, day, count: int) -> list[Registration]:
    registrations = [register(seminar, CompanyFactory(), day=day) for _ in range(count)]
    assert {r.status for r in registrations} == {CONFIRMED}
    return registrations


def _wait(register, seminar, day, *, at, company=None, **fields) -> Registration:
    registration = register(
        seminar, company or CompanyFactory(), day=day, waitlist=True, now=at, **fields
    )
    assert registration.status == WAITLISTED
    return registration


def _statuses(*registrations: Registration) -> list[str]:
    return [Registration.objects.get(pk=r.pk).status for r in registrations]


def _promoted(seminar: Seminar) -> list[Registration]:
    """Everyone promoted in this seminar, in the order it happened."""
    return [
        change.registration
        for change in RegistrationChange.objects.filter(
            registration__seminar=seminar, action=RegistrationAction.PROMOTED
        ).order_by("pk")
    ]


def _emails(registration: Registration) -> list[tuple[str, str]]:
    return list(
        OutboundEmail.objects.filter(registration=registration)
        .order_by("pk")
        .values_list("kind", "to")
    )


# --- Order ---------------------------------------------------------------------------------------


def test_waitlist_promote_longest_waiting_first(register, seat_ledger):
    seminar = seminar_build(capacity=2)
    day = seminar.days.first()
    first_in, second_in = _confirm(register, seminar, day, 2)
    start = timezone.now()
    late = _wait(register, seminar, day, at=start + 3 * SECOND)
    earliest = _wait(register, seminar, day, at=start + SECOND)
    middle = _wait(register, seminar, day, at=start + 2 * SECOND)

    registration_cancel(registration=first_in)
    registration_cancel(registration=second_in)

    assert _promoted(seminar) == [earliest, middle]
    assert _statuses(earliest, middle, late) == [CONFIRMED, CONFIRMED, WAITLISTED]
    assert waitlist_position(registration=Registration.objects.get(pk=late.pk)) == 1
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["counters"]["seminar"] == 2


def test_waitlist_promote_same_time_lower_id_first(register):
    seminar = seminar_build(capacity=1)
    day = seminar.days.first()
    [holder] = _confirm(register, seminar, day, 1)
    at = timezone.now()
    first = _wait(register, seminar, day, at=at)
    second = _wait(register, seminar, day, at=at)

    registration_cancel(registration=holder)

    assert first.pk < second.pk
    assert _statuses(first, second) == [CONFIRMED, WAITLISTED]


def test_waitlist_promote_fills_only_free_seats(register, seat_ledger):
    seminar = seminar_build(capacity=2)
    day = seminar.days.first()
    holders = _confirm(register, seminar, day, 2)
    start = timezone.now()
    waiting = [_wait(register, seminar, day, at=start + n * SECOND) for n in range(4)]

    registration_cancel(registration=holders[0])

    assert _promoted(seminar) == waiting[:1]
    assert [waitlist_position(registration=Registration.objects.get(pk=r.pk)) for r in waiting] == [
        None,
        1,
        2,
        3,
    ]
    assert waitlist_promote(seminar=seminar) == []
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["registrations"] == {CANCELLED: 1, CONFIRMED: 2, WAITLISTED: 3}


# --- Skipping entries that would break a rule ----------------------------------------------------


def test_waitlist_promote_skips_company_at_limit_and_keeps_its_place(register, seat_ledger):
    seminar = seminar_build(capacity=3, per_company_limit=2)
    day = seminar.days.first()
    busy = CompanyFactory()
    [colleague] = [register(seminar, busy, day=day)]
    other_holders = _confirm(register, seminar, day, 2)
    start = timezone.now()
    second_colleague = _wait(register, seminar, day, at=start + SECOND, company=busy)
    third_colleague = _wait(register, seminar, day, at=start + 2 * SECOND, company=busy)
    outsider = _wait(register, seminar, day, at=start + 3 * SECOND)

    registration_cancel(registration=other_holders[0])  # busy reaches its limit of 2
    registration_cancel(registration=other_holders[1])  # third colleague would make 3: skipped

    assert _promoted(seminar) == [second_colleague, outsider]
    assert _statuses(third_colleague) == [WAITLISTED]
    assert waitlist_position(registration=third_colleague) == 1

    registration_cancel(registration=colleague)

    assert _promoted(seminar) == [second_colleague, outsider, third_colleague]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["counters"][f"company {busy.pk}"] == 2


def test_waitlist_promote_skips_entry_whose_day_is_still_full(register, seat_ledger):
    seminar = seminar_build(capacity=4, day_capacities=(2, 2))
    tuesday, thursday = seminar.days.all()
    tuesday_holders = _confirm(register, seminar, tuesday, 2)
    thursday_holders = _confirm(register, seminar, thursday, 2)
    start = timezone.now()
    wants_tuesday = _wait(register, seminar, tuesday, at=start + SECOND)
    wants_thursday = _wait(register, seminar, thursday, at=start + 2 * SECOND)

    registration_cancel(registration=thursday_holders[0])

    assert _promoted(seminar) == [wants_thursday]
    assert _statuses(wants_tuesday) == [WAITLISTED]

    registration_cancel(registration=tuesday_holders[0])

    assert _promoted(seminar) == [wants_thursday, wants_tuesday]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert (ledger["rows"][f"day {tuesday.pk}"], ledger["rows"][f"day {thursday.pk}"]) == (2, 2)


@pytest.mark.parametrize(
    ("status", "expires_in"),
    [
        pytest.param(CertificationStatus.SUSPENDED, 365, id="suspended"),
        pytest.param(CertificationStatus.REMOVED, 365, id="removed"),
        pytest.param(CertificationStatus.CERTIFIED, -1, id="expired"),
    ],
)
def test_waitlist_promote_skips_company_no_longer_eligible(register, status, expires_in):
    seminar = seminar_build(capacity=2)
    day = seminar.days.first()
    holders = _confirm(register, seminar, day, 2)
    start = timezone.now()
    lapsed = _wait(register, seminar, day, at=start + SECOND)
    eligible = _wait(register, seminar, day, at=start + 2 * SECOND)
    company_set_status(
        company=lapsed.company,
        status=status,
        effective_on=date.today(),
        expires_on=date.today() + timedelta(days=expires_in),
    )

    registration_cancel(registration=holders[0])

    assert _promoted(seminar) == [eligible]
    assert _statuses(lapsed) == [WAITLISTED]

    company_set_status(
        company=Company.objects.get(pk=lapsed.company_id),
        status=CertificationStatus.VALIDATED,
        effective_on=date.today(),
        expires_on=date.today() + timedelta(days=365),
    )
    registration_cancel(registration=holders[1])

    assert _promoted(seminar) == [eligible, lapsed]


def test_waitlist_promote_drops_sessions_that_filled_meanwhile(register, seat_ledger):
    seminar = seminar_build(capacity=2, sessions_per_day=2)
    day = seminar.days.first()
    scarce, roomy = day.sessions.order_by("starts_at")
    BreakoutSession.objects.filter(pk=scarce.pk).update(capacity=1)
    leaving = register(seminar, CompanyFactory(), day=day)
    register(seminar, CompanyFactory(), day=day, sessions=[scarce])
    waiting = _wait(register, seminar, day, at=timezone.now(), sessions=[scarce, roomy])

    registration_cancel(registration=leaving)

    waiting.refresh_from_db()
    assert waiting.status == CONFIRMED
    assert list(waiting.sessions.all()) == [roomy]
    email = OutboundEmail.objects.get(registration=waiting, kind=EmailKind.PROMOTED)
    assert email.context == {"dropped_sessions": [scarce.topic]}
    change = RegistrationChange.objects.get(
        registration=waiting, action=RegistrationAction.PROMOTED
    )
    assert change.detail == f"Sessions dropped as full: {scarce.topic}"
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert (ledger["rows"][f"session {scarce.pk}"], ledger["rows"][f"session {roomy.pk}"]) == (1, 1)


@pytest.mark.parametrize(
    ("poc_email", "notices"),
    [pytest.param("security@partner.example", 1, id="with-poc"), pytest.param("", 0, id="no-poc")],
)
def test_waitlist_promote_writes_email_and_history(register, poc_email, notices):
    seminar = seminar_build(capacity=1)
    day = seminar.days.first()
    [holder] = _confirm(register, seminar, day, 1)
    company = CompanyFactory(poc_email=poc_email)
    waiting = _wait(register, seminar, day, at=timezone.now(), company=company)
    last_email = OutboundEmail.objects.latest("pk").pk

    registration_cancel(registration=holder)

    written = OutboundEmail.objects.filter(registration=waiting, pk__gt=last_email)
    assert [(e.kind, e.to, e.context) for e in written.order_by("pk")] == [
        (EmailKind.PROMOTED, waiting.email, {"dropped_sessions": []}),
        *[(EmailKind.COMPANY_NOTICE, poc_email, {"dropped_sessions": [], "event": "promoted"})]
        * notices,
    ]
    assert list(waiting.changes.values_list("action", "actor")) == [
        (RegistrationAction.PROMOTED, None)
    ]
    waiting.refresh_from_db()
    assert waiting.confirmed_at > waiting.waitlisted_at


# --- Every way a seat frees ----------------------------------------------------------------------


@pytest.fixture
def full_day(register):
    """A full seminar (2 confirmed on its first day) and one person waiting for that day."""
    seminar = seminar_build(capacity=2, day_capacities=(3, 3))
    day = seminar.days.first()
    holders = _confirm(register, seminar, day, 2)
    waiting = _wait(register, seminar, day, at=timezone.now())
    return seminar, holders, waiting


def test_waitlist_promote_when_registrant_cancels(full_day):
    seminar, holders, waiting = full_day

    registration_cancel(registration=holders[0])

    assert _promoted(seminar) == [waiting]


def test_waitlist_promote_when_staff_cancel(full_day, admin_user):
    seminar, holders, waiting = full_day

    registration_cancel(registration=holders[0], actor=admin_user)

    assert _promoted(seminar) == [waiting]
    assert list(holders[0].changes.values_list("action", "actor")) == [
        (RegistrationAction.CANCELLED, admin_user.pk)
    ]
    assert list(waiting.changes.values_list("action", "actor")) == [
        (RegistrationAction.PROMOTED, admin_user.pk)
    ]


def test_waitlist_promote_by_capacity_raise_records_the_staff_member(full_day, admin_user):
    seminar, _holders, waiting = full_day

    seminar_capacity_set(seminar=seminar, capacity=3, actor=admin_user)

    assert list(waiting.changes.values_list("action", "actor")) == [
        (RegistrationAction.PROMOTED, admin_user.pk)
    ]


def test_waitlist_promote_by_staff_move_records_the_staff_member(register, admin_user):
    seminar = seminar_build(capacity=10, day_capacities=(2, 5))
    tuesday, thursday = seminar.days.all()
    mover, _stayer = _confirm(register, seminar, tuesday, 2)
    waiting = _wait(register, seminar, tuesday, at=timezone.now())

    registration_change(registration=mover, workshop_day_id=thursday.pk, actor=admin_user)

    assert list(waiting.changes.values_list("action", "actor")) == [
        (RegistrationAction.PROMOTED, admin_user.pk)
    ]


def test_waitlist_promote_when_seminar_capacity_raised(full_day):
    seminar, _holders, waiting = full_day

    promoted = seminar_capacity_set(seminar=seminar, capacity=3)

    assert promoted == [waiting] == _promoted(seminar)


def test_waitlist_promote_when_day_capacity_raised(register):
    seminar = seminar_build(capacity=10, day_capacities=(2, 2))
    day = seminar.days.first()
    _confirm(register, seminar, day, 2)
    waiting = _wait(register, seminar, day, at=timezone.now())

    promoted = workshop_day_capacity_set(day=day, capacity=3)

    assert promoted == [waiting] == _promoted(seminar)


def test_waitlist_promote_when_company_limit_raised(register):
    seminar = seminar_build(capacity=1, per_company_limit=1)
    day = seminar.days.first()
    [holder] = _confirm(register, seminar, day, 1)
    company = CompanyFactory()
    start = timezone.now()
    first_colleague = _wait(register, seminar, day, at=start + SECOND, company=company)
    second_colleague = _wait(register, seminar, day, at=start + 2 * SECOND, company=company)
    seminar_capacity_set(seminar=seminar, capacity=2)
    registration_cancel(registration=holder)
    assert _promoted(seminar) == [first_colleague]
    assert _statuses(second_colleague) == [WAITLISTED]

    promoted = seminar_capacity_set(seminar=seminar, per_company_limit=2)

    assert promoted == [second_colleague]


def test_waitlist_promote_when_registrant_moves_to_other_day(register, seat_ledger):
    seminar = seminar_build(capacity=10, day_capacities=(2, 5))
    tuesday, thursday = seminar.days.all()
    mover, _stayer = _confirm(register, seminar, tuesday, 2)
    waiting = _wait(register, seminar, tuesday, at=timezone.now())

    registration_change(registration=mover, workshop_day_id=thursday.pk)

    assert _promoted(seminar) == [waiting]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert (ledger["rows"][f"day {tuesday.pk}"], ledger["rows"][f"day {thursday.pk}"]) == (2, 1)


# --- When promotions stop ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "free_a_seat",
    [
        pytest.param(lambda s, h: registration_cancel(registration=h[0]), id="cancel"),
        pytest.param(lambda s, h: seminar_capacity_set(seminar=s, capacity=3), id="raise"),
    ],
)
def test_waitlist_promote_stops_when_registration_closes(full_day, seat_ledger, free_a_seat):
    seminar, holders, waiting = full_day
    Seminar.objects.filter(pk=seminar.pk).update(
        registration_closes_at=timezone.now() - timedelta(minutes=1)
    )
    seminar.refresh_from_db()

    free_a_seat(seminar, holders)

    assert _promoted(seminar) == []
    assert _statuses(waiting) == [WAITLISTED]
    seminar.refresh_from_db()
    assert seminar.remaining == 1


# --- Position and leaving ------------------------------------------------------------------------


def test_waitlist_position_counts_earlier_entries_for_the_same_day(register):
    seminar = seminar_build(capacity=2, day_capacities=(1, 1))
    tuesday, thursday = seminar.days.all()
    [holder] = _confirm(register, seminar, tuesday, 1)
    _confirm(register, seminar, thursday, 1)
    start = timezone.now()
    tuesday_first = _wait(register, seminar, tuesday, at=start + SECOND)
    thursday_first = _wait(register, seminar, thursday, at=start + 2 * SECOND)
    tuesday_second = _wait(register, seminar, tuesday, at=start + 3 * SECOND)
    tuesday_third = _wait(register, seminar, tuesday, at=start + 4 * SECOND)

    positions = [
        waitlist_position(registration=r)
        for r in (holder, tuesday_first, thursday_first, tuesday_second, tuesday_third)
    ]

    assert positions == [None, 1, 1, 2, 3]
    registration_cancel(registration=tuesday_second)
    assert waitlist_position(registration=tuesday_third) == 2


def test_waitlist_place_for_the_full_day_else_for_the_whole_seminar(register):
    """Tuesday and the seminar are full, Thursday is not.

    A Tuesday entry waits for a Tuesday seat, behind earlier Tuesday entries only. A Thursday
    entry waits for any seat of the seminar: a freed seat goes to the longest-waiting entry that
    fits, so every earlier entry stands ahead of it, whatever its day.
    """
    seminar = seminar_build(capacity=2, day_capacities=(1, 5))
    tuesday, thursday = seminar.days.all()
    _confirm(register, seminar, tuesday, 1)
    _confirm(register, seminar, thursday, 1)
    start = timezone.now()
    waiting = [
        _wait(register, seminar, day, at=start + n * SECOND)
        for n, day in enumerate((thursday, tuesday, thursday), start=1)
    ]

    places = [waitlist_place(registration=r) for r in waiting]

    assert [(place.position, place.day) for place in places] == [
        (1, None),
        (1, tuesday),
        (3, None),
    ]


def test_waitlist_leave_frees_nothing_and_writes_cancelled(full_day, register, seat_ledger):
    seminar, _holders, waiting = full_day
    behind = _wait(register, seminar, seminar.days.first(), at=timezone.now())
    before = seat_ledger(seminar)

    registration_cancel(registration=waiting)

    after = seat_ledger(seminar)
    assert after["counters"] == before["counters"]
    assert after["registrations"] == {CANCELLED: 1, CONFIRMED: 2, WAITLISTED: 1}
    assert _promoted(seminar) == []
    assert waitlist_position(registration=behind) == 1
    assert _emails(waiting) == [
        (EmailKind.WAITLISTED, waiting.email),
        (EmailKind.COMPANY_NOTICE, waiting.company.poc_email),
        (EmailKind.CANCELLED, waiting.email),
        (EmailKind.COMPANY_NOTICE, waiting.company.poc_email),
    ]
    assert waitlist_position(registration=Registration.objects.get(pk=waiting.pk)) is None

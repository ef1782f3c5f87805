"""Staff promote one chosen person from the wait-list: out of turn, never beyond a cap (R1-R5)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from ctpat.enums import CertificationStatus
from ctpat.exceptions import CompanyNotEligible
from ctpat.services import company_set_status
from events.changes import registration_cancel
from events.enums import EmailKind, RegistrationAction, RegistrationStatus
from events.exceptions import CompanyLimitReached, NotWaitlisted, SeminarFull, WorkshopDayFull
from events.models import BreakoutSession, OutboundEmail, Registration, Seminar
from events.waitlist import waitlist_promote_registration
from tests.factories import CompanyFactory, seminar_build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


@pytest.fixture
def staff(staff_user):
    return staff_user("ines", group="Seminar managers")


def _close_registration(seminar: Seminar) -> None:
    """The automatic promotion stops here; staff handling an exception do not."""
    Seminar.objects.filter(pk=seminar.pk).update(
        registration_closes_at=timezone.now() - timedelta(minutes=1)
    )


def _queue(register, seminar, *, waiting: int, company=None, **fields) -> list[Registration]:
    """``waiting`` people on the wait-list of the seminar's first day, a second apart."""
    start = timezone.now()
    return [
        register(
            seminar,
            company or CompanyFactory(),
            waitlist=True,
            now=start + timedelta(seconds=n),
            **fields,
        )
        for n in range(waiting)
    ]


def _status(registration: Registration) -> str:
    return Registration.objects.get(pk=registration.pk).status


@pytest.fixture
def closed_with_a_free_seat(register):
    """Registration closed; a holder then cancelled, so one seat is free and two people wait."""
    seminar = seminar_build(capacity=1, day_capacities=(1,))
    holder = register(seminar, CompanyFactory())
    first, second = _queue(register, seminar, waiting=2)
    _close_registration(seminar)
    registration_cancel(registration=holder)
    assert (_status(first), _status(second)) == (WAITLISTED, WAITLISTED)
    return seminar, first, second


def test_waitlist_promote_registration_chosen_out_of_turn_after_close(
    closed_with_a_free_seat, staff, seat_ledger
):
    seminar, first, second = closed_with_a_free_seat

    promotion = waitlist_promote_registration(registration=second, actor=staff)

    assert (promotion.registration, promotion.dropped_sessions) == (second, [])
    assert (_status(first), _status(second)) == (WAITLISTED, CONFIRMED)
    assert list(second.changes.values_list("action", "actor", "detail")) == [
        (RegistrationAction.PROMOTED, staff.pk, "Chosen by staff (wait-list order skipped)")
    ]
    emails = OutboundEmail.objects.filter(registration=second, to=second.email).order_by("pk")
    assert list(emails.values_list("kind", flat=True)) == [
        EmailKind.WAITLISTED,
        EmailKind.PROMOTED,
    ]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["counters"]["seminar"] == 1


@pytest.mark.parametrize(
    ("capacity", "day_capacity", "refusal_type", "message"),
    [
        pytest.param(
            1,
            5,
            SeminarFull,
            "The seminar is full: 1 of 1 seats confirmed. Raise its capacity or cancel a "
            "registration first.",
            id="seminar",
        ),
        pytest.param(
            10,
            1,
            WorkshopDayFull,
            "Day 1 workshops is full: 1 of 1 seats confirmed. Raise its capacity or move someone "
            "to another day first.",
            id="day",
        ),
    ],
)
def test_waitlist_promote_registration_refused_when_full(
    register, staff, seat_ledger, capacity, day_capacity, refusal_type, message
):
    seminar = seminar_build(capacity=capacity, day_capacities=(day_capacity, 5))
    register(seminar, CompanyFactory())
    [waiting] = _queue(register, seminar, waiting=1)
    before = seat_ledger(seminar)

    with pytest.raises(refusal_type) as refusal:
        waitlist_promote_registration(registration=waiting, actor=staff)

    assert refusal.value.message == message
    assert _status(waiting) == WAITLISTED
    assert not waiting.changes.exists()
    assert seat_ledger(seminar) == before


def test_waitlist_promote_registration_refused_at_company_limit(register, staff, seat_ledger):
    seminar = seminar_build(capacity=2, per_company_limit=1, day_capacities=(2,))
    holders = [register(seminar, CompanyFactory()) for _ in range(2)]
    company = CompanyFactory(legal_name="Maquila Uno")
    colleague, other_colleague = _queue(register, seminar, waiting=2, company=company)
    _close_registration(seminar)
    for holder in holders:
        registration_cancel(registration=holder)
    waitlist_promote_registration(registration=colleague, actor=staff)
    before = seat_ledger(seminar)

    with pytest.raises(CompanyLimitReached) as refusal:
        waitlist_promote_registration(registration=other_colleague, actor=staff)

    assert refusal.value.message == (
        "Maquila Uno already holds 1 confirmed seats, the most one company may have in this "
        "seminar."
    )
    assert _status(other_colleague) == WAITLISTED
    assert seat_ledger(seminar) == before


@pytest.mark.parametrize(
    ("status", "expires_in", "reason"),
    [
        pytest.param(
            CertificationStatus.SUSPENDED,
            365,
            "This company's CTPAT benefits are suspended, so it cannot register for seminars "
            "until the suspension is lifted.",
            id="suspended",
        ),
        pytest.param(
            CertificationStatus.CERTIFIED,
            -1,
            "This company's CTPAT certification has expired. Contact your CTPAT supply chain "
            "security specialist to renew it before registering.",
            id="expired",
        ),
    ],
)
def test_waitlist_promote_registration_refused_when_company_not_eligible(
    closed_with_a_free_seat, staff, seat_ledger, status, expires_in, reason
):
    seminar, first, _second = closed_with_a_free_seat
    company_set_status(
        company=first.company,
        status=status,
        effective_on=date.today(),
        expires_on=date.today() + timedelta(days=expires_in),
    )
    before = seat_ledger(seminar)

    with pytest.raises(CompanyNotEligible) as refusal:
        waitlist_promote_registration(registration=first, actor=staff)

    assert refusal.value.message == reason
    assert _status(first) == WAITLISTED
    assert seat_ledger(seminar) == before


@pytest.mark.parametrize("status", [CONFIRMED, RegistrationStatus.CANCELLED], ids=str)
def test_waitlist_promote_registration_refused_when_not_waiting(
    closed_with_a_free_seat, staff, seat_ledger, status
):
    seminar, first, _second = closed_with_a_free_seat
    Registration.objects.filter(pk=first.pk).update(status=status)
    before = seat_ledger(seminar)

    with pytest.raises(NotWaitlisted) as refusal:
        waitlist_promote_registration(registration=first, actor=staff)

    assert refusal.value.message == (
        "This registration is not on the wait-list, so it cannot be promoted."
    )
    assert seat_ledger(seminar) == before


def test_waitlist_promote_registration_drops_full_sessions(register, staff, seat_ledger):
    seminar = seminar_build(capacity=2, day_capacities=(2,), sessions_per_day=2)
    day = seminar.days.get()
    scarce, roomy = day.sessions.order_by("starts_at")
    BreakoutSession.objects.filter(pk=scarce.pk).update(capacity=1)
    leaving = register(seminar, CompanyFactory())
    register(seminar, CompanyFactory(), sessions=[scarce])
    [waiting] = _queue(register, seminar, waiting=1, sessions=[scarce, roomy])
    _close_registration(seminar)
    registration_cancel(registration=leaving)

    promotion = waitlist_promote_registration(registration=waiting, actor=staff)

    assert promotion.dropped_sessions == [scarce.topic]
    assert list(Registration.objects.get(pk=waiting.pk).sessions.all()) == [roomy]
    assert waiting.changes.get().detail == (
        f"Chosen by staff (wait-list order skipped). Sessions dropped as full: {scarce.topic}"
    )
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]

"""R9: what a registrant can do through the private link (and staff in the admin)."""

from datetime import date, timedelta
from functools import partial

import pytest
from django.utils import timezone

from ctpat.enums import CertificationStatus
from ctpat.exceptions import CompanyNotEligible
from ctpat.services import company_set_status
from events.capacity import seminar_capacity_set
from events.changes import (
    registration_cancel,
    registration_change,
    registration_link_revoke,
    registration_substitute,
)
from events.enums import EmailKind, RegistrationAction, RegistrationStatus
from events.exceptions import (
    AlreadyRegistered,
    CancellationClosed,
    ChangesClosed,
    InvalidChoice,
    RegistrationNotActive,
    SeminarOver,
    SessionFull,
    SessionsOverlap,
    WorkshopDayFull,
)
from events.models import BreakoutSession, OutboundEmail, Registration
from tests.factories import COLLEAGUE, CompanyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
CANCELLED, SUBSTITUTED = RegistrationStatus.CANCELLED, RegistrationStatus.SUBSTITUTED


def _nonzero(counters: dict) -> dict:
    return {key: value for key, value in counters.items() if value}


def _emails_since(pk: int) -> list[tuple[str, str]]:
    return list(OutboundEmail.objects.filter(pk__gt=pk).order_by("pk").values_list("kind", "to"))


def _last_email_pk() -> int:
    return OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def picked(seminar, company, register):
    """A confirmed registrant on Tuesday with two sessions that do not overlap."""
    tuesday = seminar.days.get(label="Tuesday workshops")
    sessions = [
        tuesday.sessions.get(topic="CBP risk indicators"),
        tuesday.sessions.get(topic="Evidence of implementation"),
    ]
    return register(seminar, company, day=tuesday, sessions=sessions)


# --- Cancel --------------------------------------------------------------------------------------


def test_registration_cancel_frees_every_seat(seminar, picked, seat_ledger):
    last_email = _last_email_pk()

    cancelled = registration_cancel(registration=picked)

    assert (cancelled.status, cancelled.cancelled_at is not None) == (CANCELLED, True)
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert _nonzero(ledger["counters"]) == {}
    assert ledger["allocations"] == 1
    assert list(cancelled.changes.values_list("action", flat=True)) == [
        RegistrationAction.CANCELLED
    ]
    assert _emails_since(last_email) == [
        (EmailKind.CANCELLED, picked.email),
        (EmailKind.COMPANY_NOTICE, picked.company.poc_email),
    ]


def test_registration_cancel_twice_refused(seminar, picked, seat_ledger):
    registration_cancel(registration=picked)
    before, last_email = seat_ledger(seminar), _last_email_pk()

    with pytest.raises(RegistrationNotActive):
        registration_cancel(registration=picked)

    assert seat_ledger(seminar) == before
    assert _emails_since(last_email) == []


@pytest.mark.parametrize(
    ("staff", "allowed"),
    [pytest.param(False, False, id="registrant"), pytest.param(True, True, id="staff")],
)
def test_registration_cancel_after_seminar_starts_only_by_staff(
    seminar, picked, seat_ledger, admin_user, staff, allowed
):
    before = seat_ledger(seminar)
    after_start = seminar.starts_at + timedelta(hours=1)
    actor = admin_user if staff else None

    if allowed:
        assert registration_cancel(registration=picked, actor=actor, now=after_start).status == (
            CANCELLED
        )
        assert seat_ledger(seminar)["counters"]["seminar"] == 0
    else:
        with pytest.raises(CancellationClosed):
            registration_cancel(registration=picked, actor=actor, now=after_start)
        assert seat_ledger(seminar) == before


def test_registration_cancel_after_seminar_ends_says_it_is_over(seminar, picked, seat_ledger):
    before = seat_ledger(seminar)

    with pytest.raises(SeminarOver) as refused:
        registration_cancel(registration=picked, now=seminar.ends_at + timedelta(days=1))

    assert "is over" in str(refused.value.message)
    assert "registration desk" not in str(refused.value.message)
    assert seat_ledger(seminar) == before


# --- Change day and sessions ---------------------------------------------------------------------


def test_registration_change_moves_day_and_sessions(seminar, picked, seat_ledger):
    thursday = seminar.days.get(label="Thursday workshops")
    new_session = thursday.sessions.get(topic="Suspensions and removals")

    changed = registration_change(
        registration=picked, workshop_day_id=thursday.pk, session_ids=[new_session.pk]
    )

    assert changed.workshop_day == thursday
    assert list(Registration.objects.get(pk=picked.pk).sessions.all()) == [new_session]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert _nonzero(ledger["counters"]) == {
        "seminar": 1,
        f"day {thursday.pk}": 1,
        f"session {new_session.pk}": 1,
        f"company {picked.company_id}": 1,
    }
    change = picked.changes.get(action=RegistrationAction.CHANGED)
    assert change.detail == (
        "Tuesday workshops (CBP risk indicators, Evidence of implementation) → "
        "Thursday workshops (Suspensions and removals)"
    )
    assert OutboundEmail.objects.filter(registration=picked, kind=EmailKind.CHANGED).count() == 1


def test_registration_change_sessions_on_same_day(seminar, picked, seat_ledger):
    tuesday = picked.workshop_day
    overlapping = tuesday.sessions.get(topic="Suspensions and removals")

    registration_change(
        registration=picked, workshop_day_id=tuesday.pk, session_ids=[overlapping.pk]
    )

    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert _nonzero(ledger["counters"]) == {
        "seminar": 1,
        f"day {tuesday.pk}": 1,
        f"session {overlapping.pk}": 1,
        f"company {picked.company_id}": 1,
    }


def test_registration_change_to_full_day_keeps_old_choice(seminar, picked, register, seat_ledger):
    thursday = seminar.days.get(label="Thursday workshops")
    thursday.capacity = 1
    thursday.save(update_fields=["capacity"])
    register(seminar, CompanyFactory(), day=thursday)
    old_sessions = set(picked.sessions.all())
    before = seat_ledger(seminar)

    with pytest.raises(WorkshopDayFull):
        registration_change(registration=picked, workshop_day_id=thursday.pk)

    assert seat_ledger(seminar) == before
    picked = Registration.objects.get(pk=picked.pk)
    assert (picked.workshop_day.label, set(picked.sessions.all())) == (
        "Tuesday workshops",
        old_sessions,
    )
    assert picked.changes.filter(action=RegistrationAction.CHANGED).exists() is False


def test_registration_change_to_full_session_keeps_old_choice(
    seminar, picked, register, seat_ledger
):
    thursday = seminar.days.get(label="Thursday workshops")
    full = thursday.sessions.get(topic="CBP risk indicators")
    BreakoutSession.objects.filter(pk=full.pk).update(capacity=1)
    register(seminar, CompanyFactory(), day=thursday, sessions=[full])
    old_sessions = set(picked.sessions.all())
    before = seat_ledger(seminar)

    with pytest.raises(SessionFull):
        registration_change(registration=picked, workshop_day_id=thursday.pk, session_ids=[full.pk])

    assert seat_ledger(seminar) == before
    picked = Registration.objects.get(pk=picked.pk)
    assert (picked.workshop_day.label, set(picked.sessions.all())) == (
        "Tuesday workshops",
        old_sessions,
    )


@pytest.mark.parametrize(
    ("sessions_day", "topics", "error"),
    [
        pytest.param(
            "Tuesday workshops",
            ["CBP risk indicators", "Suspensions and removals"],
            SessionsOverlap,
            id="overlapping",
        ),
        pytest.param(
            "Thursday workshops", ["Evidence of implementation"], InvalidChoice, id="other-day"
        ),
    ],
)
def test_registration_change_refuses_bad_sessions(
    seminar, picked, seat_ledger, sessions_day, topics, error
):
    sessions = BreakoutSession.objects.filter(day__label=sessions_day, topic__in=topics)
    before = seat_ledger(seminar)

    with pytest.raises(error):
        registration_change(
            registration=picked,
            workshop_day_id=picked.workshop_day_id,
            session_ids=[s.pk for s in sessions],
        )

    assert seat_ledger(seminar) == before


@pytest.mark.parametrize("closed_by", ["registration-closed", "checked-in"])
@pytest.mark.parametrize("action", ["change", "substitute"])
def test_registration_changes_closed(seminar, picked, seat_ledger, closed_by, action):
    now = None
    if closed_by == "checked-in":
        Registration.objects.filter(pk=picked.pk).update(checked_in_at=timezone.now())
    else:
        now = seminar.registration_closes_at + timedelta(minutes=1)
    thursday = seminar.days.get(label="Thursday workshops")
    before = seat_ledger(seminar)

    if action == "change":
        attempt = partial(registration_change, workshop_day_id=thursday.pk)
    else:
        attempt = partial(registration_substitute, **COLLEAGUE)

    with pytest.raises(ChangesClosed):
        attempt(registration=picked, now=now)

    assert seat_ledger(seminar) == before


# --- Substitute ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [CONFIRMED, WAITLISTED])
def test_registration_substitute_hands_over_the_same_place(
    seminar, company, register, seat_ledger, status
):
    tuesday = seminar.days.get(label="Tuesday workshops")
    session = tuesday.sessions.get(topic="CBP risk indicators")
    if status == WAITLISTED:
        seminar.capacity = 0
        seminar.save(update_fields=["capacity"])
    old = register(seminar, company, day=tuesday, sessions=[session], waitlist=True)
    assert old.status == status
    before, last_email = seat_ledger(seminar), _last_email_pk()

    new = registration_substitute(registration=old, **COLLEAGUE)

    old.refresh_from_db()
    assert (old.status, old.substituted_by) == (SUBSTITUTED, new)
    assert (new.status, new.company, new.workshop_day, new.email) == (
        status,
        company,
        tuesday,
        COLLEAGUE["email"],
    )
    assert (new.waitlisted_at, new.confirmed_at) == (old.waitlisted_at, old.confirmed_at)
    assert new.confirmation_code != old.confirmation_code
    assert new.manage_token != old.manage_token
    assert list(new.sessions.all()) == [session]
    assert list(old.sessions.all()) == []
    after = seat_ledger(seminar)
    assert after["counters"] == before["counters"] == after["rows"]
    assert _emails_since(last_email) == [
        (EmailKind.HANDED_OVER, old.email),
        (EmailKind.COMPANY_NOTICE, company.poc_email),
        (status, COLLEAGUE["email"]),
        (EmailKind.COMPANY_NOTICE, company.poc_email),
    ]
    assert OutboundEmail.objects.get(registration=new, kind=status).context == {
        "substitute_for": old.full_name
    }
    assert [c.action for c in old.changes.all()] == [RegistrationAction.SUBSTITUTED]
    assert [c.action for c in new.changes.all()] == [RegistrationAction.SUBSTITUTE_IN]


def test_registration_substitute_from_a_stale_copy_hands_over_the_place_as_it_is_now(
    seminar, company, register, seat_ledger
):
    """The colleague's row is written before the lock; what it takes over is read under it."""
    seminar.capacity = 0
    seminar.save(update_fields=["capacity"])
    stale = register(seminar, company, waitlist=True)
    assert stale.status == WAITLISTED
    [promoted] = seminar_capacity_set(seminar=seminar, capacity=1)  # promotes it
    assert promoted.pk == stale.pk
    before = seat_ledger(seminar)

    new = registration_substitute(registration=stale, **COLLEAGUE)

    fresh = Registration.objects.get(pk=stale.pk)
    assert (fresh.status, fresh.substituted_by) == (SUBSTITUTED, new)
    assert new.status == CONFIRMED
    assert (new.waitlisted_at, new.confirmed_at) == (fresh.waitlisted_at, fresh.confirmed_at)
    assert new.confirmed_at is not None
    assert Registration.objects.get(pk=new.pk).status == CONFIRMED
    after = seat_ledger(seminar)
    assert after["counters"] == before["counters"] == after["rows"]


@pytest.mark.parametrize(
    "taken_by",
    [pytest.param("confirmed", id="confirmed"), pytest.param("waitlisted", id="waitlisted")],
)
def test_registration_substitute_refuses_colleague_already_registered(
    seminar, picked, register, seat_ledger, taken_by
):
    if taken_by == "waitlisted":
        seminar.days.update(capacity=1)
    holder = register(seminar, CompanyFactory(), email=COLLEAGUE["email"].upper(), waitlist=True)
    assert holder.status == taken_by
    before, last_email = seat_ledger(seminar), _last_email_pk()

    with pytest.raises(AlreadyRegistered) as refusal:
        registration_substitute(registration=picked, **COLLEAGUE)

    assert COLLEAGUE["email"] in str(refusal.value)
    assert seat_ledger(seminar) == before
    assert Registration.objects.get(pk=picked.pk).status == CONFIRMED
    assert _emails_since(last_email) == []


def test_registration_substitute_refuses_own_email(seminar, picked, seat_ledger):
    before = seat_ledger(seminar)

    with pytest.raises(AlreadyRegistered):
        registration_substitute(
            registration=picked, **(COLLEAGUE | {"email": picked.email.upper()})
        )

    assert seat_ledger(seminar) == before


@pytest.mark.parametrize("first", ["cancel", "substitute"])
def test_registration_substitute_refuses_inactive_registration(seminar, picked, seat_ledger, first):
    if first == "cancel":
        registration_cancel(registration=picked)
    else:
        registration_substitute(registration=picked, **(COLLEAGUE | {"email": "first@x.example"}))
    before = seat_ledger(seminar)

    with pytest.raises(RegistrationNotActive):
        registration_substitute(registration=picked, **COLLEAGUE)

    assert seat_ledger(seminar) == before


def test_registration_substitute_refuses_company_no_longer_eligible(seminar, picked, seat_ledger):
    company_set_status(
        company=picked.company, status=CertificationStatus.SUSPENDED, effective_on=date.today()
    )
    before = seat_ledger(seminar)

    with pytest.raises(CompanyNotEligible):
        registration_substitute(registration=picked, **COLLEAGUE)

    assert seat_ledger(seminar) == before
    assert Registration.objects.get(pk=picked.pk).status == CONFIRMED


# --- Link revoke ---------------------------------------------------------------------------------


def test_registration_link_revoke_replaces_token(picked):
    old_token = picked.manage_token

    revoked = registration_link_revoke(registration=picked)

    assert revoked.manage_token != old_token
    assert len(revoked.manage_token) >= 43
    assert Registration.objects.filter(manage_token=old_token).exists() is False
    assert Registration.objects.get(manage_token=revoked.manage_token) == picked
    assert list(picked.changes.values_list("action", flat=True)) == [
        RegistrationAction.LINK_REVOKED
    ]
    assert list(
        OutboundEmail.objects.filter(kind=EmailKind.LINK_REISSUED).values_list("to", flat=True)
    ) == [picked.email]

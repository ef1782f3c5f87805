import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ctpat.enums import CertificationStatus
from ctpat.exceptions import CompanyNotEligible, CompanyNotFound
from events.enums import RegistrationStatus
from events.exceptions import (
    AlreadyRegistered,
    CompanyLimitReached,
    InvalidChoice,
    RegistrationClosed,
    SeminarFull,
    SessionFull,
    SessionsOverlap,
    WorkshopDayFull,
)
from events.services import CODE_ALPHABET, CODE_LENGTH, confirmation_code_generate
from tests.factories import (
    BreakoutSessionFactory,
    CompanyFactory,
    RegistrationFactory,
    SeminarFactory,
    WorkshopDayFactory,
    seminar_build,
)

pytestmark = pytest.mark.django_db

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
SECOND, DAY = timedelta(seconds=1), timedelta(days=1)


def _nonzero(counters: dict) -> dict:
    return {key: value for key, value in counters.items() if value}


# --- Confirmation -------------------------------------------------------------------------------


def test_registration_create_confirms_and_moves_every_counter(
    seminar, company, register, seat_ledger
):
    tuesday, _thursday = seminar.days.all()
    risk = tuesday.sessions.get(topic="CBP risk indicators")
    evidence = tuesday.sessions.get(topic="Evidence of implementation")
    now = timezone.now()

    registration = register(
        seminar,
        company,
        day=tuesday,
        sessions=[evidence, risk],
        email="  Ana.Lopez@Maquila.example ",
        now=now,
    )

    assert registration.status == CONFIRMED
    assert (registration.created_at, registration.confirmed_at, registration.waitlisted_at) == (
        now,
        now,
        None,
    )
    assert (registration.email, registration.workshop_day, registration.company) == (
        "Ana.Lopez@Maquila.example",
        tuesday,
        company,
    )
    assert set(registration.sessions.all()) == {risk, evidence}
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert _nonzero(ledger["counters"]) == {
        "seminar": 1,
        f"day {tuesday.pk}": 1,
        f"session {risk.pk}": 1,
        f"session {evidence.pk}": 1,
        f"company {company.pk}": 1,
    }


def test_registration_create_confirms_despite_waitlist_flag_when_seats_left(seminar, register):
    registration = register(seminar, CompanyFactory(), waitlist=True)

    assert (registration.status, registration.waitlisted_at) == (CONFIRMED, None)


def test_confirmation_code_generate_draws_from_the_unambiguous_alphabet():
    codes = {confirmation_code_generate() for _ in range(2000)}

    assert len(codes) == 2000
    assert {len(code) for code in codes} == {CODE_LENGTH} == {8}
    assert set("".join(codes)) <= set(CODE_ALPHABET)
    assert not set(CODE_ALPHABET) & set("01OIL")


def test_registration_create_gives_unique_codes_and_unrelated_manage_tokens(seminar, register):
    registrations = [register(seminar, CompanyFactory()) for _ in range(20)]

    codes = {r.confirmation_code for r in registrations}
    tokens = {r.manage_token for r in registrations}
    assert (len(codes), len(tokens)) == (20, 20)
    for registration in registrations:
        assert re.fullmatch(rf"[{CODE_ALPHABET}]{{8}}", registration.confirmation_code)
        assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", registration.manage_token)
        assert registration.confirmation_code.lower() not in registration.manage_token.lower()


# --- R1 eligibility through registration ---------------------------------------------------------


@pytest.mark.parametrize(
    ("account_number", "refusal"),
    [("NOPE0000", CompanyNotFound), ("SUSP0001", CompanyNotEligible)],
    ids=["unknown", "suspended"],
)
def test_registration_create_refuses_ineligible_company(
    seminar, register, seat_ledger, account_number, refusal
):
    suspended = CompanyFactory(account_number="SUSP0001", status=CertificationStatus.SUSPENDED)
    before = seat_ledger(seminar)

    with pytest.raises(refusal):
        register(seminar, suspended, account_number=account_number)

    assert seat_ledger(seminar) == before


def test_registration_create_accepts_account_number_as_typed(seminar, register):
    company = CompanyFactory(account_number="ABCD1234")

    registration = register(seminar, company, account_number=" abcd 1234 ")

    assert registration.company == company


# --- R2 seminar cap and R8 wait-list -------------------------------------------------------------


def test_registration_create_refuses_when_seminar_full(register, seat_ledger):
    seminar = seminar_build(capacity=1)
    register(seminar, CompanyFactory())
    before = seat_ledger(seminar)

    with pytest.raises(SeminarFull) as refusal:
        register(seminar, CompanyFactory())

    assert refusal.value.waitlist_offered is True
    assert seat_ledger(seminar) == before


def test_registration_create_waitlists_when_seminar_full(register, seat_ledger):
    seminar = seminar_build(capacity=1)
    session = seminar.days.first().sessions.first()
    register(seminar, CompanyFactory())
    before = seat_ledger(seminar)
    now = timezone.now()

    registration = register(seminar, CompanyFactory(), sessions=[session], waitlist=True, now=now)

    assert (registration.status, registration.waitlisted_at, registration.confirmed_at) == (
        WAITLISTED,
        now,
        None,
    )
    assert list(registration.sessions.all()) == [session]
    after = seat_ledger(seminar)
    assert after["counters"] == before["counters"]
    assert after["allocations"] == before["allocations"] == 1
    assert after["registrations"] == {CONFIRMED: 1, WAITLISTED: 1}


# --- R3 company cap ------------------------------------------------------------------------------


@pytest.mark.parametrize("waitlist", [False, True], ids=["plain", "waitlist-asked"])
def test_registration_create_refuses_third_colleague(
    seminar, company, register, seat_ledger, waitlist
):
    register(seminar, company)
    register(seminar, company)
    before = seat_ledger(seminar)

    with pytest.raises(CompanyLimitReached) as refusal:
        register(seminar, company, waitlist=waitlist)

    assert refusal.value.field == "account_number"
    assert f"{company.legal_name} already has 2 people registered" in str(refusal.value)
    assert seat_ledger(seminar) == before
    assert register(seminar, CompanyFactory()).status == CONFIRMED


@pytest.mark.parametrize("limit", [1, 3], ids=["limit-1", "limit-3"])
def test_registration_create_honours_per_company_limit(register, limit):
    seminar = seminar_build(per_company_limit=limit)
    company = CompanyFactory()
    for _ in range(limit):
        register(seminar, company)

    with pytest.raises(CompanyLimitReached):
        register(seminar, company)

    assert seminar.allocations.get(company=company).confirmed_count == limit


def test_registration_create_counts_company_cap_per_seminar(seminar, company, register):
    register(seminar, company)
    register(seminar, company)
    other_seminar = seminar_build()

    assert register(other_seminar, company).status == CONFIRMED


# --- R4 workshop days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day_id",
    [
        lambda: None,
        lambda: WorkshopDayFactory().pk,
        lambda: 987654,
    ],
    ids=["missing", "another-seminars-day", "unknown-id"],
)
def test_registration_create_requires_one_of_its_workshop_days(
    seminar, company, register, seat_ledger, day_id
):
    before = seat_ledger(seminar)

    with pytest.raises(InvalidChoice) as refusal:
        register(seminar, company, workshop_day_id=day_id())

    assert refusal.value.field == "workshop_day"
    assert seat_ledger(seminar) == before


def test_registration_create_without_workshop_days(company, register):
    seminar = SeminarFactory()

    registration = register(seminar, company, day=None)

    assert (registration.status, registration.workshop_day) == (CONFIRMED, None)
    with pytest.raises(InvalidChoice) as refusal:
        register(seminar, company, workshop_day_id=WorkshopDayFactory().pk)
    assert refusal.value.field == "workshop_day"


def test_registration_create_refuses_when_workshop_day_full(register, seat_ledger):
    seminar = seminar_build(day_capacities=(1, 10))
    first_day, second_day = seminar.days.all()
    register(seminar, CompanyFactory(), day=first_day)
    before = seat_ledger(seminar)

    with pytest.raises(WorkshopDayFull) as refusal:
        register(seminar, CompanyFactory(), day=first_day, sessions=[first_day.sessions.first()])

    assert (refusal.value.field, refusal.value.waitlist_offered) == ("workshop_day", True)
    assert seat_ledger(seminar) == before
    assert register(seminar, CompanyFactory(), day=second_day).status == CONFIRMED


def test_registration_create_waitlists_for_full_day_while_other_day_has_room(register, seat_ledger):
    seminar = seminar_build(day_capacities=(1, 10))
    first_day, _second_day = seminar.days.all()
    register(seminar, CompanyFactory(), day=first_day)
    before = seat_ledger(seminar)

    registration = register(seminar, CompanyFactory(), day=first_day, waitlist=True)

    assert (registration.status, registration.workshop_day) == (WAITLISTED, first_day)
    assert registration.waitlisted_at is not None
    after = seat_ledger(seminar)
    assert after["counters"] == before["counters"]
    assert after["allocations"] == before["allocations"] == 1


# --- R5 break-out sessions -----------------------------------------------------------------------


def test_registration_create_refuses_full_session_naming_it(register, seat_ledger):
    seminar = seminar_build(session_capacity=1)
    full, other = seminar.days.first().sessions.all()
    register(seminar, CompanyFactory(), sessions=[full])
    before = seat_ledger(seminar)

    with pytest.raises(SessionFull) as refusal:
        register(seminar, CompanyFactory(), sessions=[other, full])

    assert refusal.value.field == "sessions"
    assert f"The session “{full.topic}” has just filled up" in str(refusal.value)
    assert seat_ledger(seminar) == before


def test_registration_create_refuses_overlapping_sessions(seminar, company, register, seat_ledger):
    tuesday = seminar.days.first()
    risk = tuesday.sessions.get(topic="CBP risk indicators")
    removals = tuesday.sessions.get(topic="Suspensions and removals")
    before = seat_ledger(seminar)

    with pytest.raises(SessionsOverlap) as refusal:
        register(seminar, company, day=tuesday, sessions=[removals, risk])

    assert refusal.value.field == "sessions"
    assert "“CBP risk indicators”" in str(refusal.value)
    assert "“Suspensions and removals”" in str(refusal.value)
    assert seat_ledger(seminar) == before


@pytest.mark.parametrize(
    "session",
    [
        lambda seminar: seminar.days.last().sessions.first(),
        lambda seminar: BreakoutSessionFactory(),
        lambda seminar: BreakoutSessionFactory.build(pk=987654),
    ],
    ids=["other-day", "another-seminar", "unknown-id"],
)
def test_registration_create_refuses_session_off_the_chosen_day(
    seminar, company, register, seat_ledger, session
):
    tuesday = seminar.days.first()
    picks = [tuesday.sessions.get(topic="CBP risk indicators"), session(seminar)]
    before = seat_ledger(seminar)

    with pytest.raises(InvalidChoice) as refusal:
        register(seminar, company, day=tuesday, sessions=picks)

    assert refusal.value.field == "sessions"
    assert seat_ledger(seminar) == before


def test_registration_create_refuses_sessions_without_workshop_days(company, register):
    with pytest.raises(InvalidChoice) as refusal:
        register(SeminarFactory(), company, day=None, sessions=[BreakoutSessionFactory()])

    assert refusal.value.field == "sessions"


# --- R6 one person, one seat ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "again", ["ANA@MAQUILA.EXAMPLE", " Ana@Maquila.Example "], ids=["upper-case", "padded"]
)
def test_registration_create_refuses_same_email_twice(seminar, register, seat_ledger, again):
    register(seminar, CompanyFactory(), email="ana@maquila.example")
    before = seat_ledger(seminar)

    with pytest.raises(AlreadyRegistered) as refusal:
        register(seminar, CompanyFactory(), email=again)

    assert refusal.value.field == "email"
    assert seat_ledger(seminar) == before


def test_registration_create_refuses_look_alike_of_same_email(seminar, register, seat_ledger):
    register(seminar, CompanyFactory(), email="kate@maquila.example")
    before = seat_ledger(seminar)

    with pytest.raises(AlreadyRegistered):
        register(seminar, CompanyFactory(), email="\u212aate@MAQUILA.example")  # Kelvin sign

    assert seat_ledger(seminar) == before


def test_registration_create_allows_same_email_in_another_seminar(seminar, company, register):
    register(seminar, company, email="ana@maquila.example")

    assert register(seminar_build(), company, email="ANA@maquila.example").status == CONFIRMED


def test_registration_create_refuses_email_already_waitlisted(register, seat_ledger):
    seminar = seminar_build(capacity=1)
    register(seminar, CompanyFactory())
    register(seminar, CompanyFactory(), email="ana@maquila.example", waitlist=True)
    before = seat_ledger(seminar)

    with pytest.raises(AlreadyRegistered):
        register(seminar, CompanyFactory(), email="Ana@Maquila.example", waitlist=True)

    assert seat_ledger(seminar) == before


def test_registration_create_allows_email_of_cancelled_registration(seminar, company, register):
    RegistrationFactory(
        seminar=seminar, email="ana@maquila.example", status=RegistrationStatus.CANCELLED
    )

    assert register(seminar, company, email="ana@maquila.example").status == CONFIRMED


# --- R7 registration window ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "now", "is_open"),
    [
        pytest.param(False, lambda s: s.registration_opens_at, False, id="unpublished"),
        pytest.param(True, lambda s: s.registration_opens_at - SECOND, False, id="before-opening"),
        pytest.param(True, lambda s: s.registration_opens_at, True, id="at-opening"),
        pytest.param(True, lambda s: s.registration_closes_at - SECOND, True, id="last-second"),
        pytest.param(True, lambda s: s.registration_closes_at, False, id="at-closing"),
        pytest.param(True, lambda s: s.registration_closes_at + DAY, False, id="after-closing"),
    ],
)
def test_registration_create_only_inside_window(
    seminar, company, register, seat_ledger, published, now, is_open
):
    seminar.is_published = published
    seminar.save()
    before = seat_ledger(seminar)

    if is_open:
        assert register(seminar, company, now=now(seminar)).status == CONFIRMED
    else:
        with pytest.raises(RegistrationClosed):
            register(seminar, company, now=now(seminar))
        assert seat_ledger(seminar) == before

"""Taking the seats (R2-R5, R7): all of them or none, and what a stale copy of the seminar gets.

The service decides every cap on the rows under the seminar's lock, whatever copy of the seminar
its caller read: these tests hand it a copy read before the rows moved on, and check the answer
and that the rows stay consistent. They run in real transactions, on both databases.
"""

import pytest
from django.db import OperationalError, connections, transaction
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from ctpat.models import Company
from events import seats
from events.enums import RegistrationStatus
from events.exceptions import (
    CompanyLimitReached,
    RegistrationClosed,
    SeminarFull,
    SessionFull,
    WorkshopDayFull,
)
from events.models import (
    BreakoutSession,
    CompanyAllocation,
    OutboundEmail,
    Registration,
    Seminar,
    WorkshopDay,
)
from tests.factories import CompanyFactory, seminar_build

pytestmark = pytest.mark.django_db(transaction=True)


def copy_of(seminar: Seminar) -> Seminar:
    """The seminar with its program, as the form loads it."""
    days = WorkshopDay.objects.prefetch_related(
        Prefetch("sessions", queryset=BreakoutSession.objects.order_by("starts_at", "id"))
    )
    return Seminar.objects.prefetch_related(Prefetch("days", queryset=days), "questions").get(
        pk=seminar.pk
    )


def test_registration_confirmed_takes_each_seat_once(register, seat_ledger):
    seminar = seminar_build()
    day = seminar.days.first()

    registration = register(
        copy_of(seminar), CompanyFactory(), day=day, sessions=[*day.sessions.all()]
    )

    assert registration.status == RegistrationStatus.CONFIRMED
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["rows"]["seminar"] == 1
    assert ledger["picks"] == 2


@pytest.mark.parametrize(
    ("build", "full"),
    [({"capacity": 1}, SeminarFull), ({"day_capacities": (1, 5)}, WorkshopDayFull)],
    ids=["seminar", "day"],
)
@pytest.mark.parametrize("waitlist", [False, True], ids=["refused", "waitlisted"])
def test_registration_stale_copy_of_a_seminar_or_day_that_filled(
    register, seat_ledger, build, full, waitlist
):
    seminar = seminar_build(**build)
    stale = copy_of(seminar)
    register(copy_of(seminar), CompanyFactory())

    if waitlist:
        registration = register(stale, CompanyFactory(), waitlist=True)
        assert registration.status == RegistrationStatus.WAITLISTED
    else:
        with pytest.raises(full):
            register(stale, CompanyFactory())
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["rows"]["seminar"] == 1
    assert Registration.objects.count() == 1 + waitlist


def test_registration_stale_copy_of_a_session_that_filled(register, seat_ledger):
    seminar = seminar_build(session_capacity=1)
    day = seminar.days.first()
    session = day.sessions.first()
    stale = copy_of(seminar)
    register(copy_of(seminar), CompanyFactory(), day=day, sessions=[session])

    with pytest.raises(SessionFull, match=session.topic):
        register(stale, CompanyFactory(), day=day, sessions=[session])

    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["rows"]["seminar"] == 1
    assert Registration.objects.count() == 1


@pytest.mark.parametrize("waitlist", [False, True], ids=["plain", "waitlist asked"])
def test_registration_stale_copy_of_a_seminar_that_closed(register, seat_ledger, waitlist):
    seminar = seminar_build()
    stale = copy_of(seminar)
    Seminar.objects.filter(pk=seminar.pk).update(is_published=False)

    with pytest.raises(RegistrationClosed):
        register(stale, CompanyFactory(), waitlist=waitlist)

    assert Registration.objects.count() == 0
    assert seat_ledger(seminar)["counters"]["seminar"] == 0


def test_registration_refused_full_seminar_writes_nothing_and_takes_no_lock(register):
    """Full by the copy read for the request and no wait-list asked: refused before any write,
    and without queueing for the seminar's row (thousands of late posts of a rush)."""
    seminar = seminar_build(capacity=1)
    register(copy_of(seminar), CompanyFactory())
    company = CompanyFactory()

    with CaptureQueriesContext(connections["default"]) as queries, pytest.raises(SeminarFull):
        register(copy_of(seminar), company)

    sql = [q["sql"] for q in queries.captured_queries]
    assert [q for q in sql if q.split()[0].upper() != "SELECT" or "FOR " in q] == []
    assert Registration.objects.count() == 1


@pytest.mark.parametrize(
    ("build", "wanted"),
    [
        ({"day_capacities": (1, 5)}, "day"),
        ({"session_capacity": 1}, "session"),
        ({"per_company_limit": 1}, "company"),
    ],
)
def test_registration_refused_under_the_lock_leaves_nothing(register, seat_ledger, build, wanted):
    """A full day, a full session or a company at its limit found on the locked rows: the
    registration's rows and every seat its transaction took are rolled back."""
    seminar = seminar_build(**build)
    day = seminar.days.order_by("date").first()
    session = day.sessions.first()
    company = CompanyFactory()
    stale = copy_of(seminar)
    register(copy_of(seminar), company, day=day, sessions=[session])
    refused = {"day": WorkshopDayFull, "session": SessionFull, "company": CompanyLimitReached}

    with pytest.raises(refused[wanted]):
        register(
            stale, company if wanted == "company" else CompanyFactory(), day=day, sessions=[session]
        )

    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert (ledger["rows"]["seminar"], ledger["picks"]) == (1, 1)
    assert Registration.objects.count() == 1
    assert OutboundEmail.objects.count() == Registration.objects.get().emails.count()


@pytest.mark.parametrize("waitlist", [False, True], ids=["plain", "waitlist asked"])
def test_registration_stale_copy_of_a_seminar_that_filled_and_closed(
    register, seat_ledger, waitlist
):
    """A closed seminar's refusal says that it closed, full or not."""
    seminar = seminar_build(capacity=1)
    stale = copy_of(seminar)
    register(copy_of(seminar), CompanyFactory())
    Seminar.objects.filter(pk=seminar.pk).update(is_published=False)

    with pytest.raises(RegistrationClosed):
        register(stale, CompanyFactory(), waitlist=waitlist)

    assert Registration.objects.count() == 1


def test_registration_stale_copy_of_a_lowered_company_limit(register, seat_ledger):
    seminar = seminar_build(per_company_limit=2)
    company = CompanyFactory()
    stale = copy_of(seminar)
    register(copy_of(seminar), company)
    Seminar.objects.filter(pk=seminar.pk).update(per_company_limit=1)

    with pytest.raises(CompanyLimitReached):
        register(stale, company)

    assert Registration.objects.count() == 1


# --- The mechanism: seats_take under the seminar's lock -------------------------------------------


def _wanted(seminar: Seminar, what: str) -> dict:
    """The arguments of ``seats_take`` for one person, with ``what`` full already."""
    day = seminar.days.first()
    session = day.sessions.first()
    company = CompanyFactory()
    if what == "seminar":
        Seminar.objects.filter(pk=seminar.pk).update(capacity=0)
    elif what == "day":
        WorkshopDay.objects.filter(pk=day.pk).update(capacity=0)
    elif what == "session":
        BreakoutSession.objects.filter(pk=session.pk).update(capacity=0)
    elif what == "company":
        Seminar.objects.filter(pk=seminar.pk).update(per_company_limit=1)
        CompanyAllocation.objects.create(
            seminar=seminar, company=company, confirmed_count=1, per_company_limit=1
        )
    return {"day": day, "sessions": [session], "company": company}


@pytest.mark.parametrize("what", ["seminar", "day"])
def test_seats_take_full_seminar_or_day_refused_before_any_counter_moves(seat_ledger, what):
    """So that the caller may still wait-list the person in the same transaction."""
    seminar = seminar_build()
    wanted = _wanted(seminar, what)
    before = seat_ledger(seminar)["counters"]

    with transaction.atomic():
        locked = seats.seminar_lock(seminar=seminar)
        with pytest.raises(SeminarFull if what == "seminar" else WorkshopDayFull):
            seats.seats_take(seminar=locked, **wanted)
        assert seat_ledger(seminar)["counters"] == before
    assert seat_ledger(seminar)["counters"] == before


@pytest.mark.parametrize(
    ("what", "raised"), [("session", SessionFull), ("company", CompanyLimitReached)]
)
def test_seats_take_refused_after_some_seats_rolls_the_transaction_back(seat_ledger, what, raised):
    seminar = seminar_build()
    wanted = _wanted(seminar, what)
    before = seat_ledger(seminar)["counters"]

    def transaction_that_takes_the_seats():
        with transaction.atomic():
            Company.objects.filter(pk=wanted["company"].pk).update(legal_name="Undone")
            seats.seats_take(seminar=seats.seminar_lock(seminar=seminar), **wanted)

    with pytest.raises(raised):
        transaction_that_takes_the_seats()

    assert Company.objects.get(pk=wanted["company"].pk).legal_name != "Undone"
    assert seat_ledger(seminar)["counters"] == before


def test_seats_take_and_release_keep_the_locked_row_in_step(seat_ledger):
    seminar = seminar_build()
    wanted = _wanted(seminar, "nothing")

    with transaction.atomic():
        locked = seats.seminar_lock(seminar=seminar)
        seats.seats_take(seminar=locked, **wanted)
        assert locked.confirmed_count == 1
        seats.seats_release(seminar=locked, **wanted)
        assert locked.confirmed_count == 0

    assert set(seat_ledger(seminar)["counters"].values()) == {0}


def test_company_seat_take_first_seat_creates_the_allocation_with_the_seminars_limit():
    seminar = seminar_build(per_company_limit=3)
    company = CompanyFactory()

    with transaction.atomic():
        seats.company_seat_take(seminar=seats.seminar_lock(seminar=seminar), company=company)
        seats.company_seat_take(seminar=seats.seminar_lock(seminar=seminar), company=company)

    allocation = CompanyAllocation.objects.get(seminar=seminar, company=company)
    assert (allocation.confirmed_count, allocation.per_company_limit) == (2, 3)


def test_company_seat_take_holds_to_the_seminars_limit_even_if_a_copy_is_out_of_step():
    """The locked seminar row decides; the allocation's copy of the limit follows it."""
    seminar = seminar_build(per_company_limit=1)
    company = CompanyFactory()
    CompanyAllocation.objects.create(
        seminar=seminar, company=company, confirmed_count=1, per_company_limit=2
    )

    with pytest.raises(CompanyLimitReached), transaction.atomic():
        seats.company_seat_take(seminar=seats.seminar_lock(seminar=seminar), company=company)

    assert CompanyAllocation.objects.get(seminar=seminar, company=company).confirmed_count == 1


def test_companies_with_limit_tells_who_holds_the_limit():
    seminar = seminar_build(per_company_limit=2)
    at_one, at_two, without = CompanyFactory(), CompanyFactory(), CompanyFactory()
    CompanyAllocation.objects.create(
        seminar=seminar, company=at_one, confirmed_count=1, per_company_limit=2
    )
    CompanyAllocation.objects.create(
        seminar=seminar, company=at_two, confirmed_count=2, per_company_limit=2
    )

    companies = seats.companies_with_limit(seminar=seminar)

    assert dict(companies.values_list("pk", "at_limit")) == {
        at_one.pk: False,
        at_two.pk: True,
        without.pk: False,
    }


@pytest.mark.postgres
def test_seminar_lock_is_held_until_the_commit():
    """The one lock per seminar: another transaction cannot take it until this one ends."""
    seminar = seminar_build()
    observer = connections.create_connection("default")
    locked_read = "SELECT id FROM events_seminar WHERE id = %s FOR NO KEY UPDATE NOWAIT"
    try:
        with transaction.atomic():
            seats.seminar_lock(seminar=seminar)
            with pytest.raises(OperationalError, match="could not obtain lock"):  # noqa: SIM117
                with observer.cursor() as cursor:
                    cursor.execute(locked_read, [seminar.pk])
        with observer.cursor() as cursor:
            cursor.execute(locked_read, [seminar.pk])
            assert cursor.fetchone() == (seminar.pk,)
    finally:
        observer.close()

"""Taking the seats (R2-R5, R7): all of them or none, and what a stale copy of the seminar gets.

The registration form works from a copy of the seminar up to a second old (``events.pagecache``);
these tests hand the service such a copy after the rows have moved on, and check the answer and
that the rows stay consistent. The mechanism tests run in real transactions, so that on
PostgreSQL the seat call really carries the COMMIT (``seats.seats_take_all``).
"""

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.models import Prefetch
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ctpat.models import Company
from events import seats, services
from events.enums import EmailKind, RegistrationStatus
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
    RegistrationSession,
    Seminar,
    WorkshopDay,
)
from events.outbox import outbox_rows
from tests.factories import CompanyFactory, RegistrationFactory, seminar_build

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


@pytest.mark.parametrize("fresh", [True, False], ids=["copy shows it full", "stale copy"])
def test_registration_refused_full_seminar_queues_for_no_lock(register, fresh):
    """Full by the row and no wait-list asked: one read refuses it, and it never waits for the
    seminar's row. A copy that already shows it full writes nothing at all; a stale one tried
    its seat call first, and that whole transaction rolled back."""
    seminar = seminar_build(capacity=1)
    stale = copy_of(seminar)
    register(copy_of(seminar), CompanyFactory())
    copy = copy_of(seminar) if fresh else stale
    company = CompanyFactory()

    with CaptureQueriesContext(connections["default"]) as queries, pytest.raises(SeminarFull):
        register(copy, company)

    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if "FOR UPDATE" in q or "FOR NO KEY UPDATE" in q]
    if fresh:
        assert not [q for q in sql if q.split()[0].upper() in ("INSERT", "UPDATE", "SAVEPOINT")]
    assert Registration.objects.count() == 1
    assert Seminar.objects.get(pk=seminar.pk).confirmed_count == 1


def test_registration_refused_full_day_queues_for_no_lock(register, seat_ledger):
    """The seminar has seats, the chosen day none, no wait-list asked: the seat call's answer is
    the refusal; the transaction rolled back and the seminar's row was never waited for."""
    seminar = seminar_build(day_capacities=(1, 5))
    day = seminar.days.order_by("date").first()
    register(copy_of(seminar), CompanyFactory(), day=day)

    with (
        CaptureQueriesContext(connections["default"]) as queries,
        pytest.raises(WorkshopDayFull),
    ):
        register(copy_of(seminar), CompanyFactory(), day=day)

    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if "FOR UPDATE" in q or "FOR NO KEY UPDATE" in q]
    # One try at the seats, no second transaction that decides under the seminar's lock.
    assert len([q for q in sql if q.startswith('INSERT INTO "events_registration"')]) == 1
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["rows"]["seminar"] == 1
    assert Registration.objects.count() == 1


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


# --- The mechanism: seats_take_all inside seats_commit --------------------------------------------


def _full(seminar: Seminar, what: str) -> dict:
    """The arguments of ``seats_take_all`` for one person, with ``what`` full already."""
    day = seminar.days.first()
    session = day.sessions.first()
    company = CompanyFactory()
    if what == "seminar":
        Seminar.objects.filter(pk=seminar.pk).update(capacity=0)
    elif what == "closed":
        Seminar.objects.filter(pk=seminar.pk).update(is_published=False)
    elif what == "day":
        WorkshopDay.objects.filter(pk=day.pk).update(capacity=0)
    elif what == "session":
        BreakoutSession.objects.filter(pk=session.pk).update(capacity=0)
    elif what == "company":
        Seminar.objects.filter(pk=seminar.pk).update(per_company_limit=1)
        CompanyAllocation.objects.create(seminar=seminar, company=company, confirmed_count=1)
    return {"seminar": seminar, "day": day, "sessions": [session], "company": company}


def _take_all_in_own_transaction(wanted: dict) -> None:
    """A transaction that writes a row, then ends with ``seats_take_all``."""
    with (
        seats.seats_refused(
            seminar=wanted["seminar"], sessions=wanted["sessions"], company=wanted["company"]
        ),
        transaction.atomic(durable=True),
    ):
        Company.objects.filter(pk=wanted["company"].pk).update(legal_name="Undone")
        seats.seats_take_all(**wanted, open_at=timezone.now())


@pytest.mark.parametrize(
    ("what", "raised"),
    [
        ("seminar", seats.SeatUnavailable),
        ("closed", seats.SeatUnavailable),
        ("day", seats.SeatUnavailable),
        ("session", SessionFull),
        ("company", CompanyLimitReached),
    ],
)
def test_seats_take_all_refused_rolls_back_its_transaction(seat_ledger, what, raised):
    seminar = seminar_build()
    wanted = _full(seminar, what)
    before = seat_ledger(seminar)["counters"]

    with pytest.raises(raised):
        _take_all_in_own_transaction(wanted)

    assert Company.objects.get(pk=wanted["company"].pk).legal_name != "Undone"
    assert seat_ledger(seminar)["counters"] == before


def test_seats_take_all_day_full_names_the_day(db):
    with pytest.raises(seats.SeatUnavailable) as refused:
        _take_all_in_own_transaction(_full(seminar_build(), "day"))

    assert refused.value.full == "day"


@pytest.mark.postgres
def test_seats_take_all_carries_the_commit():
    """On PostgreSQL the seat call of a transaction of its own commits it in the same round trip:
    once it returns, another session sees the seat taken and can lock the seminar's row."""
    seminar = seminar_build()
    company = CompanyFactory()
    wanted = {"seminar": seminar, "day": seminar.days.first(), "sessions": [], "company": company}
    observer = connections.create_connection("default")
    locked_read = (
        "SELECT confirmed_count FROM events_seminar WHERE id = %s FOR NO KEY UPDATE NOWAIT"
    )
    try:
        with (
            seats.seats_refused(seminar=seminar, sessions=[], company=company),
            transaction.atomic(durable=True),
        ):
            seats.seats_take_all(**wanted, open_at=timezone.now())
            with observer.cursor() as cursor:
                cursor.execute(locked_read, [seminar.pk])
                assert cursor.fetchone() == (1,)
        # Inside another transaction the call leaves the commit to it, and holds the row.
        with transaction.atomic():
            with (
                seats.seats_refused(seminar=seminar, sessions=[], company=company),
                transaction.atomic(),
            ):
                seats.seats_take_all(**wanted, open_at=timezone.now())
            with pytest.raises(OperationalError, match="could not obtain lock"):  # noqa: SIM117
                with observer.cursor() as cursor:
                    cursor.execute(locked_read, [seminar.pk])
    finally:
        observer.close()
    seminar.refresh_from_db()
    assert seminar.confirmed_count == 2


def _compiled(rows, *, returning=False) -> tuple[str, tuple]:
    """What Django's own compiler writes for ``bulk_create`` of ``rows``."""
    model = type(rows[0])
    query = InsertQuery(model)
    query.insert_values(seats._insert_fields(model), rows)
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [model._meta.pk] if returning else None
    [(statement, params)] = compiler.as_sql()
    return statement, params


def _as_sent(statement: str, params: tuple):
    """The statement with its values in it, as PostgreSQL gets it (JSON values are adapter
    objects that do not compare); SQLite's values compare as they are."""
    if connection.vendor != "postgresql":
        return statement, params
    with connection.cursor() as cursor:
        return cursor.cursor.mogrify(statement, params)


def test_rows_insert_sql_is_the_compilers_for_each_shape_first_and_kept(register):
    seminar = seminar_build()
    day = seminar.days.first()
    picked = list(day.sessions.all()[:2])
    company = CompanyFactory(poc_email="poc@partner.example")
    registration = RegistrationFactory.build(
        seminar=seminar, company=company, workshop_day=day, confirmed_at=timezone.now()
    )
    current = RawSQL("currval(pg_get_serial_sequence(%s, %s))", ("events_registration", "id"))
    saved = register(seminar, company)

    def shapes():
        registration.pk = None
        yield [registration], True
        registration.pk = current
        yield services.picks_rows(registration=registration, sessions=picked), False
        yield outbox_rows(registration=registration, kind=EmailKind.CONFIRMED), False
        # Plain values in several rows: PostgreSQL's UNNEST, never kept.
        yield services.picks_rows(registration=saved, sessions=picked), False

    seats._INSERT_STATEMENTS.clear()
    for _first_then_kept in range(2):
        for rows, returning in shapes():
            expected = _as_sent(*_compiled(rows, returning=returning))
            assert _as_sent(*seats._rows_insert_sql(rows, returning=returning)) == expected
    assert len(seats._INSERT_STATEMENTS) == 3


def test_company_with_limit_reads_the_company_as_the_orm_does_and_its_limit():
    seminar = seminar_build(per_company_limit=2)
    company = CompanyFactory(expires_on=timezone.localdate(), poc_email="poc@partner.example")
    other = CompanyFactory()
    CompanyAllocation.objects.create(seminar=seminar, company=company, confirmed_count=1)
    CompanyAllocation.objects.create(seminar=seminar, company=other, confirmed_count=2)

    read = seats.company_with_limit(company.account_number, seminar=seminar)

    expected = Company.objects.get(pk=company.pk)
    assert read is not None
    assert read.pk == company.pk
    assert not read._state.adding
    # Every field, typed as the ORM types it (dates, aware datetimes on SQLite too).
    for field in Company._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name
        assert type(getattr(read, field.attname)) is type(getattr(expected, field.attname))
    assert read.at_limit is False
    assert seats.company_with_limit(other.account_number, seminar=seminar).at_limit is True
    Seminar.objects.filter(pk=seminar.pk).update(per_company_limit=1)
    assert seats.company_with_limit(company.account_number, seminar=seminar).at_limit is True
    assert seats.company_with_limit("NOSUCH0001", seminar=seminar) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_registration_outside_a_transaction_is_one_query_all_or_nothing(register, seat_ledger):
    """As in production: the registration, its picks, its messages and its seats are one query,
    which PostgreSQL runs as one transaction; a refused seat leaves none of its rows behind."""
    seminar = seminar_build(session_capacity=1)
    day = seminar.days.first()
    session = day.sessions.first()
    company = CompanyFactory()

    with CaptureQueriesContext(connections["default"]) as captured:
        registration = register(seminar, company, day=day, sessions=[session])
    # Reads (the company with its limit, the program), then one query that writes: no
    # SAVEPOINT, BEGIN or COMMIT of its own.
    [write] = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SELECT")]
    assert write.startswith('INSERT INTO "events_registration"')
    assert 'INSERT INTO "events_registrationsession"' in write
    assert 'INSERT INTO "events_outboundemail"' in write
    assert write.endswith("true)")  # the seat call, last
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert [pick.session_id for pick in registration.picks.all()] == [session.pk]
    assert registration.emails.count() == 2

    with pytest.raises(SessionFull):
        register(seminar, CompanyFactory(), day=day, sessions=[session])
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert Registration.objects.count() == 1
    assert RegistrationSession.objects.count() == 1
    assert OutboundEmail.objects.count() == 2

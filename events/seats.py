"""The guarded seat counters: every move of a ``confirmed_count`` goes through here.

Callers hold one transaction and take the seminar's row first (``seminar_lock`` or a successful
``seminar_seat_take``, or ``seats_take`` which starts with it); the other rows are then only ever
moved by the holder of that lock, so no two seat-moving transactions can deadlock. Each take is
still a conditional UPDATE, so a cap holds even for a caller that forgot the lock, and the check
constraints are the last line.
"""

from collections.abc import Callable, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from itertools import chain
from typing import Literal

from django.db import DatabaseError, connection, transaction
from django.db.models import AutoField, BooleanField, F, Model
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery
from django.utils.translation import gettext as _t

from ctpat.models import Company
from events.exceptions import CompanyLimitReached, SessionFull
from events.models import (
    BreakoutSession,
    CompanyAllocation,
    Seminar,
    WorkshopDay,
    text_naming,
)


def seminar_lock(*, seminar: Seminar) -> Seminar:
    """Take the seminar's row (FOR NO KEY UPDATE, the lock an UPDATE takes) and read it fresh."""
    return Seminar.objects.select_for_update(no_key=True).get(pk=seminar.pk)


def seminar_is_full(*, seminar: Seminar, open_at: datetime) -> bool:
    """Whether the seminar is open at ``open_at`` (R7) with every seat taken (R2), by its row
    (one read, no lock). A closed one is not "full": its refusal says that it closed. Written in
    SQL: every POST after a rush fills the seminar asks it, and building it with the ORM cost
    more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Seminar._meta.db_table} "
            f"WHERE id = %s AND confirmed_count >= capacity AND {_OPEN_AT_SQL}",
            (seminar.pk, *_open_at_params(open_at)),
        )
        return cursor.fetchone() is not None


# R7 on the seminar's row: published, and taking registrations at the moment given twice.
_OPEN_AT_SQL = "is_published AND registration_opens_at <= %s AND registration_closes_at > %s"


def _open_at_params(moment: datetime) -> tuple:
    value = connection.ops.adapt_datetimefield_value(moment)
    return value, value


def _open_at(moment: datetime) -> RawSQL:
    """``_OPEN_AT_SQL`` as a filter of the ORM."""
    return RawSQL(f"({_OPEN_AT_SQL})", _open_at_params(moment), output_field=BooleanField())


def seminar_seat_take(*, seminar: Seminar, open_at: datetime | None = None) -> bool:
    """R2, and R7 at ``open_at`` when given. Locks the row when it succeeds; a full (or closed)
    seminar is not locked by a failed attempt."""
    rows = Seminar.objects.filter(pk=seminar.pk, confirmed_count__lt=F("capacity"))
    if open_at is not None:
        rows = rows.filter(_open_at(open_at))
    return bool(rows.update(confirmed_count=F("confirmed_count") + 1))


def seminar_seat_release(*, seminar: Seminar) -> None:
    Seminar.objects.filter(pk=seminar.pk).update(confirmed_count=F("confirmed_count") - 1)


def day_seat_take(*, day: WorkshopDay | None) -> bool:
    """R4."""
    if day is None:
        return True
    return bool(
        WorkshopDay.objects.filter(pk=day.pk, confirmed_count__lt=F("capacity")).update(
            confirmed_count=F("confirmed_count") + 1
        )
    )


def day_seat_release(*, day: WorkshopDay | None) -> None:
    if day is not None:
        WorkshopDay.objects.filter(pk=day.pk).update(confirmed_count=F("confirmed_count") - 1)


def session_seats_take(*, sessions: list[BreakoutSession]) -> None:
    """R5: one seat in each session, in one statement, or ``SessionFull`` naming a full one.

    The caller holds the seminar's row, so only it moves these counters now: the rows' locking
    order within the statement cannot deadlock with anyone. A refusal rolls the whole transaction
    back, the seats this statement did take included.
    """
    if not _session_seats_taken(sessions=sessions):
        raise session_full_error(sessions=sessions)


def _session_seats_taken(*, sessions: list[BreakoutSession]) -> bool:
    if not sessions:
        return True
    ids = sorted(s.pk for s in sessions)
    taken = BreakoutSession.objects.filter(pk__in=ids, confirmed_count__lt=F("capacity")).update(
        confirmed_count=F("confirmed_count") + 1
    )
    return taken == len(ids)


def session_full_error(*, sessions: list[BreakoutSession]) -> SessionFull:
    """The refusal naming the first of ``sessions`` that is full now."""
    ids = sorted(s.pk for s in sessions)
    by_id = {s.pk: s for s in sessions}
    full = BreakoutSession.objects.filter(pk__in=ids, confirmed_count__gte=F("capacity"))
    first_full = by_id[full.order_by("pk").values_list("pk", flat=True).first() or ids[0]]
    return SessionFull(
        text_naming(
            _t(
                "The session “%(topic)s” has just filled up. "
                "Choose another session or leave it out."
            ),
            topic=(first_full, "topic"),
        )
    )


def session_seats_release(*, sessions: list[BreakoutSession]) -> None:
    if sessions:
        BreakoutSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
            confirmed_count=F("confirmed_count") - 1
        )


def company_limit_error(*, seminar: Seminar, company: Company) -> CompanyLimitReached:
    return CompanyLimitReached(
        _t(
            "%(company)s already has %(limit)d people registered for this seminar, the most one "
            "company may send. A registered colleague can hand over their seat through the link "
            "in their confirmation e-mail."
        )
        % {"company": company.legal_name, "limit": seminar.per_company_limit}
    )


def company_with_limit(account_number: str, *, seminar: Seminar) -> Company | None:
    """The company with that (normalized) account number, and ``at_limit``: whether it holds
    the seminar's per-company limit now, by the seminar's row. One read, no lock; written in SQL
    since the ORM's building of this query cost more than running it."""
    columns = _company_columns()
    sql = (
        f"SELECT {', '.join(f'c.{col.target.column}' for col, _converters in columns)}, "
        f"EXISTS (SELECT 1 FROM {CompanyAllocation._meta.db_table} a "
        f"JOIN {Seminar._meta.db_table} s ON s.id = a.seminar_id "
        "WHERE a.seminar_id = %s AND a.company_id = c.id "
        "AND a.confirmed_count >= s.per_company_limit) "
        f"FROM {Company._meta.db_table} c WHERE c.account_number = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [seminar.pk, account_number])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    # What the ORM's own reads do to each value (aware datetimes on SQLite, say).
    for value, (col, converters) in zip(row, columns, strict=False):
        for converter in converters:
            value = converter(value, col, connection)
        values.append(value)
    company = Company.from_db(connection.alias, [col.target.attname for col, _ in columns], values)
    company.at_limit = bool(row[-1])
    return company


def _company_columns() -> list[tuple]:
    """Each of the company's columns with the converters the database backend gives it."""
    key = ("company_columns", connection.vendor)
    if key not in _COLUMNS:
        _COLUMNS[key] = [
            (
                col := field.get_col(Company._meta.db_table),
                connection.ops.get_db_converters(col) + col.get_db_converters(connection),
            )
            for field in Company._meta.concrete_fields
        ]
    return _COLUMNS[key]


_COLUMNS: dict[tuple, list] = {}


def company_seats_held(*, seminar: Seminar, company: Company) -> int:
    allocation = CompanyAllocation.objects.filter(seminar=seminar, company=company).first()
    return allocation.confirmed_count if allocation else 0


def _company_seat_taken(*, seminar: Seminar, company: Company) -> bool:
    """One statement: the company's first seat creates its allocation row, a later one counts up
    while under the limit; the conflict on the (seminar, company) row makes concurrent first
    seats wait for each other and re-check the limit on the newest row version.
    """
    table = CompanyAllocation._meta.db_table
    with connection.cursor() as cursor:
        # The limit as the seminar's row has it now, not as the caller's copy had it.
        cursor.execute(
            f"INSERT INTO {table} (seminar_id, company_id, confirmed_count) VALUES (%s, %s, 1) "
            "ON CONFLICT (seminar_id, company_id) DO UPDATE "
            f"SET confirmed_count = {table}.confirmed_count + 1 "
            f"WHERE {table}.confirmed_count < ("
            f"SELECT per_company_limit FROM {Seminar._meta.db_table} WHERE id = %s) RETURNING id",
            [seminar.pk, company.pk, seminar.pk],
        )
        return cursor.fetchone() is not None


def company_seat_release(*, seminar: Seminar, company: Company) -> None:
    CompanyAllocation.objects.filter(seminar=seminar, company=company).update(
        confirmed_count=F("confirmed_count") - 1
    )


Full = Literal["seminar", "day"]


class SeatUnavailable(Exception):
    """``seats_take_all`` found the seminar (full or closed) or the day full: nothing was taken.

    Not a refusal yet: whether the person may wait is decided under the seminar's lock.
    """

    def __init__(self, full: Full):
        super().__init__(full)
        self.full = full


def seats_take(
    *,
    seminar: Seminar,
    day: WorkshopDay | None,
    sessions: list[BreakoutSession],
    company: Company,
    open_at: datetime | None = None,
) -> Full | None:
    """R2-R5 for one person: the seminar's seat, the day's, one in each session and one of the
    company's, in that order. Returns ``None`` when every seat was taken, or which of the seminar
    and the day was full: nothing after it was taken, and a seminar seat taken before a full day
    is the caller's to release. A full session or company limit raises its refusal, whose
    rollback gives back what was taken. With ``open_at``, a seminar whose registration is not
    open then (R7, on the row as it is now) counts as full.

    On PostgreSQL this is one call of ``events_seats_take`` (migration 0012).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _SEATS_TAKE_CALL,
                _seats_take_arguments(
                    seminar=seminar,
                    day=day,
                    sessions=sessions,
                    company=company,
                    open_at=open_at,
                    refuse=False,
                ),
            )
            full = cursor.fetchone()[0]
    else:
        full = _seats_take_in_steps(
            seminar=seminar, day=day, sessions=sessions, company=company, open_at=open_at
        )
    if full in ("seminar", "day") or full is None:
        return full
    raise _refusal(full, seminar=seminar, sessions=sessions, company=company)


def seats_take_all(
    *,
    seminar: Seminar,
    day: WorkshopDay | None,
    sessions: list[BreakoutSession],
    company: Company,
    open_at: datetime,
) -> None:
    """``seats_take`` or fail: the last statement of a transaction run inside ``seats_refused``.

    On PostgreSQL, when the transaction is the connection's own (not a savepoint inside another),
    the call carries the transaction's COMMIT in the same round trip: the seminar's row, which
    every seat-moving transaction queues for, is then held while the server runs the call and
    flushes the commit, never while an app server's thread waits for a CPU or the GIL to send
    the COMMIT. A refused call raises, so that COMMIT never runs and the transaction rolls back.
    Django's own commit at the end of the block then finds nothing left to do.
    """
    if connection.vendor != "postgresql":
        full = _seats_take_in_steps(
            seminar=seminar, day=day, sessions=sessions, company=company, open_at=open_at
        )
        if full is not None:
            raise _SeatsTakeFailed(full)
        return
    arguments = _seats_take_arguments(
        seminar=seminar, day=day, sessions=sessions, company=company, open_at=open_at, refuse=True
    )
    statements = [(_SEATS_TAKE_CALL, arguments)]
    if connection.in_atomic_block and not connection.savepoint_ids:
        statements.append(("COMMIT", ()))
    with connection.cursor() as cursor:
        _execute_as_one_query(cursor, statements)


def seats_take_after_insert(
    *,
    row: Model,
    rows: Callable[[], Sequence[Sequence[Model]]],
    seminar: Seminar,
    day: WorkshopDay | None,
    sessions: list[BreakoutSession],
    company: Company,
    open_at: datetime,
) -> None:
    """Insert ``row``, then the rows ``rows()`` builds (which may refer to it), then take every
    seat (``seats_take_all``): all or nothing, run inside ``seats_refused``.

    On PostgreSQL, outside any transaction, that is one query of several statements, which the
    server runs as one transaction: one round trip for a whole registration, and the seminar's
    row held only while the server runs its last statement and flushes the commit. The rows that
    refer to ``row`` carry ``currval`` of its id's sequence, and ``row`` gets its id from the
    first statement's RETURNING. Inside a transaction (a caller's, a test's) the same query runs
    in a savepoint; elsewhere (SQLite) the ORM runs each statement in a transaction.
    """
    wanted = {"seminar": seminar, "day": day, "sessions": sessions, "company": company}
    if connection.vendor != "postgresql":
        with transaction.atomic(durable=True):
            row.save(force_insert=True)
            for group in rows():
                if group:
                    type(group[0]).objects.bulk_create(group)
            seats_take_all(**wanted, open_at=open_at)
        return
    model = type(row)
    statements = [_rows_insert_sql([row], returning=True)]
    current_pk = RawSQL(
        "currval(pg_get_serial_sequence(%s, %s))", (model._meta.db_table, model._meta.pk.column)
    )
    row.pk = current_pk
    try:
        groups = [group for group in rows() if group]
        arguments = _seats_take_arguments(**wanted, open_at=open_at, refuse=True)
        statements += [*map(_rows_insert_sql, groups), (_SEATS_TAKE_CALL, arguments)]
        in_transaction = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with in_transaction, connection.cursor() as cursor:
            _execute_as_one_query(cursor, statements)
            [pk] = cursor.fetchone()
    except BaseException:
        row.pk = None
        raise
    row.pk = pk
    for saved in (row, *chain.from_iterable(groups)):
        saved._state.adding, saved._state.db = False, connection.alias
        for field in saved._meta.concrete_fields:
            if getattr(saved, field.attname) is current_pk:
                setattr(saved, field.attname, pk)


def _execute_as_one_query(cursor, statements: Sequence[tuple[str, Sequence]]) -> None:
    """Run ``(sql, params)`` statements as one simple-protocol query: psycopg's client-side
    binding cursor puts the values in the text. The cursor holds the first statement's result."""
    cursor.execute(
        "; ".join(sql for sql, _params in statements),
        tuple(chain.from_iterable(params for _sql, params in statements)),
    )


def _rows_insert_sql(rows: Sequence[Model], *, returning: bool = False) -> tuple[str, tuple]:
    """The INSERT that ``bulk_create`` runs for unsaved ``rows`` of one model, and its values; it
    returns their ids only when ``returning``.

    Django's compiler writes the statement once per shape (the model, the number of rows, which
    values are ``RawSQL``, and ``returning``); each call then only prepares the values, as the
    compiler does (``pre_save``, ``get_db_prep_save``). A shape whose statement the values could
    change (PostgreSQL's UNNEST for several rows of plain values, a field with a placeholder of
    its own) goes to the compiler every time. ``tests/events/test_seats.py`` holds both to the
    compiler's output.
    """
    model = type(rows[0])
    fields = _insert_fields(model)
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="bulk_create")
    values = [[field.pre_save(row, True) for field in fields] for row in rows]
    raw = tuple(
        tuple(
            (value.sql, tuple(value.params)) if isinstance(value, RawSQL) else None for value in row
        )
        for row in values
    )
    key = (connection.vendor, model, returning, raw)
    statement = _INSERT_STATEMENTS.get(key)
    if statement is None:
        query = InsertQuery(model)
        query.insert_values(fields, rows)
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = [model._meta.pk] if returning else None
        [(statement, params)] = compiler.as_sql()
        if _shape_fixes_statement(fields, raw):
            _INSERT_STATEMENTS[key] = statement
        return statement, params
    return statement, tuple(
        param
        for row in values
        for field, value in zip(fields, row, strict=True)
        for param in (
            value.params
            if isinstance(value, RawSQL)
            else (field.get_db_prep_save(value, connection=connection),)
        )
    )


def _insert_fields(model: type[Model]) -> list:
    """The fields ``bulk_create`` inserts: all but the id and generated ones."""
    return [
        field
        for field in model._meta.concrete_fields
        if not field.generated and not isinstance(field, AutoField)
    ]


def _shape_fixes_statement(fields: list, raw: tuple) -> bool:
    """Whether the statement for rows of this shape is the same whatever their plain values:
    one row, or rows with an expression (which rule out PostgreSQL's UNNEST), and no field that
    writes a placeholder of its own for each value."""
    if any(hasattr(field, "get_placeholder") for field in fields):
        return False
    return len(raw) == 1 or any(any(row) for row in raw)


# (vendor, model, returning, RawSQL positions) → the INSERT statement: a few shapes per model.
_INSERT_STATEMENTS: dict[tuple, str] = {}


@contextmanager
def seats_refused(*, seminar: Seminar, sessions: list[BreakoutSession], company: Company):
    """Around a transaction that ends with ``seats_take_all``: its refusal, once rolled back, as
    ``SeatUnavailable`` (a full or closed seminar, a full day), ``SessionFull`` or
    ``CompanyLimitReached``."""
    try:
        yield
    except _SeatsTakeFailed as failed:
        full = failed.full
    except DatabaseError as error:
        full = _seats_take_failure(error)
        if full is None:
            raise
    else:
        return
    if full in ("seminar", "day"):
        raise SeatUnavailable(full)
    raise _refusal(full, seminar=seminar, sessions=sessions, company=company)


class _SeatsTakeFailed(Exception):
    def __init__(self, full: str):
        super().__init__(full)
        self.full = full


_SEATS_TAKE_CALL = "SELECT events_seats_take(%s, %s, %s::bigint[], %s, %s, %s)"
_SEATS_TAKE_RAISED = "events_seats_take: "


def _seats_take_arguments(*, seminar, day, sessions, company, open_at, refuse) -> tuple:
    """The arguments of ``_SEATS_TAKE_CALL``, in its order."""
    return (
        seminar.pk,
        day.pk if day is not None else None,
        sorted(s.pk for s in sessions),
        company.pk,
        open_at,
        refuse,
    )


def _seats_take_failure(error: DatabaseError) -> str | None:
    """The step ``events_seats_take`` raised for, or None for any other database error."""
    message = getattr(getattr(error.__cause__, "diag", None), "message_primary", None) or ""
    if getattr(error.__cause__, "sqlstate", None) == "P0001" and message.startswith(
        _SEATS_TAKE_RAISED
    ):
        return message.removeprefix(_SEATS_TAKE_RAISED)
    return None


def _seats_take_in_steps(*, seminar, day, sessions, company, open_at) -> str | None:
    """``events_seats_take`` as separate statements: SQLite, whose writers queue anyway."""
    if not seminar_seat_take(seminar=seminar, open_at=open_at):
        return "seminar"
    if not day_seat_take(day=day):
        return "day"
    if not _session_seats_taken(sessions=sessions):
        return "sessions"
    if not _company_seat_taken(seminar=seminar, company=company):
        return "company"
    return None


def _refusal(full: str, *, seminar, sessions, company) -> Exception:
    if full == "sessions":
        return session_full_error(sessions=sessions)
    if full == "company":
        return company_limit_error(seminar=seminar, company=company)
    raise ValueError(f"unknown seat step: {full}")

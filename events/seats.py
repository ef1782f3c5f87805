"""The guarded seat counters: every move of a ``confirmed_count`` goes through here.

Callers hold one transaction and take the seminar's row first (``seminar_lock`` or a successful
``seminar_seat_take``); the other rows are then only ever moved by the holder of that lock, so no
two seat-moving transactions can deadlock. Each take is still a conditional UPDATE, so a cap holds
even for a caller that forgot the lock, and the check constraints are the last line.
"""

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _t

from ctpat.models import Company
from events.exceptions import CompanyLimitReached, SessionFull
from events.models import BreakoutSession, CompanyAllocation, Seminar, WorkshopDay


def seminar_lock(*, seminar: Seminar) -> Seminar:
    """Take the seminar's row (FOR NO KEY UPDATE, the lock an UPDATE takes) and read it fresh."""
    return Seminar.objects.select_for_update(no_key=True).get(pk=seminar.pk)


def seminar_seat_take(*, seminar: Seminar) -> bool:
    """R2. Locks the row when it succeeds; a full seminar is not locked by a failed attempt."""
    return bool(
        Seminar.objects.filter(pk=seminar.pk, confirmed_count__lt=F("capacity")).update(
            confirmed_count=F("confirmed_count") + 1
        )
    )


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
    if not sessions:
        return
    ids = sorted(s.pk for s in sessions)
    taken = BreakoutSession.objects.filter(pk__in=ids, confirmed_count__lt=F("capacity")).update(
        confirmed_count=F("confirmed_count") + 1
    )
    if taken == len(ids):
        return
    by_id = {s.pk: s for s in sessions}
    full = BreakoutSession.objects.filter(pk__in=ids, confirmed_count__gte=F("capacity"))
    first_full = by_id[full.order_by("pk").values_list("pk", flat=True).first() or ids[0]]
    raise SessionFull(
        _t("The session “%(topic)s” has just filled up. Choose another session or leave it out.")
        % {"topic": first_full.localized("topic")}
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


def company_seats_held(*, seminar: Seminar, company: Company) -> int:
    allocation = CompanyAllocation.objects.filter(seminar=seminar, company=company).first()
    return allocation.confirmed_count if allocation else 0


def company_seat_take(*, seminar: Seminar, company: Company) -> None:
    """R3: one of the company's seats in this seminar, or ``CompanyLimitReached``.

    One statement: the company's first seat creates its allocation row, a later one counts up
    while under the limit; the conflict on the (seminar, company) row makes concurrent first
    seats wait for each other and re-check the limit on the newest row version.
    """
    table = CompanyAllocation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (seminar_id, company_id, confirmed_count) VALUES (%s, %s, 1) "
            "ON CONFLICT (seminar_id, company_id) DO UPDATE "
            f"SET confirmed_count = {table}.confirmed_count + 1 "
            f"WHERE {table}.confirmed_count < %s RETURNING id",
            [seminar.pk, company.pk, seminar.per_company_limit],
        )
        if cursor.fetchone() is None:
            raise company_limit_error(seminar=seminar, company=company)


def company_seat_release(*, seminar: Seminar, company: Company) -> None:
    CompanyAllocation.objects.filter(seminar=seminar, company=company).update(
        confirmed_count=F("confirmed_count") - 1
    )

"""The seat counters of a seminar, and the one order in which they are locked.

Every use case that moves seats (registering, cancelling, changing day or sessions, promoting
from the wait-list, staff changing a capacity or the per-company limit, checking in) runs in one
transaction and follows one lock order:

1. the seminar's row, locked and read fresh (``seminar_lock``). It is one lock per seminar:
   whoever holds it is the only one moving any of that seminar's counters, so no two such
   transactions ever wait for each other in a cycle, whatever rows a promotion then needs;
2. then the counters, in this order: the workshop day, the break-out sessions (one statement),
   the company's allocation, the seminar's own count.

The seminar's caps are checked on the row just locked (R2, and R7 by the caller); the day, the
sessions and the company's allocation move by conditional UPDATEs (``confirmed_count <
capacity``), so each cap holds even for code that forgot the lock. Check constraints on every
row are the last line (R2-R5; R3's limit is carried on the allocation row).

The seminar's row is held from ``seminar_lock`` to the COMMIT: callers write every row that
needs no seat (the registration, its picks and answers) before taking it.
"""

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils.translation import gettext as _t

from ctpat.models import Company
from events.exceptions import CompanyLimitReached, SeminarFull, SessionFull, WorkshopDayFull
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


def _counted(rows: QuerySet, step: int) -> int:
    """Move the counter of ``rows`` by ``step``; how many rows moved."""
    return rows.update(confirmed_count=F("confirmed_count") + step)


def _taken(rows: QuerySet) -> int:
    """One seat in each of ``rows`` that has one free; how many were taken."""
    return _counted(rows.filter(confirmed_count__lt=F("capacity")), +1)


def seats_take(
    *,
    seminar: Seminar,
    day: WorkshopDay | None,
    sessions: list[BreakoutSession],
    company: Company,
) -> None:
    """One person's seats (R2-R5): the day's, one in each session, the company's, the seminar's.

    ``seminar`` is the row ``seminar_lock`` gave this transaction; its count is kept in step. A
    full seminar (``SeminarFull``) or day (``WorkshopDayFull``) is refused before any counter
    moves, so the caller may still put the person on the wait-list. A full session
    (``SessionFull``) or a company at its limit (``CompanyLimitReached``) is refused after
    some did: the refusal must roll the caller's transaction back.
    """
    if seminar.remaining <= 0:
        raise SeminarFull()
    if day is not None:
        day_seat_take(day=day)
    session_seats_take(sessions=sessions)
    company_seat_take(seminar=seminar, company=company)
    # Checked above on the locked row; the check constraint would refuse it otherwise.
    _counted(Seminar.objects.filter(pk=seminar.pk), +1)
    seminar.confirmed_count += 1


def seats_release(
    *,
    seminar: Seminar,
    day: WorkshopDay | None,
    sessions: list[BreakoutSession],
    company: Company,
) -> None:
    """Give back one person's seats, in the lock order; ``seminar`` as for ``seats_take``."""
    if day is not None:
        day_seat_release(day=day)
    session_seats_release(sessions=sessions)
    _counted(CompanyAllocation.objects.filter(seminar=seminar, company=company), -1)
    _counted(Seminar.objects.filter(pk=seminar.pk), -1)
    seminar.confirmed_count -= 1


def day_seat_take(*, day: WorkshopDay) -> None:
    """R4."""
    if not _taken(WorkshopDay.objects.filter(pk=day.pk)):
        raise WorkshopDayFull()


def day_seat_release(*, day: WorkshopDay) -> None:
    _counted(WorkshopDay.objects.filter(pk=day.pk), -1)


def session_seats_take(*, sessions: list[BreakoutSession]) -> None:
    """R5: one seat in each session, in one statement, or ``SessionFull`` naming a full one.

    A refusal must roll the caller's transaction back: the seats this statement took included.
    """
    ids = {session.pk for session in sessions}
    if ids and _taken(BreakoutSession.objects.filter(pk__in=ids)) != len(ids):
        raise session_full_error(sessions=sessions)


def session_seats_release(*, sessions: list[BreakoutSession]) -> None:
    if sessions:
        _counted(BreakoutSession.objects.filter(pk__in=[s.pk for s in sessions]), -1)


def session_full_error(*, sessions: list[BreakoutSession]) -> SessionFull:
    """The refusal naming the first of ``sessions`` (by id) that is full now."""
    by_id = {session.pk: session for session in sessions}
    full = (
        BreakoutSession.objects.filter(pk__in=by_id, confirmed_count__gte=F("capacity"))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return SessionFull(
        text_naming(
            _t(
                "The session “%(topic)s” has just filled up. "
                "Choose another session or leave it out."
            ),
            topic=(by_id[full or min(by_id)], "topic"),
        )
    )


def company_seat_take(*, seminar: Seminar, company: Company) -> None:
    """R3: one of the company's seats, counted on its ``(seminar, company)`` allocation row.

    The limit is the locked seminar row's; the allocation row carries a copy, which a check
    constraint holds its count to (``events.capacity`` keeps it in step, and so does every seat
    taken here). The company's first seat creates the row: only the holder of the seminar's
    lock ever creates or moves one, so that cannot race.
    """
    limit = seminar.per_company_limit
    CompanyAllocation.objects.bulk_create(
        [CompanyAllocation(seminar=seminar, company=company, per_company_limit=limit)],
        ignore_conflicts=True,
    )
    taken = CompanyAllocation.objects.filter(
        seminar=seminar, company=company, confirmed_count__lt=limit
    ).update(confirmed_count=F("confirmed_count") + 1, per_company_limit=limit)
    if not taken:
        raise company_limit_error(seminar=seminar, company=company)


def company_seats_held(*, seminar: Seminar, company: Company) -> int:
    held = CompanyAllocation.objects.filter(seminar=seminar, company=company).values_list(
        "confirmed_count", flat=True
    )
    return held.first() or 0


def company_waitlist_check(*, seminar: Seminar, company: Company) -> None:
    """A company already at its limit cannot gain a seat from the wait-list either (R3, R8)."""
    if company_seats_held(seminar=seminar, company=company) >= seminar.per_company_limit:
        raise company_limit_error(seminar=seminar, company=company)


def companies_with_limit(*, seminar: Seminar) -> QuerySet[Company]:
    """Companies with ``at_limit``: whether each holds ``seminar``'s per-company limit now."""
    return Company.objects.annotate(
        at_limit=Exists(
            CompanyAllocation.objects.filter(
                seminar=seminar,
                company=OuterRef("pk"),
                confirmed_count__gte=seminar.per_company_limit,
            )
        )
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

"""The guarded seat counters: every move of a ``confirmed_count`` goes through here.

Callers hold one transaction and take the seminar's row first (``seminar_lock`` or a successful
``seminar_seat_take``); the other rows are then only ever moved by the holder of that lock, so no
two seat-moving transactions can deadlock. Each take is still a conditional UPDATE, so a cap holds
even for a caller that forgot the lock, and the check constraints are the last line.
"""

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
    """R5: one seat in each session, or ``SessionFull`` naming the first full one."""
    for session in sorted(sessions, key=lambda s: s.pk):
        taken = BreakoutSession.objects.filter(
            pk=session.pk, confirmed_count__lt=F("capacity")
        ).update(confirmed_count=F("confirmed_count") + 1)
        if not taken:
            raise SessionFull(
                _t("The session “%(topic)s” is full. Choose another session or leave it out.")
                % {"topic": session.topic}
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
    """R3: one of the company's seats in this seminar, or ``CompanyLimitReached``."""
    if _company_seat_update(seminar=seminar, company=company):
        return
    # The company's first seat in this seminar: its allocation row does not exist yet.
    CompanyAllocation.objects.bulk_create(
        [CompanyAllocation(seminar=seminar, company=company)], ignore_conflicts=True
    )
    if not _company_seat_update(seminar=seminar, company=company):
        raise company_limit_error(seminar=seminar, company=company)


def _company_seat_update(*, seminar: Seminar, company: Company) -> bool:
    return bool(
        CompanyAllocation.objects.filter(
            seminar=seminar, company=company, confirmed_count__lt=seminar.per_company_limit
        ).update(confirmed_count=F("confirmed_count") + 1)
    )


def company_seat_release(*, seminar: Seminar, company: Company) -> None:
    CompanyAllocation.objects.filter(seminar=seminar, company=company).update(
        confirmed_count=F("confirmed_count") - 1
    )

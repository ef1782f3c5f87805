"""Staff changes to capacities: never below the confirmed seats; a raise fills from the wait-list.

These join the caller's transaction when there is one (the admin saves a change form inside its
own), and take the seminar's row first, in the lock order of ``events.seats``.
"""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _t

from events import seats
from events.exceptions import CapacityBelowConfirmed
from events.models import BreakoutSession, Registration, Seminar, WorkshopDay
from events.waitlist import waitlist_promote


def _below(what: str, capacity: int, confirmed: int, *, field: str = "capacity"):
    return CapacityBelowConfirmed(
        _t(
            "%(what)s has %(confirmed)d confirmed registrations, so its capacity cannot be "
            "%(capacity)d. Cancel or move registrations first, or choose at least %(confirmed)d."
        )
        % {"what": what, "confirmed": confirmed, "capacity": capacity},
        field=field,
    )


def company_seats_most_held(*, seminar: Seminar) -> int:
    """The most confirmed seats any one company holds in the seminar."""
    return seminar.allocations.aggregate(n=Max("confirmed_count"))["n"] or 0


def company_limit_check(*, seminar: Seminar, limit: int) -> None:
    """R3 for staff: a per-company limit below what a company already holds is refused."""
    held = company_seats_most_held(seminar=seminar)
    if limit < held:
        raise CapacityBelowConfirmed(
            _t(
                "A company already holds %(held)d confirmed seats, so the limit per "
                "company cannot be %(limit)d."
            )
            % {"held": held, "limit": limit},
            field="per_company_limit",
        )


def seminar_capacity_set(
    *,
    seminar: Seminar,
    capacity: int | None = None,
    per_company_limit: int | None = None,
    actor=None,
) -> list[Registration]:
    """New seat count and/or per-company limit; returns whoever the change promoted.

    ``actor``, the staff member making the change, is recorded on each promotion it causes.
    """
    with transaction.atomic():
        locked = seats.seminar_lock(seminar=seminar)
        if capacity is not None:
            if capacity < locked.confirmed_count:
                raise _below(locked.title, capacity, locked.confirmed_count)
            locked.capacity = capacity
        if per_company_limit is not None:
            company_limit_check(seminar=locked, limit=per_company_limit)
            locked.per_company_limit = per_company_limit
            # Each company's allocation row carries the limit its check constraint holds to.
            locked.allocations.update(per_company_limit=per_company_limit)
        locked.save(update_fields=["capacity", "per_company_limit"])
        return waitlist_promote(seminar=locked, actor=actor)


def workshop_day_capacity_set(*, day: WorkshopDay, capacity: int, actor=None) -> list[Registration]:
    with transaction.atomic():
        seats.seminar_lock(seminar=day.seminar)
        confirmed = WorkshopDay.objects.values_list("confirmed_count", flat=True).get(pk=day.pk)
        if capacity < confirmed:
            raise _below(day.label, capacity, confirmed)
        WorkshopDay.objects.filter(pk=day.pk).update(capacity=capacity)
        return waitlist_promote(seminar=day.seminar, actor=actor)


def session_capacity_set(*, session: BreakoutSession, capacity: int) -> None:
    """Sessions have no wait-list of their own: a raise only makes room for new picks."""
    with transaction.atomic():
        seats.seminar_lock(seminar=session.day.seminar)
        confirmed = BreakoutSession.objects.values_list("confirmed_count", flat=True).get(
            pk=session.pk
        )
        if capacity < confirmed:
            raise _below(session.topic, capacity, confirmed)
        BreakoutSession.objects.filter(pk=session.pk).update(capacity=capacity)

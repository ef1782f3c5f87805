"""R8: the wait-list. Freed seats go to the longest-waiting entry that fits every rule."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from events import seats
from events.enums import EmailKind, RegistrationAction, RegistrationStatus
from events.history import registration_log
from events.models import (
    BreakoutSession,
    Registration,
    RegistrationSession,
    Seminar,
    WorkshopDay,
)
from events.outbox import outbox_write


def waitlist_promote(*, seminar: Seminar, now: datetime | None = None) -> list[Registration]:
    """Fill every free seat from the wait-list, in order of waiting; returns who was promoted.

    Runs inside the caller's transaction, the one that freed the seat, and takes the seminar's
    row first like every seat-moving use case. An entry is skipped, and keeps its place, while its
    workshop day is full, its company holds its limit, or its company is no longer eligible
    (R1-R4). Picked sessions that filled up meanwhile are dropped, and the e-mail says so.
    Promotions stop when registration closes.
    """
    now = now or timezone.now()
    seminar = seats.seminar_lock(seminar=seminar)
    if not seminar.registration_is_open(now=now):
        return []
    free = seminar.capacity - seminar.confirmed_count
    if free <= 0:
        return []
    days = {day.pk: day for day in seminar.days.all()}
    held = dict(seminar.allocations.values_list("company_id", "confirmed_count"))
    entries = (
        Registration.objects.filter(seminar=seminar, status=RegistrationStatus.WAITLISTED)
        .select_related("company", "workshop_day")
        .order_by("waitlisted_at", "pk")
    )
    promoted = []
    for entry in entries.iterator(chunk_size=200):
        day = days.get(entry.workshop_day_id)
        if day is not None and day.confirmed_count >= day.capacity:
            continue
        if held.get(entry.company_id, 0) >= seminar.per_company_limit:
            continue
        if not entry.company.is_eligible(on=timezone.localdate(now)):
            continue
        _promote(entry=entry, seminar=seminar, day=day, now=now)
        held[entry.company_id] = held.get(entry.company_id, 0) + 1
        if day is not None:
            day.confirmed_count += 1
        promoted.append(entry)
        free -= 1
        if free == 0:
            break
    return promoted


def _promote(*, entry: Registration, seminar: Seminar, day, now: datetime) -> None:
    picks = RegistrationSession.objects.filter(registration=entry)
    open_ids = set(
        BreakoutSession.objects.filter(
            pk__in=picks.values("session_id"), confirmed_count__lt=F("capacity")
        ).values_list("pk", flat=True)
    )
    dropped = list(picks.exclude(session_id__in=open_ids).values_list("session__topic", flat=True))
    if dropped:
        picks.exclude(session_id__in=open_ids).delete()
    # Under the seminar's lock these cannot fail for the checks above; they stay guarded anyway.
    if not (seats.seminar_seat_take(seminar=seminar) and seats.day_seat_take(day=day)):
        raise RuntimeError("a seat counted free could not be taken")
    seats.session_seats_take(sessions=list(BreakoutSession.objects.filter(pk__in=open_ids)))
    seats.company_seat_take(seminar=seminar, company=entry.company)
    entry.status = RegistrationStatus.CONFIRMED
    entry.confirmed_at = now
    entry.save(update_fields=["status", "confirmed_at"])
    detail = "Sessions dropped as full: " + "; ".join(dropped) if dropped else ""
    registration_log(registration=entry, action=RegistrationAction.PROMOTED, detail=detail)
    outbox_write(registration=entry, kind=EmailKind.PROMOTED, context={"dropped_sessions": dropped})


@dataclass(frozen=True)
class WaitlistPlace:
    """Where a wait-listed registration stands, and for what.

    ``day`` is the registration's workshop day while that day is full: the person then waits for
    a seat on it, behind the earlier entries for the same day. Otherwise ``day`` is None: the
    seminar is full (or the person waits for another rule), and every earlier entry of the
    seminar stands ahead, whatever its day, because a freed seat goes to the longest-waiting
    entry that fits.
    """

    position: int
    day: WorkshopDay | None


def waitlist_place(*, registration: Registration) -> WaitlistPlace | None:
    """The registration's place in line; None when it is not wait-listed."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    day = registration.workshop_day
    day_full = day is not None and day.confirmed_count >= day.capacity
    earlier = Registration.objects.filter(
        seminar_id=registration.seminar_id, status=RegistrationStatus.WAITLISTED
    ).filter(
        Q(waitlisted_at__lt=registration.waitlisted_at)
        | Q(waitlisted_at=registration.waitlisted_at, pk__lt=registration.pk)
    )
    if day_full:
        earlier = earlier.filter(workshop_day_id=day.pk)
    return WaitlistPlace(position=earlier.count() + 1, day=day if day_full else None)


def waitlist_position(*, registration: Registration) -> int | None:
    """1 for the next in line (see ``WaitlistPlace``); None when not wait-listed."""
    place = waitlist_place(registration=registration)
    return place.position if place else None

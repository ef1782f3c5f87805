"""R8: the wait-list. Freed seats go to the longest-waiting entry that fits every rule."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _t

from ctpat.services import company_eligibility_check
from events import seats
from events.enums import EmailKind, RegistrationAction, RegistrationStatus
from events.exceptions import CompanyLimitReached, NotWaitlisted, SeminarFull, WorkshopDayFull
from events.history import registration_log
from events.models import (
    BreakoutSession,
    Registration,
    RegistrationSession,
    Seminar,
)
from events.outbox import outbox_write


@dataclass(frozen=True)
class Promotion:
    registration: Registration
    dropped_sessions: list[str]


def waitlist_promote(
    *, seminar: Seminar, now: datetime | None = None, actor=None
) -> list[Registration]:
    """Fill every free seat from the wait-list, in order of waiting; returns who was promoted.

    Runs inside the caller's transaction, the one that freed the seat, and takes the seminar's
    row first like every seat-moving use case. An entry is skipped, and keeps its place, while its
    workshop day is full, its company holds its limit, or its company is no longer eligible
    (R1-R4). Picked sessions that filled up meanwhile are dropped, and the e-mail says so.
    Promotions stop when registration closes. ``actor`` is the staff member whose action freed
    the seats, for the history.
    """
    now = now or timezone.now()
    seminar = seats.seminar_lock(seminar=seminar)
    if not seminar.registration_is_open(now=now) or seminar.remaining <= 0:
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
        _promote(entry=entry, seminar=seminar, day=day, now=now, actor=actor)
        held[entry.company_id] = held.get(entry.company_id, 0) + 1
        if day is not None:
            day.confirmed_count += 1
        promoted.append(entry)
        if seminar.remaining <= 0:
            break
    return promoted


def waitlist_promote_registration(
    *, registration: Registration, actor, now: datetime | None = None
) -> Promotion:
    """Staff promote one wait-listed person out of turn, to settle an exception.

    Every cap (seminar, workshop day, company) and the company's eligibility still apply, each
    refusal a ``DomainError`` with the reason; the registration window does not, since staff
    settle exceptions after it closes too. Picked sessions that are full are dropped, as in any
    promotion, and the e-mail says so.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        seminar = seats.seminar_lock(seminar=registration.seminar)
        entry = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("company", "workshop_day")
            .get(pk=registration.pk)
        )
        _require_promotable(entry, seminar=seminar, now=now)
        dropped = _promote(
            entry=entry,
            seminar=seminar,
            day=entry.workshop_day,
            now=now,
            actor=actor,
            out_of_turn=True,
        )
    return Promotion(registration=entry, dropped_sessions=dropped)


def _require_promotable(entry: Registration, *, seminar: Seminar, now: datetime) -> None:
    """Under the seminar's lock, which every seat-moving use case takes first."""
    if entry.status != RegistrationStatus.WAITLISTED:
        raise NotWaitlisted()
    company_eligibility_check(company=entry.company, on=timezone.localdate(now))
    if seminar.confirmed_count >= seminar.capacity:
        raise SeminarFull(
            _t(
                "The seminar is full: %(confirmed)d of %(capacity)d seats confirmed. Raise its "
                "capacity or cancel a registration first."
            )
            % {"confirmed": seminar.confirmed_count, "capacity": seminar.capacity}
        )
    day = entry.workshop_day
    if day is not None and day.confirmed_count >= day.capacity:
        raise WorkshopDayFull(
            _t(
                "%(day)s is full: %(confirmed)d of %(capacity)d seats confirmed. Raise its "
                "capacity or move someone to another day first."
            )
            % {"day": day.label, "confirmed": day.confirmed_count, "capacity": day.capacity}
        )
    if seats.company_seats_held(seminar=seminar, company=entry.company) >= (
        seminar.per_company_limit
    ):
        raise CompanyLimitReached(
            _t(
                "%(company)s already holds %(limit)d confirmed seats, the most one company may "
                "have in this seminar."
            )
            % {"company": entry.company.legal_name, "limit": seminar.per_company_limit}
        )


def _promote(
    *,
    entry: Registration,
    seminar: Seminar,
    day,
    now: datetime,
    actor=None,
    out_of_turn: bool = False,
) -> list[str]:
    """Give a checked entry its seats; returns the topics of the picked sessions dropped as full."""
    picks = RegistrationSession.objects.filter(registration=entry)
    open_ids = set(
        BreakoutSession.objects.filter(
            pk__in=picks.values("session_id"), confirmed_count__lt=F("capacity")
        ).values_list("pk", flat=True)
    )
    dropped = list(picks.exclude(session_id__in=open_ids).values_list("session__topic", flat=True))
    if dropped:
        picks.exclude(session_id__in=open_ids).delete()
    # Under the seminar's lock these cannot be refused after the checks above; a refusal would
    # roll back the whole transaction (the one that freed the seat) rather than oversell.
    seats.seats_take(
        seminar=seminar,
        day=day,
        sessions=list(BreakoutSession.objects.filter(pk__in=open_ids)),
        company=entry.company,
    )
    entry.status = RegistrationStatus.CONFIRMED
    entry.confirmed_at = now
    entry.save(update_fields=["status", "confirmed_at"])
    notes = ["Chosen by staff (wait-list order skipped)"] if out_of_turn else []
    if dropped:
        notes.append("Sessions dropped as full: " + "; ".join(dropped))
    registration_log(
        registration=entry, action=RegistrationAction.PROMOTED, actor=actor, detail=". ".join(notes)
    )
    outbox_write(registration=entry, kind=EmailKind.PROMOTED, context={"dropped_sessions": dropped})
    return dropped

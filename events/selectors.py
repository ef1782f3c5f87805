"""Reads shared by views, the availability feed and commands."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ctpat.models import Company
from events.enums import ACTIVE_STATUSES, RegistrationStatus
from events.models import (
    BreakoutSession,
    CheckIn,
    CompanyAllocation,
    Registration,
    Seminar,
    WorkshopDay,
)


def seminar_list_open(*, now=None) -> QuerySet[Seminar]:
    """Published seminars whose registration has not closed yet (open now or opening later)."""
    now = now or timezone.now()
    return Seminar.objects.filter(is_published=True, registration_closes_at__gt=now).order_by(
        "starts_at"
    )


def seminar_list_for_check_in(*, today=None) -> list[tuple[Seminar, bool]]:
    """Seminars that have not ended, each with whether it runs today; today's first."""
    today = today or timezone.localdate()
    start_of_today = timezone.make_aware(datetime.combine(today, time.min))
    seminars = [
        (
            seminar,
            timezone.localtime(seminar.starts_at).date()
            <= today
            <= timezone.localtime(seminar.ends_at).date(),
        )
        for seminar in Seminar.objects.filter(ends_at__gte=start_of_today).order_by("starts_at")
    ]
    return sorted(seminars, key=lambda pair: not pair[1])


def _program_prefetch(*, sessions: bool = True) -> Prefetch:
    return Prefetch("days", queryset=seminar_program_days(sessions=sessions))


def seminar_program_days(*, sessions: bool = True) -> QuerySet[WorkshopDay]:
    """Workshop days in order, each with how many sessions it has (``session_count``) and, with
    ``sessions``, the sessions themselves in order."""
    days = WorkshopDay.objects.order_by("date", "id").annotate(session_count=Count("sessions"))
    if not sessions:
        return days
    return days.prefetch_related(
        Prefetch("sessions", queryset=BreakoutSession.objects.order_by("starts_at", "topic", "id"))
    )


def seminar_get_published(*, slug: str, program: bool = False) -> Seminar:
    """A published seminar; with ``program``, its days and sessions too (two more queries)."""
    queryset = Seminar.objects.filter(is_published=True)
    if program:
        queryset = queryset.prefetch_related(_program_prefetch())
    return get_object_or_404(queryset, slug=slug)


def seminar_get_for_form(*, slug: str) -> Seminar:
    """The published seminar with its days (each with its count of sessions) and questions, as
    the registration form needs them (three queries). The form reads the day and sessions that
    were chosen itself."""
    queryset = Seminar.objects.filter(is_published=True).prefetch_related(
        _program_prefetch(sessions=False), "questions"
    )
    return get_object_or_404(queryset, slug=slug)


def _kept(key: str, read):
    """What ``read()`` returns, kept in the cache as long as the public pages' counts."""
    value = cache.get(key)
    if value is None:
        value = read()
        cache.set(key, value, settings.PUBLIC_PAGE_CACHE_SECONDS)
    return value


def seminar_get_for_page(*, slug: str) -> Seminar:
    """The published seminar for a page that shows it (a GET), read at most
    ``PUBLIC_PAGE_CACHE_SECONDS`` ago, like the counts the page shows. Never for a POST."""
    return _kept(f"seminar-page:{slug}", lambda: seminar_get_published(slug=slug))


def seminar_get_for_form_page(*, slug: str) -> Seminar:
    """``seminar_get_for_form`` for the page that shows the blank form (a GET), kept like
    ``seminar_get_for_page``. A POST is checked against ``seminar_get_for_form``, read then."""
    return _kept(f"seminar-form:{slug}", lambda: seminar_get_for_form(slug=slug))


def seminar_program(*, seminar: Seminar) -> list[WorkshopDay]:
    """The seminar's days, each with its sessions (two queries)."""
    return list(seminar_program_days().filter(seminar=seminar))


def seminar_program_load(*, seminar: Seminar) -> Seminar:
    """Load the days and sessions of a seminar already in hand, in two queries."""
    prefetch_related_objects([seminar], _program_prefetch())
    return seminar


def seminar_waitlisted_count(*, seminar: Seminar) -> int:
    return Registration.objects.filter(
        seminar=seminar, status=RegistrationStatus.WAITLISTED
    ).count()


def seminar_availability(*, seminar: Seminar) -> dict:
    """The public availability document: counts only, no personal data."""
    waitlisted = seminar_waitlisted_count(seminar=seminar)
    return {
        "seminar": seminar.slug,
        "capacity": seminar.capacity,
        "confirmed": seminar.confirmed_count,
        "remaining": seminar.remaining,
        "waitlisted": waitlisted,
        "registration_open": seminar.registration_is_open(),
        "days": [
            {
                "id": day.pk,
                "label": day.label,
                "date": day.date.isoformat(),
                "capacity": day.capacity,
                "confirmed": day.confirmed_count,
                "remaining": day.remaining,
                "sessions": [
                    {
                        "id": session.pk,
                        "topic": session.topic,
                        "starts_at": session.starts_at.isoformat(),
                        "ends_at": session.ends_at.isoformat(),
                        "capacity": session.capacity,
                        "confirmed": session.confirmed_count,
                        "remaining": session.remaining,
                    }
                    for session in day.sessions.all()
                ],
            }
            for day in seminar.days.all()
        ],
    }


def registration_get_by_token(*, token: str) -> Registration:
    """The registration behind a private management link, or 404 for anything else."""
    if not token or len(token) > 64:
        raise Http404
    return get_object_or_404(
        Registration.objects.select_related("seminar", "company", "workshop_day"),
        manage_token=token,
    )


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


def waitlist_places(*, registrations: Iterable[Registration]) -> dict[int, WaitlistPlace]:
    """``waitlist_place`` of each wait-listed registration among ``registrations``, by id, in
    one read of their seminars' wait-lists (the registrations come with their workshop day)."""
    waiting = [r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    if not waiting:
        return {}
    lines = Registration.objects.filter(
        seminar__in={r.seminar_id for r in waiting}, status=RegistrationStatus.WAITLISTED
    ).order_by("waitlisted_at", "pk")
    ahead: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for pk, seminar_id, day_id in lines.values_list("pk", "seminar_id", "workshop_day_id"):
        ahead[seminar_id].append((pk, day_id))
    places = {}
    for registration in waiting:
        day = registration.workshop_day
        day_full = day is not None and day.confirmed_count >= day.capacity
        position = 0
        for pk, day_id in ahead[registration.seminar_id]:
            if not day_full or day_id == day.pk:
                position += 1
            if pk == registration.pk:
                break
        places[registration.pk] = WaitlistPlace(position=position, day=day if day_full else None)
    return places


@dataclass
class CompanySeminar:
    """One seminar on the company's page: its registrations and the seats they hold."""

    seminar: Seminar
    seats_taken: int = 0
    registrations: list[Registration] = field(default_factory=list)


def _company_order(registration: Registration) -> tuple:
    """Seat holders first, then the wait-list in its order, then the rest, newest first."""
    status = registration.status
    if status == RegistrationStatus.CONFIRMED:
        return (0, registration.created_at.timestamp(), registration.pk)
    if status == RegistrationStatus.WAITLISTED:
        waited_since = registration.waitlisted_at or registration.created_at
        return (1, waited_since.timestamp(), registration.pk)
    return (2, -registration.created_at.timestamp(), -registration.pk)


def company_page_read(*, company: Company) -> list[CompanySeminar]:
    """Every seminar ``company`` has people in, the latest first, each with every registration
    (its day, sessions, days checked in and wait-list place) and the seats the company holds, in
    a fixed number of queries however many there are."""
    registrations = list(
        Registration.objects.filter(company=company)
        .select_related("seminar", "workshop_day", "substituted_by")
        .prefetch_related(
            Prefetch(
                "sessions",
                queryset=BreakoutSession.objects.order_by("starts_at", "topic"),
                to_attr="sessions_in_order",
            ),
            Prefetch(
                "check_ins", queryset=CheckIn.objects.order_by("date"), to_attr="check_ins_in_order"
            ),
        )
    )
    places = waitlist_places(registrations=registrations)
    seats = dict(
        CompanyAllocation.objects.filter(company=company).values_list(
            "seminar_id", "confirmed_count"
        )
    )
    seminars: dict[int, CompanySeminar] = {}
    for registration in sorted(registrations, key=_company_order):
        registration.waitlist = places.get(registration.pk)
        registration.is_active = registration.status in ACTIVE_STATUSES
        entry = seminars.setdefault(
            registration.seminar_id,
            CompanySeminar(
                seminar=registration.seminar, seats_taken=seats.get(registration.seminar_id, 0)
            ),
        )
        entry.registrations.append(registration)
    return sorted(
        seminars.values(),
        key=lambda entry: (entry.seminar.starts_at, entry.seminar.pk),
        reverse=True,
    )


def company_registration_get(*, company: Company, registration_id: int) -> Registration:
    """One of ``company``'s registrations, as the registrant's page reads it; 404 for any
    other (another company's included)."""
    return get_object_or_404(
        Registration.objects.select_related("seminar", "company", "workshop_day"),
        pk=registration_id,
        company=company,
    )

"""The calendar file attached to a confirmation: the seminar and each picked break-out session."""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext as _t
from icalendar import Calendar, Event

from events.models import BreakoutSession, Registration

PRODID = "-//CBP CTPAT//Seminar registration//EN"
UID_DOMAIN = "ctpat-seminars"


def _event(*, uid: str, summary: str, starts_at, ends_at, location: str, description: str, stamp):
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    return event


def registration_calendar_build(
    *,
    registration: Registration,
    sessions: Iterable[BreakoutSession],
    now: datetime | None = None,
) -> bytes:
    """An iCalendar document (METHOD:PUBLISH) whose UIDs stay the same for the registration.

    Times are written in UTC so that no VTIMEZONE block is needed; calendar apps show them in
    the reader's own zone.
    """
    stamp = (now or timezone.now()).astimezone(UTC)
    seminar = registration.seminar
    code = registration.confirmation_code
    description = _t("Confirmation code: %(code)s") % {"code": code}
    venue = ", ".join(part for part in (seminar.venue, seminar.address) if part)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(
        _event(
            uid=f"{code}-seminar@{UID_DOMAIN}",
            summary=seminar.title,
            starts_at=seminar.starts_at.astimezone(UTC),
            ends_at=seminar.ends_at.astimezone(UTC),
            location=venue,
            description=description,
            stamp=stamp,
        )
    )
    for session in sessions:
        calendar.add_component(
            _event(
                uid=f"{code}-session-{session.pk}@{UID_DOMAIN}",
                summary=f"{session.topic} — {seminar.title}",
                starts_at=session.starts_at.astimezone(UTC),
                ends_at=session.ends_at.astimezone(UTC),
                location=f"{seminar.venue}, {session.room}",
                description=description,
                stamp=stamp,
            )
        )
    return calendar.to_ical()

"""The calendar file attached to e-mails: the seminar and each picked break-out session."""

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _t
from icalendar import Calendar, Event, vCalAddress

from events.models import BreakoutSession, Registration

PRODID = "-//CBP CTPAT//Seminar registration//EN"
UID_DOMAIN = "ctpat-seminars"
PUBLISH, CANCEL = "PUBLISH", "CANCEL"


def registration_calendar_uids(
    *, registration: Registration, sessions: Iterable[BreakoutSession]
) -> list[str]:
    """One UID per calendar entry, the same in every message about this registration.

    A calendar app then updates (or, for METHOD:CANCEL, removes) the entries it already has
    instead of adding copies.
    """
    code = registration.confirmation_code
    return [f"{code}-seminar@{UID_DOMAIN}"] + [
        f"{code}-session-{session.pk}@{UID_DOMAIN}" for session in sessions
    ]


def registration_calendar_build(
    *,
    registration: Registration,
    sessions: Iterable[BreakoutSession],
    method: str = PUBLISH,
    sequence: int = 0,
    now: datetime | None = None,
) -> bytes:
    """An iCalendar document whose UIDs stay the same for the registration.

    ``sequence`` must grow whenever the entries change, or calendar apps ignore the update.
    Times are written in UTC so that no VTIMEZONE block is needed; calendar apps show them in
    the reader's own zone.
    """
    sessions = list(sessions)
    stamp = (now or timezone.now()).astimezone(UTC)
    seminar = registration.seminar
    description = _t("Confirmation code: %(code)s") % {"code": registration.confirmation_code}
    venue = ", ".join(part for part in (seminar.venue, seminar.address) if part)
    # iTIP requires an organizer on a CANCEL; the sender's address is the natural one.
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")

    title = seminar.localized("title")
    entries = [(title, seminar.starts_at, seminar.ends_at, venue)] + [
        (
            f"{session.localized('topic')} — {title}",
            session.starts_at,
            session.ends_at,
            f"{seminar.venue}, {session.room}",
        )
        for session in sessions
    ]
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    uids = registration_calendar_uids(registration=registration, sessions=sessions)
    for uid, (summary, starts_at, ends_at, location) in zip(uids, entries, strict=True):
        event = Event()
        event.add("uid", uid)
        event.add("sequence", sequence)
        event.add("dtstamp", stamp)
        event.add("dtstart", starts_at.astimezone(UTC))
        event.add("dtend", ends_at.astimezone(UTC))
        event.add("summary", summary)
        event.add("location", location)
        event.add("description", description)
        event.add("organizer", organizer)
        event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()

"""Reminders before a seminar: one per confirmed person and number of days, however often run."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from events.enums import EmailKind, RegistrationStatus
from events.models import Registration
from events.outbox import outbox_write_once


def _local_day_bounds(day) -> tuple[datetime, datetime]:
    """The start and end of a local calendar day (23 or 25 hours long on DST changes)."""
    zone = timezone.get_default_timezone()
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


def reminders_send(*, days: int, now: datetime | None = None) -> int:
    """Remind everyone confirmed for a published seminar starting ``days`` local days from now.

    Returns how many reminders were written; a person already reminded for the same ``days``
    is skipped, and the dedupe key makes that hold even for two runs at the same moment.
    """
    now = now or timezone.now()
    starts_from, starts_before = _local_day_bounds(timezone.localdate(now) + timedelta(days=days))
    registrations = Registration.objects.filter(
        seminar__is_published=True,
        seminar__starts_at__gte=starts_from,
        seminar__starts_at__lt=starts_before,
        status=RegistrationStatus.CONFIRMED,
    )
    with transaction.atomic(durable=True):
        return outbox_write_once(
            registrations=list(registrations),
            kind=EmailKind.REMINDER,
            dedupe_key=lambda registration: f"reminder:{registration.pk}:{days}",
            context={"days": days},
        )

"""Check-in at the door: a confirmation code typed or scanned, one check-in per person and day.

Plenary days are open to everyone with a seat; on a workshop day only the people registered for
that day come in. Every refusal says why, loudly, so the desk can send the person the right way.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _t

from events import seats
from events.enums import RegistrationAction, RegistrationStatus
from events.exceptions import (
    AlreadyCheckedIn,
    CheckInNotActive,
    CheckInNotConfirmed,
    CodeNotFound,
    NotASeminarDay,
    WrongDay,
)
from events.history import registration_log
from events.models import CheckIn, Registration, RegistrationChange, Seminar, WorkshopDay

_NOT_CODE = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class CheckInResult:
    registration: Registration
    check_in: CheckIn
    day_label: str
    # The workshop day the person attends today (None on a plenary day): the page shows its
    # label in the reader's language.
    workshop_day: WorkshopDay | None = None


def confirmation_code_normalize(code: str) -> str:
    """What a scanner or a hurried hand typed, as stored: no spaces or hyphens, upper case."""
    return _NOT_CODE.sub("", code or "").upper()


def registration_check_in(
    *,
    code: str,
    actor,
    today: date | None = None,
    seminar: Seminar | None = None,
    now: datetime | None = None,
) -> CheckInResult:
    """Check the person holding ``code`` in for ``today``; ``seminar`` limits it to one seminar.

    ``now`` is the moment recorded (a held demo seminar's check-ins lie in the past).
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    found = Registration.objects.filter(confirmation_code=confirmation_code_normalize(code))
    if seminar is not None:
        found = found.filter(seminar=seminar)
    registration = found.only("pk", "seminar_id").first()
    if registration is None:
        raise CodeNotFound()
    with transaction.atomic(durable=True):
        seminar = seats.seminar_lock(seminar=registration.seminar)
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("company", "workshop_day", "substituted_by")
            .get(pk=registration.pk)
        )
        _require_may_enter(registration, seminar=seminar, today=today)
        check_in = CheckIn.objects.create(registration=registration, date=today, at=now, by=actor)
        if registration.checked_in_at is None:
            registration.checked_in_at = now
            registration.save(update_fields=["checked_in_at"])
        day_label = _day_label(registration, today=today)
        registration_log(
            registration=registration,
            action=RegistrationAction.CHECKED_IN,
            actor=actor,
            detail=day_label,
        )
    return CheckInResult(
        registration=registration,
        check_in=check_in,
        day_label=day_label,
        workshop_day=_workshop_day_today(registration, today=today),
    )


def _require_may_enter(registration: Registration, *, seminar: Seminar, today: date) -> None:
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.SUBSTITUTED):
        raise CheckInNotActive(_not_active_message(registration))
    if registration.status != RegistrationStatus.CONFIRMED:
        raise CheckInNotConfirmed()
    first_day = timezone.localtime(seminar.starts_at).date()
    last_day = timezone.localtime(seminar.ends_at).date()
    if not first_day <= today <= last_day:
        raise NotASeminarDay(
            _t("This seminar runs from %(first)s to %(last)s; today is not one of its days.")
            % {"first": _date(first_day), "last": _date(last_day)}
        )
    workshop_dates = set(seminar.days.values_list("date", flat=True))
    own_day = registration.workshop_day
    if today in workshop_dates and (own_day is None or own_day.date != today):
        raise WrongDay(
            _t("Wrong day: %(name)s is registered for %(day)s (%(date)s), not today's workshops.")
            % {
                "name": registration.full_name,
                "day": own_day.label if own_day else _t("the plenary days only"),
                "date": _date(own_day.date) if own_day else "—",
            }
        )
    first = CheckIn.objects.filter(registration=registration, date=today).first()
    if first is not None:
        raise AlreadyCheckedIn(
            _t("Already checked in today at %(time)s: is someone using another person's code?")
            % {"time": formats.time_format(timezone.localtime(first.at), "TIME_FORMAT")}
        )


def _not_active_message(registration: Registration) -> str:
    change = (
        RegistrationChange.objects.filter(
            registration=registration,
            action__in=(RegistrationAction.CANCELLED, RegistrationAction.SUBSTITUTED),
        )
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    when = change.at if change else registration.cancelled_at
    who = _t("the registrant")
    if change is not None and change.actor is not None:
        who = change.actor.get_full_name() or change.actor.get_username()
    values = {
        "who": who,
        "when": formats.date_format(timezone.localtime(when), "DATETIME_FORMAT") if when else "—",
    }
    if registration.status == RegistrationStatus.SUBSTITUTED:
        values["colleague"] = (
            registration.substituted_by.full_name if registration.substituted_by else "—"
        )
        return (
            _t(
                "Not valid: this seat was handed to %(colleague)s on %(when)s by %(who)s. "
                "Only %(colleague)s's own code works now."
            )
            % values
        )
    # The time ends in "a.m." or "p.m." in English: it never stands before the full stop.
    return _t("Cancelled registration: cancelled on %(when)s by %(who)s.") % values


def _workshop_day_today(registration: Registration, *, today: date) -> WorkshopDay | None:
    day = registration.workshop_day
    return day if day is not None and day.date == today else None


def _day_label(registration: Registration, *, today: date) -> str:
    day = _workshop_day_today(registration, today=today)
    if day is not None:
        return day.label
    return _t("Plenary, %(date)s") % {"date": _date(today)}


def _date(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def check_ins_today_count(*, seminar: Seminar, today: date | None = None) -> int:
    today = today or timezone.localdate()
    return CheckIn.objects.filter(registration__seminar=seminar, date=today).count()

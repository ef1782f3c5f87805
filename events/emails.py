"""E-mails to registrants, sent after commit: a mail failure never undoes a registration."""

import logging
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _t

from events.calendar import registration_calendar_build
from events.enums import RegistrationStatus
from events.models import Registration

logger = logging.getLogger(__name__)

TEMPLATES = {
    RegistrationStatus.CONFIRMED: "emails/registration_confirmed",
    RegistrationStatus.WAITLISTED: "emails/registration_waitlisted",
}


def registration_manage_url(*, registration: Registration) -> str:
    """The private link a registrant uses to see, change or cancel their registration."""
    return settings.SITE_URL + reverse(
        "events:registration_detail", args=[registration.manage_token]
    )


def _subject(*, registration: Registration) -> str:
    if registration.status == RegistrationStatus.WAITLISTED:
        template = _t("%(seminar)s: you are on the wait-list — code %(code)s")
    else:
        template = _t("%(seminar)s: registration confirmed — code %(code)s")
    return template % {
        "seminar": registration.seminar.title,
        "code": registration.confirmation_code,
    }


def _calendar_part(*, registration: Registration, sessions) -> MIMEText:
    part = MIMEText(
        registration_calendar_build(registration=registration, sessions=sessions).decode(),
        "calendar",
        "utf-8",
    )
    part.set_param("method", "PUBLISH")
    part.add_header("Content-Disposition", "attachment", filename="ctpat-seminar.ics")
    return part


def registration_confirmation_message(*, registration: Registration) -> EmailMultiAlternatives:
    """The confirmation (or wait-list) e-mail in the registrant's language, not yet sent."""
    sessions = list(registration.sessions.order_by("starts_at", "topic"))
    template = TEMPLATES[registration.status]
    with translation.override(registration.language):
        context = {
            "registration": registration,
            "seminar": registration.seminar,
            "company": registration.company,
            "workshop_day": registration.workshop_day,
            "sessions": sessions,
            "manage_url": registration_manage_url(registration=registration),
        }
        message = EmailMultiAlternatives(
            subject=_subject(registration=registration),
            body=render_to_string(f"{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[registration.email],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        if registration.status == RegistrationStatus.CONFIRMED:
            message.attach(_calendar_part(registration=registration, sessions=sessions))
    return message


def registration_confirmation_send(*, registration: Registration) -> None:
    """Tell the registrant the outcome. Logs and swallows any failure: the seat is already saved."""
    try:
        # Read again after commit: the status may have moved on (promoted, cancelled) since.
        registration = Registration.objects.select_related(
            "seminar", "company", "workshop_day"
        ).get(pk=registration.pk)
        if registration.status not in TEMPLATES:
            return
        registration_confirmation_message(registration=registration).send()
    except Exception as exc:
        # The exception text of a mail server often quotes the address: log the id and type only.
        logger.error(
            "Confirmation e-mail for registration %s was not sent (%s).",
            registration.pk,
            type(exc).__name__,
        )

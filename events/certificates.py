"""Certificates of attendance: evidence, for CTPAT's training criteria, of who came to a seminar.

Everyone checked in on at least one day of a seminar that has ended has a certificate: a PDF in
the registration's language with a verification code and the address of the public page that
confirms it (``/certificates/<code>/``). The certificate row is written the first time it is
asked for (the registrant's link, ``send_certificates``, the admin), with a random code drawn
then and stored.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _t

from events.badges import qr_svg
from events.checkin import confirmation_code_normalize
from events.enums import EmailKind
from events.exceptions import CertificateUnavailable, NeverCheckedIn, SeminarNotEnded
from events.models import (
    BreakoutSession,
    Certificate,
    CheckIn,
    Registration,
    Seminar,
    WorkshopDay,
)
from events.outbox import outbox_write_once
from events.pdf import pdf_render, pdf_response
from events.services import CODE_ALPHABET

# 20 symbols of 31 (no 0/O, 1/I/L): 99 random bits, typed in five groups of four.
CODE_SYMBOLS = 20
CODE_GROUP = 4


# Who has a certificate once the seminar has ended: someone checked in on at least one of its
# days. The check-in service sets ``checked_in_at`` in the transaction of the first check-in (and
# check-ins are read-only in the admin), so the field and the rows always agree; every rule here
# reads the field, so one lookup answers for a page, the issue and the bulk issue alike.
ATTENDED = {"checked_in_at__isnull": False}


def _attended(registration: Registration) -> bool:
    return registration.checked_in_at is not None


def certificate_code_generate() -> str:
    return _grouped("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_SYMBOLS)))


def certificate_code_normalize(code: str) -> str:
    """A code as typed (any case, with or without hyphens or spaces), as stored."""
    return _grouped(confirmation_code_normalize(code))


def _grouped(symbols: str) -> str:
    return "-".join(symbols[i : i + CODE_GROUP] for i in range(0, len(symbols), CODE_GROUP))


# --- Use cases -----------------------------------------------------------------------------------


def certificate_issue(*, registration: Registration, now: datetime | None = None) -> Certificate:
    """The registration's certificate, issued now if it has none yet.

    Raises ``SeminarNotEnded`` before the seminar's end and ``NeverCheckedIn`` for someone who
    was never checked in on any of its days.
    """
    now = now or timezone.now()
    with transaction.atomic():
        existing = Certificate.objects.filter(registration=registration).first()
        if existing is not None:
            return existing
        if now < registration.seminar.ends_at:
            raise SeminarNotEnded()
        # Read now, not from the caller's copy: the check-in may be newer than it.
        if not Registration.objects.filter(pk=registration.pk, **ATTENDED).exists():
            raise NeverCheckedIn()
        # The unique registration makes a second request at the same moment read this one's.
        certificate, _created = Certificate.objects.get_or_create(
            registration=registration,
            defaults={"code": certificate_code_generate(), "issued_at": now},
        )
    return certificate


def certificates_issue(*, seminar: Seminar, now: datetime | None = None) -> int:
    """Issue the certificates still missing for everyone who came; returns how many were new."""
    now = now or timezone.now()
    if now < seminar.ends_at:
        raise SeminarNotEnded()
    issued = Certificate.objects.filter(registration__seminar=seminar)
    with transaction.atomic():
        before = issued.count()
        attendees = Registration.objects.filter(
            seminar=seminar, certificate__isnull=True, **ATTENDED
        ).values_list("pk", flat=True)
        Certificate.objects.bulk_create(
            [
                Certificate(registration_id=pk, code=certificate_code_generate(), issued_at=now)
                for pk in attendees
            ],
            # Another run issuing the same certificates at the same moment: theirs stand.
            ignore_conflicts=True,
        )
        return issued.count() - before


def certificates_send(*, seminar: Seminar, now: datetime | None = None) -> int:
    """E-mail every attendee the link to their certificate, once; returns how many were written.

    Issues the missing certificates first. Each message carries a dedupe key, so a second run,
    even at the same moment, writes nothing for the people already written to.
    """
    with transaction.atomic(durable=True):
        certificates_issue(seminar=seminar, now=now)
        return outbox_write_once(
            registrations=list(
                Registration.objects.filter(seminar=seminar, certificate__isnull=False)
            ),
            kind=EmailKind.CERTIFICATE,
            dedupe_key=lambda registration: f"certificate:{registration.pk}",
        )


def certificate_due(*, registration: Registration, now: datetime | None = None) -> bool:
    """Whether the registration has a certificate (issued or to be issued when asked for)."""
    now = now or timezone.now()
    return now >= registration.seminar.ends_at and _attended(registration)


# --- Reading a certificate -----------------------------------------------------------------------


def certificate_get_by_code(*, code: str) -> Certificate:
    """The certificate of a verification code as typed, or 404 (a forged or mistyped code)."""
    if len(code) > 2 * CODE_SYMBOLS:
        raise Http404
    normalized = certificate_code_normalize(code)
    return get_object_or_404(
        Certificate.objects.select_related(
            "registration__seminar", "registration__company", "registration__workshop_day"
        ),
        code=normalized,
    )


def certificate_verify_url(*, certificate: Certificate) -> str:
    return settings.SITE_URL + reverse("events:certificate_verify", args=[certificate.code])


@dataclass(frozen=True)
class AttendedDay:
    date: date
    # The workshop day the person attended on this date; None on a plenary date.
    workshop_day: WorkshopDay | None
    sessions: list[BreakoutSession]


def attended_days(*, registration: Registration) -> list[AttendedDay]:
    """The dates the person was checked in, each with the sessions they picked for it."""
    dates = CheckIn.objects.filter(registration=registration).order_by("date")
    picks = list(
        BreakoutSession.objects.filter(picks__registration=registration)
        .select_related("day")
        .order_by("starts_at", "topic")
    )
    day = registration.workshop_day
    return [
        AttendedDay(
            date=moment,
            workshop_day=day if day is not None and day.date == moment else None,
            sessions=[session for session in picks if session.day.date == moment],
        )
        for moment in dates.values_list("date", flat=True)
    ]


def certificate_pdf(*, certificate: Certificate) -> bytes:
    """The certificate as a PDF, in the registration's language."""
    certificate = Certificate.objects.select_related(
        "registration__seminar", "registration__company", "registration__workshop_day"
    ).get(pk=certificate.pk)
    registration = certificate.registration
    verify_url = certificate_verify_url(certificate=certificate)
    with translation.override(registration.language):
        html = render_to_string(
            "events/certificate.html",
            {
                "certificate": certificate,
                "registration": registration,
                "seminar": registration.seminar,
                "company": registration.company,
                "days": attended_days(registration=registration),
                "verify_url": verify_url,
                "qr_svg": qr_svg(verify_url, svgclass="certificate__qr"),
                "title": _t("Certificate of attendance"),
            },
        )
    return pdf_render(html)


def certificate_pdf_response(*, registration: Registration) -> HttpResponse:
    """The registration's certificate as a PDF response (issued now if need be); 404 when the
    person has none: the seminar has not ended or they were never checked in."""
    try:
        certificate = certificate_issue(registration=registration)
    except CertificateUnavailable as exc:
        raise Http404(str(exc.message)) from exc
    return pdf_response(
        certificate_pdf(certificate=certificate),
        filename=f"ctpat-certificate-{certificate.code}.pdf",
    )

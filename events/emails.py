"""The e-mails of the outbox, rendered when delivered (``events.outbox.outbox_deliver``).

Rendering at delivery rather than when the row was written means a message shows the
registration as it is now: a retried message never carries a private link revoked meanwhile,
and the calendar file matches the seat the person holds.
"""

from collections.abc import Sequence
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _t
from django.utils.translation import ngettext

from events.calendar import CANCEL, PUBLISH, registration_calendar_build
from events.company_links import LINK_LIFETIME, company_links_issue
from events.enums import CompanyLinkOrigin, EmailKind, RegistrationStatus
from events.models import (
    BreakoutSession,
    CompanyAllocation,
    OutboundEmail,
    Registration,
    RegistrationChange,
)
from events.selectors import waitlist_position

# Kinds that tell the registrant they hold a seat: their calendar file adds (or updates) it.
CALENDAR_KINDS = frozenset(
    {EmailKind.CONFIRMED, EmailKind.PROMOTED, EmailKind.CHANGED, EmailKind.REMINDER}
)
# The company's point of contact must never receive a link that manages someone's registration.
MANAGE_LINK_KINDS = frozenset(
    {
        EmailKind.CONFIRMED,
        EmailKind.WAITLISTED,
        EmailKind.PROMOTED,
        EmailKind.CHANGED,
        EmailKind.LINK_REISSUED,
        EmailKind.REMINDER,
    }
)


def registration_manage_url(*, registration: Registration) -> str:
    """The private link a registrant uses to see, change or cancel their registration."""
    return settings.SITE_URL + reverse(
        "events:registration_detail", args=[registration.manage_token]
    )


class Reads:
    """What rendering reads beyond a message's row and registration, for a batch of messages.

    A fixed number of queries serves any number of messages: the worker renders a rush's
    thousands of messages without a query each for sessions, calendar versions or seat counts.
    The messages' rows must come with their registration, seminar, company and day
    (``select_related``); ``email_message_build`` reads a single message's the same way.
    """

    def __init__(self, emails: Sequence[OutboundEmail]):
        self.company_urls = _company_links_issue(emails)
        registrations = [email.registration for email in emails if email.registration is not None]
        prefetch_related_objects(
            registrations,
            Prefetch(
                "sessions",
                queryset=BreakoutSession.objects.order_by("starts_at", "topic"),
                to_attr="sessions_in_order",
            ),
        )
        self.changes = dict(
            RegistrationChange.objects.filter(registration__in=registrations)
            .values("registration")
            .annotate(count=Count("pk"))
            .values_list("registration", "count")
        )
        pairs = {
            (email.registration.seminar_id, email.registration.company_id)
            for email in emails
            if email.kind == EmailKind.COMPANY_NOTICE
        }
        self.seats_taken: dict[tuple[int, int], int] = {}
        self.waiting: dict[tuple[int, int], int] = {}
        if pairs:
            seminars, companies = ({pair[n] for pair in pairs} for n in (0, 1))
            self.seats_taken = {
                (seminar, company): taken
                for seminar, company, taken in CompanyAllocation.objects.filter(
                    seminar__in=seminars, company__in=companies
                ).values_list("seminar", "company", "confirmed_count")
            }
            self.waiting = {
                (seminar, company): count
                for seminar, company, count in Registration.objects.filter(
                    seminar__in=seminars,
                    company__in=companies,
                    status=RegistrationStatus.WAITLISTED,
                )
                .values("seminar", "company")
                .annotate(count=Count("pk"))
                .values_list("seminar", "company", "count")
            }


# Who hears through a message of each kind, and how the fresh link it carries came to be.
COMPANY_LINK_ORIGINS = {
    EmailKind.COMPANY_NOTICE: CompanyLinkOrigin.NOTICE,
    EmailKind.COMPANY_LINK: CompanyLinkOrigin.REQUESTED,
}


def _company_links_issue(emails: Sequence[OutboundEmail]) -> dict[int, str]:
    """A fresh link to the company's page for each message to its point of contact, issued now
    (one INSERT per kind of message), so that no working link ever waits in the outbox."""
    urls = {}
    for kind, origin in COMPANY_LINK_ORIGINS.items():
        chosen = [email for email in emails if email.kind == kind]
        if chosen:
            companies = [email.company or email.registration.company for email in chosen]
            issued = company_links_issue(companies=companies, origin=origin)
            urls.update((email.pk, link.url) for email, link in zip(chosen, issued, strict=True))
    return urls


def email_message_build(
    *, email: OutboundEmail, reads: Reads | None = None
) -> EmailMultiAlternatives:
    """The message of one outbox row in the registrant's language (a message about a company
    in the language it was asked for in), with text and HTML parts."""
    reads = reads or Reads([email])
    registration = email.registration
    if registration is None:
        language = email.context.get("language") or settings.LANGUAGE_CODE
    else:
        language = registration.language
    with translation.override(language):
        context = _context(email=email, reads=reads)
        message = EmailMultiAlternatives(
            subject=_subject(email=email, context=context),
            body=render_to_string(f"emails/{email.kind}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
        )
        message.attach_alternative(
            render_to_string(f"emails/{email.kind}.html", context), "text/html"
        )
        calendar = _calendar_part(email=email, context=context, reads=reads)
        if calendar is not None:
            message.attach(calendar)
    return message


def _context(*, email: OutboundEmail, reads: Reads) -> dict:
    if email.kind == EmailKind.COMPANY_LINK:
        return {
            "kind": email.kind,
            "company": email.company,
            "company_url": reads.company_urls[email.pk],
            "valid_days": LINK_LIFETIME.days,
        }
    registration = email.registration
    seminar = registration.seminar
    context = {
        "kind": email.kind,
        "registration": registration,
        "seminar": seminar,
        "company": registration.company,
        "workshop_day": registration.workshop_day,
        "sessions": registration.sessions_in_order,
        "had_seat": registration.confirmed_at is not None,
        "substitute_for": email.context.get("substitute_for", ""),
        "dropped_sessions": email.context.get("dropped_sessions", []),
        "seminar_url": settings.SITE_URL + reverse("events:seminar_detail", args=[seminar.slug]),
    }
    if email.kind in MANAGE_LINK_KINDS:
        context["manage_url"] = registration_manage_url(registration=registration)
        # GET of this page only asks to confirm: mail scanners that follow links cancel nothing.
        context["cancel_url"] = context["manage_url"] + "cancel/"
    if email.kind == EmailKind.CERTIFICATE:
        context["certificate_url"] = settings.SITE_URL + reverse(
            "events:registration_certificate", args=[registration.manage_token]
        )
    if email.kind == EmailKind.WAITLISTED:
        context["position"] = waitlist_position(registration=registration)
    if email.kind == EmailKind.REMINDER:
        context["days"] = email.context.get("days", _days_until(registration))
        context["starts_in"] = _starts_in(context["days"])
    if email.kind in (EmailKind.HANDED_OVER, EmailKind.COMPANY_NOTICE):
        context["successor"] = registration.substituted_by
    if email.kind == EmailKind.COMPANY_NOTICE:
        context.update(_company_context(email=email, context=context, reads=reads))
    return context


def _days_until(registration: Registration) -> int:
    return (timezone.localdate(registration.seminar.starts_at) - timezone.localdate()).days


def _starts_in(days: int) -> str:
    if days <= 0:
        return _t("starts today")
    return ngettext("starts in %(days)d day", "starts in %(days)d days", days) % {"days": days}


def _company_context(*, email: OutboundEmail, context: dict, reads: Reads) -> dict:
    registration = email.registration
    pair = (registration.seminar_id, registration.company_id)
    return {
        "event": email.context.get("event", ""),
        "company_url": reads.company_urls[email.pk],
        "valid_days": LINK_LIFETIME.days,
        "headline": _notice_headline(email=email, context=context),
        "seats_taken": reads.seats_taken.get(pair, 0),
        "seat_limit": registration.seminar.per_company_limit,
        "waiting": reads.waiting.get(pair, 0),
    }


def _notice_headline(*, email: OutboundEmail, context: dict) -> str:
    """What happened, in one sentence naming the person, for the company's point of contact."""
    event = email.context.get("event")
    names = {
        "name": email.registration.full_name,
        "old": context["substitute_for"],
        "new": context["successor"].full_name if context["successor"] else "",
    }
    if event == EmailKind.CONFIRMED and names["old"]:
        text = _t("%(name)s took over the seat of %(old)s")
    elif event == EmailKind.CONFIRMED:
        text = _t("%(name)s registered and has a seat")
    elif event == EmailKind.WAITLISTED and names["old"]:
        text = _t("%(name)s took over the wait-list place of %(old)s")
    elif event == EmailKind.WAITLISTED:
        text = _t("%(name)s joined the wait-list")
    elif event == EmailKind.PROMOTED:
        text = _t("%(name)s got a seat from the wait-list")
    elif event == EmailKind.CANCELLED and context["had_seat"]:
        text = _t("%(name)s cancelled their registration")
    elif event == EmailKind.CANCELLED:
        text = _t("%(name)s left the wait-list")
    elif event == EmailKind.HANDED_OVER:
        text = _t("%(name)s handed their registration to %(new)s")
    else:
        text = _t("The registration of %(name)s changed")
    return text % names


def _subject(*, email: OutboundEmail, context: dict) -> str:
    if email.kind == EmailKind.COMPANY_LINK:
        return _t("The CTPAT seminar registrations of %(company)s: your link") % {
            "company": email.company.legal_name
        }
    registration = email.registration
    values = {
        "seminar": registration.seminar.localized("title"),
        "code": registration.confirmation_code,
        "company": registration.company.legal_name,
    }
    kind = email.kind
    if kind == EmailKind.COMPANY_NOTICE:
        return _t("%(seminar)s: %(headline)s (%(company)s)") % {
            **values,
            "headline": context["headline"],
        }
    if kind == EmailKind.HANDED_OVER:
        return _t("%(seminar)s: your seat now belongs to %(name)s") % {
            **values,
            "name": context["successor"].full_name if context["successor"] else "",
        }
    if kind == EmailKind.REMINDER:
        return _t("%(seminar)s %(starts_in)s — code %(code)s") % {
            **values,
            "starts_in": context["starts_in"],
        }
    if kind == EmailKind.CANCELLED and not context["had_seat"]:
        return _t("%(seminar)s: you left the wait-list — code %(code)s") % values
    templates = {
        EmailKind.CONFIRMED: _t("%(seminar)s: you have a seat — code %(code)s"),
        EmailKind.WAITLISTED: _t("%(seminar)s: you are on the wait-list — code %(code)s"),
        EmailKind.PROMOTED: _t("%(seminar)s: a seat freed up and it is yours — code %(code)s"),
        EmailKind.CHANGED: _t("%(seminar)s: your registration was changed — code %(code)s"),
        EmailKind.CANCELLED: _t("%(seminar)s: registration cancelled — code %(code)s"),
        EmailKind.LINK_REISSUED: _t("%(seminar)s: your new private link — code %(code)s"),
        EmailKind.CERTIFICATE: _t("%(seminar)s: your certificate of attendance"),
    }
    return templates[kind] % values


def _calendar_part(*, email: OutboundEmail, context: dict, reads: Reads) -> MIMEText | None:
    """PUBLISH for a seat held now; CANCEL when a seat was given up, so calendars drop it."""
    registration = email.registration
    if registration is None:
        return None
    if email.kind in CALENDAR_KINDS and registration.status == RegistrationStatus.CONFIRMED:
        method, sessions = PUBLISH, context["sessions"]
    elif email.kind == EmailKind.CANCELLED and context["had_seat"]:
        method, sessions = CANCEL, context["sessions"]
    elif email.kind == EmailKind.HANDED_OVER and context["had_seat"]:
        # The picks moved to the colleague: cancel every session the old holder may have had.
        day = registration.workshop_day
        method, sessions = CANCEL, list(day.sessions.all()) if day else []
    else:
        return None
    document = registration_calendar_build(
        registration=registration,
        sessions=sessions,
        method=method,
        # Every change to the registration is a new version of its calendar entries.
        sequence=reads.changes.get(registration.pk, 0),
    )
    part = MIMEText(document.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="ctpat-seminar.ics")
    return part

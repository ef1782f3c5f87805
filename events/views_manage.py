"""The registrant's own pages, behind the private link of the confirmation (R8, R9).

Whoever holds the link can act on the registration, so each page here is private: never cached,
never indexed, and the link never leaks to another site in a Referer header. A token that is
forged, truncated or replaced is a plain 404 (the URL pattern and the selector see to it).
"""

import functools
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from ctpat.exceptions import DomainError
from ctpat.ratelimit import rate_limited
from events import certificates, changes, selectors
from events.enums import ACTIVE_STATUSES, RegistrationStatus
from events.exceptions import RegistrationNotActive
from events.forms_manage import RegistrationChangeForm, RegistrationSubstituteForm
from events.models import Registration
from events.selectors import waitlist_place, waitlist_position
from events.views import REFUSED_STATUS, refusal_add


def private_page(view):
    """Fetch the registration behind ``token`` and mark the response private."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, token: str) -> HttpResponse:
        registration = selectors.registration_get_by_token(token=token)
        return private_response(view(request, registration))

    return wrapped


def private_response(response: HttpResponse) -> HttpResponse:
    """A page behind a private link: never cached or indexed, its address kept on this site."""
    patch_cache_control(response, private=True, no_store=True)
    # The link in the URL must not reach other sites in a Referer, but "no-referrer" would
    # make browsers send "Origin: null" with the page's own forms, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


_NOT_ACTIVE = {
    RegistrationStatus.CANCELLED: _(
        "This registration is cancelled. Nothing more can be done with it."
    ),
    RegistrationStatus.SUBSTITUTED: _(
        "This registration was handed over to a colleague. Only their own link can change it now."
    ),
}


def refusals(registration: Registration, *, now: datetime | None = None) -> dict[str, str | None]:
    """Why each action is not offered now, or None where it is; the services decide for real."""
    now = now or timezone.now()
    if registration.status not in ACTIVE_STATUSES:
        gone = _NOT_ACTIVE.get(registration.status) or RegistrationNotActive.message
        return dict.fromkeys(("cancel", "change", "substitute"), str(gone))
    seminar = registration.seminar
    closed = changes.cancellation_refusal(seminar=seminar, now=now)
    cancel = str(closed.message) if closed else None
    if registration.checked_in_at:
        change = _t(
            "This registration is checked in, so it can no longer be changed or handed over."
        )
    elif now >= seminar.registration_closes_at:
        change = _t(
            "Registration has closed, so the workshop day, the sessions and the person attending "
            "can no longer be changed online."
        )
    else:
        change = None
    return {"cancel": cancel, "change": change, "substitute": change}


def freed_seat(registration: Registration, *, now: datetime | None = None) -> str:
    """What becomes of a confirmed seat given back now: ``"waitlist"`` (someone waits and
    registration is open: the longest-waiting who fits gets it), ``"anyone"`` (nobody waits: it
    is free for the next registrant) or ``"nobody"`` (registration has closed)."""
    seminar = registration.seminar
    if not seminar.registration_is_open(now=now):
        return "nobody"
    return "waitlist" if selectors.seminar_waitlisted_count(seminar=seminar) else "anyone"


_CANCELLED = {
    "waitlist": _(
        "Your registration is cancelled. Your seat goes to the next person on the wait-list "
        "who can take it."
    ),
    "anyone": _("Your registration is cancelled. Your seat is free again for anyone to take."),
    "nobody": _("Your registration is cancelled."),
}
_LEFT_WAITLIST = _("You have left the wait-list.")


def _context(registration: Registration, **extra) -> dict:
    return {
        "registration": registration,
        "seminar": registration.seminar,
        "manage_url": reverse("events:registration_detail", args=[registration.manage_token]),
        "refusals": refusals(registration),
        **extra,
    }


def _render(request, template, context, *, refused: bool) -> HttpResponse:
    return render(request, template, context, status=REFUSED_STATUS if refused else 200)


@rate_limited("manage")
@private_page
@require_GET
def registration_detail(request: HttpRequest, registration: Registration) -> HttpResponse:
    return render(
        request,
        "events/registration_detail.html",
        _context(
            registration,
            sessions=registration.sessions.order_by("starts_at", "topic"),
            waitlist=waitlist_place(registration=registration),
            manage_link=settings.SITE_URL + request.path,
            substitute=registration.substituted_by,
            certificate_due=certificates.certificate_due(registration=registration),
        ),
    )


@rate_limited("manage")
@private_page
@require_http_methods(["GET", "POST"])
def registration_cancel(request: HttpRequest, registration: Registration) -> HttpResponse:
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    context = _context(
        registration,
        position=waitlist_position(registration=registration),
        freed_seat=freed_seat(registration) if confirmed else None,
    )
    refusal = context["refusals"]["cancel"]
    if request.method == "GET":
        return _render(request, "events/registration_cancel.html", context, refused=False)
    if refusal is None:
        try:
            changes.registration_cancel(registration=registration)
        except DomainError as exc:
            refusal = exc.message
        else:
            left = _CANCELLED[context["freed_seat"]] if confirmed else _LEFT_WAITLIST
            messages.success(request, left)
            return redirect(context["manage_url"])
    context["refusal"] = refusal
    return _render(request, "events/registration_cancel.html", context, refused=True)


@rate_limited("manage")
@private_page
@require_http_methods(["GET", "POST"])
def registration_change(request: HttpRequest, registration: Registration) -> HttpResponse:
    selectors.seminar_program_load(seminar=registration.seminar)
    context = _context(registration)
    refusal = context["refusals"]["change"]
    data = request.POST if request.method == "POST" else None
    form = None if refusal else RegistrationChangeForm(data, registration=registration)
    if form is not None and not form.has_program:
        context["refusal"] = _t("This seminar has no workshop days or sessions to choose from.")
        form = None
    context["form"] = form
    if request.method == "GET":
        return _render(request, "events/registration_change.html", context, refused=False)
    if form is not None and form.is_valid():
        try:
            changes.registration_change(registration=registration, **form.program_choice())
        except DomainError as exc:
            refusal_add(form, exc)
        else:
            messages.success(
                request, _t("Your choice is saved. We sent you an e-mail with the new details.")
            )
            return redirect(context["manage_url"])
    return _render(request, "events/registration_change.html", context, refused=True)


@rate_limited("manage")
@private_page
@require_http_methods(["GET", "POST"])
def registration_substitute(request: HttpRequest, registration: Registration) -> HttpResponse:
    context = _context(registration)
    refusal = context["refusals"]["substitute"]
    data = request.POST if request.method == "POST" else None
    form = None if refusal else RegistrationSubstituteForm(data)
    context["form"] = form
    if request.method == "GET":
        return _render(request, "events/registration_substitute.html", context, refused=False)
    if form is not None and form.is_valid():
        try:
            colleague = changes.registration_substitute(
                registration=registration,
                **form.cleaned_data,
                language=get_language() or settings.LANGUAGE_CODE,
            )
        except DomainError as exc:
            refusal_add(form, exc)
        else:
            messages.success(
                request,
                _t("%(name)s now holds your place. They received their own link by e-mail.")
                % {"name": colleague.full_name},
            )
            return redirect(context["manage_url"])
    return _render(request, "events/registration_substitute.html", context, refused=True)

"""The company's page, for its CTPAT point of contact, behind a link e-mailed to that person.

The page lists every registration of the company; cancelling one or handing it to a colleague
goes through the registrant's own use cases, with ``CompanyContact`` as the actor. Like the
registrant's pages, each one here is private (``views_manage.private_response``), and a forged,
truncated, expired or revoked link is a plain 404.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from ctpat.exceptions import DomainError
from ctpat.ratelimit import rate_limited
from events import certificates, changes, companies, selectors
from events.company_links import company_link_get_by_token
from events.enums import RegistrationStatus
from events.forms_manage import CompanyLinkRequestForm, CompanySubstituteForm
from events.history import CompanyContact
from events.models import CompanyLink, Registration
from events.views import REFUSED_STATUS, refusal_add
from events.views_manage import freed_seat, private_response, refusals


@require_http_methods(["GET", "POST"])
@rate_limited("company")  # its own write, before the form
def company_link_request(request: HttpRequest) -> HttpResponse:
    """The form that e-mails the link to the company's point of contact. Its answer is the same
    whatever was typed: it tells no one which account numbers or addresses are on file."""
    template = "events/company_link_request.html"
    if request.method == "GET":
        return render(request, template, {"form": CompanyLinkRequestForm()})
    form = CompanyLinkRequestForm(request.POST)
    if not form.is_valid():
        return render(request, template, {"form": form}, status=REFUSED_STATUS)
    companies.company_link_request(
        account_number=form.cleaned_data["account_number"],
        email=form.cleaned_data["email"],
        language=get_language() or settings.LANGUAGE_CODE,
    )
    return render(request, template, {"sent": True})


def company_page(view):
    """Fetch the valid link behind ``token`` and mark the response private."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, token: str, **kwargs) -> HttpResponse:
        link = company_link_get_by_token(token=token)
        return private_response(view(request, link, token, **kwargs))

    return wrapped


@rate_limited("manage")
@company_page
@require_GET
def company_detail(request: HttpRequest, link: CompanyLink, token: str) -> HttpResponse:
    company = link.company
    seminars = selectors.company_page_read(company=company)
    for entry in seminars:
        for registration in entry.registrations:
            registration.refusals = refusals(registration)
            registration.certificate_due = certificates.certificate_due(registration=registration)
    return render(
        request,
        "events/company_detail.html",
        {
            "company": company,
            "may_register": company.is_eligible(),
            "seminars": seminars,
            "token": token,
        },
    )


def company_action(view):
    """One of the company's registrations, acted on from its page: rate limited like the
    registrant's own link, a 404 for any registration that is not the company's."""

    @rate_limited("manage")
    @company_page
    @require_http_methods(["GET", "POST"])
    @functools.wraps(view)
    def wrapped(
        request: HttpRequest, link: CompanyLink, token: str, registration_id: int
    ) -> HttpResponse:
        registration = selectors.company_registration_get(
            company=link.company, registration_id=registration_id
        )
        context = {
            "company": link.company,
            "registration": registration,
            "seminar": registration.seminar,
            "page_url": reverse("events:company_detail", args=[token]),
            "refusals": refusals(registration),
        }
        return view(request, CompanyContact(company_id=link.company_id), context)

    return wrapped


def _render(request, template, context, *, refused: bool) -> HttpResponse:
    return render(request, template, context, status=REFUSED_STATUS if refused else 200)


# What the page says once a registration is cancelled, by what becomes of its seat
# (``views_manage.freed_seat``).
_CANCELLED = {
    "waitlist": _(
        "The registration of %(name)s is cancelled. The seat goes to the next person on the "
        "wait-list who can take it."
    ),
    "anyone": _(
        "The registration of %(name)s is cancelled. The seat is free again for anyone to take."
    ),
    "nobody": _("The registration of %(name)s is cancelled."),
}
_LEFT_WAITLIST = _("%(name)s has left the wait-list.")


@company_action
def company_registration_cancel(
    request: HttpRequest, contact: CompanyContact, context: dict
) -> HttpResponse:
    template = "events/company_registration_cancel.html"
    registration: Registration = context["registration"]
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    context["position"] = selectors.waitlist_position(registration=registration)
    context["freed_seat"] = freed_seat(registration) if confirmed else None
    refusal = context["refusals"]["cancel"]
    if request.method == "GET":
        return _render(request, template, context, refused=False)
    if refusal is None:
        try:
            changes.registration_cancel(registration=registration, actor=contact)
        except DomainError as exc:
            refusal = exc.message
        else:
            done = _CANCELLED[context["freed_seat"]] if confirmed else _LEFT_WAITLIST
            messages.success(request, done % {"name": registration.full_name})
            return redirect(context["page_url"])
    context["refusal"] = refusal
    return _render(request, template, context, refused=True)


@company_action
def company_registration_substitute(
    request: HttpRequest, contact: CompanyContact, context: dict
) -> HttpResponse:
    template = "events/company_registration_substitute.html"
    registration: Registration = context["registration"]
    refusal = context["refusals"]["substitute"]
    data = request.POST if request.method == "POST" else None
    form = None if refusal else CompanySubstituteForm(data)
    context["form"] = form
    if request.method == "GET":
        return _render(request, template, context, refused=False)
    if form is not None and form.is_valid():
        try:
            colleague = changes.registration_substitute(
                registration=registration,
                **form.cleaned_data,
                language=get_language() or settings.LANGUAGE_CODE,
                actor=contact,
            )
        except DomainError as exc:
            refusal_add(form, exc)
        else:
            messages.success(
                request,
                _t(
                    "%(new)s now holds the place of %(old)s. "
                    "They received their own link by e-mail."
                )
                % {"new": colleague.full_name, "old": registration.full_name},
            )
            return redirect(context["page_url"])
    return _render(request, template, context, refused=True)


@rate_limited("manage")
@company_page
@require_GET
def company_registration_certificate(
    request: HttpRequest, link: CompanyLink, token: str, registration_id: int
) -> HttpResponse:
    """An attendee's certificate as a PDF, for the company's records; 404 while there is none
    and for anyone not of the company."""
    registration = selectors.company_registration_get(
        company=link.company, registration_id=registration_id
    )
    return certificates.certificate_pdf_response(registration=registration)

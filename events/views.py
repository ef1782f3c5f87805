"""Public pages: the seminar list, a seminar's program and the registration form.

The registration's own page, behind its private link, is in ``events.views_manage``.

Views stay thin: reads come from ``events.selectors``, every rule from ``events.services``.
"""

import functools
import json

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ctpat.exceptions import DomainError
from ctpat.ratelimit import rate_limited
from events import selectors, services
from events.exceptions import SeminarFull
from events.forms import RegistrationForm
from events.models import Seminar

# A refused or malformed registration is the client's to fix: a 4xx, with the form to fix it in.
REFUSED_STATUS = 422
# The wait-list step's button back to the whole form.
WAITLIST_STEP_EDIT = "edit"


def refusal_add(form: forms.Form, exc: DomainError, *, default_field: str | None = None) -> None:
    """Show a rule's refusal next to the field it concerns (else ``default_field``), or above
    the form."""
    field = exc.field or default_field
    form.add_error(field if field in form.fields else None, exc.message)


def _registration_state(seminar: Seminar) -> str:
    now = timezone.now()
    if not seminar.registration_is_open(now=now):
        return "not_yet_open" if now < seminar.registration_opens_at else "closed"
    return "full" if seminar.remaining <= 0 else "open"


def _page_context(seminar: Seminar, **context) -> dict:
    """What every page about one seminar shows: the seminar and its state."""
    return {"seminar": seminar, "state": _registration_state(seminar), **context}


@require_GET
def seminar_list(request: HttpRequest) -> HttpResponse:
    seminars = [
        (seminar, _registration_state(seminar)) for seminar in selectors.seminar_list_open()
    ]
    return render(request, "events/seminar_list.html", {"seminars": seminars})


@require_GET
def seminar_detail(request: HttpRequest, slug: str) -> HttpResponse:
    seminar = selectors.seminar_get_for_page(slug=slug)
    # A callable: the template reads the program only when the page's cached fragment expired.
    program = functools.partial(selectors.seminar_program, seminar=seminar)
    return render(request, "events/seminar_detail.html", _page_context(seminar, program=program))


@require_GET
@never_cache
def seminar_availability(request: HttpRequest, slug: str) -> HttpResponse:
    """Counts only, the same for everyone: the document is kept in the cache, encoded, as long
    as the public pages' counts."""
    key = f"availability:{slug}"
    document = cache.get(key)
    if document is None:
        seminar = selectors.seminar_get_published(slug=slug, program=True)
        document = json.dumps(selectors.seminar_availability(seminar=seminar)).encode()
        cache.set(key, document, settings.PUBLIC_PAGE_CACHE_SECONDS)
    return HttpResponse(document, content_type="application/json")


def _waitlist_offered(seminar: Seminar, state: str) -> bool:
    return state == "full" or any(day.remaining <= 0 for day in seminar.days.all())


def _waitlist_step_carried(form: RegistrationForm) -> list[tuple[str, str]]:
    """The seminar filled while this person filled in the form: nothing they typed needs fixing
    and no other day has a seat, so a short step offers the wait-list, carrying every value they
    sent but the box it asks anew and the honeypot (empty, or refused before any rule)."""
    return [
        (name, value)
        for name in form.fields
        if name not in ("waitlist", "subject")
        for value in form.data.getlist(name)
    ]


@require_http_methods(["GET", "POST"])
@rate_limited("registration")  # its own write, before the form and any seat work
def registration_create(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method == "GET":
        seminar = selectors.seminar_get_for_form_page(slug=slug)
    else:
        # Read for this request, never from the cache: the form is checked against it.
        seminar = selectors.seminar_get_for_form(slug=slug)
    context = _page_context(seminar)
    if context["state"] in ("not_yet_open", "closed"):
        # Nothing to fill in; a POST here is stale or scripted and is refused without a write.
        status = 403 if request.method == "POST" else 200
        return render(request, "events/registration_form.html", context, status=status)
    offer = _waitlist_offered(seminar, context["state"])
    if request.method == "GET":
        form = RegistrationForm(seminar=seminar, offer_waitlist=offer)
        return render(request, "events/registration_form.html", {**context, "form": form})

    form = RegistrationForm(request.POST, seminar=seminar, offer_waitlist=offer)
    if WAITLIST_STEP_EDIT in request.POST:
        # Back from the wait-list step to the whole form, with the values it carried.
        return render(request, "events/registration_form.html", {**context, "form": form})
    if form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.registration_create(
                seminar=seminar,
                account_number=data["account_number"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                job_title=data["job_title"],
                phone=data["phone"],
                **form.program_choice(),
                waitlist=data["waitlist"],
                language=get_language() or settings.LANGUAGE_CODE,
                answers=form.answers(),
            )
        except DomainError as exc:
            if getattr(exc, "waitlist_offered", False):
                form.offer_waitlist()
                # A full seminar concerns no field of its own: the error goes with the way out,
                # so that the summary's link takes a keyboard user to the wait-list checkbox.
                refusal_add(form, exc, default_field="waitlist")
            else:
                refusal_add(form, exc)
            if isinstance(exc, SeminarFull):
                context.update(waitlist_step=True, carried=_waitlist_step_carried(form))
        else:
            return redirect("events:registration_detail", token=registration.manage_token)
    return render(
        request, "events/registration_form.html", {**context, "form": form}, status=REFUSED_STATUS
    )

"""Public pages: the seminar list, a seminar's program and the registration form.

The registration's own page, behind its private link, is in ``events.views_manage``.

Views stay thin: reads come from ``events.selectors``, every rule from ``events.services``.
"""

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
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
    """What every page about one seminar shows: the seminar, its state, and how long the
    fragments that hold only public counts are kept in the cache."""
    return {
        "seminar": seminar,
        "state": _registration_state(seminar),
        "cache_seconds": settings.PUBLIC_PAGE_CACHE_SECONDS,
        **context,
    }


@require_GET
def seminar_list(request: HttpRequest) -> HttpResponse:
    seminars = [
        (seminar, _registration_state(seminar)) for seminar in selectors.seminar_list_open()
    ]
    return render(request, "events/seminar_list.html", {"seminars": seminars})


@require_GET
def seminar_detail(request: HttpRequest, slug: str) -> HttpResponse:
    seminar = selectors.seminar_get_published(slug=slug)
    # The program is read only when its cached fragment has expired.
    days = selectors.seminar_program(seminar=seminar)
    return render(request, "events/seminar_detail.html", _page_context(seminar, days=days))


@require_GET
@never_cache
def seminar_availability(request: HttpRequest, slug: str) -> HttpResponse:
    """Counts only, the same for everyone: kept in the cache as long as the public pages'."""
    key = f"availability:{slug}"
    document = cache.get(key)
    if document is None:
        seminar = selectors.seminar_get_published(slug=slug, program=True)
        document = selectors.seminar_availability(seminar=seminar)
        cache.set(key, document, settings.PUBLIC_PAGE_CACHE_SECONDS)
    return JsonResponse(document)


def _waitlist_offered(seminar: Seminar, state: str) -> bool:
    return state == "full" or any(day.remaining <= 0 for day in seminar.days.all())


@require_http_methods(["GET", "POST"])
@rate_limited("registration")  # its own write, before the form and any seat work
def registration_create(request: HttpRequest, slug: str) -> HttpResponse:
    # Read for this request, never from a cache: the form is checked against it.
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
            # The seminar filled while this person filled in the form: nothing they typed needs
            # fixing and no other day has a seat, so a short step offers the wait-list.
            context["waitlist_step"] = isinstance(exc, SeminarFull)
        else:
            return redirect("events:registration_detail", token=registration.manage_token)
    return render(
        request, "events/registration_form.html", {**context, "form": form}, status=REFUSED_STATUS
    )

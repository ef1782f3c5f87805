"""Public pages: the seminar list, a seminar's program and the registration form.

The registration's own page, behind its private link, is in ``events.views_manage``.

Views stay thin: reads come from ``events.selectors``, every rule from ``events.services``.
"""

import secrets

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from ctpat.exceptions import DomainError
from ctpat.ratelimit import rate_limited
from events import formhtml, pagecache, selectors, services
from events.exceptions import SeminarFull
from events.forms import RegistrationForm, kept_per_language
from events.models import Seminar

# A refused or malformed registration is the client's to fix: a 4xx, with the form to fix it in.
REFUSED_STATUS = 422
# The wait-list step's button back to the whole form, and the fields the step does not carry:
# the box it asks anew, and the honeypot (empty, or the form was refused before any rule).
WAITLIST_STEP_EDIT = "edit"
WAITLIST_STEP_LEFT_OUT = ("waitlist", "subject")
# Where a refused registration's page takes its form (``_registration_refused``): random per
# process, so that nothing typed by a visitor or staff can stand for it.
_FORM_PLACEHOLDER = mark_safe(f"form-placeholder-{secrets.token_hex(16)}")


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


@require_GET
def seminar_list(request: HttpRequest) -> HttpResponse:
    seminars = [
        (seminar, _registration_state(seminar)) for seminar in selectors.seminar_list_open()
    ]
    return render(request, "events/seminar_list.html", {"seminars": seminars})


@require_GET
def seminar_detail(request: HttpRequest, slug: str) -> HttpResponse:
    def build() -> HttpResponse:
        seminar = selectors.seminar_get_published(slug=slug)
        context = {"seminar": seminar, "state": _registration_state(seminar)}
        return pagecache.render(request, "events/seminar_detail.html", context)

    return pagecache.public_page(request, key=("seminar_detail", slug), build=build)


@require_GET
def seminar_availability(request: HttpRequest, slug: str) -> HttpResponse:
    def build() -> HttpResponse:
        seminar = selectors.seminar_get_published(slug=slug)
        response = JsonResponse(selectors.seminar_availability(seminar=seminar))
        add_never_cache_headers(response)  # kept by the page cache for every copy it serves
        return response

    return pagecache.public_page(request, key=("availability", slug), build=build)


def _waitlist_offered(seminar: Seminar, state: str) -> bool:
    return state == "full" or any(day.remaining <= 0 for day in seminar.days.all())


def _registration_form_blank(request: HttpRequest, slug: str) -> HttpResponse:
    seminar = selectors.seminar_get_for_form(slug=slug)
    state = _registration_state(seminar)
    context = {"seminar": seminar, "state": state}
    if state not in ("not_yet_open", "closed"):
        offer = _waitlist_offered(seminar, state)
        context["form"] = RegistrationForm(seminar=seminar, offer_waitlist=offer)
    return pagecache.render(request, "events/registration_form.html", context)


def _registration_waitlist_step(
    request: HttpRequest, context: dict, form: RegistrationForm
) -> HttpResponse:
    """The seminar filled while this person filled in the form: a short step to join its wait-list.

    Nothing they typed needs fixing, and no other day has a seat, so the one choice left is the
    wait-list. The step shows what they entered and carries it in hidden fields, with the
    wait-list box; its other button goes back to the whole form. It is also the refusal every
    late sender gets once the seminar fills on an opening morning, thousands of them: it costs
    well under the whole form shown again (``bench/rush.py``). ``form`` carries the refusal at
    its wait-list box already.
    """
    carried = [
        (name, value)
        for name in form.fields
        if name not in WAITLIST_STEP_LEFT_OUT
        for value in form.data.getlist(name)
    ]
    return _registration_refused(
        request,
        context,
        form,
        body="events/_registration_waitlist_step.html",
        carried=carried,
        waitlist_field=formhtml.field_html(form["waitlist"]),
        edit_name=WAITLIST_STEP_EDIT,
    )


def _registration_refused(
    request: HttpRequest, context: dict, form: RegistrationForm, *, body: str, **body_context
) -> HttpResponse:
    """A refused registration's page: ``body`` (the form again, or the wait-list step) in the
    page around it.

    That page holds nothing of the visitor's but the CSRF token: it is rendered once per copy of
    the seminar (a second at most, as the form's own choices are), language and path, with the
    token's placeholder, and each refusal renders its form alone into it. An opening morning
    refuses thousands of forms in a few seconds (``bench/rush.py``). ``tests/events/
    test_views.py`` holds the result to the page rendered whole.
    """
    path = request.get_full_path()
    pages = kept_per_language(context["seminar"], "_refused_pages", lambda _language: {})
    page = pages.get(path)
    if page is None:
        page = pagecache.render(
            request,
            "events/registration_refused.html",
            {**context, "form": form, "form_html": _FORM_PLACEHOLDER},
        ).content.decode()
        if not request.GET:  # a query string could make the paths kept any number
            pages[path] = page
    html = render_to_string(
        body, {"form": form, "csrf_token": pagecache.CSRF_PLACEHOLDER, **body_context}
    )
    response = HttpResponse(page.replace(_FORM_PLACEHOLDER, html), status=REFUSED_STATUS)
    return pagecache.token_put(request, response)


@require_http_methods(["GET", "POST"])
@rate_limited("registration")  # its own write, before the form and any seat work
def registration_create(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method == "GET":
        # The blank form is the same for every visitor: see events.pagecache.
        return pagecache.public_page(
            request,
            key=("registration_form", slug),
            build=lambda: _registration_form_blank(request, slug),
        )
    seminar = selectors.seminar_get_for_form(slug=slug)
    state = _registration_state(seminar)
    offer_waitlist = _waitlist_offered(seminar, state)
    context = {"seminar": seminar, "state": state}
    if state in ("not_yet_open", "closed"):
        # Nothing to fill in; a POST here is stale or scripted and is refused without a write.
        return render(request, "events/registration_form.html", context, status=403)

    form = RegistrationForm(request.POST, seminar=seminar, offer_waitlist=offer_waitlist)
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
                return _registration_waitlist_step(request, context, form)
        else:
            return redirect("events:registration_detail", token=registration.manage_token)
    return _registration_refused(request, context, form, body="events/_registration_form_body.html")

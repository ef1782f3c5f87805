"""The door: staff scan or type a confirmation code and see at once whether the person may enter.

A USB or phone QR scanner types the code and presses Enter, so the page is one autofocused field
that comes back empty after every scan; no script is needed for that.
"""

import functools

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from ctpat.exceptions import DomainError
from ctpat.ratelimit import rate_limited
from ctpat.security import staff_otp_verified
from events.checkin import check_ins_today_count, registration_check_in
from events.models import Seminar
from events.selectors import seminar_list_for_check_in
from events.views import REFUSED_STATUS


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Confirmation code"), max_length=40)


def check_in_staff_only(view):
    """Anonymous visitors go to the admin login; signed-in people without the right get a 403."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and staff_otp_verified(request)):
            # Without its two-factor step a staff session counts as not logged in.
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not (user.is_active and user.is_staff and user.has_perm("events.add_checkin")):
            raise PermissionDenied
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapped


@require_GET
@check_in_staff_only
def check_in_seminars(request: HttpRequest) -> HttpResponse:
    """The desk's way in, for staff who only check people in: no admin page leads here."""
    today = timezone.localdate()
    context = {"seminars": seminar_list_for_check_in(today=today), "today": today}
    return render(request, "events/checkin_seminars.html", context)


@require_http_methods(["GET", "POST"])
@check_in_staff_only
@rate_limited("checkin")
def seminar_check_in(request: HttpRequest, slug: str) -> HttpResponse:
    seminar = get_object_or_404(Seminar, slug=slug)
    today = timezone.localdate()
    context = {"seminar": seminar, "today": today, "result": None, "refusal": None}
    status = 200
    if request.method == "POST":
        form = CheckInForm(request.POST)
        if form.is_valid():
            try:
                context["result"] = registration_check_in(
                    code=form.cleaned_data["code"], actor=request.user, today=today, seminar=seminar
                )
            except DomainError as exc:
                context["refusal"] = exc.message
                status = REFUSED_STATUS
        else:
            context["refusal"] = _("Scan or type a confirmation code.")
            status = REFUSED_STATUS
    context["form"] = CheckInForm()
    context["count"] = check_ins_today_count(seminar=seminar, today=today)
    return render(request, "events/checkin.html", context, status=status)

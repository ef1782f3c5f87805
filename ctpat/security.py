"""Who is asking, and may they: the client's address, staff two-factor, the login lockout, logs.

- ``client_ip``: the address rate limits and the login lockout key on. Only a header the site's
  own proxies set is believed (``TRUSTED_PROXY_HEADER``, ``TRUSTED_PROXY_COUNT``); by default the
  socket's address, whatever ``X-Forwarded-For`` a client sends.
- ``StaffAdminSite``: the admin, which with ``STAFF_OTP_REQUIRED`` (the default) asks for a TOTP
  code at login and lets in only sessions verified by one (django-otp).
"""

import functools
import ipaddress

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def client_ip(request: HttpRequest) -> str:
    """The client's IP address: from the trusted proxy header if configured, else the socket's.

    Each of the ``TRUSTED_PROXY_COUNT`` proxies in front of the site appends the address it got
    the request from, so the client's is that many entries from the right; whatever stands
    further left was written by the client and proves nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    header, count = settings.TRUSTED_PROXY_HEADER, settings.TRUSTED_PROXY_COUNT
    if header and count > 0:
        meta_name = "HTTP_" + header.upper().replace("-", "_")
        entries = [e.strip() for e in request.META.get(meta_name, "").split(",") if e.strip()]
        if len(entries) >= count:
            candidate = entries[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def staff_otp_verified(request: HttpRequest) -> bool:
    """True unless staff two-factor is on and this session has not passed it."""
    if not settings.STAFF_OTP_REQUIRED:
        return True
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


class OneTimeCodeInput(forms.TextInput):
    """A two-factor code's field that never shows a code again: a page shown after a failed
    sign-in is the same whatever was typed, and the code has expired by then anyway."""

    def format_value(self, value):
        return None


def otp_login_form():
    """django-otp's admin login form, with one answer for every failed sign-in.

    A wrong password, a missing or wrong code, a throttled device: each gets the same message
    and the same page (no device list, the password not shown again), so the page never tells
    that the password was right; and a failed code counts towards the django-axes lock-out as a
    wrong password does. With one device there is nothing to choose; with several, the code
    picks the device it comes from.
    """
    from django_otp import devices_for_user, match_token
    from django_otp.admin import OTPAdminAuthenticationForm

    class StaffOTPLoginForm(OTPAdminAuthenticationForm):
        error_messages = {
            **OTPAdminAuthenticationForm.error_messages,
            "invalid_login": _(
                "Please enter the correct username, password and two-factor code of a staff "
                "account. The username and password may be case-sensitive."
            ),
        }
        otp_token = forms.CharField(
            label=_("Two-factor code"),
            required=False,
            help_text=_("The six digits your authenticator app shows now."),
            widget=OneTimeCodeInput(
                attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
            ),
        )

        def clean_otp(self, user) -> None:
            if user is None:
                return
            try:
                token = self.cleaned_data.get("otp_token")
                devices = list(devices_for_user(user, confirmed=True))
                if len(devices) > 1 and token and not self.cleaned_data.get("otp_device"):
                    user.otp_device = match_token(user, token)
                    if user.otp_device is None:
                        raise forms.ValidationError("", code="invalid_token")
                else:
                    super().clean_otp(user)
            except forms.ValidationError:
                user_login_failed.send(
                    sender=type(self),
                    credentials={"username": self.cleaned_data.get("username")},
                    request=self.request,
                )
                self.fields["password"].widget.render_value = False
                raise self.get_invalid_login_error() from None

        def _chosen_device(self, user):
            device = super()._chosen_device(user)
            if device is None:
                devices = list(devices_for_user(user, confirmed=True))
                if len(devices) == 1:
                    return devices[0]
            return device

    return StaffOTPLoginForm


class StaffAdminSite(AdminSite):
    """Django's admin, with django-otp's TOTP step when ``STAFF_OTP_REQUIRED`` is on.

    Installed as the default site (``ctpat.apps.CtpatAdminConfig``), so ``admin.site`` and every
    ``admin:`` URL name stay as they were.
    """

    site_header = _("CTPAT Seminars — CBP staff")
    site_title = _("CTPAT Seminars staff")
    index_title = _("Seminars, partners and staff accounts")

    @property
    def login_form(self):
        return _OTP_LOGIN_FORM() if settings.STAFF_OTP_REQUIRED else AdminAuthenticationForm

    @property
    def login_template(self):
        return "admin/login_two_factor.html" if settings.STAFF_OTP_REQUIRED else None

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and staff_otp_verified(request)


_OTP_LOGIN_FORM = functools.cache(otp_login_form)

"""Who is asking, and may they: the client's address, staff two-factor, the login lockout, logs.

- ``client_ip``: the address rate limits and the login lockout key on. Only a header the site's
  own proxies set is believed (``TRUSTED_PROXY_HEADER``, ``TRUSTED_PROXY_COUNT``); by default the
  socket's address, whatever ``X-Forwarded-For`` a client sends.
- ``StaffAdminSite``: the admin, which with ``STAFF_OTP_REQUIRED`` (the default) asks for a TOTP
  code at login and lets in only sessions verified by one (django-otp).
"""

import functools
import ipaddress

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest


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


def otp_login_form():
    """django-otp's admin login form; with a single device there is nothing to choose."""
    from django_otp import devices_for_user
    from django_otp.admin import OTPAdminAuthenticationForm

    class StaffOTPLoginForm(OTPAdminAuthenticationForm):
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

    @property
    def login_form(self):
        return _OTP_LOGIN_FORM() if settings.STAFF_OTP_REQUIRED else AdminAuthenticationForm

    @property
    def login_template(self):
        return "otp/admin111/login.html" if settings.STAFF_OTP_REQUIRED else None

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and staff_otp_verified(request)


_OTP_LOGIN_FORM = functools.cache(otp_login_form)

from axes import apps as axes_apps
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp import apps as totp_apps


class CtpatConfig(AppConfig):
    name = "ctpat"
    verbose_name = _("CTPAT partner registry")


class CtpatAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with our site (two-factor for staff) as ``admin.site``."""

    # Not the default configuration of the ctpat app itself (CtpatConfig is).
    default = False

    default_site = "ctpat.security.StaffAdminSite"


# The admin's sections for two third-party apps, named as staff read them (their own configs
# leave the raw labels "Axes" and "Otp_Totp").


class AxesConfig(axes_apps.AppConfig):
    default = False
    verbose_name = _("Sign-in lock-outs")


class TOTPConfig(totp_apps.DefaultConfig):
    default = False
    verbose_name = _("Two-factor devices")

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CtpatConfig(AppConfig):
    name = "ctpat"
    verbose_name = _("CTPAT partner registry")


class CtpatAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with our site (two-factor for staff) as ``admin.site``."""

    # Not the default configuration of the ctpat app itself (CtpatConfig is).
    default = False

    default_site = "ctpat.security.StaffAdminSite"

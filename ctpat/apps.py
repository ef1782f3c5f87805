from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CtpatConfig(AppConfig):
    name = "ctpat"
    verbose_name = _("CTPAT partner registry")

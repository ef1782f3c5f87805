"""Pieces the seminar and registration admins share."""

from django.contrib import admin, messages
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import ngettext

from ctpat.admin_inlines import UntitledRowsMixin


def date_and_time(moment):
    """A list cell's moment: the date on one line, the time below it, as on the public pages."""
    moment = timezone.localtime(moment)
    return format_html(
        '{}<br><span class="time">{}</span>',
        formats.date_format(moment, "DATE_FORMAT"),
        formats.time_format(moment, "TIME_FORMAT"),
    )


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(UntitledRowsMixin, ReadOnlyMixin, admin.TabularInline):
    """A table of related rows to read: no forms, and no object title above each row.

    Every one of its ``fields`` is shown read-only (model fields and display methods alike).
    """

    extra = 0

    def get_readonly_fields(self, request, obj=None):
        return self.fields


def _promoted_report(request, promoted) -> None:
    if promoted:
        messages.info(
            request,
            ngettext(
                "%(count)d person was promoted from the wait-list: %(names)s.",
                "%(count)d people were promoted from the wait-list: %(names)s.",
                len(promoted),
            )
            % {
                "count": len(promoted),
                "names": ", ".join(f"{r.full_name} ({r.confirmation_code})" for r in promoted),
            },
        )

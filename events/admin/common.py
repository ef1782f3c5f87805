"""Pieces the seminar and registration admins share."""

from django.contrib import admin, messages
from django.utils.translation import ngettext

from ctpat.admin_inlines import UntitledRowsMixin


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

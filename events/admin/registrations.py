"""Registrations: everything that moves a seat (status, seminar, company, day, session picks)
is read-only here and changes only through the services, so every rule and promotion applies.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ctpat.exceptions import DomainError
from events import changes
from events.admin.common import ReadOnlyMixin
from events.models import (
    CompanyAllocation,
    OutboundEmail,
    Registration,
    RegistrationChange,
    RegistrationSession,
)


class SessionPickInline(ReadOnlyMixin, admin.TabularInline):
    model = RegistrationSession
    verbose_name_plural = _("break-out sessions")
    fields = ["session"]
    readonly_fields = ["session"]
    extra = 0


class HistoryInline(ReadOnlyMixin, admin.TabularInline):
    model = RegistrationChange
    fields = ["at", "action", "actor", "detail"]
    readonly_fields = fields
    extra = 0


class OutboundEmailInline(ReadOnlyMixin, admin.TabularInline):
    model = OutboundEmail
    fields = ["kind", "to", "created_at", "sent_at", "attempts", "last_error"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]
    extra = 0


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "confirmation_code",
        "last_name",
        "first_name",
        "email",
        "company",
        "seminar",
        "workshop_day",
        "status",
        "created_at",
    ]
    list_filter = ["status", "seminar", "workshop_day", "language"]
    list_select_related = ["seminar", "company", "workshop_day"]
    search_fields = [
        "=confirmation_code",
        "email",
        "last_name",
        "first_name",
        "=company__account_number",
        "company__legal_name",
    ]
    date_hierarchy = "created_at"
    # No raw_id_fields for the company: it holds a seat, so it is read-only (see the docstring)
    # and the form never renders a list of every partner.
    readonly_fields = [
        "seminar",
        "company",
        "workshop_day",
        "status",
        "confirmation_code",
        "created_at",
        "waitlisted_at",
        "confirmed_at",
        "cancelled_at",
        "checked_in_at",
        "substituted_by",
    ]
    fields = [
        "seminar",
        "company",
        "workshop_day",
        "status",
        "confirmation_code",
        ("first_name", "last_name"),
        "email",
        "job_title",
        "phone",
        "language",
        ("created_at", "waitlisted_at", "confirmed_at", "cancelled_at", "checked_in_at"),
        "substituted_by",
    ]
    inlines = [SessionPickInline, HistoryInline, OutboundEmailInline]
    actions = ["cancel_action", "link_revoke_action"]

    def has_add_permission(self, request):
        return False  # registrations are made through the registration service

    @admin.action(description=_("Cancel selected registrations"), permissions=["change"])
    def cancel_action(self, request, queryset):
        done = 0
        for registration in queryset.select_related("seminar", "company"):
            try:
                changes.registration_cancel(registration=registration, actor=request.user)
            except DomainError as exc:
                messages.warning(request, f"{registration}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(
                request,
                ngettext(
                    "%(count)d registration cancelled; freed seats went to the wait-list.",
                    "%(count)d registrations cancelled; freed seats went to the wait-list.",
                    done,
                )
                % {"count": done},
            )

    @admin.action(description=_("Replace private link"), permissions=["change"])
    def link_revoke_action(self, request, queryset):
        count = 0
        for registration in queryset:
            changes.registration_link_revoke(registration=registration, actor=request.user)
            count += 1
        messages.success(
            request,
            ngettext(
                "%(count)d private link replaced; the old one no longer works and active "
                "registrants were sent the new one.",
                "%(count)d private links replaced; the old ones no longer work and active "
                "registrants were sent the new ones.",
                count,
            )
            % {"count": count},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would leave the seat counted; cancellation frees it


@admin.register(CompanyAllocation)
class CompanyAllocationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["company", "seminar", "confirmed_count"]
    list_filter = ["seminar"]
    list_select_related = ["company", "seminar"]
    search_fields = ["=company__account_number", "company__legal_name"]

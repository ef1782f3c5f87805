"""A first, small admin for seminars and registrations.

Counters (``confirmed_count``) and everything that moves them (status, seminar, company, day,
session picks) are read-only here: only the services change them, in one locked transaction, so
that a counter always equals the rows it counts. Registration changes go through services.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from events.models import (
    BreakoutSession,
    CompanyAllocation,
    Registration,
    RegistrationSession,
    Seminar,
    WorkshopDay,
)


class CapacityFormMixin(forms.ModelForm):
    """Refuse a capacity below the seats already confirmed, instead of a database error."""

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        confirmed = self.instance.confirmed_count if self.instance.pk else 0
        if capacity is not None and capacity < confirmed:
            raise forms.ValidationError(
                _("%(confirmed)d seats are already confirmed; the capacity cannot be lower.")
                % {"confirmed": confirmed}
            )
        return capacity


class WorkshopDayInline(admin.TabularInline):
    model = WorkshopDay
    form = CapacityFormMixin
    extra = 0
    fields = ["label", "date", "capacity", "confirmed_count"]
    readonly_fields = ["confirmed_count"]
    show_change_link = True


class BreakoutSessionInline(admin.TabularInline):
    model = BreakoutSession
    form = CapacityFormMixin
    extra = 0
    fields = ["topic", "room", "starts_at", "ends_at", "capacity", "confirmed_count"]
    readonly_fields = ["confirmed_count"]
    show_change_link = True


@admin.register(Seminar)
class SeminarAdmin(admin.ModelAdmin):
    form = CapacityFormMixin
    list_display = [
        "title",
        "city",
        "starts_at",
        "is_published",
        "registration_opens_at",
        "registration_closes_at",
        "capacity",
        "confirmed_count",
        "per_company_limit",
    ]
    list_filter = ["is_published", "city"]
    search_fields = ["title", "slug", "city", "venue"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["confirmed_count", "created_at"]
    date_hierarchy = "starts_at"
    inlines = [WorkshopDayInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "program", "is_published"]}),
        (_("Place and time"), {"fields": ["venue", "address", "city", "starts_at", "ends_at"]}),
        (_("Registration"), {"fields": ["registration_opens_at", "registration_closes_at"]}),
        (_("Seats"), {"fields": ["capacity", "per_company_limit", "confirmed_count"]}),
    ]


@admin.register(WorkshopDay)
class WorkshopDayAdmin(admin.ModelAdmin):
    form = CapacityFormMixin
    list_display = ["label", "seminar", "date", "capacity", "confirmed_count"]
    list_filter = ["seminar"]
    list_select_related = ["seminar"]
    readonly_fields = ["confirmed_count"]
    inlines = [BreakoutSessionInline]


@admin.register(BreakoutSession)
class BreakoutSessionAdmin(admin.ModelAdmin):
    form = CapacityFormMixin
    list_display = ["topic", "day", "room", "starts_at", "ends_at", "capacity", "confirmed_count"]
    list_filter = ["day__seminar", "day"]
    list_select_related = ["day"]
    search_fields = ["topic", "room"]
    readonly_fields = ["confirmed_count"]


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SessionPickInline(ReadOnlyMixin, admin.TabularInline):
    model = RegistrationSession
    verbose_name_plural = _("break-out sessions")
    fields = ["session"]
    readonly_fields = ["session"]
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
        ("created_at", "waitlisted_at", "confirmed_at", "cancelled_at"),
    ]
    inlines = [SessionPickInline]

    def has_add_permission(self, request):
        return False  # registrations are made through the registration service

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would leave the seat counted; cancellation frees it


@admin.register(CompanyAllocation)
class CompanyAllocationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["company", "seminar", "confirmed_count"]
    list_filter = ["seminar"]
    list_select_related = ["company", "seminar"]
    search_fields = ["=company__account_number", "company__legal_name"]

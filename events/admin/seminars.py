"""Seminars, workshop days and sessions: seat limits change only through events.capacity.

Counters (``confirmed_count``) are read-only here: only the services move them, in one locked
transaction, so that a counter always equals the rows it counts.
"""

import re

import nested_admin
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ctpat.admin_inlines import UntitledRowsMixin
from events import badges, capacity, certificates, reports, roster
from events.admin.common import _promoted_report, date_and_time
from events.admin.questions import SeminarQuestionInline
from events.exceptions import CapacityBelowConfirmed, SeminarNotEnded
from events.models import BreakoutSession, Seminar, WorkshopDay
from events.pdf import PAPER_SIZES, pdf_response
from events.waitlist import waitlist_promote

# The seat limits that only events.capacity may set on a saved row.
CAPACITY_FIELDS = ("capacity", "per_company_limit")
# The managers' own: the people's contact details (roster, badges), and a seminar's figures.
EXPORT_ROSTER = "events.export_roster"
VIEW_REPORTS = "events.view_reports"
# A workshop day's id in a query string; anything else is a 404 before any query.
DAY_ID = re.compile(r"[0-9]{1,9}")


def _seat_fields(obj) -> list[str]:
    return [name for name in CAPACITY_FIELDS if hasattr(obj, name)]


class CapacityForm(forms.ModelForm):
    """Refuse, with the numbers, a capacity below the seats confirmed right now.

    The capacity service checks again under the seminar's lock when the form is saved.
    """

    def _confirmed_now(self) -> int:
        if not self.instance.pk:
            return 0
        model = type(self.instance)
        return model.objects.values_list("confirmed_count", flat=True).get(pk=self.instance.pk)

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        confirmed = self._confirmed_now()
        if capacity is not None and capacity < confirmed:
            raise forms.ValidationError(
                _(
                    "%(confirmed)d seats are already confirmed, so the capacity cannot be "
                    "%(capacity)d. Cancel or move registrations first, or choose at least "
                    "%(confirmed)d."
                ),
                code="below_confirmed",
                params={"confirmed": confirmed, "capacity": capacity},
            )
        return capacity

    def clean_per_company_limit(self):
        limit = self.cleaned_data["per_company_limit"]
        if limit is not None and self.instance.pk:
            try:
                capacity.company_limit_check(seminar=self.instance, limit=limit)
            except CapacityBelowConfirmed as exc:
                raise forms.ValidationError(exc.message, code="below_confirmed") from None
        return limit


def capacity_save(request, obj, *, changed: list[str]) -> None:
    """Save a change form's object: seat limits through events.capacity, the rest as typed.

    The seat limits go through their service, which takes the seminar's row before any other, as
    every seat-moving transaction does. The rest is saved by name only, so that a counter read
    when the form was shown is never written back over the seats taken since.
    """
    seat_changes = {name: getattr(obj, name) for name in _seat_fields(obj) if name in changed}
    others = [name for name in changed if name not in CAPACITY_FIELDS]
    # A seminar's own row is the first lock anyway; saving its dates first lets a raise promote
    # under the registration window just typed in.
    if others and isinstance(obj, Seminar):
        obj.save(update_fields=others)
        others = []
    if seat_changes:
        try:
            if isinstance(obj, Seminar):
                promoted = capacity.seminar_capacity_set(
                    seminar=obj, actor=request.user, **seat_changes
                )
            elif isinstance(obj, WorkshopDay):
                promoted = capacity.workshop_day_capacity_set(
                    day=obj, actor=request.user, **seat_changes
                )
            else:
                capacity.session_capacity_set(session=obj, **seat_changes)
                promoted = []
        except CapacityBelowConfirmed as exc:
            messages.error(
                request, _("%(obj)s: %(refusal)s") % {"obj": obj, "refusal": exc.message}
            )
        else:
            _promoted_report(request, promoted)
    if others:
        obj.save(update_fields=others)


class CapacityAdminMixin:
    """Change forms and inlines of seminars, days and sessions save seats through the service."""

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        capacity_save(request, obj, changed=list(form.changed_data))

    def save_formset(self, request, form, formset, change):
        if formset.model not in (WorkshopDay, BreakoutSession):
            return super().save_formset(request, form, formset, change)
        # The forms' own instances, with the values typed in: django-nested-admin lists a copy
        # read from the database in ``changed_objects``.
        typed = {obj.pk: obj for obj in formset.save(commit=False) if obj.pk}
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in formset.new_objects:
            obj.save()
        for obj, changed in formset.changed_objects:
            capacity_save(request, typed.get(obj.pk, obj), changed=changed)
        formset.save_m2m()


class BreakoutSessionInline(UntitledRowsMixin, nested_admin.NestedTabularInline):
    """A session a line: the browser's own date-and-time fields, the description on its page."""

    model = BreakoutSession
    form = CapacityForm
    extra = 0
    fields = [
        "topic",
        "topic_es",
        "room",
        "starts_at",
        "ends_at",
        "capacity",
        "description_link",
    ]
    # Each session's confirmed seats are in "Seats at a glance" above, beside its capacity.
    readonly_fields = ["description_link"]
    formfield_overrides = {
        models.DateTimeField: {
            "form_class": forms.DateTimeField,
            "widget": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
    }
    classes = [*UntitledRowsMixin.classes, "session-rows"]
    is_sortable = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("day")  # each row's title names it

    @admin.display(description=_("details"))
    def description_link(self, session: BreakoutSession) -> str:
        if session.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:events_breakoutsession_change", args=[session.pk]),
            _("Edit") if session.description else _("Add"),
        )


class WorkshopDayInline(nested_admin.NestedStackedInline):
    """Each day with its break-out sessions, all edited on the seminar's page."""

    model = WorkshopDay
    form = CapacityForm
    extra = 0
    fields = [("label", "label_es"), ("date", "capacity", "confirmed_count")]
    readonly_fields = ["confirmed_count"]
    show_change_link = True
    is_sortable = False
    inlines = [BreakoutSessionInline]


@admin.register(Seminar)
class SeminarAdmin(CapacityAdminMixin, nested_admin.NestedModelAdmin):
    form = CapacityForm
    list_display = [
        "title",
        "city",
        "starts",
        "is_published",
        "registration_opens",
        "registration_closes",
        "capacity",
        "confirmed_count",
        "per_company_limit",
    ]
    list_filter = ["is_published", "city"]
    search_fields = ["title", "slug", "city", "venue"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["confirmed_count", "created_at"]
    date_hierarchy = "starts_at"
    inlines = [WorkshopDayInline, SeminarQuestionInline]
    actions = ["waitlist_promote_action", "certificates_send_action"]
    change_form_template = "admin/events/seminar/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("title", "title_es"),
                    "slug",
                    ("summary", "summary_es"),
                    ("program", "program_es"),
                    "is_published",
                ]
            },
        ),
        (_("Place and time"), {"fields": ["venue", "address", "city", "starts_at", "ends_at"]}),
        (_("Registration"), {"fields": ["registration_opens_at", "registration_closes_at"]}),
        (_("Seats"), {"fields": ["capacity", "per_company_limit", "confirmed_count"]}),
    ]

    # The list's moments: the date, then the time below it, as on the public pages (and the
    # columns narrow enough for "Registration closes" to show at 1280 px).
    @admin.display(
        description=Seminar._meta.get_field("starts_at").verbose_name, ordering="starts_at"
    )
    def starts(self, seminar):
        return date_and_time(seminar.starts_at)

    @admin.display(
        description=Seminar._meta.get_field("registration_opens_at").verbose_name,
        ordering="registration_opens_at",
    )
    def registration_opens(self, seminar):
        return date_and_time(seminar.registration_opens_at)

    @admin.display(
        description=Seminar._meta.get_field("registration_closes_at").verbose_name,
        ordering="registration_closes_at",
    )
    def registration_closes(self, seminar):
        return date_and_time(seminar.registration_closes_at)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/roster.csv", wrap(self.roster_view), name="events_seminar_roster"),
            path("<int:pk>/dashboard/", wrap(self.dashboard_view), name="events_seminar_dashboard"),
            path("<int:pk>/badges/", wrap(self.badges_view), name="events_seminar_badges"),
            path(
                "<int:pk>/badges.pdf", wrap(self.badges_pdf_view), name="events_seminar_badges_pdf"
            ),
            path(
                "<int:pk>/attendance/",
                wrap(self.attendance_view),
                name="events_seminar_attendance",
            ),
            path(
                "<int:pk>/attendance.csv",
                wrap(self.attendance_csv_view),
                name="events_seminar_attendance_csv",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        may_export = request.user.has_perm(EXPORT_ROSTER)
        extra_context = {
            "can_export_roster": may_export,
            "can_print_badges": may_export,
            "can_see_reports": request.user.has_perm(VIEW_REPORTS),
            "can_check_in": request.user.has_perm("events.add_checkin"),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["capacity"] = reports.capacity_overview(seminar=obj)
            context["badge_days"] = list(obj.days.order_by("date", "pk"))
        # By keyword: django-nested-admin's override takes ``obj`` as its third argument.
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def _report_seminar(self, request, pk, *, permission: str = VIEW_REPORTS) -> Seminar:
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return get_object_or_404(Seminar, pk=pk)

    def _report_context(self, request, seminar, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": seminar,
            "seminar": seminar,
            "title": title,
        }

    def dashboard_view(self, request, pk):
        seminar = self._report_seminar(request, pk)
        context = self._report_context(
            request, seminar, _("Dashboard: %(seminar)s") % {"seminar": seminar}
        )
        context["dashboard"] = reports.seminar_dashboard(seminar=seminar)
        response = TemplateResponse(request, "admin/events/seminar/dashboard.html", context)
        add_never_cache_headers(response)
        return response

    def attendance_view(self, request, pk):
        seminar = self._report_seminar(request, pk)
        context = self._report_context(
            request, seminar, _("Attendance: %(seminar)s") % {"seminar": seminar}
        )
        context["report"] = reports.attendance_report(seminar=seminar)
        return TemplateResponse(request, "admin/events/seminar/attendance.html", context)

    def attendance_csv_view(self, request, pk):
        """The attendance report as CSV; ``?excel=1`` adds a BOM."""
        seminar = self._report_seminar(request, pk)
        excel = request.GET.get("excel") == "1"
        content = reports.attendance_csv(seminar=seminar, excel=excel)
        stamp = f"{timezone.localdate():%Y-%m-%d}{'-excel' if excel else ''}"
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        disposition = f'attachment; filename="attendance-{seminar.slug}-{stamp}.csv"'
        response["Content-Disposition"] = disposition
        return response

    def _badges_of(self, request, pk) -> tuple[Seminar, WorkshopDay | None]:
        """The seminar, and the workshop day of ``?day=<id>`` (None: the whole seminar)."""
        seminar = self._report_seminar(request, pk, permission=EXPORT_ROSTER)
        day = None
        if "day" in request.GET:
            day_id = request.GET["day"]
            if not DAY_ID.fullmatch(day_id):
                raise Http404
            day = get_object_or_404(WorkshopDay, seminar=seminar, pk=int(day_id))
        return seminar, day

    def badges_view(self, request, pk):
        """Print-ready badges of the confirmed people; ``?day=<id>`` for one workshop day."""
        seminar, day = self._badges_of(request, pk)
        context = badges.badges_context(seminar=seminar, day=day)
        return TemplateResponse(request, badges.BADGES_TEMPLATE, context)

    def badges_pdf_view(self, request, pk):
        """The same badges as a PDF for a print shop: ``?paper=a4`` (default) or ``letter``."""
        seminar, day = self._badges_of(request, pk)
        paper = request.GET.get("paper", "a4")
        if paper not in PAPER_SIZES:
            raise Http404
        content = badges.badges_pdf(seminar=seminar, day=day, paper=paper)
        name = f"badges-{seminar.slug}{f'-day-{day.pk}' if day else ''}-{paper}.pdf"
        return pdf_response(content, filename=name, attachment=True)

    def roster_view(self, request, pk):
        """The roster as CSV; ``?excel=1`` adds a BOM, ``?status=all`` the wait-listed too."""
        seminar = self._report_seminar(request, pk, permission=EXPORT_ROSTER)
        excel = request.GET.get("excel") == "1"
        content = roster.roster_csv(
            seminar=seminar,
            include_waitlisted=request.GET.get("status") == "all",
            excel=excel,
        )
        name = f"roster-{seminar.slug}-{timezone.localdate():%Y-%m-%d}{'-excel' if excel else ''}"
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    @admin.action(description=_("Promote from the wait-list"), permissions=["change"])
    def waitlist_promote_action(self, request, queryset):
        for seminar in queryset:
            with transaction.atomic():
                promoted = waitlist_promote(seminar=seminar, actor=request.user)
            if promoted:
                _promoted_report(request, promoted)
            else:
                messages.warning(
                    request,
                    _(
                        "%(seminar)s: nobody was promoted (no free seat, nobody waiting who fits "
                        "every rule, or registration is closed)."
                    )
                    % {"seminar": seminar},
                )

    @admin.action(description=_("E-mail certificates of attendance"), permissions=["change"])
    def certificates_send_action(self, request, queryset):
        """What ``send_certificates`` does: each attendee gets their certificate's link once."""
        for seminar in queryset:
            try:
                written = certificates.certificates_send(seminar=seminar)
            except SeminarNotEnded as exc:
                messages.error(
                    request, _("%(obj)s: %(refusal)s") % {"obj": seminar, "refusal": exc.message}
                )
                continue
            if written:
                text = ngettext(
                    "%(seminar)s: %(count)d certificate of attendance e-mailed.",
                    "%(seminar)s: %(count)d certificates of attendance e-mailed.",
                    written,
                )
                messages.success(request, text % {"seminar": seminar, "count": written})
            else:
                messages.info(
                    request,
                    _("%(seminar)s: no new certificate to send; every attendee has had theirs.")
                    % {"seminar": seminar},
                )


@admin.register(WorkshopDay)
class WorkshopDayAdmin(CapacityAdminMixin, nested_admin.NestedModelAdmin):
    form = CapacityForm
    list_display = ["label", "seminar", "date", "capacity", "confirmed_count"]
    list_filter = ["seminar"]
    list_select_related = ["seminar"]
    readonly_fields = ["confirmed_count"]
    inlines = [BreakoutSessionInline]

    def get_readonly_fields(self, request, obj=None):
        # Moving a day that holds seats to another seminar would leave both seminars miscounted.
        return [*super().get_readonly_fields(request, obj), *(["seminar"] if obj else [])]


@admin.register(BreakoutSession)
class BreakoutSessionAdmin(CapacityAdminMixin, admin.ModelAdmin):
    form = CapacityForm
    list_display = ["topic", "day", "room", "starts_at", "ends_at", "capacity", "confirmed_count"]
    list_filter = ["day__seminar", "day"]
    list_select_related = ["day"]
    search_fields = ["topic", "room"]
    readonly_fields = ["confirmed_count"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(["day"] if obj else [])]

"""Registrations: everything that moves a seat (status, seminar, company, day, session picks)
is read-only here and changes only through the services, so every rule and promotion applies.
"""

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import F
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ctpat.emailaddress import email_normalized
from ctpat.enums import BusinessType
from ctpat.exceptions import DomainError
from events import changes
from events.admin.common import ReadOnlyMixin, _promoted_report, date_and_time
from events.admin.filters import (
    CheckedInFilter,
    LanguageFilter,
    SessionFilter,
    WorkshopDayFilter,
    chosen_seminar_id,
)
from events.admin.questions import RegistrationAnswerInline
from events.admin.registration_inlines import (
    CheckInInline,
    HistoryInline,
    OutboundEmailInline,
    SessionPickInline,
)
from events.checkin import registration_check_in
from events.enums import ACTIVE_STATUSES, RegistrationStatus
from events.history import registration_history_start
from events.models import (
    CheckIn,
    CompanyAllocation,
    Registration,
    Seminar,
    WorkshopDay,
)
from events.waitlist import waitlist_promote_registration

# Where save_model leaves a service's refusal for the response (the admin saves, then answers).
REFUSAL_ATTRIBUTE = "_registration_refusal"


def _each_apply(request, registrations, use_case: Callable[[Registration], object]) -> int:
    """Run a use case on each registration; a refusal is a warning naming the person.

    Each call is its own transaction, so one refusal does not undo the others.
    """
    done = 0
    for registration in registrations:
        try:
            use_case(registration)
        except DomainError as exc:
            messages.warning(request, f"{registration}: {exc.message}")
        else:
            done += 1
    return done


class MoveForm(forms.Form):
    """The day to move the selected registrations to: one of their seminar's days."""

    workshop_day = forms.ModelChoiceField(
        label=_("Move to"), queryset=WorkshopDay.objects.none(), widget=forms.RadioSelect
    )

    def __init__(self, *args, seminar, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["workshop_day"]
        field.queryset = seminar.days.order_by("date")
        field.label_from_instance = lambda day: (
            _("%(label)s, %(date)s: %(remaining)d of %(capacity)d seats free")
            % {
                "label": day.label,
                "date": formats.date_format(day.date, "DATE_FORMAT"),
                "remaining": day.remaining,
                "capacity": day.capacity,
            }
        )


class RegistrationForm(forms.ModelForm):
    """The person's details; R6 (one active registration per e-mail) refused as a form error."""

    class Meta:
        widgets = {"language": forms.Select(choices=settings.LANGUAGES)}

    def clean_email(self):
        email = self.cleaned_data["email"]
        registration = self.instance
        if registration.status in ACTIVE_STATUSES and (
            Registration.objects.filter(
                seminar_id=registration.seminar_id,
                email_normalized=email_normalized(email),
                status__in=ACTIVE_STATUSES,
            )
            .exclude(pk=registration.pk)
            .exists()
        ):
            raise forms.ValidationError(
                _("%(email)s already holds a registration or wait-list place for this seminar."),
                code="duplicate",
                params={"email": email},
            )
        return email


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    form = RegistrationForm
    # What staff scan a list for, narrow enough for 1,366 px beside the filters: the e-mail is
    # searched for and on each registration's page, the seminar a column only while it varies.
    list_display = [
        "code",
        "name",
        "company_display",
        "workshop_day",
        "status",
        "checked_in",
        "registered",
    ]
    list_filter = [
        "seminar",
        WorkshopDayFilter,
        SessionFilter,
        "status",
        ("company__business_type", admin.ChoicesFieldListFilter),
        "company__country",
        CheckedInFilter,
        LanguageFilter,
    ]
    list_select_related = ["seminar", "company", "workshop_day"]
    search_fields = [
        "=confirmation_code",
        "=company__account_number",
        "first_name",
        "last_name",
        "email",
        "company__legal_name",
    ]
    search_help_text = _(
        "Name, e-mail or company name; or a whole confirmation code or CTPAT account number."
    )
    date_hierarchy = "created_at"
    list_per_page = 100
    change_list_template = "admin/events/registration/change_list.html"
    # No raw_id_fields for the company: it holds a seat, so it is read-only (see the docstring)
    # and the form never renders a list of every partner.
    readonly_fields = [
        "seminar",
        "company",
        "business_type",
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
    fieldsets = [
        (
            _("Registration"),
            {
                "fields": [
                    "confirmation_code",
                    "status",
                    "seminar",
                    "workshop_day",
                    ("company", "business_type"),
                    "substituted_by",
                ]
            },
        ),
        (
            _("Person"),
            {"fields": [("first_name", "last_name"), "email", "job_title", "phone", "language"]},
        ),
        (
            _("Dates"),
            {
                "fields": [
                    ("created_at", "waitlisted_at", "confirmed_at"),
                    ("cancelled_at", "checked_in_at"),
                ]
            },
        ),
    ]

    class Media:
        css = {"all": ["css/admin-registrations.css"]}

    inlines = [
        SessionPickInline,
        RegistrationAnswerInline,
        CheckInInline,
        HistoryInline,
        OutboundEmailInline,
    ]
    actions = [
        "cancel_action",
        "move_action",
        "waitlist_promote_action",
        "check_in_action",
        "confirmation_resend_action",
        "link_revoke_action",
    ]

    def get_queryset(self, request):
        # The change page shows these too; the changelist adds list_select_related on top.
        return (
            super()
            .get_queryset(request)
            .select_related("seminar", "company", "workshop_day", "substituted_by")
        )

    def has_add_permission(self, request):
        return False  # registrations are made through the registration service

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if chosen_seminar_id(request) is None and Seminar.objects.count() > 1:
            columns.insert(columns.index("workshop_day"), "seminar")
        return columns

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["history_start"] = registration_history_start(registration=obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        """The person's details, through the service that records the change in the history."""
        try:
            changes.registration_details_update(
                registration=obj,
                details={name: form.cleaned_data[name] for name in form.changed_data},
                actor=request.user,
            )
        except DomainError as exc:
            # The form checked the e-mail; only a registration made since can get here.
            setattr(request, REFUSAL_ATTRIBUTE, exc.message)

    def log_change(self, request, obj, message):
        if not hasattr(request, REFUSAL_ATTRIBUTE):
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request, obj):
        refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        if refusal is None:
            return super().response_change(request, obj)
        self.message_user(
            request, _("Nothing was saved: %(refusal)s") % {"refusal": refusal}, messages.ERROR
        )
        return HttpResponseRedirect(request.path)

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would leave the seat counted; cancellation frees it

    def has_checkin_permission(self, request):
        return request.user.has_perm("events.add_checkin")

    # --- Columns ---------------------------------------------------------------------------

    @admin.display(description=_("code"), ordering="confirmation_code")
    def code(self, registration):
        return registration.confirmation_code

    @admin.display(description=_("name"), ordering="last_name")
    def name(self, registration):
        return f"{registration.last_name}, {registration.first_name}"

    @admin.display(description=_("company"), ordering="company__legal_name")
    def company_display(self, registration):
        company = registration.company
        return f"{company.legal_name} ({company.account_number})"

    @admin.display(description=_("registered"), ordering="created_at")
    def registered(self, registration):
        return date_and_time(registration.created_at)

    @admin.display(description=_("checked in"), boolean=True, ordering="checked_in_at")
    def checked_in(self, registration):
        return registration.checked_in_at is not None

    @admin.display(description=_("business type"))
    def business_type(self, registration):
        return BusinessType(registration.company.business_type).label

    # --- Actions ---------------------------------------------------------------------------

    @admin.action(description=_("Cancel selected registrations"), permissions=["change"])
    def cancel_action(self, request, queryset):
        done = _each_apply(
            request,
            queryset.select_related("seminar", "company"),
            lambda registration: changes.registration_cancel(
                registration=registration, actor=request.user
            ),
        )
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

    @admin.action(description=_("Move to another workshop day"), permissions=["change"])
    def move_action(self, request, queryset):
        seminar_ids = set(queryset.values_list("seminar_id", flat=True))
        if len(seminar_ids) != 1:
            messages.error(
                request,
                _(
                    "Select registrations of one seminar only: each can move only to a day of "
                    "its own seminar."
                ),
            )
            return None
        registrations = list(queryset.select_related("seminar", "workshop_day"))
        seminar = registrations[0].seminar
        form = MoveForm(request.POST if "apply" in request.POST else None, seminar=seminar)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/events/registration/move.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Move to another workshop day"),
                    "opts": self.opts,
                    "seminar": seminar,
                    "registrations": registrations,
                    "form": form,
                    "action": request.POST.get("action", "move_action"),
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                    "has_days": form.fields["workshop_day"].queryset.exists(),
                },
            )
        self._move(request, registrations, seminar=seminar, day=form.cleaned_data["workshop_day"])
        return None

    def _move(self, request, registrations, *, seminar, day) -> None:
        waiting = set(
            seminar.registrations.filter(status=RegistrationStatus.WAITLISTED).values_list(
                "pk", flat=True
            )
        )
        staying = [r for r in registrations if r.workshop_day_id == day.pk]
        for registration in staying:
            messages.info(
                request,
                _("%(registration)s is already registered for %(day)s.")
                % {"registration": registration, "day": day.label},
            )
        moved = _each_apply(
            request,
            [r for r in registrations if r not in staying],
            lambda registration: changes.registration_change(
                registration=registration,
                workshop_day_id=day.pk,
                session_ids=(),
                actor=request.user,
            ),
        )
        if moved:
            messages.success(
                request,
                ngettext(
                    "%(count)d registration moved to %(day)s.",
                    "%(count)d registrations moved to %(day)s.",
                    moved,
                )
                % {"count": moved, "day": day.label},
            )
        _promoted_report(
            request,
            list(Registration.objects.filter(pk__in=waiting, status=RegistrationStatus.CONFIRMED)),
        )

    @admin.action(description=_("Promote from the wait-list"), permissions=["change"])
    def waitlist_promote_action(self, request, queryset):
        """The chosen people, whatever their place in the wait-list: staff settling exceptions."""
        promotions = []
        _each_apply(
            request,
            queryset.select_related("seminar").order_by(
                F("waitlisted_at").asc(nulls_last=True), "pk"
            ),
            lambda registration: promotions.append(
                waitlist_promote_registration(registration=registration, actor=request.user)
            ),
        )
        _promoted_report(request, [promotion.registration for promotion in promotions])
        for promotion in promotions:
            if promotion.dropped_sessions:
                messages.warning(
                    request,
                    _(
                        "%(registration)s: no seat was left in %(sessions)s, so that pick was "
                        "dropped; the e-mail says so."
                    )
                    % {
                        "registration": promotion.registration,
                        "sessions": "; ".join(promotion.dropped_sessions),
                    },
                )

    @admin.action(description=_("Check in (today)"), permissions=["checkin"])
    def check_in_action(self, request, queryset):
        done = _each_apply(
            request,
            queryset.select_related("seminar"),
            lambda registration: registration_check_in(
                code=registration.confirmation_code,
                actor=request.user,
                seminar=registration.seminar,
            ),
        )
        if done:
            messages.success(
                request,
                ngettext("%(count)d person checked in.", "%(count)d people checked in.", done)
                % {"count": done},
            )

    @admin.action(description=_("Resend the confirmation e-mail"), permissions=["change"])
    def confirmation_resend_action(self, request, queryset):
        done = _each_apply(
            request,
            queryset,
            lambda registration: changes.registration_confirmation_resend(
                registration=registration, actor=request.user
            ),
        )
        if done:
            messages.success(
                request,
                ngettext(
                    "%(count)d confirmation e-mail will be sent again, with the current private "
                    "link.",
                    "%(count)d confirmation e-mails will be sent again, with the current private "
                    "links.",
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


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who came in, when, and who let them in; made by the check-in page, never edited."""

    list_display = ["code", "name", "company", "day", "time", "by_whom"]
    change_list_template = "admin/events/checkin/change_list.html"
    list_filter = ["registration__seminar", ("date", admin.AllValuesFieldListFilter)]
    list_select_related = ["registration__company", "by"]
    search_fields = [
        "=registration__confirmation_code",
        "registration__first_name",
        "registration__last_name",
    ]
    list_per_page = 100

    @admin.display(description=_("confirmation code"), ordering="registration__confirmation_code")
    def code(self, check_in):
        return check_in.registration.confirmation_code

    @admin.display(description=_("name"), ordering="registration__last_name")
    def name(self, check_in):
        return check_in.registration.full_name

    @admin.display(description=_("company"), ordering="registration__company__legal_name")
    def company(self, check_in):
        company = check_in.registration.company
        return f"{company.legal_name} ({company.account_number})"

    @admin.display(description=_("seminar day"), ordering="date")
    def day(self, check_in):
        return formats.date_format(check_in.date, "DATE_FORMAT")

    @admin.display(description=_("time"), ordering="at")
    def time(self, check_in):
        return formats.time_format(timezone.localtime(check_in.at), "TIME_FORMAT")

    @admin.display(description=_("checked in by"), ordering="by__username")
    def by_whom(self, check_in):
        if check_in.by is None:
            return "—"
        return check_in.by.get_full_name() or check_in.by.get_username()


@admin.register(CompanyAllocation)
class CompanyAllocationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["company", "seminar", "confirmed_count"]
    list_filter = ["seminar"]
    list_select_related = ["company", "seminar"]
    search_fields = ["=company__account_number", "company__legal_name"]

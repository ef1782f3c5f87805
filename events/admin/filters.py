"""The registration list's filters: by workshop day, session, language and check-in."""

from django.conf import settings
from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from events.models import BreakoutSession, RegistrationSession, WorkshopDay

# The changelist's own parameter for the seminar filter ("seminar" in list_filter).
SEMINAR_PARAMETER = "seminar__id__exact"


def _as_id(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def chosen_seminar_id(request) -> int | None:
    return _as_id(request.GET.get(SEMINAR_PARAMETER))


class _IdFilter(admin.SimpleListFilter):
    """A filter whose value is a row id; anything else (a hand-edited URL) filters nothing."""

    def selected_id(self) -> int | None:
        return _as_id(self.value())


class WorkshopDayFilter(_IdFilter):
    """The days of the chosen seminar (of every seminar, named with it, when none is chosen)."""

    title = _("workshop day")
    parameter_name = "day"

    def lookups(self, request, model_admin):
        days = WorkshopDay.objects.select_related("seminar").order_by("seminar__starts_at", "date")
        seminar_id = chosen_seminar_id(request)
        if seminar_id is not None:
            return [(day.pk, day.label) for day in days.filter(seminar_id=seminar_id)]
        return [(day.pk, f"{day.seminar.title}: {day.label}") for day in days]

    def queryset(self, request, queryset):
        day_id = self.selected_id()
        return queryset if day_id is None else queryset.filter(workshop_day_id=day_id)


class SessionFilter(_IdFilter):
    """People who picked one break-out session (an EXISTS, so no row is listed twice)."""

    title = _("break-out session")
    parameter_name = "session"

    def lookups(self, request, model_admin):
        sessions = BreakoutSession.objects.select_related("day__seminar").order_by(
            "day__seminar__starts_at", "day__date", "starts_at", "topic"
        )
        seminar_id = chosen_seminar_id(request)
        if seminar_id is not None:
            sessions = sessions.filter(day__seminar_id=seminar_id)
        day_id = _as_id(request.GET.get(WorkshopDayFilter.parameter_name))
        if day_id is not None:
            sessions = sessions.filter(day_id=day_id)
        return [
            (
                session.pk,
                f"{session.day.label}: {session.topic}"
                if seminar_id is not None
                else f"{session.day.seminar.title}, {session.day.label}: {session.topic}",
            )
            for session in sessions
        ]

    def queryset(self, request, queryset):
        session_id = self.selected_id()
        if session_id is None:
            return queryset
        picked = RegistrationSession.objects.filter(
            registration=OuterRef("pk"), session_id=session_id
        )
        return queryset.filter(Exists(picked))


class LanguageFilter(admin.SimpleListFilter):
    """The language of the registration's e-mails, by its name."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return settings.LANGUAGES

    def queryset(self, request, queryset):
        if self.value() in dict(settings.LANGUAGES):
            return queryset.filter(language=self.value())
        return queryset


class CheckedInFilter(admin.SimpleListFilter):
    title = _("checked in")
    parameter_name = "checked_in"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(checked_in_at__isnull=self.value() == "no")
        return queryset

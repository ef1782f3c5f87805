"""What a registration's page shows beside the person: picks, check-ins, e-mails, history."""

from django.contrib import admin
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from events.admin.common import ReadOnlyInline
from events.models import CheckIn, OutboundEmail, RegistrationChange, RegistrationSession


class SessionPickInline(ReadOnlyInline):
    model = RegistrationSession
    verbose_name_plural = _("break-out sessions")
    fields = ["session", "room", "time"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("session__day")
            .order_by("session__starts_at", "session__topic")
        )

    @admin.display(description=_("room"))
    def room(self, pick):
        return pick.session.room

    @admin.display(description=_("time"))
    def time(self, pick):
        starts = timezone.localtime(pick.session.starts_at)
        ends = timezone.localtime(pick.session.ends_at)
        start, end = (formats.time_format(t, "TIME_FORMAT") for t in (starts, ends))
        return f"{formats.date_format(starts, 'SHORT_DATE_FORMAT')} {start}–{end}"


class HistoryInline(ReadOnlyInline):
    """Every change, with who and when; its first line, how it began, is the registration's own."""

    model = RegistrationChange
    template = "admin/events/registration/history_inline.html"
    fields = ["at", "action", "actor", "by_company_contact", "detail"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class CheckInInline(ReadOnlyInline):
    model = CheckIn
    fields = ["date", "at", "by"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class OutboundEmailInline(ReadOnlyInline):
    model = OutboundEmail
    fields = ["kind", "to", "created_at", "sent_at", "attempts", "last_error"]
    ordering = ["created_at", "pk"]

"""What a registration's page shows beside the person: picks, check-ins, e-mails, history."""

from django.contrib import admin
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from events.admin.common import ReadOnlyInline
from events.models import CheckIn, OutboundEmail, RegistrationChange, RegistrationSession
from events.templatetags.events_i18n import time_range


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
        session = pick.session
        day = formats.date_format(timezone.localtime(session.starts_at), "DATE_FORMAT")
        return format_html("{} {}", day, time_range(session.starts_at, session.ends_at))


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

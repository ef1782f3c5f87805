"""Staff-entered texts and dates in the active language."""

from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def localized(obj, field: str) -> str:
    """``{{ seminar|localized:"title" }}``: the Spanish text for a Spanish reader, else English."""
    return obj.localized(field) if obj else ""


@register.filter
def localized_html(obj, field: str) -> SafeString:
    """``localized`` as page text: an English fallback on a Spanish page is marked as English.

    ``<span lang="en">`` lets a screen reader switch its voice for the English words (WCAG 3.1.2,
    language of parts). Markup cannot stand in an attribute or in ``<title>``: use ``localized``.
    """
    return obj.localized_html(field) if obj else SafeString("")


@register.filter
def fallback_language(obj, field: str) -> str:
    """``"en"`` where ``localized`` falls back to English for this reader, else ``""``.

    For an element that holds the whole text, such as the program's paragraphs: ``lang="…"``.
    """
    return (obj.fallback_language(field) or "") if obj else ""


@register.filter(expects_localtime=True)
def weekday_date(value, format_name: str = "DATE_FORMAT") -> str:
    """The weekday, then the date in the language's own format named by ``format_name``.

    "Tuesday, June 9" / "martes, 9 de junio" for MONTH_DAY_FORMAT: a fixed pattern such as
    "l, F j" would give "martes, junio 9".
    """
    if not value:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{formats.date_format(value, 'l')}, {formats.date_format(value, format_name)}"


@register.filter
def seminar_dates(seminar) -> str:
    """The seminar's first day, and its last after a dash when it runs over several, in the
    reader's date format, as local dates."""
    starts, ends = timezone.localtime(seminar.starts_at), timezone.localtime(seminar.ends_at)
    text = formats.date_format(starts, "DATE_FORMAT")
    if ends.date() != starts.date():
        text = f"{text} – {formats.date_format(ends, 'DATE_FORMAT')}"
    return text


def time_range(starts: datetime, ends: datetime) -> SafeString:
    """The start and end times, dash between, as one piece of text that never breaks across
    lines (``.time`` in site.css)."""
    return format_html(
        '<span class="time">{}–{}</span>',
        formats.time_format(timezone.localtime(starts), "TIME_FORMAT"),
        formats.time_format(timezone.localtime(ends), "TIME_FORMAT"),
    )


@register.filter
def session_times(session) -> SafeString:
    """``{{ session|session_times }}``: when a session runs, kept on one line."""
    return time_range(session.starts_at, session.ends_at)


@register.filter(expects_localtime=True)
def date_time(value: datetime, zone: str = "") -> SafeString:
    """The date and time in the reader's format, the time kept on one line: "Jan. 18, 2027,
    <span class="time">9 a.m.</span>". ``|date_time:"T"`` adds the time zone's abbreviation to
    the time ("9 a.m. PST")."""
    text = formats.date_format(value, "DATETIME_FORMAT")
    before, time, after = text.rpartition(formats.time_format(value, "TIME_FORMAT"))
    if not time:
        before, time, after = "", text, ""
    if zone:
        time = f"{time} {formats.date_format(value, zone)}"
    return format_html('{}<span class="time">{}</span>{}', before, time, after)

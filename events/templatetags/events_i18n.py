"""Staff-entered texts and dates in the active language."""

from datetime import datetime

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def localized(obj, field: str) -> str:
    """``{{ seminar|localized:"title" }}``: the Spanish text for a Spanish reader, else English."""
    return obj.localized(field) if obj else ""


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

"""Name badges to print: confirmed people of a seminar or one workshop day, eight to a sheet."""

import unicodedata
from dataclasses import dataclass

import segno
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _t

from events.enums import RegistrationStatus
from events.models import Registration, RegistrationSession, Seminar, WorkshopDay
from events.pdf import page_size_css, pdf_render

BADGES_PER_SHEET = 8
# One template for the page staff print from the browser and for the PDF a print shop takes.
BADGES_TEMPLATE = "admin/events/seminar/badges.html"


@dataclass(frozen=True)
class Badge:
    registration: Registration
    sessions: list
    qr_svg: SafeString


def qr_svg(text: str, *, svgclass: str) -> SafeString:
    """A full-size QR code (never Micro QR, which phone scanners often miss) as inline SVG.

    No size attributes: the stylesheet sizes it by ``svgclass``, and segno writes no ``style``
    attribute that a Content-Security-Policy would block.
    """
    qr = segno.make(text, micro=False, error="m")
    # The markup is segno's own: paths drawn from the text, never the text itself.
    return mark_safe(qr.svg_inline(scale=1, border=2, omitsize=True, svgclass=svgclass))


def badge_qr_svg(code: str) -> SafeString:
    return qr_svg(code, svgclass="badge__qr")


def name_sort_key(registration: Registration) -> tuple:
    """Álvarez beside Alvarado, not after Zapata as a byte-wise ORDER BY would put it."""
    return (_folded(registration.last_name), _folded(registration.first_name), registration.pk)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def badge_registrations(*, seminar: Seminar, day: WorkshopDay | None = None):
    """Confirmed registrations with company, day and sessions: two queries whatever the size."""
    picks = RegistrationSession.objects.select_related("session").order_by(
        "session__starts_at", "session__topic"
    )
    registrations = (
        Registration.objects.filter(seminar=seminar, status=RegistrationStatus.CONFIRMED)
        .select_related("company", "workshop_day")
        .prefetch_related(Prefetch("picks", queryset=picks))
    )
    if day is not None:
        registrations = registrations.filter(workshop_day=day)
    return registrations


def badge_sheets(*, seminar: Seminar, day: WorkshopDay | None = None) -> list[list[Badge]]:
    """The badges by last name, ``BADGES_PER_SHEET`` to a printed page."""
    registrations = sorted(badge_registrations(seminar=seminar, day=day), key=name_sort_key)
    badges = [
        Badge(
            registration=registration,
            sessions=[pick.session for pick in registration.picks.all()],
            qr_svg=badge_qr_svg(registration.confirmation_code),
        )
        for registration in registrations
    ]
    size = BADGES_PER_SHEET
    return [badges[start : start + size] for start in range(0, len(badges), size)]


def badges_context(*, seminar: Seminar, day: WorkshopDay | None = None) -> dict:
    sheets = badge_sheets(seminar=seminar, day=day)
    return {
        "seminar": seminar,
        "day": day,
        "sheets": sheets,
        "badge_count": sum(len(sheet) for sheet in sheets),
        "title": _t("Badges: %(seminar)s") % {"seminar": seminar},
    }


def badges_pdf(*, seminar: Seminar, day: WorkshopDay | None = None, paper: str = "a4") -> bytes:
    """The badges as a PDF on ``paper`` (``"a4"`` or ``"letter"``), sheets as the page prints."""
    context = badges_context(seminar=seminar, day=day) | {"for_pdf": True}
    html = render_to_string(BADGES_TEMPLATE, context)
    return pdf_render(html, stylesheets=[page_size_css(paper)])

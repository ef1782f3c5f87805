"""Staff pages in a real browser: the check-in desk, the admin's seminar page and dashboard."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import formats, timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ctpat.enums import BusinessType
from events.models import CheckIn
from tests.browser.conftest import gettext_in
from tests.events.test_dashboard import crowd_register
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.browser


def test_check_in_typed_code_then_loud_warning_on_second_scan(
    browser, running_seminar, company, staff_user, language
):
    registration = RegistrationFactory(
        seminar=running_seminar, company=company, confirmation_code="DOOR0001"
    )
    username, password = staff_user("add_checkin")
    path = reverse("events:seminar_check_in", args=[running_seminar.slug])
    browser.log_in(username, password, next_path=path)
    # The field has focus at once, for a scanner that types and presses Enter.
    assert browser.focused_id() == "id_code"
    # The button beside the wide field keeps "Check in" (and its Spanish) on one line.
    assert browser.text_lines("#checkin-submit") == 1

    browser.type("door-0001")
    browser.loaded_after(lambda: browser.press("Enter"))

    result = browser.find("#checkin-result")
    headline = result.locator(".checkin__headline")
    assert headline.text_content() == gettext_in(language, "Checked in")
    assert registration.full_name in result.inner_text()
    assert result.get_attribute("role") == "status"
    assert CheckIn.objects.filter(registration=registration).count() == 1
    assert browser.focused_id() == "id_code"
    assert browser.value("#id_code") == ""
    assert browser.horizontal_overflow() <= 0
    browser.screenshot("check-in-admitted")

    browser.type("DOOR0001")
    browser.loaded_after(lambda: browser.press("Enter"))

    refusal = browser.find("#checkin-refusal")
    headline = refusal.locator(".checkin__headline")
    assert headline.text_content() == gettext_in(language, "Do not admit")
    assert refusal.get_attribute("role") == "alert"
    # Loud: white on red, in large type, never to be missed at the door.
    expect(refusal).to_have_css("background-color", "rgb(181, 9, 9)")
    font_size = refusal.evaluate("(e) => getComputedStyle(e).fontSize")
    assert float(font_size.removesuffix("px")) >= 24
    assert not browser.find_all("#checkin-result")
    assert CheckIn.objects.filter(registration=registration).count() == 1
    assert browser.horizontal_overflow() <= 0
    browser.screenshot("check-in-refused")


def _manager(staff_user) -> tuple[str, str]:
    return staff_user(
        *Permission.objects.filter(content_type__app_label__in=("events", "ctpat")).values_list(
            "codename", flat=True
        ),
        username="manager",
    )


def test_admin_seminar_change_page_loads_for_manager(browser, seminar, staff_user):
    username, password = _manager(staff_user)
    path = reverse("admin:events_seminar_change", args=[seminar.pk])
    browser.log_in(username, password, next_path=path)

    assert browser.attribute("#id_title", "value") == seminar.title
    assert browser.attribute("#id_capacity", "value") == "1200"
    assert browser.find_all("form#seminar_form [type=submit][name=_save]")
    assert not browser.find_all(".errornote")
    browser.screenshot("admin-seminar")


def test_admin_seminar_page_adds_a_session_to_a_day_inline(browser, seminar, staff_user):
    """The nested inlines' script runs under the site's content security policy."""
    username, password = _manager(staff_user)
    path = reverse("admin:events_seminar_change", args=[seminar.pk])
    browser.log_in(username, password, next_path=path)
    day = seminar.days.order_by("date", "pk").first()
    assert len(browser.find_all("#days-0-sessions-group tbody.djn-item")) == 3

    browser.click(browser.find("#days-0-sessions-group a.djn-add-handler"))

    browser.type_into("#id_days-0-sessions-3-topic", "Security training and awareness")
    browser.type_into("#id_days-0-sessions-3-room", "Room 7")
    browser.type_into("#id_days-0-sessions-3-capacity", "40")
    starts = f"{day.date.isoformat()}T15:00"
    for name, value in (("starts_at", starts), ("ends_at", starts.replace("15:", "16:"))):
        # The browser's own date-and-time field: Playwright fills it with the ISO value, whatever
        # form typing it takes in the browser's locale.
        browser.type_into(f"#id_days-0-sessions-3-{name}", value)
    save = browser.find("form#seminar_form [type=submit][name=_continue]")
    browser.loaded_after(lambda: browser.click(save))

    assert not browser.find_all(".errornote")
    session = day.sessions.get(topic="Security training and awareness")
    assert (session.room, session.capacity) == ("Room 7", 40)
    assert timezone.localtime(session.starts_at).strftime("%H:%M") == "15:00"
    # Where a whole row does not fit (1280 px with the admin's sidebar open, a phone), the
    # sessions' table scrolls sideways in its own box, to the delete checkboxes; the page does not.
    group = browser.find("#days-0-sessions-group fieldset.session-rows")
    assert group.evaluate("(e) => getComputedStyle(e).overflowX") == "auto"
    assert browser.horizontal_overflow() <= 0
    browser.screenshot("admin-seminar-sessions")


def test_admin_dashboard_after_totp_login_draws_chart_and_tables(
    browser, seminar, register, staff_user, settings, language
):
    """Six registrations in four hours (one cancelled since): chart, figures, shares and seats."""
    settings.STAFF_OTP_REQUIRED = True
    hour = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    crowd_register(seminar, register, opens=hour - timedelta(hours=5))
    username, password = staff_user(
        "view_seminar", "view_reports", "view_registration", username="manager"
    )
    device = TOTPDevice.objects.create(
        user=get_user_model().objects.get(username=username), name="phone", confirmed=True
    )
    path = reverse("admin:events_seminar_dashboard", args=[seminar.pk])

    browser.log_in(username, password, next_path=path, device=device)

    chart = browser.find("svg.chart")
    assert chart.is_visible()
    assert chart.bounding_box()["width"] > 300
    bars = browser.find_all("svg.chart rect.chart__bar")
    counts = [bar.text_content().rsplit(": ", 1)[1] for bar in bars]
    assert counts[:4] == ["2", "1", "1", "2"]
    heights = [float(bar.get_attribute("height")) for bar in bars[:4]]
    assert heights[0] == heights[3] == 2 * heights[1] > 0
    assert not browser.find(".chart-data table").is_visible()
    # The figures behind the chart, on request.
    browser.click(browser.find(".chart-data summary"))
    rows = [row.inner_text().split()[-2:] for row in browser.find_all("tr.over-time-row")]
    assert rows == [["2", "2"], ["1", "3"], ["1", "4"], ["2", "6"]]
    with translation.override(language):
        importer, maker = (
            str(t.label) for t in (BusinessType.US_IMPORTER, BusinessType.FOREIGN_MANUFACTURER)
        )
    assert _table(browser, "business-type-heading") == [
        [importer, "3", _percent(75, language)],
        [maker, "1", _percent(25, language)],
    ]
    assert _table(browser, "country-heading") == [
        ["US", "3", _percent(75, language)],
        ["MX", "1", _percent(25, language)],
    ]
    seats = browser.find(".capacity__row--seminar")
    figures = [
        seats.locator(f"[data-figure='{name}']").inner_text()
        for name in ("confirmed", "remaining", "waitlisted", "capacity")
    ]
    assert figures == ["4", "1196", "1", "1200"]
    assert browser.horizontal_overflow() <= 0
    browser.screenshot("admin-dashboard")


def _table(browser, heading_id: str) -> list[list[str]]:
    """Each row of the shares table under ``heading_id``: label, count, percent."""
    rows = browser.find_all(f"table[aria-labelledby='{heading_id}'] tbody tr")
    return [row.locator("th, td.num").all_inner_texts() for row in rows]


def _percent(value: int, language: str) -> str:
    with translation.override(language):
        return formats.number_format(value, 1)

"""Staff pages in a real browser: the check-in desk and the admin's seminar page."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.keys import Keys

from events.models import CheckIn
from tests.browser.conftest import gettext_in
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

    browser.press("door-0001")
    browser.loaded_after(lambda: browser.press(Keys.ENTER))

    result = browser.find("#checkin-result")
    headline = result.find_element("css selector", ".checkin__headline")
    assert headline.get_attribute("textContent") == gettext_in(language, "Checked in")
    assert registration.full_name in result.text
    assert result.get_attribute("role") == "status"
    assert CheckIn.objects.filter(registration=registration).count() == 1
    assert browser.focused_id() == "id_code"
    assert browser.attribute("#id_code", "value") == ""
    assert browser.horizontal_overflow() <= 0
    browser.screenshot("check-in-admitted")

    browser.press("DOOR0001")
    browser.loaded_after(lambda: browser.press(Keys.ENTER))

    refusal = browser.find("#checkin-refusal")
    headline = refusal.find_element("css selector", ".checkin__headline")
    assert headline.get_attribute("textContent") == gettext_in(language, "Do not admit")
    assert refusal.get_attribute("role") == "alert"
    # Loud: white on red, in large type, never to be missed at the door.
    assert refusal.value_of_css_property("background-color") == "rgba(181, 9, 9, 1)"
    assert float(refusal.value_of_css_property("font-size").removesuffix("px")) >= 24
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

    browser.find("#days-0-sessions-group a.djn-add-handler").click()

    browser.type_into("#id_days-0-sessions-3-topic", "Security training and awareness")
    browser.type_into("#id_days-0-sessions-3-room", "Room 7")
    browser.type_into("#id_days-0-sessions-3-capacity", "40")
    starts = f"{day.date.isoformat()}T15:00"
    for name, value in (("starts_at", starts), ("ends_at", starts.replace("15:", "16:"))):
        # The browser's own date-and-time field: its typed form depends on the browser's locale.
        field = browser.find(f"#id_days-0-sessions-3-{name}")
        browser.driver.execute_script("arguments[0].value = arguments[1]", field, value)
    browser.click_and_load("form#seminar_form [type=submit][name=_continue]")

    assert not browser.find_all(".errornote")
    session = day.sessions.get(topic="Security training and awareness")
    assert (session.room, session.capacity) == ("Room 7", 40)
    assert timezone.localtime(session.starts_at).strftime("%H:%M") == "15:00"
    browser.screenshot("admin-seminar-sessions")

"""The admin's seminar pages on a 375 px phone and a 1280 px desktop (issue 15, item 12)."""

import pytest
from django.urls import reverse

from tests.browser.test_staff import _manager

pytestmark = pytest.mark.browser


def _scroll_width(browser) -> int:
    return browser.page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("viewport", ["phone"])
def test_admin_seminar_change_page_and_dashboard_fit_a_phone(
    browser, seminar, staff_user, viewport
):
    username, password = _manager(staff_user)
    change = reverse("admin:events_seminar_change", args=[seminar.pk])
    browser.log_in(username, password, next_path=change)
    assert _scroll_width(browser) <= 375, browser.sticking_out()
    browser.screenshot("admin-seminar")

    browser.get(reverse("admin:events_seminar_dashboard", args=[seminar.pk]))
    assert browser.find("#capacity-heading").is_visible()
    assert _scroll_width(browser) <= 375, browser.sticking_out()
    browser.screenshot("admin-dashboard")


def test_admin_seminar_inline_session_topic_readable(browser, seminar, staff_user):
    username, password = _manager(staff_user)
    change = reverse("admin:events_seminar_change", args=[seminar.pk])
    browser.log_in(username, password, next_path=change)
    topic = browser.find("#id_days-0-sessions-0-topic")
    topic.scroll_into_view_if_needed()
    # A topic such as "Conducting a risk assessment" is read whole, not cut after a word or two.
    assert topic.bounding_box()["width"] >= 220
    assert topic.evaluate("(e) => e.scrollWidth <= e.clientWidth")


@pytest.mark.parametrize("viewport", ["desktop"])
def test_admin_seminar_list_shows_registration_closes_uncut(browser, seminar, staff_user, viewport):
    username, password = _manager(staff_user)
    browser.log_in(username, password, next_path=reverse("admin:events_seminar_changelist"))
    browser.screenshot("admin-seminar-list")
    assert _scroll_width(browser) <= 1280, browser.sticking_out()
    # The list's box shows every column whole, "Registration closes" last but one, no scrolling.
    results = browser.find("#changelist .results")
    cell = browser.find("#result_list td.field-registration_closes")
    assert cell.bounding_box()["x"] + cell.bounding_box()["width"] <= (
        results.bounding_box()["x"] + results.bounding_box()["width"]
    )

"""The private management link in a real browser: open it, cancel through the confirm step."""

import pytest
from django.urls import reverse

from events.models import Registration
from tests.browser.conftest import gettext_in

pytestmark = pytest.mark.browser


def test_manage_link_cancel_through_confirm_step(browser, seminar, company, register, language):
    registration = register(seminar, company)
    browser.get(reverse("events:registration_detail", args=[registration.manage_token]))
    assert browser.attribute("[data-registration-status]", "data-registration-status") == (
        "confirmed"
    )
    assert browser.horizontal_overflow() <= 0

    browser.click_and_load("[data-action='cancel']")

    assert browser.path == reverse("events:registration_cancel", args=[registration.manage_token])
    assert browser.find("h1").inner_text() == gettext_in(language, "Cancel your registration?")
    assert browser.horizontal_overflow() <= 0
    browser.screenshot("cancel-confirm")
    # Looking at the confirm step changes nothing.
    registration.refresh_from_db()
    assert registration.status == "confirmed"

    browser.click_and_load("#cancel-form [type=submit]")

    assert browser.path == reverse("events:registration_detail", args=[registration.manage_token])
    assert browser.attribute("[data-registration-status]", "data-registration-status") == (
        "cancelled"
    )
    assert browser.find("h1").inner_text() == gettext_in(language, "Registration cancelled")
    assert not browser.find_all("[data-action]")
    assert Registration.objects.get(pk=registration.pk).status == "cancelled"


def test_manage_link_keep_it_changes_nothing(browser, seminar, company, register, language):
    registration = register(seminar, company)
    browser.get(reverse("events:registration_cancel", args=[registration.manage_token]))

    browser.loaded_after(
        browser.page.get_by_role("link", name=gettext_in(language, "No, keep it"), exact=True).click
    )

    assert browser.path == reverse("events:registration_detail", args=[registration.manage_token])
    assert browser.attribute("[data-registration-status]", "data-registration-status") == (
        "confirmed"
    )
    assert Registration.objects.get(pk=registration.pk).status == "confirmed"


@pytest.mark.parametrize("viewport", ["desktop"])
def test_manage_link_cancel_with_keyboard_only(browser, seminar, company, register, language):
    """Tab to "Cancel my registration", Enter; Tab to "Yes, cancel", Space."""
    registration = register(seminar, company)
    browser.get(reverse("events:registration_detail", args=[registration.manage_token]))

    browser.tab_to(browser.find("[data-action='cancel']"))
    browser.loaded_after(lambda: browser.press("Enter"))
    assert browser.path == reverse("events:registration_cancel", args=[registration.manage_token])
    browser.tab_to(browser.find("#cancel-form [type=submit]"))
    assert browser.focus_visible()
    browser.loaded_after(lambda: browser.press("Space"))

    assert Registration.objects.get(pk=registration.pk).status == "cancelled"
    assert browser.attribute("[data-registration-status]", "data-registration-status") == (
        "cancelled"
    )
    assert browser.find("[data-message-level='success']").inner_text() == gettext_in(
        language, "Your registration is cancelled. Your seat is free again for anyone to take."
    )

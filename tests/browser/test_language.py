"""The language switcher in a real browser: reached by keyboard, it switches and is remembered."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser.conftest import gettext_in

pytestmark = pytest.mark.browser

NAMES = {"en": "English", "es": "Español"}


def test_language_switch_by_keyboard_is_remembered(browser, seminar, language):
    other = "es" if language == "en" else "en"
    browser.get(reverse("events:seminar_detail", args=[seminar.slug]))
    assert browser.attribute("html", "lang") == language
    assert browser.attribute(f"#language-{language}", "aria-current") == "true"

    button = browser.tab_to(f"language-{other}")
    assert button.inner_text() == NAMES[other]
    assert button.get_attribute("lang") == other
    browser.loaded_after(lambda: browser.press("Enter"))

    assert browser.path == reverse("events:seminar_detail", args=[seminar.slug])
    assert browser.attribute("html", "lang") == other
    assert browser.find("#workshops-title").inner_text() == gettext_in(other, "Break-out workshops")
    cookies = {cookie["name"]: cookie["value"] for cookie in browser.page.context.cookies()}
    assert cookies[settings.LANGUAGE_COOKIE_NAME] == other
    browser.get(reverse("events:seminar_list"))
    assert browser.attribute("html", "lang") == other
    assert browser.find("h1").inner_text() == gettext_in(other, "Upcoming seminars")

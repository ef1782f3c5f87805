"""200 % and 400 % zoom (WCAG 1.4.4 resize text, 1.4.10 reflow) on every public page.

A desktop browser 1280 CSS px wide zoomed to 200 % lays pages out 640 px wide, and at 400 %,
320 px. At both widths no page may scroll sideways, and a registrant can still fill in and send
every form: register (after a refusal), change the program, open the hand-over form, cancel.
"""

import pytest
from django.urls import reverse

from events.models import Registration
from tests.browser.conftest import ZOOMED

pytestmark = pytest.mark.browser


def _reflows(browser, name: str) -> None:
    browser.screenshot(f"reflow-{name}")
    assert browser.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{name} scrolls sideways at {browser.viewport}: {browser.sticking_out()}"
    )


@pytest.mark.parametrize("viewport", list(ZOOMED))
def test_reflow_every_public_page_and_form_works_zoomed(browser, seminar, person):
    tuesday, thursday = seminar.days.order_by("date")
    browser.get(reverse("events:seminar_list"))
    _reflows(browser, "seminar-list")
    browser.get(reverse("events:seminar_detail", args=[seminar.slug]))
    _reflows(browser, "seminar-detail")
    browser.get(reverse("events:registration_create", args=[seminar.slug]))
    _reflows(browser, "registration-form")

    browser.registration_submit()
    assert browser.find_all("#error-summary")
    _reflows(browser, "registration-refused")
    browser.registration_fill(person, day=0, sessions=[tuesday.sessions.first()])
    browser.registration_submit()

    registration = Registration.objects.get()
    assert browser.attribute("[data-registration-status]", "data-registration-status") == (
        "confirmed"
    )
    _reflows(browser, "confirmation")

    browser.click_and_load("[data-action='change']")
    _reflows(browser, "change")
    browser.check("id_workshop_day_1")
    browser.click_and_load("#change-form [type=submit]")
    registration.refresh_from_db()
    assert registration.workshop_day == thursday
    _reflows(browser, "changed")

    browser.click_and_load("[data-action='substitute']")
    _reflows(browser, "substitute")
    browser.click_and_load("#substitute-form [type=submit]")
    assert browser.find_all("#error-summary")
    _reflows(browser, "substitute-refused")

    browser.get(reverse("events:registration_cancel", args=[registration.manage_token]))
    _reflows(browser, "cancel-confirm")
    browser.click_and_load("#cancel-form [type=submit]")
    assert Registration.objects.get().status == "cancelled"
    _reflows(browser, "cancelled")

    browser.get("/registrations/no-such-link/")
    _reflows(browser, "not-found")

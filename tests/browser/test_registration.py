"""Registering in a real browser, on a desktop and a phone: confirmed, refused, wait-listed."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ctpat.enums import CertificationStatus
from events.models import Registration
from events.views import WAITLIST_STEP_EDIT
from tests.browser.conftest import gettext_in
from tests.factories import CompanyFactory

pytestmark = pytest.mark.browser


def _form_path(seminar) -> str:
    return reverse("events:registration_create", args=[seminar.slug])


def test_register_confirmed(browser, seminar, person, language):
    tuesday = seminar.days.order_by("date").first()
    session = tuesday.sessions.order_by("starts_at", "pk").first()
    browser.get(_form_path(seminar))
    assert browser.attribute("html", "lang") == language
    assert browser.horizontal_overflow() <= 0
    browser.screenshot("registration-form")

    browser.registration_fill(person, day=0, sessions=[session])
    browser.registration_submit()

    registration = Registration.objects.get()
    assert browser.path == reverse("events:registration_detail", args=[registration.manage_token])
    assert browser.attribute("[data-registration-status]", "data-registration-status") == (
        "confirmed"
    )
    code = browser.attribute("[data-confirmation-code]", "data-confirmation-code")
    assert code == registration.confirmation_code
    assert browser.find("[data-confirmation-code]").inner_text() == code
    assert browser.attribute("[data-manage-link]", "href").endswith(
        reverse("events:registration_detail", args=[registration.manage_token])
    )
    assert browser.attribute("[data-workshop-day]", "data-workshop-day") == str(tuesday.pk)
    assert [
        li.get_attribute("data-session-id") for li in browser.find_all("[data-session-id]")
    ] == [str(session.pk)]
    assert (registration.status, registration.language) == ("confirmed", language)
    assert browser.horizontal_overflow() <= 0
    browser.screenshot("confirmation")


def test_register_with_keyboard_only(browser, seminar, person):
    """Tab from the top of the page through every field, Space on the day, Enter to send."""
    browser.get(_form_path(seminar))
    for name, value in person.items():
        browser.tab_to(f"id_{name}")
        assert browser.focus_visible(), f"no visible focus on #id_{name}"
        browser.type(value)
    day = browser.tab_to("id_workshop_day_0")
    assert browser.focus_visible()
    browser.press("Space")
    assert day.is_checked()
    submit = browser.find("#registration-form [type=submit]")
    browser.tab_to(submit.get_attribute("id"))
    assert browser.focus_visible()
    browser.loaded_after(lambda: browser.press("Enter"))

    assert browser.attribute("[data-registration-status]", "data-registration-status") == (
        "confirmed"
    )
    registration = Registration.objects.get()
    assert (registration.email, registration.workshop_day) == (
        person["email"],
        seminar.days.order_by("date").first(),
    )


def test_register_refused_shows_summary_and_keeps_input(browser, seminar, person, language):
    CompanyFactory(account_number="SUSP00001", status=CertificationStatus.SUSPENDED)
    typed = person | {"account_number": "SUSP00001"}
    browser.get(_form_path(seminar))
    browser.registration_fill(typed, day=1)
    browser.registration_submit()

    assert not Registration.objects.exists()
    summary = browser.find("#error-summary")
    assert summary.locator("h2").inner_text() == gettext_in(language, "There is a problem")
    # The summary comes before the form, and focus went to it so a screen reader reads it first.
    assert browser.page.evaluate(
        "() => { const s = document.getElementById('error-summary');"
        "return s.getBoundingClientRect().top <= document.getElementById('id_first_name')"
        ".getBoundingClientRect().top }"
    )
    assert browser.focused_id() == "error-summary"
    assert browser.in_viewport(summary)
    assert browser.focus_visible()
    assert browser.horizontal_overflow() <= 0
    browser.screenshot("registration-refused")
    # What was typed is kept, the day too.
    for name, value in typed.items():
        assert browser.value(f"#id_{name}") == value, name
    assert browser.find("#id_workshop_day_1").is_checked()
    # The field in error says so to assistive technology.
    account = browser.find("#id_account_number")
    assert account.get_attribute("aria-invalid") == "true"

    link = browser.find("#error-summary li[data-error-field='account_number'] a")
    assert link.get_attribute("href").endswith("#id_account_number")
    link.click()
    assert browser.page.evaluate("location.hash") == "#id_account_number"
    assert browser.in_viewport(account)
    # The link puts the cursor in the field; Tab leads on to the next one.
    assert browser.focused_id() == "id_account_number"
    browser.press("Tab")
    assert browser.focused_id() == "id_first_name"


@pytest.mark.parametrize(
    ("full", "offer_text"),
    [
        ("seminar", "This seminar is full."),
        ("day", "A workshop day is full. Choose another day, or join the wait-list."),
    ],
)
def test_waitlist_join_when_full(full, offer_text, browser, seminar, register, person, language):
    """Refused without the box ticked: for a full day (on the seat call's answer alone) the form
    comes back with the person's values and the offer under the day; for a full seminar a short
    step shows their values and carries them. Ticking the box joins the wait-list."""
    tuesday = seminar.days.order_by("date").first()
    full_row = seminar if full == "seminar" else tuesday
    full_row.capacity = 1
    full_row.save(update_fields=["capacity"])
    register(seminar, CompanyFactory(), day=tuesday)
    browser.get(_form_path(seminar))
    browser.registration_fill(person, day=0)
    browser.registration_submit()

    assert not Registration.objects.filter(email=person["email"]).exists()
    assert browser.focused_id() == "error-summary"
    offer = browser.find("#waitlist-offer")
    assert gettext_in(language, offer_text) in offer.inner_text()
    if full == "day":
        assert browser.value("#id_account_number") == person["account_number"]
        assert browser.find("#id_workshop_day_0").is_checked()
    else:
        carried = "#registration-form input[type=hidden][name=account_number]"
        assert browser.value(carried) == person["account_number"]
        assert person["email"] in browser.find(".registration-facts").inner_text()
        # Shown and carried, not asked again: no field to type the name in.
        assert not browser.find_all('#id_first_name:not([type="hidden"])')
    browser.screenshot(f"registration-waitlist-offer-{full}-full")
    browser.check("id_waitlist")
    browser.registration_submit()

    registration = Registration.objects.get(email=person["email"])
    assert (registration.status, registration.workshop_day) == ("waitlisted", tuesday)
    assert browser.attribute("[data-registration-status]", "data-registration-status") == (
        "waitlisted"
    )
    assert browser.attribute("[data-waitlist-position]", "data-waitlist-position") == "1"
    assert browser.attribute("[data-confirmation-code]", "data-confirmation-code") == (
        registration.confirmation_code
    )
    assert browser.horizontal_overflow() <= 0
    browser.screenshot(f"confirmation-waitlisted-{full}-full")


@pytest.mark.parametrize("viewport", ["desktop"])
def test_waitlist_step_change_details_then_join(browser, seminar, register, person, language):
    """From the full seminar's short step, "Change my details" brings the whole form back with
    the values typed; a changed value and the ticked box then join the wait-list."""
    seminar.capacity = 1
    seminar.save(update_fields=["capacity"])
    register(seminar, CompanyFactory())
    browser.get(_form_path(seminar))
    browser.registration_fill(person, day=0)
    browser.registration_submit()
    browser.click_and_load(f"#registration-form button[name='{WAITLIST_STEP_EDIT}']")

    assert not browser.find_all("#error-summary")
    for name, value in person.items():
        assert browser.value(f"#id_{name}") == value, name
    assert browser.find("#id_workshop_day_0").is_checked()
    browser.type_into("#id_job_title", "Compliance lead")
    browser.check("id_waitlist")
    browser.registration_submit()

    registration = Registration.objects.get(email=person["email"])
    assert (registration.status, registration.job_title) == ("waitlisted", "Compliance lead")


@pytest.mark.parametrize("viewport", ["desktop"])
def test_waitlist_join_with_keyboard_only(browser, seminar, register, person, language):
    """Refused as full, the summary's link leads to the wait-list box: Space ticks it."""
    seminar.capacity = 1
    seminar.save(update_fields=["capacity"])
    register(seminar, CompanyFactory())
    browser.get(_form_path(seminar))
    for name, value in person.items():
        browser.tab_to(f"id_{name}")
        browser.type(value)
    browser.tab_to("id_workshop_day_0")
    browser.press("Space")
    browser.tab_to(browser.find("#registration-form [type=submit]"))
    browser.loaded_after(lambda: browser.press("Enter"))

    assert browser.focused_id() == "error-summary"
    assert not Registration.objects.filter(email=person["email"]).exists()
    link = browser.find("#error-summary a[href='#id_waitlist']")
    browser.tab_to(link)
    browser.press("Enter")
    assert browser.focused_id() == "id_waitlist"
    assert browser.focus_visible()
    assert browser.focused.get_attribute("aria-invalid") == "true"
    browser.press("Space")
    assert browser.find("#id_waitlist").is_checked()
    browser.tab_to(browser.find("#registration-form [type=submit]"))
    browser.loaded_after(lambda: browser.press("Enter"))

    registration = Registration.objects.get(email=person["email"])
    assert registration.status == "waitlisted"
    assert browser.attribute("[data-registration-status]", "data-registration-status") == (
        "waitlisted"
    )
    assert browser.find("h1").inner_text() == gettext_in(language, "You are on the wait-list")


@pytest.mark.parametrize("viewport", ["phone"])
def test_seminar_page_on_a_phone_says_when_registration_closes(browser, seminar, language):
    browser.get(reverse("events:seminar_detail", args=[seminar.slug]))
    browser.screenshot(f"seminar-detail-{language}")
    closes = browser.find(".register-inline .registration-closes")
    expect(closes).to_be_visible()
    opening = gettext_in(language, "Registration closes %(closes)s.").split("%")[0]
    assert closes.inner_text().startswith(opening)
    assert browser.text_lines(".register-inline .registration-closes .time") == 1

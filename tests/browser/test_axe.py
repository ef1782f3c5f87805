"""axe-core scans every public page, and the check-in page, in each of its states.

A serious or critical violation fails the test; lesser ones are printed (``pytest -s`` or on a
failure) for a person to judge.
"""

import pytest
from django.urls import reverse
from selenium.webdriver.common.keys import Keys

from ctpat.enums import CertificationStatus
from events.changes import registration_cancel
from tests.browser.conftest import axe_violations, seminar_running
from tests.factories import CompanyFactory, RegistrationFactory

pytestmark = pytest.mark.browser

FAILING_IMPACTS = {"serious", "critical"}


def _manage(name: str, registration) -> str:
    return reverse(name, args=[registration.manage_token])


def _seminar_list(browser, seminar, company, register, staff_user):
    browser.get(reverse("events:seminar_list"))


def _seminar_detail(browser, seminar, company, register, staff_user):
    browser.get(reverse("events:seminar_detail", args=[seminar.slug]))


def _seminar_detail_full(browser, seminar, company, register, staff_user):
    seminar.capacity = 1
    seminar.save(update_fields=["capacity"])
    register(seminar, company)
    browser.get(reverse("events:seminar_detail", args=[seminar.slug]))


def _form(browser, seminar, company, register, staff_user):
    browser.get(reverse("events:registration_create", args=[seminar.slug]))


def _form_refused(browser, seminar, company, register, staff_user):
    """A suspended company, a missing name and no day: errors on several fields at once."""
    CompanyFactory(account_number="SUSP00001", status=CertificationStatus.SUSPENDED)
    browser.get(reverse("events:registration_create", args=[seminar.slug]))
    browser.type_into("#id_account_number", "SUSP00001")
    browser.type_into("#id_email", "not-an-address")
    browser.registration_submit()
    assert browser.find_all("#error-summary")


def _form_waitlist_offer(browser, seminar, company, register, staff_user):
    seminar.capacity = 1
    seminar.save(update_fields=["capacity"])
    register(seminar, CompanyFactory())
    browser.get(reverse("events:registration_create", args=[seminar.slug]))
    assert browser.find_all("#waitlist-offer")


def _confirmed(browser, seminar, company, register, staff_user):
    registration = register(seminar, company, sessions=[seminar.days.first().sessions.first()])
    browser.get(_manage("events:registration_detail", registration))


def _waitlisted(browser, seminar, company, register, staff_user):
    seminar.capacity = 1
    seminar.save(update_fields=["capacity"])
    register(seminar, CompanyFactory())
    registration = register(seminar, company, waitlist=True)
    assert registration.status == "waitlisted"
    browser.get(_manage("events:registration_detail", registration))


def _cancelled(browser, seminar, company, register, staff_user):
    registration = register(seminar, company)
    registration_cancel(registration=registration)
    browser.get(_manage("events:registration_detail", registration))


def _cancel_confirm(browser, seminar, company, register, staff_user):
    browser.get(_manage("events:registration_cancel", register(seminar, company)))


def _change(browser, seminar, company, register, staff_user):
    browser.get(_manage("events:registration_change", register(seminar, company)))


def _substitute(browser, seminar, company, register, staff_user):
    browser.get(_manage("events:registration_substitute", register(seminar, company)))


def _not_found(browser, seminar, company, register, staff_user):
    browser.get("/registrations/no-such-link/")
    assert browser.find_all("h1")


def _check_in_page(seminar, company, browser, staff_user, *codes):
    running = seminar_running()
    RegistrationFactory(seminar=running, company=company, confirmation_code="DOOR0001")
    username, password = staff_user("add_checkin")
    path = reverse("events:seminar_check_in", args=[running.slug])
    browser.log_in(username, password, next_path=path)
    for code in codes:
        browser.find("#id_code").send_keys(code)
        browser.loaded_after(lambda: browser.press(Keys.ENTER))


def _check_in(browser, seminar, company, register, staff_user):
    _check_in_page(seminar, company, browser, staff_user)


def _check_in_admitted(browser, seminar, company, register, staff_user):
    _check_in_page(seminar, company, browser, staff_user, "DOOR0001")
    assert browser.find_all("#checkin-result")


def _check_in_refused(browser, seminar, company, register, staff_user):
    _check_in_page(seminar, company, browser, staff_user, "DOOR0001", "DOOR0001")
    assert browser.find_all("#checkin-refusal")


PAGES = {
    "seminar-list": _seminar_list,
    "seminar-detail": _seminar_detail,
    "seminar-detail-full": _seminar_detail_full,
    "registration-form": _form,
    "registration-form-refused": _form_refused,
    "registration-form-waitlist-offer": _form_waitlist_offer,
    "registration-confirmed": _confirmed,
    "registration-waitlisted": _waitlisted,
    "registration-cancelled": _cancelled,
    "registration-cancel-confirm": _cancel_confirm,
    "registration-change": _change,
    "registration-substitute": _substitute,
    "not-found": _not_found,
    "check-in": _check_in,
    "check-in-admitted": _check_in_admitted,
    "check-in-refused": _check_in_refused,
}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("page", list(PAGES))
def test_axe_no_serious_violation(browser, page, seminar, company, register, staff_user):
    PAGES[page](browser, seminar, company, register, staff_user)

    browser.screenshot(page)
    violations = axe_violations(browser)

    for violation in violations:
        print(f"{page} [{browser.viewport}] {violation['impact']}: {violation['id']}")
        for node in violation["nodes"]:
            print(f"    {node}")
    failing = [v["id"] for v in violations if v["impact"] in FAILING_IMPACTS]
    assert failing == [], f"{page}: serious or critical accessibility violations {failing}"
    assert browser.horizontal_overflow() <= 0

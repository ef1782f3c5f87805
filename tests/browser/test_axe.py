"""axe-core scans every public page, and the check-in page, in each of its states.

Each state in ``PAGES`` is scanned in English and Spanish, at a desktop size and on a phone.

A serious or critical violation fails the test; lesser ones are printed (``pytest -s`` or on a
failure) for a person to judge.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ctpat.enums import CertificationStatus
from events.certificates import certificate_issue
from events.changes import registration_cancel
from events.checkin import registration_check_in
from tests.browser.conftest import PERSON, axe_violations, seminar_running
from tests.factories import (
    CompanyFactory,
    RegistrationFactory,
    SeminarFactory,
    seminar_ended_yesterday,
)

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


def _form_seminar_full_refused(browser, seminar, company, register, staff_user):
    """Sent without ticking the wait-list box: the summary links to it."""
    _form_waitlist_offer(browser, seminar, company, register, staff_user)
    browser.registration_fill(PERSON | {"account_number": company.account_number}, day=0)
    browser.registration_submit()
    assert browser.find_all("#error-summary a[href='#id_waitlist']")


def _confirmed(browser, seminar, company, register, staff_user):
    registration = register(seminar, company, sessions=[seminar.days.first().sessions.first()])
    browser.get(_manage("events:registration_detail", registration))


def _waitlisted_registration(seminar, company, register):
    seminar.capacity = 1
    seminar.save(update_fields=["capacity"])
    register(seminar, CompanyFactory())
    registration = register(seminar, company, waitlist=True)
    assert registration.status == "waitlisted"
    return registration


def _waitlisted(browser, seminar, company, register, staff_user):
    registration = _waitlisted_registration(seminar, company, register)
    browser.get(_manage("events:registration_detail", registration))


def _leave_waitlist_confirm(browser, seminar, company, register, staff_user):
    registration = _waitlisted_registration(seminar, company, register)
    browser.get(_manage("events:registration_cancel", registration))
    assert browser.find_all("#cancel-form")


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


def _change_refused(browser, seminar, company, register, staff_user):
    """Two sessions at the same hour: the error on the sessions, in the summary."""
    registration = register(seminar, company)
    browser.get(_manage("events:registration_change", registration))
    for session in registration.workshop_day.sessions.order_by("starts_at", "pk")[:2]:
        browser.check(browser.session_input_id(session))
    browser.click_and_load("#change-form [type=submit]")
    assert browser.find_all("#error-summary [data-error-field='sessions']")


def _substitute_refused(browser, seminar, company, register, staff_user):
    """Nothing typed but an address that is not one: an error on every field."""
    browser.get(_manage("events:registration_substitute", register(seminar, company)))
    browser.type_into("#id_email", "not-an-address")
    browser.click_and_load("#substitute-form [type=submit]")
    assert len(browser.find_all("#error-summary li")) == 5


def _seminar_closed(browser, seminar, company, register, staff_user):
    browser.get(reverse("events:seminar_detail", args=[seminar_running().slug]))
    assert browser.find_all(".registration-state")


def _seminar_not_yet_open(browser, seminar, company, register, staff_user):
    opens = timezone.now() + timedelta(days=2)
    not_yet = SeminarFactory(registration_opens_at=opens)
    browser.get(reverse("events:seminar_detail", args=[not_yet.slug]))
    assert browser.find_all(".registration-state")


def _form_expired(browser, seminar, company, register, staff_user):
    """A form sent without its CSRF cookie (cookies blocked, or kept open across a restart)."""
    browser.get(reverse("events:registration_create", args=[seminar.slug]))
    browser.page.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)
    browser.registration_submit()
    assert browser.find_all("main h1")


def _too_many_attempts(browser, seminar, company, register, staff_user):
    registration = register(seminar, company)
    limits = {**settings.RATELIMITS, "manage-ip": (0, 60)}
    with override_settings(RATELIMIT_ENABLED=True, RATELIMITS=limits):
        browser.get(_manage("events:registration_detail", registration))
    assert browser.find_all("[data-rate-limited]")


def _database_unavailable(browser, seminar, company, register, staff_user):
    """Every query fails while the page loads, as when PostgreSQL restarts under a request."""
    lost = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(CursorWrapper, "execute", side_effect=lost):
        browser.get(reverse("events:seminar_list"))
    assert browser.find_all("[data-database-fault='unavailable']")


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
        browser.type_into("#id_code", code)
        browser.loaded_after(lambda: browser.press("Enter"))


def _check_in(browser, seminar, company, register, staff_user):
    _check_in_page(seminar, company, browser, staff_user)


def _check_in_admitted(browser, seminar, company, register, staff_user):
    _check_in_page(seminar, company, browser, staff_user, "DOOR0001")
    assert browser.find_all("#checkin-result")


def _check_in_refused(browser, seminar, company, register, staff_user):
    _check_in_page(seminar, company, browser, staff_user, "DOOR0001", "DOOR0001")
    assert browser.find_all("#checkin-refusal")


def _attendee(seminar, company, register):
    """Someone checked in on a day of the seminar, which ended yesterday."""
    held = seminar_ended_yesterday(seminar)
    day = held.days.order_by("date").first()
    registration = register(held, company, day=day, sessions=[day.sessions.first()])
    registration_check_in(
        code=registration.confirmation_code, actor=None, today=day.date, seminar=held
    )
    return registration


def _registration_certificate(browser, seminar, company, register, staff_user):
    browser.get(_manage("events:registration_detail", _attendee(seminar, company, register)))
    assert browser.find_all("[data-certificate-link]")


def _certificate_verify(browser, seminar, company, register, staff_user):
    code = certificate_issue(registration=_attendee(seminar, company, register)).code
    browser.get(reverse("events:certificate_verify", args=[code]))
    assert browser.find_all("[data-certificate-valid]")


PAGES = {
    "seminar-list": _seminar_list,
    "seminar-detail": _seminar_detail,
    "seminar-detail-full": _seminar_detail_full,
    "seminar-detail-closed": _seminar_closed,
    "seminar-detail-not-yet-open": _seminar_not_yet_open,
    "registration-form": _form,
    "registration-form-refused": _form_refused,
    "registration-form-waitlist-offer": _form_waitlist_offer,
    "registration-form-seminar-full-refused": _form_seminar_full_refused,
    "registration-confirmed": _confirmed,
    "registration-waitlisted": _waitlisted,
    "registration-cancelled": _cancelled,
    "registration-cancel-confirm": _cancel_confirm,
    "registration-leave-waitlist-confirm": _leave_waitlist_confirm,
    "registration-change": _change,
    "registration-change-refused": _change_refused,
    "registration-substitute": _substitute,
    "registration-substitute-refused": _substitute_refused,
    "registration-certificate": _registration_certificate,
    "certificate-verify": _certificate_verify,
    "not-found": _not_found,
    "form-expired-csrf-403": _form_expired,
    "too-many-attempts-429": _too_many_attempts,
    "database-unavailable-503": _database_unavailable,
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

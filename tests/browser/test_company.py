"""The company's page in a real browser, at desktop and phone widths, in English and Spanish:
asking for its link, cancelling a registration and handing a seat over from it; axe-core scans
every state."""

import pytest
from django.urls import reverse

from events.company_links import company_link_issue
from events.enums import CompanyLinkOrigin, EmailKind, RegistrationStatus
from events.models import OutboundEmail, Registration
from tests.browser.conftest import axe_violations, gettext_in
from tests.browser.test_axe import FAILING_IMPACTS

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("outbox_kept")]


def assert_accessible(browser, state: str) -> None:
    browser.screenshot(f"company-{state}-{browser.language}")
    failing = [v["id"] for v in axe_violations(browser) if v["impact"] in FAILING_IMPACTS]
    assert failing == [], f"{state}: serious or critical accessibility violations {failing}"
    assert browser.horizontal_overflow() <= 0


def company_page(company) -> str:
    token = company_link_issue(company=company, origin=CompanyLinkOrigin.STAFF).token
    return reverse("events:company_detail", args=[token])


def test_company_link_request_answers_and_sends(browser, company):
    browser.get(reverse("events:company_link_request"))
    assert_accessible(browser, "request")
    browser.type_into("#id_account_number", company.account_number)
    browser.type_into("#id_email", company.poc_email)

    browser.click_and_load("#company-link-form [type=submit]")

    assert browser.find("[data-company-link-requested]").is_visible()
    assert_accessible(browser, "requested")
    [email] = OutboundEmail.objects.filter(kind=EmailKind.COMPANY_LINK)
    assert email.to == company.poc_email
    assert email.context["language"] == browser.language


def test_company_page_cancel_through_confirm_step(browser, seminar, company, register, language):
    registration = register(seminar, company)
    page = company_page(company)
    browser.get(page)
    row = f"[data-company-registration='{registration.pk}']"
    assert browser.attribute(row, "data-registration-status") == "confirmed"
    assert_accessible(browser, "page")

    browser.click_and_load(f"{row} [data-action='cancel']")

    assert browser.find("h1").inner_text() == gettext_in(
        language, "Cancel the registration of %(name)s?"
    ) % {"name": registration.full_name}
    assert_accessible(browser, "cancel")
    browser.click_and_load("#cancel-form [type=submit]")

    assert browser.path == page
    assert browser.attribute(row, "data-registration-status") == "cancelled"
    assert browser.find("[data-message-level='success']").is_visible()
    assert Registration.objects.get(pk=registration.pk).status == RegistrationStatus.CANCELLED


def test_company_page_hand_over(browser, seminar, company, register, language):
    registration = register(seminar, company)
    page = company_page(company)
    browser.get(page)
    row = f"[data-company-registration='{registration.pk}']"

    browser.click_and_load(f"{row} [data-action='substitute']")

    assert browser.find("h1").inner_text() == gettext_in(language, "Hand the place to a colleague")
    assert_accessible(browser, "substitute")
    browser.registration_fill(
        {
            "first_name": "Jorge",
            "last_name": "Ramírez",
            "email": "jorge.ramirez@partner.example",
            "job_title": "Compliance officer",
            "phone": "+52 664 555 0199",
        }
    )
    browser.click_and_load("#substitute-form [type=submit]")

    assert browser.path == page
    assert browser.attribute(row, "data-registration-status") == "substituted"
    registration.refresh_from_db()
    new = registration.substituted_by
    assert new.email == "jorge.ramirez@partner.example"
    assert browser.attribute(
        f"[data-company-registration='{new.pk}']", "data-registration-status"
    ) == ("confirmed")
    assert_accessible(browser, "handed-over")

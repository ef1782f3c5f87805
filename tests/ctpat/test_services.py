from datetime import date, timedelta

import pytest
from django.utils import timezone

from ctpat.enums import CertificationStatus
from ctpat.exceptions import CompanyNotEligible, CompanyNotFound
from ctpat.models import Certification
from ctpat.services import (
    EXPIRED_REASON,
    INELIGIBLE_REASONS,
    company_get_eligible,
    company_set_status,
)
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "status", [CertificationStatus.CERTIFIED, CertificationStatus.VALIDATED], ids=str
)
def test_company_get_eligible_accepts_status(status):
    company = CompanyFactory(account_number="ABCD1234", status=status)

    assert company_get_eligible(account_number="ABCD1234") == company


@pytest.mark.parametrize(
    ("status", "named"),
    [
        (CertificationStatus.APPLICANT, "application is still pending"),
        (CertificationStatus.SUSPENDED, "suspended"),
        (CertificationStatus.REMOVED, "removed from CTPAT"),
        (CertificationStatus.WITHDRAWN, "withdrawn from CTPAT"),
        (CertificationStatus.REJECTED, "application was rejected"),
    ],
    ids=str,
)
def test_company_get_eligible_refuses_status(status, named):
    CompanyFactory(account_number="ABCD1234", status=status)

    with pytest.raises(CompanyNotEligible) as refusal:
        company_get_eligible(account_number="ABCD1234")

    assert refusal.value.message == INELIGIBLE_REASONS[status]
    assert named in str(refusal.value)
    assert refusal.value.field == "account_number"


@pytest.mark.parametrize(
    "status", [CertificationStatus.CERTIFIED, CertificationStatus.VALIDATED], ids=str
)
def test_company_get_eligible_refuses_expired_certification(status):
    yesterday = timezone.localdate() - timedelta(days=1)
    CompanyFactory(account_number="ABCD1234", status=status, expires_on=yesterday)

    with pytest.raises(CompanyNotEligible) as refusal:
        company_get_eligible(account_number="ABCD1234")

    assert refusal.value.message == EXPIRED_REASON
    assert "expired" in str(refusal.value)


@pytest.mark.parametrize(
    ("expires_on", "eligible"),
    [(date(2025, 6, 30), True), (date(2025, 6, 29), False), (None, True)],
    ids=["expires-that-day", "expired-the-day-before", "no-expiry"],
)
def test_company_get_eligible_checks_expiry_on_the_given_date(expires_on, eligible):
    CompanyFactory(account_number="ABCD1234", certified_on=date(2024, 1, 1), expires_on=expires_on)

    if eligible:
        assert company_get_eligible(account_number="ABCD1234", on=date(2025, 6, 30))
    else:
        with pytest.raises(CompanyNotEligible):
            company_get_eligible(account_number="ABCD1234", on=date(2025, 6, 30))


def test_company_get_eligible_refuses_unknown_number():
    CompanyFactory(account_number="ABCD1234")

    with pytest.raises(CompanyNotFound) as refusal:
        company_get_eligible(account_number="ABCD9999")

    assert refusal.value.field == "account_number"
    assert "could not find this CTPAT account number" in str(refusal.value)


@pytest.mark.parametrize(
    "typed",
    ["abcd1234", "  ABCD1234  ", "ABCD 1234", "abcd\t12 34\n"],
    ids=["lowercase", "padded", "inner-space", "mixed-whitespace"],
)
def test_company_get_eligible_normalizes_account_number(typed):
    company = CompanyFactory(account_number="ABCD1234")

    assert company_get_eligible(account_number=typed) == company


def test_company_set_status_records_history_and_updates_current_status():
    company = CompanyFactory(
        status=CertificationStatus.APPLICANT, certified_on=None, expires_on=None
    )

    company_set_status(
        company=company,
        status=CertificationStatus.CERTIFIED,
        effective_on=date(2024, 1, 10),
        expires_on=date(2027, 1, 10),
    )
    company_set_status(
        company=company,
        status=CertificationStatus.VALIDATED,
        effective_on=date(2024, 9, 1),
        expires_on=date(2027, 9, 1),
        note="Site visit in Tijuana",
    )
    latest = company_set_status(
        company=company, status=CertificationStatus.SUSPENDED, effective_on=date(2025, 2, 3)
    )

    company.refresh_from_db()
    assert (company.status, company.certified_on, company.expires_on) == (
        CertificationStatus.SUSPENDED,
        date(2024, 1, 10),
        None,
    )
    history = list(
        Certification.objects.filter(company=company).values_list(
            "status", "effective_on", "expires_on", "note"
        )
    )
    assert history == [
        (CertificationStatus.SUSPENDED, date(2025, 2, 3), None, ""),
        (
            CertificationStatus.VALIDATED,
            date(2024, 9, 1),
            date(2027, 9, 1),
            "Site visit in Tijuana",
        ),
        (CertificationStatus.CERTIFIED, date(2024, 1, 10), date(2027, 1, 10), ""),
    ]
    assert Certification.objects.filter(company=company).latest() == latest


def test_company_set_status_keeps_first_certification_date():
    company = CompanyFactory(certified_on=date(2020, 5, 1))

    company_set_status(
        company=company, status=CertificationStatus.VALIDATED, effective_on=date(2024, 9, 1)
    )

    company.refresh_from_db()
    assert company.certified_on == date(2020, 5, 1)


def test_company_set_status_suspension_refuses_registration_then_reinstatement_allows_it():
    company = CompanyFactory(account_number="ABCD1234")

    company_set_status(
        company=company, status=CertificationStatus.SUSPENDED, effective_on=date(2025, 2, 3)
    )
    with pytest.raises(CompanyNotEligible):
        company_get_eligible(account_number="ABCD1234")

    company_set_status(
        company=company,
        status=CertificationStatus.CERTIFIED,
        effective_on=date(2025, 4, 1),
        expires_on=timezone.localdate() + timedelta(days=365),
    )
    assert company_get_eligible(account_number="ABCD1234") == company
    assert Certification.objects.filter(company=company).count() == 2

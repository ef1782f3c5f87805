from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ctpat.enums import BusinessType, CertificationStatus, ImporterTier
from ctpat.models import Certification, Company
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

ON = date(2025, 6, 30)


@pytest.mark.parametrize(
    ("status", "expires_on", "eligible"),
    [
        (CertificationStatus.CERTIFIED, ON, True),
        (CertificationStatus.VALIDATED, None, True),
        (CertificationStatus.VALIDATED, ON - timedelta(days=1), False),
        (CertificationStatus.APPLICANT, None, False),
        (CertificationStatus.SUSPENDED, ON + timedelta(days=300), False),
        (CertificationStatus.REMOVED, None, False),
        (CertificationStatus.WITHDRAWN, None, False),
        (CertificationStatus.REJECTED, None, False),
    ],
    ids=[
        "certified-expires-today",
        "validated-no-expiry",
        "validated-expired",
        "applicant",
        "suspended-unexpired",
        "removed",
        "withdrawn",
        "rejected",
    ],
)
def test_company_is_eligible(status, expires_on, eligible):
    company = CompanyFactory.build(
        status=status, certified_on=date(2020, 1, 1), expires_on=expires_on
    )

    assert company.is_eligible(on=ON) is eligible


def test_company_str_names_legal_name_and_account_number():
    company = CompanyFactory.build(legal_name="Maquiladora del Norte", account_number="MX12345")

    assert str(company) == "Maquiladora del Norte (MX12345)"


@pytest.mark.parametrize(
    "account_number",
    ["AB1", "abcd1234", "ABCD-1234", "A" * 21],
    ids=["too-short", "lowercase", "punctuation", "too-long"],
)
def test_company_account_number_validator_refuses(account_number):
    company = CompanyFactory.build(account_number=account_number)

    with pytest.raises(ValidationError) as error:
        company.full_clean()

    assert "account_number" in error.value.message_dict


def test_company_importer_tier_only_for_importers():
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyFactory(business_type=BusinessType.SEA_CARRIER, importer_tier=ImporterTier.TIER_II)


def test_company_importer_tier_allowed_for_importers():
    company = CompanyFactory(
        business_type=BusinessType.US_IMPORTER, importer_tier=ImporterTier.TIER_III
    )

    assert company.get_importer_tier_display() == "Tier III (validated with best practices)"


def test_company_expiry_before_certification_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyFactory(certified_on=date(2024, 1, 2), expires_on=date(2024, 1, 1))


def test_company_account_number_unique():
    CompanyFactory(account_number="ABCD1234")

    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.create(
            account_number="ABCD1234", legal_name="Copy", business_type="exporter", country="US"
        )


def test_certification_history_latest_by_effective_date_then_recording():
    company = CompanyFactory(account_number="ABCD1234")
    Certification.objects.create(
        company=company, status=CertificationStatus.VALIDATED, effective_on=date(2024, 9, 1)
    )
    Certification.objects.create(
        company=company, status=CertificationStatus.CERTIFIED, effective_on=date(2024, 1, 10)
    )
    same_day = Certification.objects.create(
        company=company, status=CertificationStatus.SUSPENDED, effective_on=date(2024, 9, 1)
    )

    assert company.certifications.latest() == same_day
    assert [c.status for c in company.certifications.all()] == [
        CertificationStatus.SUSPENDED,
        CertificationStatus.VALIDATED,
        CertificationStatus.CERTIFIED,
    ]
    assert str(same_day) == "ABCD1234: Suspended (2024-09-01)"

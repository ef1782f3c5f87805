"""The company admin: a list that stays cheap, search by account number or name, and a
certification history that is added to, never rewritten."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ctpat.enums import BusinessType, CertificationStatus
from ctpat.models import Certification, Company
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:ctpat_company_changelist")
# A query per row would need at least 10 more at 10 rows, and 100 more (a page) at 300.
LIST_QUERIES = 10
CHANGE_PAGE_QUERIES = 10


def _companies(count: int, *, start: int) -> None:
    Company.objects.bulk_create(
        Company(
            account_number=f"ACCT{start + n:06d}",
            legal_name=f"Partner {start + n} Logistics",
            business_type=BusinessType.HIGHWAY_CARRIER if n % 2 else BusinessType.EXPORTER,
            country="MX" if n % 2 else "US",
            status=CertificationStatus.CERTIFIED,
            expires_on=date(2030, 1, 1),
        )
        for n in range(count)
    )


def _queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response


QUERIES = {
    "plain": "",
    "search_account_prefix": "q=ACCT0000",
    "search_name": "q=Logistics",
    "status": "status__exact=certified",
    "business_type": "business_type__exact=exporter",
    "country": "country=MX",
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_company_changelist_queries_same_at_10_and_300_rows(
    admin_client, query, django_assert_max_num_queries
):
    _companies(10, start=0)
    small, response = _queries(admin_client, f"{CHANGELIST}?{query}")
    assert response.context["cl"].result_count >= 1
    _companies(290, start=10)
    with django_assert_max_num_queries(LIST_QUERIES):
        large, response = _queries(admin_client, f"{CHANGELIST}?{query}")
    assert response.context["cl"].result_count >= 1
    assert small == large


def _with_history(steps: int) -> Company:
    company = CompanyFactory()
    Certification.objects.bulk_create(
        Certification(
            company=company,
            status=CertificationStatus.CERTIFIED,
            effective_on=date(2020, 1, 1) + timedelta(days=n),
        )
        for n in range(steps)
    )
    return company


def test_company_change_page_queries_same_with_1_or_10_history_rows(
    admin_client, django_assert_max_num_queries
):
    one, ten = _with_history(1), _with_history(10)
    admin_client.get(reverse("admin:ctpat_company_change", args=[one.pk]))  # warms caches
    small, _response = _queries(admin_client, reverse("admin:ctpat_company_change", args=[one.pk]))
    with django_assert_max_num_queries(CHANGE_PAGE_QUERIES):
        large, response = _queries(
            admin_client, reverse("admin:ctpat_company_change", args=[ten.pk])
        )
    assert small == large
    # The ten steps, read-only, and the blank row that adds a new one.
    body = response.content.decode()
    assert body.count('<td class="field-effective_on">') == 11
    assert body.count('name="certifications-__prefix__-effective_on"') == 1


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param("MFG00012", {"MFG00012"}, id="whole-account-number"),
        pytest.param("mfg0001", {"MFG00012", "MFG00013"}, id="account-number-prefix"),
        pytest.param("00012", set(), id="account-number-middle-finds-nothing"),
        pytest.param("maquila", {"MFG00012"}, id="name-part"),
        pytest.param("Harbor Imports", {"IMP00099"}, id="name-two-words"),
    ],
)
def test_company_search_by_account_number_or_name(admin_client, term, expected):
    CompanyFactory(account_number="MFG00012", legal_name="Maquila Tijuana")
    CompanyFactory(account_number="MFG00013", legal_name="Textiles del Norte")
    CompanyFactory(account_number="IMP00099", legal_name="Harbor Imports Inc.")
    response = admin_client.get(CHANGELIST, {"q": term})
    assert {c.account_number for c in response.context["cl"].result_list} == expected


def test_company_changelist_columns(admin_client):
    CompanyFactory(
        account_number="MFG00012",
        legal_name="Maquila Tijuana",
        business_type=BusinessType.FOREIGN_MANUFACTURER,
        country="MX",
        status=CertificationStatus.SUSPENDED,
    )
    body = admin_client.get(CHANGELIST).content.decode()
    for text in ("MFG00012", "Maquila Tijuana", "Foreign manufacturer", "MX", "Suspended"):
        assert text in body


def _change_data(company: Company, **extra) -> dict:
    return {
        "account_number": company.account_number,
        "legal_name": company.legal_name,
        "business_type": company.business_type,
        "country": company.country,
        "importer_tier": "",
        "poc_name": "",
        "poc_email": company.poc_email,
        "certifications-TOTAL_FORMS": "0",
        "certifications-INITIAL_FORMS": "0",
        **extra,
    }


def test_company_status_changes_by_adding_a_history_step(admin_client):
    company = _with_history(1)
    url = reverse("admin:ctpat_company_change", args=[company.pk])
    response = admin_client.post(
        url,
        _change_data(
            company,
            **{
                "certifications-TOTAL_FORMS": "1",
                "certifications-0-status": CertificationStatus.SUSPENDED,
                "certifications-0-effective_on": "2026-01-15",
                "certifications-0-expires_on": "",
                "certifications-0-note": "Security breach",
            },
        ),
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.status, company.expires_on) == (CertificationStatus.SUSPENDED, None)
    assert list(company.certifications.values_list("status", "note")) == [
        (CertificationStatus.SUSPENDED, "Security breach"),
        (CertificationStatus.CERTIFIED, ""),
    ]


def test_company_status_not_editable_directly(admin_client):
    company = CompanyFactory(status=CertificationStatus.CERTIFIED)
    url = reverse("admin:ctpat_company_change", args=[company.pk])
    admin_client.post(url, _change_data(company, status=CertificationStatus.REMOVED))
    company.refresh_from_db()
    assert company.status == CertificationStatus.CERTIFIED
    assert not company.certifications.exists()


def test_company_history_rows_cannot_be_changed_or_deleted(admin_client):
    company = _with_history(1)
    step = company.certifications.get()
    url = reverse("admin:ctpat_company_change", args=[company.pk])
    body = admin_client.get(url).content.decode()
    assert 'name="certifications-0-status"' not in body
    assert 'name="certifications-0-DELETE"' not in body
    admin_client.post(
        url,
        _change_data(
            company,
            **{
                "certifications-TOTAL_FORMS": "1",
                "certifications-INITIAL_FORMS": "1",
                "certifications-0-id": str(step.pk),
                "certifications-0-company": str(company.pk),
                "certifications-0-status": CertificationStatus.REMOVED,
                "certifications-0-effective_on": "2026-01-15",
                "certifications-0-DELETE": "on",
            },
        ),
    )
    step.refresh_from_db()
    assert step.status == CertificationStatus.CERTIFIED


def test_company_added_in_admin_starts_its_history(admin_client):
    response = admin_client.post(
        reverse("admin:ctpat_company_add"),
        {
            "account_number": "NEW00001",
            "legal_name": "New Partner",
            "business_type": BusinessType.EXPORTER,
            "country": "US",
            "status": CertificationStatus.CERTIFIED,
            "importer_tier": "",
            "certified_on": "2025-02-01",
            "expires_on": "2028-02-01",
            "poc_name": "",
            "poc_email": "",
            "certifications-TOTAL_FORMS": "0",
            "certifications-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    company = Company.objects.get(account_number="NEW00001")
    assert list(company.certifications.values_list("status", "effective_on", "expires_on")) == [
        (CertificationStatus.CERTIFIED, date(2025, 2, 1), date(2028, 2, 1))
    ]


def test_manager_can_change_companies_desk_cannot_see_them(client, desk, manager):
    client.force_login(desk)
    assert client.get(CHANGELIST).status_code == 403
    client.force_login(manager)
    assert client.get(CHANGELIST).status_code == 200


def test_company_history_rows_carry_no_title_line(admin_client):
    company = _with_history(2)
    body = admin_client.get(reverse("admin:ctpat_company_change", args=[company.pk])).content
    fieldset = re.search(rb'<fieldset class="module ([^"]*)"[^>]*="certifications-heading"', body)
    assert fieldset is not None
    assert b"untitled-rows" in fieldset.group(1).split()
    assert b'href="/static/css/admin-inlines.css"' in body
    stylesheet = (settings.BASE_DIR / "static/css/admin-inlines.css").read_text()
    assert "fieldset.untitled-rows tr.has_original td.original p {\n  display: none;" in stylesheet

import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ctpat.enums import BusinessType, CertificationStatus, ImporterTier
from ctpat.exceptions import PartnerListError
from ctpat.models import Certification, Company
from ctpat.services import companies_import
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

HEADER = "account_number,legal_name,business_type,country,status,certified_on,expires_on"
GOOD = f"""{HEADER},importer_tier,poc_email,notes
IMP00001,Harbor Imports Inc.,us_importer,US,validated,2022-03-01,2026-03-01,II,sec@harbor.example,x
MFG00002,Maquiladora Tijuana S.A. de C.V.,Foreign manufacturer,MX,certified,2023-05-10,2027-05-10,,,
CAR00003,Prairie Rail Ltd.,rail_carrier,CA,applicant,,,,,
"""


@pytest.fixture
def run(tmp_path):
    """Run import_companies on CSV text (or bytes); return what it printed."""

    def run(content, *args):
        path = tmp_path / "partners.csv"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        out = StringIO()
        call_command("import_companies", str(path), *args, stdout=out)
        return out.getvalue()

    return run


def test_import_companies_good_file_creates_companies_and_history(run):
    output = run(GOOD)
    assert output == (
        "Partner list imported: created 3, updated 0, unchanged 0; "
        "3 certification history entries.\n"
    )
    importer = Company.objects.get(account_number="IMP00001")
    assert (
        importer.legal_name,
        importer.business_type,
        importer.country,
        importer.status,
        importer.importer_tier,
        importer.certified_on,
        importer.expires_on,
        importer.poc_email,
    ) == (
        "Harbor Imports Inc.",
        BusinessType.US_IMPORTER,
        "US",
        CertificationStatus.VALIDATED,
        ImporterTier.TIER_II,
        date(2022, 3, 1),
        date(2026, 3, 1),
        "sec@harbor.example",
    )
    assert Company.objects.get(account_number="MFG00002").business_type == (
        BusinessType.FOREIGN_MANUFACTURER
    )
    assert sorted(Certification.objects.values_list("company__account_number", "effective_on")) == [
        ("CAR00003", timezone.localdate()),
        ("IMP00001", date(2022, 3, 1)),
        ("MFG00002", date(2023, 5, 10)),
    ]


def test_import_companies_same_file_twice_is_unchanged(run):
    run(GOOD)
    output = run(GOOD)
    assert "created 0, updated 0, unchanged 3; 0 certification history entries" in output
    assert Certification.objects.count() == 3


def test_import_companies_status_change_adds_history_row(run):
    company = CompanyFactory(account_number="MFG00002", certified_on=date(2023, 5, 10))
    before = Certification.objects.filter(company=company).count()
    output = run(GOOD.replace(",MX,certified,", ",MX,suspended,"))
    company.refresh_from_db()
    assert company.status == CertificationStatus.SUSPENDED
    assert "created 2, updated 1, unchanged 0; 3 certification history entries" in output
    latest = Certification.objects.filter(company=company).latest()
    assert (latest.status, latest.effective_on) == ("suspended", timezone.localdate())
    assert Certification.objects.filter(company=company).count() == before + 1


def test_import_companies_name_change_updates_without_history(run):
    run(GOOD)
    output = run(GOOD.replace("Prairie Rail Ltd.", "Prairie Railway Ltd."))
    assert "created 0, updated 1, unchanged 2; 0 certification history entries" in output
    assert Company.objects.get(account_number="CAR00003").legal_name == "Prairie Railway Ltd."


def test_import_companies_without_optional_columns_keeps_their_values(run):
    company = CompanyFactory(
        account_number="IMP00001",
        business_type=BusinessType.US_IMPORTER,
        importer_tier=ImporterTier.TIER_III,
        poc_email="keep@harbor.example",
        scac="HRBR",
    )
    run(f"{HEADER}\nIMP00001,Harbor Imports Inc.,us_importer,US,validated,2022-03-01,2026-03-01\n")
    company.refresh_from_db()
    assert (company.importer_tier, company.poc_email, company.scac) == (
        3,
        "keep@harbor.example",
        "HRBR",
    )


def test_import_companies_importer_turned_exporter_loses_tier(run):
    CompanyFactory(
        account_number="IMP00001",
        business_type=BusinessType.US_IMPORTER,
        importer_tier=ImporterTier.TIER_II,
    )
    run(f"{HEADER}\nIMP00001,Harbor Exports Inc.,exporter,US,certified,2022-03-01,2026-03-01\n")
    assert Company.objects.get().importer_tier is None


def test_import_companies_normalizes_account_number_and_country(run):
    run(f"{HEADER}\n imp 00001 ,Harbor Imports Inc.,us_importer,us,certified,2022-03-01,\n")
    assert Company.objects.values_list("account_number", "country").get() == ("IMP00001", "US")


def test_import_companies_dry_run_writes_nothing(run):
    existing = CompanyFactory(account_number="MFG00002")
    output = run(GOOD.replace(",MX,certified,", ",MX,removed,"), "--dry-run")
    assert output == (
        "Dry run, nothing saved. The file would have created 2, updated 1, unchanged 0; "
        "3 certification history entries.\n"
    )
    assert list(Company.objects.values_list("account_number", "status")) == [
        ("MFG00002", "certified")
    ]
    assert Certification.objects.count() == Certification.objects.filter(company=existing).count()


BAD_ROWS = [
    ("bad business type", "X0000003,Acme,spaceport,US,certified,2022-01-01,2026-01-01", 3),
    ("bad date", "X0000003,Acme,exporter,US,certified,2022-02-30,2026-01-01", 3),
    ("bad country", "X0000003,Acme,exporter,USA,certified,2022-01-01,2026-01-01", 3),
    ("bad status", "X0000003,Acme,exporter,US,approved,2022-01-01,2026-01-01", 3),
    ("expiry before certification", "X0000003,Acme,exporter,US,certified,2022-01-01,2021-01-01", 3),
    ("tier for non-importer", "X0000003,Acme,exporter,US,certified,2022-01-01,2026-01-01,II", 3),
    ("bad account number", "X-3,Acme,exporter,US,certified,2022-01-01,2026-01-01", 3),
    ("empty legal name", "X0000003,,exporter,US,certified,2022-01-01,2026-01-01", 3),
    ("values beyond header", "X0000003,Acme,exporter,US,certified,2022-01-01,2026-01-01,1,2", 3),
]


@pytest.mark.parametrize(
    ("row", "line"), [(r, n) for _i, r, n in BAD_ROWS], ids=[i for i, *_ in BAD_ROWS]
)
def test_import_companies_bad_row_aborts_whole_file(run, row, line):
    existing = CompanyFactory(account_number="X0000001", legal_name="Old name")
    content = (
        f"{HEADER},importer_tier\n"
        "X0000001,New name,exporter,US,suspended,2022-01-01,2026-01-01\n"
        f"{row}\n"
        "X0000004,Fine Co,exporter,US,certified,2022-01-01,2026-01-01\n"
    )
    with pytest.raises(CommandError, match=rf"partners\.csv: Line {line}: .* Nothing was saved\."):
        run(content)
    existing.refresh_from_db()
    assert (existing.legal_name, existing.status) == ("Old name", "certified")
    assert list(Company.objects.values_list("account_number", flat=True)) == ["X0000001"]
    assert not Certification.objects.exists()


def test_import_companies_missing_column_names_line_one(run):
    content = "account_number,legal_name,business_type,country,status,certified_on\nX1,Acme\n"
    with pytest.raises(
        CommandError, match=re.escape("Line 1: the header lacks the column(s) expires_on.")
    ):
        run(content)


def test_import_companies_non_utf8_names_its_line(run):
    content = f"{HEADER}\nX0000001,Acme,exporter,US,certified,,\nX0000002,".encode()
    content += "Compañía,exporter,MX,certified,,\n".encode("latin-1")
    with pytest.raises(CommandError, match="Line 3: the file is not UTF-8 text"):
        run(content)
    assert not Company.objects.exists()


def test_import_companies_duplicate_account_numbers_name_both_lines(run):
    content = (
        f"{HEADER}\n"
        "X0000001,Acme,exporter,US,certified,,\n"
        "X0000002,Other,exporter,US,certified,,\n"
        "x0000001,Acme again,exporter,US,certified,,\n"
    )
    with pytest.raises(
        CommandError, match="Line 4: account number X0000001 already appears on line 2"
    ):
        run(content)
    assert not Company.objects.exists()


def test_import_companies_skips_blank_lines_and_trailing_empty_cells(run):
    output = run(f"{HEADER}\n\nX0000001,Acme,exporter,US,certified,,,,\n,,,,,,\n")
    assert "created 1," in output


def test_import_companies_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_companies", str(tmp_path / "nope.csv"))


def test_companies_import_error_carries_line():
    with pytest.raises(PartnerListError) as caught:
        companies_import(data=f"{HEADER}\nX0000001,Acme,exporter,US,nope,,\n".encode())
    assert caught.value.line == 2

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ctpat import admin_import
from ctpat.admin_import import PreviewList
from ctpat.enums import CertificationStatus
from ctpat.models import Certification, Company
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

URL = "/admin/ctpat/company/import/"
HEADER = "account_number,legal_name,business_type,country,status,certified_on,expires_on"
GOOD = f"""{HEADER}
IMP00001,Harbor Imports Inc.,us_importer,US,validated,2022-03-01,2030-03-01
MFG00002,Maquiladora Tijuana S.A. de C.V.,foreign_manufacturer,MX,certified,2023-05-10,2030-05-10
EXI00003,Existing Partner Ltd.,foreign_manufacturer,MX,suspended,2023-05-10,2030-05-10
"""


def upload(content: str, name: str = "partners.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def existing(db):
    return CompanyFactory(
        account_number="EXI00003",
        legal_name="Existing Partner Ltd.",
        status=CertificationStatus.CERTIFIED,
        certified_on=date(2023, 5, 10),
        expires_on=date(2029, 5, 10),
    )


def preview(client, content):
    return client.post(URL, {"file": upload(content), "_preview": "1"})


def confirm(client, content, signed):
    return client.post(URL, {"file": upload(content), "preview": signed, "_confirm": "1"})


def test_import_button_on_company_changelist(admin_client):
    response = admin_client.get(reverse("admin:ctpat_company_changelist"))
    assert reverse("admin:ctpat_company_import").encode() in response.content
    assert reverse("admin:ctpat_company_import") == URL


def test_import_preview_counts_changes_and_writes_nothing(admin_client, existing):
    response = preview(admin_client, GOOD)
    assert response.status_code == 200
    assert response.context["summary"] == (
        "3 companies in the file: 2 created, 1 updated, 0 unchanged; 1 status changes."
    )
    assert response.context["status_changes"] == PreviewList(
        rows=[("EXI00003", "Certified", "Suspended")], more=0
    )
    assert response.context["created"] == PreviewList(
        rows=[
            ("IMP00001", "Harbor Imports Inc."),
            ("MFG00002", "Maquiladora Tijuana S.A. de C.V."),
        ],
        more=0,
    )
    assert response.context["updated"] == PreviewList(
        rows=[
            (
                "EXI00003",
                "Existing Partner Ltd.",
                [
                    ("Certification status", "Certified", "Suspended"),
                    ("Certification expires on", "2029-05-10", "2030-05-10"),
                ],
            )
        ],
        more=0,
    )
    body = response.content.decode()
    assert "<li>Certification status: Certified → Suspended</li>" in body
    assert "<td>Maquiladora Tijuana S.A. de C.V.</td>" in body
    assert list(Company.objects.values_list("account_number", flat=True)) == ["EXI00003"]
    assert Company.objects.get().status == CertificationStatus.CERTIFIED
    assert Certification.objects.count() == 0
    assert b'name="_confirm"' in response.content


def test_import_confirm_imports_every_row(admin_client, existing):
    signed = preview(admin_client, GOOD).context["form"].initial["preview"]
    response = confirm(admin_client, GOOD, signed)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ctpat_company_changelist")
    assert sorted(Company.objects.values_list("account_number", "status")) == [
        ("EXI00003", CertificationStatus.SUSPENDED),
        ("IMP00001", CertificationStatus.VALIDATED),
        ("MFG00002", CertificationStatus.CERTIFIED),
    ]
    assert Certification.objects.count() == 3
    page = admin_client.get(response["Location"])
    assert messages_of(page) == [
        "3 companies in the file: 2 created, 1 updated, 0 unchanged; 1 status changes."
    ]


def test_import_confirm_of_another_file_than_previewed_saves_nothing(admin_client):
    signed = preview(admin_client, GOOD).context["form"].initial["preview"]
    other = GOOD.replace("Harbor Imports Inc.", "Someone Else Inc.")
    response = confirm(admin_client, other, signed)
    assert response.status_code == 200
    assert messages_of(response)[0].startswith("This is not the file that was previewed")
    assert response.context["result"] is not None  # a preview of the file actually sent
    assert Company.objects.count() == 0


def test_import_confirm_with_forged_preview_saves_nothing(admin_client):
    response = confirm(admin_client, GOOD, "forged")
    assert response.status_code == 200
    assert Company.objects.count() == 0


@pytest.mark.parametrize("step", ["preview", "confirm"], ids=["preview", "confirm"])
def test_import_bad_line_names_it_and_saves_nothing(admin_client, existing, step):
    bad = GOOD.replace("MX,certified", "MEXICO,certified")
    signed = ""
    if step == "confirm":
        signed = preview(admin_client, GOOD).context["form"].initial["preview"]
    response = (
        preview(admin_client, bad) if step == "preview" else confirm(admin_client, bad, signed)
    )
    assert response.status_code == 200
    errors = messages_of(response)
    assert errors[-1].startswith("Line 3: country:")
    assert errors[-1].endswith("Nothing was saved.")
    assert response.context["result"] is None
    assert list(Company.objects.values_list("account_number", "status")) == [
        ("EXI00003", CertificationStatus.CERTIFIED)
    ]
    assert Certification.objects.count() == 0


def test_import_duplicate_account_numbers_are_refused_with_both_lines(admin_client):
    duplicate = GOOD + "imp 00001,Harbor Again,us_importer,US,certified,2022-03-01,2030-03-01\n"
    response = preview(admin_client, duplicate)
    assert messages_of(response) == [
        "Line 5: account number IMP00001 already appears on line 2. Nothing was saved."
    ]
    assert Company.objects.count() == 0


@pytest.mark.parametrize(
    "codenames",
    [(), ("view_company",), ("view_company", "add_company"), ("view_company", "change_company")],
    ids=["none", "view", "add-only", "change-only"],
)
def test_import_refused_without_add_and_change_permission(staff_client, codenames):
    client = staff_client(*codenames)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": upload(GOOD), "_preview": "1"}).status_code == 403
    assert Company.objects.count() == 0
    if "view_company" in codenames:
        page = client.get(reverse("admin:ctpat_company_changelist"))
        assert URL.encode() not in page.content


def test_import_allowed_with_add_and_change_permission(staff_client):
    client = staff_client("view_company", "add_company", "change_company")
    assert client.get(URL).status_code == 200
    signed = preview(client, GOOD).context["form"].initial["preview"]
    assert confirm(client, GOOD, signed).status_code == 302
    assert Company.objects.count() == 3


def test_import_page_needs_a_staff_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def _preview_token(response) -> str:
    return response.context["form"].initial["preview"]


def test_import_confirm_needs_no_second_upload(admin_client, existing):
    response = preview(admin_client, GOOD)
    assert b'type="file"' not in response.content  # nothing to choose again
    assert b'value="Import"' in response.content

    response = admin_client.post(URL, {"preview": _preview_token(response), "_confirm": "1"})

    assert response.status_code == 302
    assert Company.objects.count() == 3
    assert Certification.objects.count() == 3


def test_import_kept_file_serves_one_confirmation_only(admin_client):
    signed = _preview_token(preview(admin_client, GOOD))
    admin_client.post(URL, {"preview": signed, "_confirm": "1"}, follow=True)
    Certification.objects.all().delete()
    Company.objects.all().delete()

    response = admin_client.post(URL, {"preview": signed, "_confirm": "1"})

    assert response.status_code == 200
    assert messages_of(response) == [
        "The preview is more than an hour old, or another file was previewed since. Nothing "
        "was saved; choose the file again."
    ]
    assert Company.objects.count() == 0


def test_import_confirm_after_another_preview_saves_nothing(admin_client):
    first = _preview_token(preview(admin_client, GOOD))
    preview(admin_client, GOOD.replace("Harbor Imports Inc.", "Someone Else Inc."))

    response = admin_client.post(URL, {"preview": first, "_confirm": "1"})

    assert response.status_code == 200
    assert messages_of(response)[0].startswith("The preview is more than an hour old")
    assert Company.objects.count() == 0


@pytest.mark.parametrize(
    "preview_value", ["", "forged", "eyJkaWdlc3QiOiAiMCJ9:forged"], ids=["none", "forged", "bad"]
)
def test_import_confirm_without_a_signed_preview_saves_nothing(admin_client, preview_value):
    preview(admin_client, GOOD)
    response = admin_client.post(URL, {"preview": preview_value, "_confirm": "1"})
    assert response.status_code == 200
    assert Company.objects.count() == 0


def test_import_file_too_large_to_keep_is_chosen_again(admin_client, monkeypatch):
    monkeypatch.setattr(admin_import, "KEPT_MAX_BYTES", 10)
    response = preview(admin_client, GOOD)
    assert b'type="file"' in response.content
    assert b"choose the same file again" in response.content
    signed = _preview_token(response)

    assert admin_client.post(URL, {"preview": signed, "_confirm": "1"}).status_code == 200
    assert Company.objects.count() == 0
    assert confirm(admin_client, GOOD, signed).status_code == 302
    assert Company.objects.count() == 3


def test_import_preview_names_the_first_50_of_each_list_and_counts_the_rest(admin_client):
    rows = "".join(
        f"NEW{n:05d},Partner {n},exporter,US,certified,2022-03-01,2030-03-01\n" for n in range(53)
    )
    response = preview(admin_client, f"{HEADER}\n{rows}")
    created = response.context["created"]
    assert (len(created.rows), created.more) == (50, 3)
    assert created.rows[-1] == ("NEW00049", "Partner 49")
    assert "and 3 more" in response.content.decode()


def test_import_bad_value_message_is_a_sentence(admin_client):
    response = preview(admin_client, GOOD.replace("us_importer", "spaceship"))
    assert messages_of(response) == [
        "Line 2: business_type: unknown value 'spaceship'. Nothing was saved."
    ]


def test_import_preview_without_a_file_asks_for_one(admin_client):
    response = admin_client.post(URL, {"_preview": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["Choose the partner list to preview."]}

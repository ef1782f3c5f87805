import csv
import io
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ctpat.enums import BusinessType
from events.enums import QuestionKind, RegistrationStatus
from events.models import RegistrationAnswer, RegistrationSession, SeminarQuestion
from tests.factories import CompanyFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "Confirmation code",
    "Last name",
    "First name",
    "Company legal name",
    "CTPAT account number",
    "Business type",
    "Country",
    "Job title",
    "E-mail",
    "Phone",
    "Workshop day",
    "Sessions",
    "Status",
    "Registered at",
    "Checked in at",
]


def roster_url(seminar, query=""):
    return reverse("admin:events_seminar_roster", args=[seminar.pk]) + query


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))


@pytest.fixture
def roster_seminar(seminar):
    seminar.slug = "san-diego"
    seminar.save(update_fields=["slug"])
    day = seminar.days.first()
    company = CompanyFactory(
        account_number="IMP00001",
        legal_name="Harbor Imports Inc.",
        business_type=BusinessType.US_IMPORTER,
        country="US",
    )
    registered = timezone.make_aware(datetime(2026, 11, 2, 9, 30))
    ana = RegistrationFactory(
        seminar=seminar,
        company=company,
        workshop_day=day,
        confirmation_code="ABC123",
        first_name="Ana",
        last_name="Alvarez",
        email="ana@harbor.example",
        job_title="Security manager",
        phone="619 555 0100",
        created_at=registered,
        checked_in_at=timezone.make_aware(datetime(2026, 11, 24, 8, 5)),
    )
    for session in reversed(list(day.sessions.order_by("starts_at", "topic"))[::2]):
        RegistrationSession.objects.create(registration=ana, session=session)
    RegistrationFactory(
        seminar=seminar,
        company=company,
        confirmation_code="WAIT01",
        first_name="Bea",
        last_name="Bravo",
        email="bea@harbor.example",
        phone="619 555 0101",
        status=RegistrationStatus.WAITLISTED,
        created_at=registered,
    )
    RegistrationFactory(
        seminar=seminar,
        company=company,
        confirmation_code="GONE01",
        last_name="Cancelled",
        status=RegistrationStatus.CANCELLED,
    )
    return seminar


def _session(session) -> str:
    starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M} {session.topic}"


def test_roster_columns_and_rows_are_exact(admin_client, roster_seminar):
    day = roster_seminar.days.first()
    sessions = list(day.sessions.order_by("starts_at", "topic"))[::2]
    response = admin_client.get(roster_url(roster_seminar))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="roster-san-diego-{today:%Y-%m-%d}.csv"'
    )
    assert rows_of(response) == [
        HEADER,
        [
            "ABC123",
            "Alvarez",
            "Ana",
            "Harbor Imports Inc.",
            "IMP00001",
            "U.S. importer",
            "US",
            "Security manager",
            "ana@harbor.example",
            "619 555 0100",
            f"{day.label} ({day.date:%Y-%m-%d})",
            "; ".join(_session(session) for session in sessions),
            "Confirmed",
            "2026-11-02 09:30",
            "2026-11-24 08:05",
        ],
    ]


def test_roster_status_all_adds_the_wait_list_not_cancellations(admin_client, roster_seminar):
    rows = rows_of(admin_client.get(roster_url(roster_seminar, "?status=all")))
    assert [(row[0], row[12]) for row in rows[1:]] == [
        ("ABC123", "Confirmed"),
        ("WAIT01", "Wait-listed"),
    ]
    assert rows[2][10:12] == ["", ""]  # no workshop day, no sessions


def test_roster_has_no_other_personal_data(admin_client, roster_seminar):
    content = admin_client.get(roster_url(roster_seminar)).content
    registration = roster_seminar.registrations.get(confirmation_code="ABC123")
    assert registration.manage_token.encode() not in content
    assert registration.company.poc_email.encode() not in content


@pytest.mark.parametrize(
    ("query", "bom", "suffix"),
    [("", False, ""), ("?excel=1", True, "-excel")],
    ids=["csv", "excel"],
)
def test_roster_bom_only_in_the_excel_variant(admin_client, roster_seminar, query, bom, suffix):
    response = admin_client.get(roster_url(roster_seminar, query))
    assert response.content.startswith(b"\xef\xbb\xbf") is bom
    assert response.content.count(b"\xef\xbb\xbf") == int(bom)
    assert response["Content-Disposition"].endswith(f'{suffix}.csv"')
    assert rows_of(response)[0] == HEADER


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1 619 555 0100", "'+1 619 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Plain Name", "Plain Name"),
    ],
    ids=["equals", "plus", "minus", "at", "plain"],
)
def test_roster_neutralizes_formula_injection(admin_client, seminar, value, cell):
    company = CompanyFactory(legal_name=value)
    RegistrationFactory(
        seminar=seminar, company=company, first_name=value, job_title=value, phone=value
    )
    row = rows_of(admin_client.get(roster_url(seminar)))[1]
    assert [row[2], row[3], row[7], row[9]] == [cell, cell, cell, cell]


@pytest.mark.parametrize("count", [50, 200], ids=["50", "200"])
def test_roster_queries_do_not_grow_with_rows(
    admin_client, seminar, count, django_assert_max_num_queries
):
    day = seminar.days.first()
    sessions = list(day.sessions.all()[:2])
    questions = [
        SeminarQuestion.objects.create(seminar=seminar, label_en="Accessibility needs"),
        SeminarQuestion.objects.create(
            seminar=seminar, kind=QuestionKind.YES_NO, label_en="Lunch?"
        ),
    ]
    for registration in RegistrationFactory.create_batch(count, seminar=seminar, workshop_day=day):
        for session in sessions:
            RegistrationSession.objects.create(registration=registration, session=session)
        for question in questions:
            RegistrationAnswer.objects.create(
                registration=registration, question=question, value="yes"
            )
    # Session, user, seminar, then its questions, the registrations, their picks and answers.
    with django_assert_max_num_queries(7):
        response = admin_client.get(roster_url(seminar, "?status=all"))
    rows = rows_of(response)
    assert len(rows) == count + 1
    assert rows[1][-2:] == ["yes", "Yes"]


def test_roster_links_on_the_seminar_change_page(admin_client, seminar):
    response = admin_client.get(reverse("admin:events_seminar_change", args=[seminar.pk]))
    url = roster_url(seminar)
    assert f'href="{url}"'.encode() in response.content
    assert f'href="{url}?excel=1"'.encode() in response.content
    assert b"Download roster for Excel (CSV, UTF-8 with BOM)" in response.content


def test_roster_refused_without_export_roster(staff_client, roster_seminar):
    client = staff_client("view_seminar", "change_seminar", "view_registration")
    assert client.get(roster_url(roster_seminar)).status_code == 403
    page = client.get(reverse("admin:events_seminar_change", args=[roster_seminar.pk]))
    assert page.status_code == 200
    assert roster_url(roster_seminar).encode() not in page.content


def test_roster_allowed_with_export_roster(staff_client, roster_seminar):
    client = staff_client("export_roster")
    assert len(rows_of(client.get(roster_url(roster_seminar)))) == 2


def test_roster_needs_a_staff_login(client, roster_seminar):
    response = client.get(roster_url(roster_seminar))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))

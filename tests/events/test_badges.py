import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from events import badges
from events.changes import registration_cancel
from events.models import RegistrationSession
from tests.factories import CompanyFactory, RegistrationFactory, WorkshopDayFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]


@pytest.fixture
def people(seminar, register):
    """Zapata and Álvarez on day 1 with sessions, Moreno on day 2, Nuñez cancelled."""
    day1, day2 = seminar.days.order_by("date")
    early, late = (
        day1.sessions.get(topic="CBP risk indicators"),
        day1.sessions.get(topic="Evidence of implementation"),
    )
    maker = CompanyFactory(legal_name="Maquiladora del Norte S.A. de C.V.")
    broker = CompanyFactory(legal_name="Aduanas Pacífico")
    found = {
        "zapata": register(
            seminar, maker, day=day1, sessions=[late, early], first_name="Luis", last_name="Zapata"
        ),
        "alvarez": register(
            seminar, maker, day=day1, sessions=[early], first_name="Ana", last_name="Álvarez"
        ),
        "moreno": register(seminar, broker, day=day2, first_name="Rosa", last_name="Moreno"),
        "nunez": register(seminar, broker, day=day2, first_name="Pablo", last_name="Nuñez"),
    }
    registration_cancel(registration=found["nunez"], actor=None)
    return found


def badges_url(seminar, query=""):
    return reverse("admin:events_seminar_badges", args=[seminar.pk]) + query


def test_badge_qr_svg_is_segnos_qr_of_the_code():
    svg = badges.badge_qr_svg("ABCD2345")

    expected = segno.make("ABCD2345", micro=False, error="m")
    assert str(svg) == expected.svg_inline(scale=1, border=2, omitsize=True, svgclass="badge__qr")
    assert not expected.is_micro
    root = ET.fromstring(svg)
    assert root.tag == "svg"  # inline in HTML, where no namespace is needed
    assert "style" not in root.attrib


def test_badge_sheets_confirmed_only_sorted_by_last_name(seminar, people):
    sheets = badges.badge_sheets(seminar=seminar)

    assert [[b.registration.last_name for b in sheet] for sheet in sheets] == [
        ["Álvarez", "Moreno", "Zapata"]
    ]
    zapata = sheets[0][2]
    assert [s.topic for s in zapata.sessions] == [
        "CBP risk indicators",
        "Evidence of implementation",
    ]


def test_badge_sheets_of_one_day(seminar, people):
    day2 = seminar.days.order_by("date").last()

    sheets = badges.badge_sheets(seminar=seminar, day=day2)

    assert [[b.registration.last_name for b in sheet] for sheet in sheets] == [["Moreno"]]


def test_badge_sheets_hold_eight_each(seminar):
    RegistrationFactory.create_batch(17, seminar=seminar)

    assert [len(sheet) for sheet in badges.badge_sheets(seminar=seminar)] == [8, 8, 1]


def _articles(html: str) -> list[str]:
    return re.findall(r'<article class="badge">.*?</article>', html, re.S)


def test_badges_page_shows_name_company_day_sessions_and_qr(admin_client, seminar, people):
    response = admin_client.get(badges_url(seminar))

    assert response.status_code == 200
    html = response.content.decode()
    articles = _articles(html)
    assert len(articles) == 3
    zapata = articles[2]
    assert (
        '<span class="badge__first">Luis</span> <span class="badge__last">Zapata</span>' in zapata
    )
    assert "Maquiladora del Norte S.A. de C.V." in zapata
    assert "Tuesday workshops" in zapata
    assert zapata.index("CBP risk indicators") < zapata.index("Evidence of implementation")
    code = people["zapata"].confirmation_code
    assert f'<p class="badge__code-text">{code}</p>' in zapata
    assert str(badges.badge_qr_svg(code)) in zapata
    assert "Nuñez" not in html
    assert "@page" not in html  # the print rules live in the static stylesheet
    assert "events/badges.css" in html
    assert "<script" not in html
    assert 'style="' not in html
    assert "Ctrl+P" in html


def test_badges_page_for_one_day(admin_client, seminar, people):
    day1 = seminar.days.order_by("date").first()

    html = admin_client.get(badges_url(seminar, f"?day={day1.pk}")).content.decode()

    assert [re.search(r'badge__last">([^<]+)<', a).group(1) for a in _articles(html)] == [
        "Álvarez",
        "Zapata",
    ]


@pytest.mark.parametrize("query", ["?day=abc", "?day=", "?day=99999999999999", "?day=١"], ids=str)
def test_badges_page_bad_day_is_404(admin_client, seminar, query):
    assert admin_client.get(badges_url(seminar, query)).status_code == 404


def test_badges_page_other_seminars_day_is_404(admin_client, seminar):
    other = WorkshopDayFactory()

    assert admin_client.get(badges_url(seminar, f"?day={other.pk}")).status_code == 404


def _bulk(seminar, count):
    day = seminar.days.order_by("date").first()
    rows = RegistrationFactory.create_batch(count, seminar=seminar, workshop_day=day)
    sessions = list(day.sessions.all()[:2])
    RegistrationSession.objects.bulk_create(
        RegistrationSession(registration=row, session=session)
        for row in rows
        for session in sessions
    )


def test_badges_page_queries_do_not_grow_with_registrations(
    admin_client, seminar, django_assert_num_queries
):
    _bulk(seminar, 5)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(badges_url(seminar)).status_code == 200

    _bulk(seminar, 295)

    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get(badges_url(seminar))
    assert len(_articles(response.content.decode())) == 300


@pytest.mark.parametrize(
    ("perms", "expected"),
    [
        pytest.param(["export_roster"], 200, id="export-roster"),
        pytest.param(["view_seminar", "view_registration"], 403, id="viewing-is-not-enough"),
    ],
)
def test_badges_need_the_export_roster_permission(staff_client, seminar, perms, expected):
    assert staff_client(*perms).get(badges_url(seminar)).status_code == expected


def test_badges_anonymous_sent_to_login(client, seminar):
    response = client.get(badges_url(seminar))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- The same badges as a PDF, for a print shop -------------------------------------------------


def badges_pdf_url(seminar, query=""):
    return reverse("admin:events_seminar_badges_pdf", args=[seminar.pk]) + query


def _pdf(response) -> PdfReader:
    return PdfReader(io.BytesIO(response.content))


@pytest.mark.parametrize(
    ("paper", "size"),
    [
        pytest.param("a4", (595.28, 841.89), id="a4"),
        pytest.param("letter", (612.0, 792.0), id="letter"),
    ],
)
def test_badges_pdf_on_a4_and_letter(admin_client, seminar, people, paper, size):
    response = admin_client.get(badges_pdf_url(seminar, f"?paper={paper}"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = f'attachment; filename="badges-{seminar.slug}-{paper}.pdf"'
    assert response["Content-Disposition"] == disposition
    reader = _pdf(response)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == size
    text = " ".join(reader.pages[0].extract_text().split())
    for expected in ("Ana", "Álvarez", "Rosa", "Moreno", "Luis", "Zapata", "Aduanas Pacífico"):
        assert expected in text, expected
    assert people["zapata"].confirmation_code in text
    assert "Nuñez" not in text
    # The page's printing instructions are for the browser, not the print shop.
    assert "Ctrl+P" not in text


def test_badges_pdf_defaults_to_a4(admin_client, seminar, people):
    box = _pdf(admin_client.get(badges_pdf_url(seminar))).pages[0].mediabox

    assert round(float(box.width), 2) == 595.28


def test_badges_pdf_eight_to_a_page(admin_client, seminar):
    RegistrationFactory.create_batch(9, seminar=seminar)

    assert len(_pdf(admin_client.get(badges_pdf_url(seminar, "?paper=letter"))).pages) == 2


def test_badges_pdf_for_one_day(admin_client, seminar, people):
    day2 = seminar.days.order_by("date").last()

    response = admin_client.get(badges_pdf_url(seminar, f"?paper=letter&day={day2.pk}"))

    disposition = f'attachment; filename="badges-{seminar.slug}-day-{day2.pk}-letter.pdf"'
    assert response["Content-Disposition"] == disposition
    text = _pdf(response).pages[0].extract_text()
    assert "Moreno" in text
    assert "Zapata" not in text


@pytest.mark.parametrize("query", ["?paper=a3", "?paper=", "?paper=A4%00", "?day=abc"], ids=str)
def test_badges_pdf_bad_query_is_404(admin_client, seminar, query):
    assert admin_client.get(badges_pdf_url(seminar, query)).status_code == 404


def test_badges_pdf_needs_the_export_roster_permission(staff_client, seminar):
    client = staff_client("view_seminar", "view_registration")

    assert client.get(badges_pdf_url(seminar)).status_code == 403


def test_badges_page_links_its_pdfs(admin_client, seminar):
    html = admin_client.get(badges_url(seminar)).content.decode()

    assert f'href="{badges_pdf_url(seminar)}?paper=a4" data-badges-pdf="a4"' in html
    assert f'href="{badges_pdf_url(seminar)}?paper=letter" data-badges-pdf="letter"' in html

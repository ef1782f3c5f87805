"""Certificates of attendance: who may have one, the PDF, its verification page, the e-mail."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from events import certificates, reports
from events.certificates import (
    certificate_code_normalize,
    certificate_issue,
    certificates_issue,
    certificates_send,
)
from events.checkin import registration_check_in
from events.company_links import company_link_issue
from events.enums import CompanyLinkOrigin, EmailKind
from events.exceptions import NeverCheckedIn, SeminarNotEnded
from events.models import Certificate, OutboundEmail, Registration, WorkshopDay
from events.pdf import static_file
from tests.factories import CompanyFactory, seminar_ended_yesterday

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){4}")


@pytest.fixture
def held(seminar):
    """The seminar, ended yesterday: plenary, Tuesday workshops, plenary, Thursday workshops."""
    WorkshopDay.objects.filter(seminar=seminar, label="Tuesday workshops").update(
        label_es="Talleres del martes"
    )
    return seminar_ended_yesterday(seminar)


@pytest.fixture
def people(held, register):
    """Ana came on the first plenary day and her workshop day; Beto never came; Carla, who
    registered in Spanish, came on the second plenary day only."""
    day1, day2 = held.days.order_by("date")
    maker = CompanyFactory(legal_name="Maquiladora del Norte S.A. de C.V.", account_number="MX4411")
    broker = CompanyFactory(legal_name="Harbor Customs Brokerage Inc.")
    risk, evidence = (
        day1.sessions.get(topic="CBP risk indicators"),
        day1.sessions.get(topic="Evidence of implementation"),
    )
    found = {
        "ana": register(
            held, maker, day=day1, sessions=[evidence, risk], first_name="Ana", last_name="Ortega"
        ),
        "beto": register(held, maker, day=day2, first_name="Beto", last_name="Salas"),
        "carla": register(
            held,
            broker,
            day=day1,
            sessions=[risk],
            first_name="Carla",
            last_name="Núñez",
            language="es",
        ),
    }
    first = timezone.localtime(held.starts_at).date()
    for name, today in (
        ("ana", first),
        ("ana", day1.date),
        ("carla", first + timedelta(days=2)),
    ):
        registration_check_in(
            code=found[name].confirmation_code, actor=None, today=today, seminar=held
        )
    for registration in found.values():
        registration.refresh_from_db()
    return found


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split())


def _certificate_url(registration) -> str:
    return reverse("events:registration_certificate", args=[registration.manage_token])


def _verify_url(code: str) -> str:
    return reverse("events:certificate_verify", args=[code])


# --- Who has a certificate ---------------------------------------------------------------------


def test_certificate_issue_for_an_attendee_once(people):
    first = certificate_issue(registration=people["ana"])
    again = certificate_issue(registration=people["ana"])

    assert CODE.fullmatch(first.code)
    assert (again.pk, again.code) == (first.pk, first.code)
    assert Certificate.objects.count() == 1


def test_certificate_issue_reads_the_check_in_not_the_callers_copy(people, held):
    """A copy of the registration loaded before its check-in still gets the certificate."""
    copy = Registration.objects.get(pk=people["beto"].pk)
    registration_check_in(
        code=copy.confirmation_code,
        actor=None,
        today=timezone.localtime(held.starts_at).date(),
        seminar=held,
    )

    assert copy.checked_in_at is None
    assert certificate_issue(registration=copy).registration_id == copy.pk


def test_certificate_issue_never_checked_in_refused(people):
    with pytest.raises(NeverCheckedIn):
        certificate_issue(registration=people["beto"])
    assert not Certificate.objects.exists()


def test_certificate_issue_before_the_seminar_ends_refused(people, held):
    with pytest.raises(SeminarNotEnded):
        certificate_issue(registration=people["ana"], now=held.ends_at - timedelta(minutes=1))
    assert not Certificate.objects.exists()


def test_certificates_issue_everyone_who_came_once(people, held):
    assert certificates_issue(seminar=held) == 2
    assert certificates_issue(seminar=held) == 0

    holders = Certificate.objects.values_list("registration__first_name", flat=True)
    assert sorted(holders) == ["Ana", "Carla"]
    assert all(CODE.fullmatch(code) for code in Certificate.objects.values_list("code", flat=True))


def test_certificates_issue_before_the_end_refused(seminar):
    with pytest.raises(SeminarNotEnded):
        certificates_issue(seminar=seminar)


def test_certificate_codes_differ_and_read_back_as_typed(people):
    ana = certificate_issue(registration=people["ana"])
    carla = certificate_issue(registration=people["carla"])

    assert ana.code != carla.code
    typed = ana.code.replace("-", " ").lower()
    assert certificate_code_normalize(typed) == ana.code


# --- The registrant's PDF ----------------------------------------------------------------------


def test_registration_certificate_pdf_in_english(client, people, held, settings):
    settings.SITE_URL = "https://seminars.example.gov"
    ana = people["ana"]

    response = client.get(_certificate_url(ana))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    code = Certificate.objects.get(registration=ana).code
    assert response["Content-Disposition"] == f'inline; filename="ctpat-certificate-{code}.pdf"'
    text = _pdf_text(response.content)
    for expected in (
        "Certificate of attendance",
        "U.S. Customs and Border Protection",
        "Customs-Trade Partnership Against Terrorism (CTPAT)",
        "Ana Ortega",
        "Maquiladora del Norte S.A. de C.V., CTPAT account number MX4411",
        f"attended the {held.title}, held in San Diego",
        "Tuesday workshops",
        "Plenary sessions",
        "CBP risk indicators",
        "Evidence of implementation",
        f"Verification code: {code}",
        f"https://seminars.example.gov/certificates/{code}/",
    ):
        assert expected in text, expected
    # Her sessions, her days only: the Thursday sessions she did not pick are not on it.
    assert "Suspensions and removals" not in text
    assert text.count("Plenary sessions") == 1


def test_registration_certificate_pdf_in_spanish(client, people, held):
    carla = people["carla"]

    response = client.get(_certificate_url(carla), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    text = _pdf_text(response.content)
    code = Certificate.objects.get(registration=carla).code
    for expected in (
        "Certificado de asistencia",
        "Aduanas y Protección Fronteriza (CBP) de los Estados Unidos",
        "Carla Núñez",
        "Harbor Customs Brokerage Inc., número de cuenta CTPAT",
        f"asistió al {held.title}",
        "Sesiones plenarias",
        f"Código de verificación: {code}",
        f"/certificates/{code}/",
    ):
        assert expected in text, expected
    # She came on a plenary day only: no workshop day, no session on her certificate.
    assert "Talleres del martes" not in text
    assert "CBP risk indicators" not in text
    assert "Certificate of attendance" not in text


def test_registration_certificate_never_checked_in_is_404(client, people):
    assert client.get(_certificate_url(people["beto"])).status_code == 404
    assert not Certificate.objects.exists()


def test_registration_certificate_before_the_end_is_404(client, seminar, company, register):
    registration = register(seminar, company)

    assert client.get(_certificate_url(registration)).status_code == 404


def test_registration_certificate_forged_link_is_404(client, people):
    assert client.get(_certificate_url(people["ana"])[:-13] + "x/certificate/").status_code == 404


def test_registration_page_offers_the_certificate_to_attendees_only(client, people):
    pages = {
        name: client.get(reverse("events:registration_detail", args=[r.manage_token]))
        for name, r in people.items()
    }

    link = f'data-certificate-link href="{_certificate_url(people["ana"])}"'
    assert link in pages["ana"].content.decode()
    assert "Download your certificate" in pages["ana"].content.decode()
    assert "data-certificate-link" not in pages["beto"].content.decode()
    assert "data-certificate-link" in pages["carla"].content.decode()


def _company_page(registration) -> tuple[str, str]:
    """The company's page for ``registration``'s company, and the registration's certificate
    link on it."""
    token = company_link_issue(company=registration.company, origin=CompanyLinkOrigin.STAFF).token
    return (
        reverse("events:company_detail", args=[token]),
        reverse("events:company_registration_certificate", args=[token, registration.pk]),
    )


def test_company_page_lists_the_certificates_of_its_attendees_only(client, people, settings):
    settings.SITE_URL = "https://seminars.example.gov"
    ana, beto = people["ana"], people["beto"]
    page_url, ana_url = _company_page(ana)

    html = client.get(page_url).content.decode()

    assert f'data-certificate-link href="{ana_url}"' in html
    assert html.count("data-certificate-link") == 1  # Beto, of the same company, never came
    response = client.get(ana_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    code = Certificate.objects.get(registration=ana).code
    text = _pdf_text(response.content)
    for expected in (
        "Ana Ortega",
        ana.seminar.title,
        f"https://seminars.example.gov/certificates/{code}/",
    ):
        assert expected in text, expected
    assert client.get(_verify_url(code)).status_code == 200
    absent = reverse(
        "events:company_registration_certificate", args=[ana_url.split("/")[2], beto.pk]
    )
    assert client.get(absent).status_code == 404


def test_company_certificate_of_another_company_is_404(client, people):
    _page_url, carla_url = _company_page(people["carla"])
    ana = people["ana"]
    token = carla_url.split("/")[2]  # the broker's link, asking for the maker's attendee

    response = client.get(reverse("events:company_registration_certificate", args=[token, ana.pk]))

    assert response.status_code == 404
    assert not Certificate.objects.filter(registration=ana).exists()


def test_registration_page_before_the_end_has_no_certificate(client, seminar, company, register):
    registration = register(seminar, company)
    registration_check_in(
        code=registration.confirmation_code,
        actor=None,
        today=timezone.localtime(seminar.starts_at).date(),
        seminar=seminar,
    )

    page = client.get(reverse("events:registration_detail", args=[registration.manage_token]))

    assert "data-certificate-link" not in page.content.decode()


# --- The public verification page --------------------------------------------------------------


def test_certificate_verify_confirms_name_company_seminar_and_days_only(client, people, held):
    ana = people["ana"]
    code = certificate_issue(registration=ana).code

    response = client.get(_verify_url(code))

    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    html = response.content.decode()
    assert "data-certificate-valid" in html
    assert '<dd class="col-sm-8" data-certificate-name>Ana Ortega</dd>' in html
    assert "Maquiladora del Norte S.A. de C.V." in html
    assert held.title in html
    first = timezone.localtime(held.starts_at).date()
    day1 = held.days.order_by("date").first()
    assert re.findall(r'data-certificate-day="([0-9-]+)"', html) == [
        f"{first:%Y-%m-%d}",
        f"{day1.date:%Y-%m-%d}",
    ]
    for private in (
        ana.email,
        ana.company.account_number,
        ana.job_title,
        ana.phone,
        ana.confirmation_code,
        ana.manage_token,
        "CBP risk indicators",
    ):
        assert private not in html, private


def test_certificate_verify_in_spanish(client, people):
    code = certificate_issue(registration=people["ana"]).code

    html = client.get(_verify_url(code), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Certificado de asistencia válido" in html
    assert "Talleres del martes" in html


def test_certificate_verify_accepts_the_code_as_typed(client, people):
    code = certificate_issue(registration=people["ana"]).code

    assert client.get(_verify_url(code.replace("-", "").lower())).status_code == 200


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda code: "ABCD-EFGH-JKMN-PQRS-TUVW", id="well-formed-unknown"),
        pytest.param(lambda code: code[:-1], id="truncated"),
        pytest.param(lambda code: code[:-1] + ("2" if code[-1] != "2" else "3"), id="one-off"),
        pytest.param(lambda code: code + "-" + code, id="doubled"),
        pytest.param(lambda code: "x", id="short"),
    ],
)
def test_certificate_verify_forged_code_is_404(client, people, forged):
    code = certificate_issue(registration=people["ana"]).code

    assert client.get(f"/certificates/{forged(code)}/").status_code == 404


@pytest.mark.parametrize("path", ["/certificates/%3Cscript%3E/", "/certificates/" + "A" * 41 + "/"])
def test_certificate_verify_malformed_code_is_404(client, path):
    assert client.get(path).status_code == 404


def test_certificate_verify_survives_a_secret_key_rotation(client, people, settings):
    code = certificate_issue(registration=people["ana"]).code
    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-test-only-0123456789"

    assert client.get(_verify_url(code)).status_code == 200


# --- Sending them ------------------------------------------------------------------------------


def _certificate_emails() -> list[str]:
    return sorted(
        OutboundEmail.objects.filter(kind=EmailKind.CERTIFICATE).values_list("to", flat=True)
    )


def test_send_certificates_emails_each_attendee_once(people, held, mailoutbox, settings):
    settings.SITE_URL = "https://seminars.example.gov"
    OutboundEmail.objects.update(sent_at=timezone.now())  # the confirmations went out long ago
    out = io.StringIO()

    call_command("send_certificates", held.slug, stdout=out)

    assert out.getvalue() == "Certificates issued: 2; e-mails written now: 2.\n"
    assert _certificate_emails() == sorted([people["ana"].email, people["carla"].email])
    by_person = {message.to[0]: message for message in mailoutbox}
    ana = by_person[people["ana"].email]
    assert ana.subject == f"{held.title}: your certificate of attendance"
    assert f"https://seminars.example.gov{_certificate_url(people['ana'])}" in ana.body
    carla = by_person[people["carla"].email]
    assert carla.subject == f"{held.title}: su certificado de asistencia"
    assert _certificate_url(people["carla"]) in carla.body
    assert not OutboundEmail.objects.filter(kind=EmailKind.CERTIFICATE, sent_at=None).exists()

    again = io.StringIO()
    call_command("send_certificates", held.slug, stdout=again)

    assert again.getvalue() == "Certificates issued: 2; e-mails written now: 0.\n"
    assert len(_certificate_emails()) == 2
    assert len(mailoutbox) == 2


def test_send_certificates_reaches_someone_checked_in_since(people, held):
    certificates_send(seminar=held)
    registration_check_in(
        code=people["beto"].confirmation_code,
        actor=None,
        today=held.days.order_by("date").last().date,
        seminar=held,
    )

    assert certificates_send(seminar=held) == 1
    assert people["beto"].email in _certificate_emails()


def test_send_certificates_tells_no_company_contact(people, held):
    notices = OutboundEmail.objects.filter(kind=EmailKind.COMPANY_NOTICE)
    before = notices.count()

    certificates_send(seminar=held)

    assert notices.count() == before
    assert _certificate_emails() == sorted([people["ana"].email, people["carla"].email])


def test_send_certificates_before_the_end_refused(seminar):
    with pytest.raises(CommandError, match="once the seminar has ended"):
        call_command("send_certificates", seminar.slug, stdout=io.StringIO())
    assert not Certificate.objects.exists()


def test_send_certificates_unknown_seminar_refused(db):
    with pytest.raises(CommandError, match="No seminar has the slug 'nowhere'"):
        call_command("send_certificates", "nowhere", stdout=io.StringIO())


# --- Staff: the admin action and the attendance report -----------------------------------------


def _send_action(client, seminars):
    return client.post(
        reverse("admin:events_seminar_changelist"),
        {"action": "certificates_send_action", "_selected_action": [s.pk for s in seminars]},
        follow=True,
    )


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_admin_action_sends_certificates_once(admin_client, people, held):
    first = _send_action(admin_client, [held])

    assert _messages(first) == [f"{held}: 2 certificates of attendance e-mailed."]
    assert len(_certificate_emails()) == 2

    second = _send_action(admin_client, [held])

    assert _messages(second) == [
        f"{held}: no new certificate to send; every attendee has had theirs."
    ]
    assert len(_certificate_emails()) == 2


def test_admin_action_refuses_a_seminar_not_ended(admin_client, seminar):
    response = _send_action(admin_client, [seminar])

    assert _messages(response) == [
        f"{seminar}: Certificates of attendance are issued once the seminar has ended."
    ]
    assert not Certificate.objects.exists()


def test_admin_action_needs_the_change_permission(staff_client, people, held):
    client = staff_client("view_seminar")

    response = _send_action(client, [held])

    assert response.status_code == 200
    assert not Certificate.objects.exists()


def test_attendance_report_counts_certificates_issued(admin_client, people, held):
    before = reports.attendance_report(seminar=held)
    certificates_issue(seminar=held)
    after = reports.attendance_report(seminar=held)

    assert (before.attendees, before.certificates) == (2, 0)
    assert (after.attendees, after.certificates) == (2, 2)
    for name in ("admin:events_seminar_attendance", "admin:events_seminar_dashboard"):
        html = admin_client.get(reverse(name, args=[held.pk])).content.decode()
        assert '<strong data-figure="certificates">2</strong>' in html, name
        assert '<strong data-figure="attendees">2</strong>' in html, name


# --- What the PDF may read ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "https://example.com/static/events/certificate.css",
        "https://pdf.invalid/media/anything.css",
        "https://pdf.invalid/static/../../ctpat/settings.py",
        "https://pdf.invalid/static/%2E%2E/%2E%2E/ctpat/settings.py",
        "https://pdf.invalid/static/events/no-such-file.css",
        "data:text/css,body{}",
    ],
)
def test_pdf_reads_nothing_but_static_files(url):
    with pytest.raises(ValueError, match="static file"):
        static_file(url)


def test_pdf_reads_a_static_file():
    path, content_type = static_file("https://pdf.invalid/static/events/certificate.css")

    assert content_type == "text/css"
    assert b".certificate" in path.read_bytes()


def test_certificate_pdf_has_its_stylesheet_letter_page(people):
    """The page size comes from the certificate's stylesheet: WeasyPrint read it."""
    response = certificates.certificate_pdf_response(registration=people["ana"])

    box = PdfReader(io.BytesIO(response.content)).pages[0].mediabox
    assert (float(box.width), float(box.height)) == (612.0, 792.0)


def test_certificate_pdf_response_is_the_one_function(people):
    """The company page's link (lead's wiring) serves the same document as the registrant's."""
    response = certificates.certificate_pdf_response(registration=people["ana"])

    assert response["Content-Type"] == "application/pdf"
    assert "Ana Ortega" in _pdf_text(response.content)


# --- Queries: the same whatever the number of days, sessions or attendees ----------------------


def _queries(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


def _more_attendees(held, register, count):
    day = held.days.order_by("date").first()
    for _ in range(count):
        person = register(
            held,
            CompanyFactory(),
            day=day,
            sessions=[day.sessions.get(topic="CBP risk indicators")],
        )
        for today in (timezone.localtime(held.starts_at).date(), day.date):
            registration_check_in(
                code=person.confirmation_code, actor=None, today=today, seminar=held
            )


def test_certificate_verify_queries_fixed(client, people):
    ana, carla = (certificate_issue(registration=people[name]) for name in ("ana", "carla"))

    # Ana: two days and two sessions; Carla: one day and none.
    assert _queries(lambda: client.get(_verify_url(ana.code))) == _queries(
        lambda: client.get(_verify_url(carla.code))
    )


def test_certificate_pdf_queries_fixed(people):
    ana, carla = (certificate_issue(registration=people[name]) for name in ("ana", "carla"))

    ana_queries = _queries(lambda: certificates.certificate_pdf(certificate=ana))
    assert ana_queries == _queries(lambda: certificates.certificate_pdf(certificate=carla))
    assert ana_queries <= 3


def test_send_certificates_queries_do_not_grow_with_attendees(people, held, register):
    few = _queries(lambda: certificates_send(seminar=held))
    Certificate.objects.all().delete()
    OutboundEmail.objects.filter(kind=EmailKind.CERTIFICATE).delete()
    _more_attendees(held, register, 6)

    many = _queries(lambda: certificates_send(seminar=held))

    assert len(_certificate_emails()) == 8
    assert many == few

"""The company's page: its links, the request form, and cancel and hand-over from it (R8, R9)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.changes import registration_cancel
from events.company_links import (
    company_link_get_by_token,
    company_link_issue,
    company_links_revoke,
)
from events.emails import email_message_build
from events.enums import CompanyLinkOrigin, EmailKind, RegistrationStatus
from events.exceptions import NotTheCompanysRegistration
from events.history import CompanyContact
from events.models import CompanyLink, OutboundEmail, Registration, RegistrationChange
from events.outbox import outbox_write_company_link
from events.views import REFUSED_STATUS
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

COLLEAGUE = {
    "first_name": "Jorge",
    "last_name": "Ramírez",
    "email": "jorge.ramirez@partner.example",
    "job_title": "Compliance officer",
    "phone": "+52 664 555 0199",
}


def token_of(company, **kwargs) -> str:
    return company_link_issue(company=company, origin=CompanyLinkOrigin.STAFF, **kwargs).token


def page(token: str, registration: Registration | None = None, action: str = "") -> str:
    if registration is None:
        return reverse("events:company_detail", args=[token])
    return reverse(f"events:company_registration_{action}", args=[token, registration.pk])


# --- Links ----------------------------------------------------------------------------------


def test_company_link_issue_stores_only_a_digest(company):
    issued = company_link_issue(company=company, origin=CompanyLinkOrigin.STAFF)
    assert len(issued.token) >= 43  # 256 bits in URL-safe base64
    assert issued.token not in issued.link.token_digest
    assert not CompanyLink.objects.filter(token_digest=issued.token).exists()
    assert company_link_get_by_token(token=issued.token).company == company


def test_company_link_get_by_token_expired_is_404(company):
    issued = company_link_issue(company=company, origin=CompanyLinkOrigin.STAFF)
    with pytest.raises(Http404):
        company_link_get_by_token(
            token=issued.token, now=timezone.now() + timedelta(days=7, seconds=1)
        )
    assert company_link_get_by_token(token=issued.token, now=timezone.now() + timedelta(days=6))


def test_company_links_revoke_stops_every_link_of_the_company(company):
    first, second = token_of(company), token_of(company)
    other = token_of(CompanyFactory())
    assert company_links_revoke(company=company) == 2
    client = Client()
    for token in (first, second):
        assert client.get(page(token)).status_code == 404
    assert client.get(page(other)).status_code == 200


@pytest.mark.parametrize(
    "mangle",
    [lambda t: t[:-1], lambda t: t[:20], lambda t: "A" * 43, lambda t: t + "x"],
    ids=["one-short", "truncated", "forged", "one-long"],
)
def test_company_page_bad_token_is_404(client, company, mangle):
    token = token_of(company)
    assert client.get(page(token)).status_code == 200
    assert client.get(page(mangle(token))).status_code == 404


def test_company_page_expired_link_is_404(client, company):
    token = token_of(company, now=timezone.now() - timedelta(days=7, minutes=1))
    assert client.get(page(token)).status_code == 404


def test_company_link_command_prints_url_last(company, capsys):
    call_command("company_link", company.account_number.lower())
    last = capsys.readouterr().out.strip().splitlines()[-1]
    token = last.rstrip("/").rsplit("/", 1)[-1]
    assert last.endswith(page(token))
    assert company_link_get_by_token(token=token).company == company


def test_company_admin_action_revokes_links(client, company, staff_client):
    token = token_of(company)
    staff = staff_client("change_company", "view_company")
    response = staff.post(
        reverse("admin:ctpat_company_changelist"),
        {"action": "revoke_company_links", "_selected_action": [company.pk]},
    )
    assert response.status_code == 302
    assert client.get(page(token)).status_code == 404


# --- The page -------------------------------------------------------------------------------


def test_company_page_lists_registrations_of_the_company_only(client, seminar, company, register):
    mine = register(seminar, company)
    theirs = register(seminar, CompanyFactory())
    body = client.get(page(token_of(company))).content.decode()
    assert f'data-company-registration="{mine.pk}"' in body
    assert f'data-company-registration="{theirs.pk}"' not in body
    assert mine.email in body
    assert company.account_number in body
    assert 'data-seats-held="1" data-seat-limit="2"' in body
    assert 'data-may-register="yes"' in body


def test_company_page_is_private(client, company):
    response = client.get(page(token_of(company)))
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_company_page_queries_do_not_grow_with_registrations(client, seminar, company, register):
    from tests.factories import SeminarFactory

    token = token_of(company)
    register(seminar, company)
    second = SeminarFactory(capacity=1, per_company_limit=5)
    register(second, company, day=None)
    register(second, company, day=None, waitlist=True)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(token)).status_code == 200
        return len(queries)

    few = count()
    register(seminar, company)
    for _ in range(3):
        register(second, company, day=None, waitlist=True)
    day = seminar.days.first()
    register(seminar, CompanyFactory(), sessions=list(day.sessions.all()[:1]))
    assert count() == few


# --- The request form -----------------------------------------------------------------------


def request_link(client, company, email, ip="127.0.0.1"):
    return client.post(
        reverse("events:company_link_request"),
        {"account_number": company.account_number, "email": email},
        REMOTE_ADDR=ip,
    )


def test_company_link_request_matching_and_not_answer_the_same(client, company, outbox_kept):
    wrong = request_link(client, company, "someone@else.example")
    right = request_link(client, company, company.poc_email.upper())
    assert wrong.status_code == right.status_code == 200
    assert without_csrf(wrong) == without_csrf(right)
    [email] = OutboundEmail.objects.filter(kind=EmailKind.COMPANY_LINK)
    assert email.to == company.poc_email
    assert email.company == company


def without_csrf(response) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def test_company_link_request_unknown_account_sends_nothing(client, company, outbox_kept):
    response = client.post(
        reverse("events:company_link_request"),
        {"account_number": "NOSUCH1", "email": company.poc_email},
    )
    assert response.status_code == 200
    assert not OutboundEmail.objects.filter(kind=EmailKind.COMPANY_LINK).exists()


def link_in(message) -> str:
    """The token of the company page's link a message carries, in its text and HTML alike."""
    url = next(line for line in message.body.splitlines() if "/company/" in line).strip()
    [(html, _)] = message.alternatives
    assert url in html
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_company_link_request_email_carries_a_working_link(client, company, outbox_kept):
    request_link(client, company, company.poc_email)
    [email] = OutboundEmail.objects.filter(kind=EmailKind.COMPANY_LINK)
    message = email_message_build(email=email)
    assert message.to == [company.poc_email]
    assert company.legal_name in message.subject
    assert client.get(page(link_in(message))).status_code == 200


def test_company_link_request_email_in_spanish(client, company, outbox_kept):
    client.post(
        reverse("events:company_link_request"),
        {"account_number": company.account_number, "email": company.poc_email},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    [email] = OutboundEmail.objects.filter(kind=EmailKind.COMPANY_LINK)
    assert email.context["language"] == "es"


def test_company_link_request_is_rate_limited(client, company, settings, outbox_kept):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = settings.RATELIMITS | {"company-account": (2, 3600)}
    statuses = [request_link(client, company, f"x{n}@else.example").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


def test_company_link_request_strangers_posts_do_not_lock_out_the_contact(
    client, company, settings, outbox_kept
):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = settings.RATELIMITS | {
        "company-account": (2, 3600),
        "company-email": (2, 3600),
    }
    stranger = [
        request_link(client, company, company.poc_email, ip="192.0.2.66").status_code
        for _ in range(3)
    ]
    assert stranger == [200, 200, 429]
    assert request_link(client, company, company.poc_email, ip="203.0.113.5").status_code == 200


def test_company_link_request_emails_the_contact_once_in_five_minutes(client, company, outbox_kept):
    now = timezone.now().replace(minute=0, second=0, microsecond=0)  # a window's first second
    for moment in (now, now + timedelta(minutes=4, seconds=59)):
        outbox_write_company_link(company=company, language="en", now=moment)
    assert OutboundEmail.objects.filter(kind=EmailKind.COMPANY_LINK).count() == 1
    outbox_write_company_link(company=company, language="en", now=now + timedelta(minutes=5))
    assert OutboundEmail.objects.filter(kind=EmailKind.COMPANY_LINK).count() == 2


def test_company_notice_carries_a_fresh_link(seminar, company, register, outbox_kept):
    registration = register(seminar, company)
    [notice] = OutboundEmail.objects.filter(
        registration=registration, kind=EmailKind.COMPANY_NOTICE
    )
    first = link_in(email_message_build(email=notice))
    second = link_in(email_message_build(email=notice))
    assert first != second
    assert company_link_get_by_token(token=first).origin == CompanyLinkOrigin.NOTICE


# --- Acting from the page -------------------------------------------------------------------


def test_company_cancel_frees_the_seat_promotes_and_records_contact(
    client, company, register, outbox_kept
):
    from tests.factories import SeminarFactory

    seminar = SeminarFactory(capacity=1, per_company_limit=2)
    held = register(seminar, company, day=None)
    waiting = register(seminar, CompanyFactory(), day=None, waitlist=True)
    token = token_of(company)
    step = client.get(page(token, held, "cancel")).content.decode()
    assert 'data-freed-seat="waitlist"' in step
    response = client.post(page(token, held, "cancel"))
    assert response.status_code == 302
    assert response["Location"] == page(token)
    done = client.get(response["Location"]).content.decode()
    assert "The seat goes to the next person on the wait-list who can take it." in done
    held.refresh_from_db()
    waiting.refresh_from_db()
    assert held.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.CONFIRMED
    change = RegistrationChange.objects.filter(registration=held).latest("pk")
    assert change.by_company_contact
    assert change.actor is None
    kinds = set(OutboundEmail.objects.filter(registration=held).values_list("kind", flat=True))
    assert EmailKind.CANCELLED in kinds


def test_company_cancel_with_nobody_waiting_says_the_seat_is_free(
    client, seminar, company, register
):
    held = register(seminar, company)
    token = token_of(company)
    step = client.get(page(token, held, "cancel")).content.decode()
    assert "Nobody is on the wait-list, so the seat becomes free for anyone who registers." in step
    done = client.post(page(token, held, "cancel"), follow=True).content.decode()
    assert "The seat is free again for anyone to take." in done
    assert "next person" not in done


def test_company_substitute_hands_the_seat_over(client, seminar, company, register, outbox_kept):
    held = register(seminar, company)
    response = client.post(page(token_of(company), held, "substitute"), COLLEAGUE)
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == RegistrationStatus.SUBSTITUTED
    new = held.substituted_by
    assert new.email == COLLEAGUE["email"]
    assert new.status == RegistrationStatus.CONFIRMED
    assert new.workshop_day_id == held.workshop_day_id
    assert RegistrationChange.objects.filter(registration=held, by_company_contact=True).exists()
    assert set(OutboundEmail.objects.values_list("to", "kind")) >= {
        (new.email, EmailKind.CONFIRMED),
        (held.email, EmailKind.HANDED_OVER),
    }


def test_company_substitute_keeps_one_person_one_seat(client, seminar, company, register):
    held = register(seminar, company)
    other = register(seminar, company)
    response = client.post(
        page(token_of(company), held, "substitute"), COLLEAGUE | {"email": other.email}
    )
    assert response.status_code == REFUSED_STATUS
    held.refresh_from_db()
    assert held.status == RegistrationStatus.CONFIRMED


def test_company_actions_on_another_companys_registration_are_404(
    client, seminar, company, register
):
    theirs = register(seminar, CompanyFactory())
    token = token_of(company)
    assert client.post(page(token, theirs, "cancel")).status_code == 404
    assert client.post(page(token, theirs, "substitute"), COLLEAGUE).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == RegistrationStatus.CONFIRMED


def test_registration_cancel_by_contact_of_another_company_is_refused(seminar, company, register):
    theirs = register(seminar, CompanyFactory())
    with pytest.raises(NotTheCompanysRegistration):
        registration_cancel(registration=theirs, actor=CompanyContact(company_id=company.pk))


def test_company_cancel_after_seminar_start_is_refused(client, company, register):
    from tests.factories import SeminarFactory

    seminar = SeminarFactory()
    held = register(seminar, company, day=None)
    type(seminar).objects.filter(pk=seminar.pk).update(
        starts_at=timezone.now() - timedelta(hours=1)
    )
    response = client.post(page(token_of(company), held, "cancel"))
    assert response.status_code == REFUSED_STATUS
    held.refresh_from_db()
    assert held.status == RegistrationStatus.CONFIRMED


def test_company_link_request_delivered_by_the_outbox_worker(client, company, outbox_kept):
    request_link(client, company, company.poc_email)

    call_command("send_outbox")

    [message] = mail.outbox
    assert message.to == [company.poc_email]
    assert client.get(page(link_in(message))).status_code == 200
    assert OutboundEmail.objects.get(kind=EmailKind.COMPANY_LINK).sent_at is not None

import re
from datetime import timedelta
from html import unescape

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from ctpat.enums import CertificationStatus
from events.enums import QuestionKind, RegistrationStatus
from events.models import Registration, Seminar, SeminarQuestion
from tests.factories import (
    BreakoutSessionFactory,
    CompanyFactory,
    SeminarFactory,
    WorkshopDayFactory,
)

pytestmark = pytest.mark.django_db


def register_url(seminar: Seminar) -> str:
    return reverse("events:registration_create", args=[seminar.slug])


def form_data(seminar: Seminar, company, **overrides) -> dict:
    day = seminar.days.order_by("date", "id").first()
    data = {
        "account_number": company.account_number,
        "first_name": "María",
        "last_name": "González",
        "email": "maria.gonzalez@partner.example",
        "job_title": "Supply chain security manager",
        "phone": "+52 (664) 555-0100 ext 12",
        "workshop_day": str(day.pk),
        "sessions": [],
    }
    return data | overrides


def field_errors(response, name: str) -> list[str]:
    return response.context["form"].errors.get(name, [])


def assert_kept_input(response, data: dict) -> None:
    form = response.context["form"]
    for name in ("first_name", "last_name", "email", "job_title", "phone"):
        assert form[name].value() == data[name]


def fill_day(seminar, day, register, company_factory=CompanyFactory):
    """Take every seat of ``day`` (shrunk to one seat) through the service."""
    day.capacity = 1
    day.save(update_fields=["capacity"])
    register(seminar, company_factory(), day=day)


# --- Pages -----------------------------------------------------------------------------------


def test_seminar_list_shows_open_seminars_only(client, seminar):
    SeminarFactory(title="Unpublished seminar", is_published=False)
    SeminarFactory(
        title="Past seminar",
        registration_opens_at=timezone.now() - timedelta(days=20),
        registration_closes_at=timezone.now() - timedelta(days=1),
    )
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert seminar.title in body
    assert "Unpublished seminar" not in body
    assert "Past seminar" not in body
    assert reverse("events:seminar_detail", args=[seminar.slug]) in body


def test_seminar_detail_shows_seats_left_per_seminar_day_and_session(
    client, seminar, company, register
):
    day = seminar.days.order_by("date").first()
    session = day.sessions.order_by("starts_at", "topic").first()
    register(seminar, company, day=day, sessions=[session])
    response = client.get(reverse("events:seminar_detail", args=[seminar.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "1,199 of 1,200 seats left" in body
    assert "599 of 600 seats left" in body
    assert "99 of 100 seats left" in body
    assert session.room in body
    assert register_url(seminar) in body


def test_seminar_detail_when_not_yet_open_says_when(client):
    seminar = SeminarFactory(registration_opens_at=timezone.now() + timedelta(days=2))
    body = client.get(reverse("events:seminar_detail", args=[seminar.slug])).content.decode()
    assert "Registration opens at" in body
    assert register_url(seminar) not in body


def test_seminar_detail_when_full_offers_waitlist(client):
    seminar = SeminarFactory(capacity=5)
    Seminar.objects.filter(pk=seminar.pk).update(confirmed_count=5)
    body = client.get(reverse("events:seminar_detail", args=[seminar.slug])).content.decode()
    assert "join the wait-list" in body
    form_page = client.get(register_url(seminar)).content.decode()
    assert 'name="waitlist"' in form_page


def test_seminar_detail_unpublished_is_404(client):
    seminar = SeminarFactory(is_published=False)
    assert client.get(reverse("events:seminar_detail", args=[seminar.slug])).status_code == 404
    assert client.get(register_url(seminar)).status_code == 404
    assert client.post(register_url(seminar), {}).status_code == 404


def test_availability_json_has_contract_shape_and_counts(client, seminar, company, register):
    day, other_day = seminar.days.order_by("date")
    register(seminar, company, day=day)
    response = client.get(reverse("events:seminar_availability", args=[seminar.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert {"seminar", "capacity", "confirmed", "remaining", "waitlisted", "days"} <= data.keys()
    assert (data["seminar"], data["capacity"], data["confirmed"], data["remaining"]) == (
        seminar.slug,
        1200,
        1,
        1199,
    )
    assert data["waitlisted"] == 0
    assert [
        (d["id"], d["label"], d["capacity"], d["confirmed"], d["remaining"]) for d in data["days"]
    ] == [
        (day.pk, "Tuesday workshops", 600, 1, 599),
        (other_day.pk, "Thursday workshops", 600, 0, 600),
    ]


def test_form_page_lists_days_and_sessions_with_seats(client, seminar):
    response = client.get(register_url(seminar))
    body = response.content.decode()
    assert response.status_code == 200
    for name in ("account_number", "first_name", "last_name", "email", "job_title", "phone"):
        assert f'name="{name}"' in body
        assert f'for="id_{name}"' in body
    assert body.count('name="workshop_day"') == 2
    assert body.count('name="sessions"') == 6
    assert "600 of 600 seats left" in body
    assert 'name="waitlist"' not in body


# --- Registration through HTTP -----------------------------------------------------------------


def _lead(response) -> str:
    return unescape(re.search(r'<p class="lead">(.*?)</p>', response.content.decode()).group(1))


def test_form_page_subtitle_gives_the_seminars_dates_and_its_city_once(client, seminar):
    starts, ends = timezone.localtime(seminar.starts_at), timezone.localtime(seminar.ends_at)
    dates = " – ".join(formats.date_format(d, "DATE_FORMAT") for d in (starts, ends))
    assert _lead(client.get(register_url(seminar))) == f"{seminar.title} · {dates} · San Diego"

    Seminar.objects.filter(pk=seminar.pk).update(title="CTPAT Seminar — San Diego")
    assert _lead(client.get(register_url(seminar))) == f"CTPAT Seminar — San Diego · {dates}"


def test_register_valid_redirects_to_confirmation_page(client, seminar, company):
    day = seminar.days.order_by("date").first()
    sessions = list(day.sessions.order_by("starts_at", "topic"))
    data = form_data(seminar, company, sessions=[str(sessions[0].pk), str(sessions[2].pk)])
    data["account_number"] = " " + company.account_number.lower() + " "
    response = client.post(register_url(seminar), data)

    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/registrations/{registration.manage_token}/"
    assert registration.status == RegistrationStatus.CONFIRMED
    assert set(registration.sessions.all()) == {sessions[0], sessions[2]}

    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-registration-status="confirmed"' in body
    assert f'data-confirmation-code="{registration.confirmation_code}"' in body
    manage_link = f"{settings.SITE_URL}/registrations/{registration.manage_token}/"
    assert re.search(rf'<a data-manage-link href="{re.escape(manage_link)}"', body)
    assert "María González" in body
    assert company.legal_name in body
    assert sessions[2].topic in body
    assert '<meta name="robots" content="noindex' in body
    assert page["Cache-Control"] == "private, no-store"
    assert page["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("forged-token-that-does-not-exist", id="forged"),
        pytest.param("TRUNCATE", id="truncated"),
        pytest.param("x" * 200, id="too-long"),
    ],
)
def test_confirmation_page_unknown_token_is_404(client, seminar, company, register, token):
    registration = register(seminar, company)
    if token == "TRUNCATE":
        token = registration.manage_token[:-3]
    response = client.get(f"/registrations/{token}/")
    assert response.status_code == 404


def test_register_unknown_account_shows_error_at_account_number(client, seminar):
    data = form_data(seminar, CompanyFactory.build(account_number="NOSUCH123"))
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert "could not find this CTPAT account number" in field_errors(response, "account_number")[0]
    assert_kept_input(response, data)
    assert 'href="#id_account_number"' in response.content.decode()
    assert not Registration.objects.exists()


def test_register_suspended_company_shows_reason(client, seminar, suspended_company):
    data = form_data(seminar, suspended_company)
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert "suspended" in field_errors(response, "account_number")[0]
    assert_kept_input(response, data)
    assert not Registration.objects.exists()


def test_register_company_limit_reached_shows_error(client, seminar, company, register):
    register(seminar, company)
    register(seminar, company)
    data = form_data(seminar, company)
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert "already has 2 people registered" in field_errors(response, "account_number")[0]
    assert_kept_input(response, data)
    assert Registration.objects.count() == 2


def test_register_day_full_offers_waitlist_then_waitlists(client, seminar, company, register):
    day = seminar.days.order_by("date").first()
    fill_day(seminar, day, register)
    data = form_data(seminar, company)

    refused = client.post(register_url(seminar), data)
    assert refused.status_code == 422
    assert "workshop day has just filled up" in field_errors(refused, "workshop_day")[0]
    assert 'name="waitlist"' in refused.content.decode()
    assert_kept_input(refused, data)
    assert Registration.objects.count() == 1

    accepted = client.post(register_url(seminar), data | {"waitlist": "on"})
    registration = Registration.objects.get(email=data["email"])
    assert accepted.status_code == 302
    assert registration.status == RegistrationStatus.WAITLISTED
    body = client.get(accepted["Location"]).content.decode()
    assert 'data-registration-status="waitlisted"' in body


def test_register_seminar_full_error_at_waitlist_box_linked_from_summary(client, company):
    seminar = SeminarFactory(capacity=1)
    WorkshopDayFactory(seminar=seminar, capacity=1)
    Seminar.objects.filter(pk=seminar.pk).update(confirmed_count=1)
    data = form_data(seminar, company)
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert "seminar has just filled up" in field_errors(response, "waitlist")[0]
    assert response.context["form"].non_field_errors() == []
    html = response.content.decode()
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert '<li data-error-field="waitlist"><a href="#id_waitlist"' in summary
    assert '<input type="checkbox" name="waitlist"' in html
    assert 'id="id_waitlist"' in html
    assert not Registration.objects.exists()


def _seminar_just_filled(seminar, register) -> None:
    seminar.capacity = 1
    seminar.save(update_fields=["capacity"])
    register(seminar, CompanyFactory())


def _hidden_inputs(html: str) -> list[tuple[str, str]]:
    """The hidden fields of the registration form, the CSRF token's aside."""
    form = html.split('id="registration-form"')[1].split("</form>")[0]
    return [
        (name, unescape(value))
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"[^>]*>', form
        )
        if name != "csrfmiddlewaretoken"
    ]


@pytest.fixture
def full_form_data(seminar, company, register):
    """A whole, valid form for a seminar that filled before it was sent: a session and an
    answer to one of the seminar's questions included."""
    _seminar_just_filled(seminar, register)
    question = SeminarQuestion.objects.create(
        seminar=seminar, kind=QuestionKind.TEXT, label_en="Anything else?", required=True
    )
    day = seminar.days.order_by("date", "id").first()
    session = day.sessions.order_by("starts_at").first()
    return form_data(
        seminar, company, sessions=[str(session.pk)], **{question.field_name: "Step-free <access>"}
    )


def test_register_seminar_full_short_step_shows_and_carries_values(client, seminar, full_form_data):
    response = client.post(register_url(seminar), full_form_data)

    assert response.status_code == 422
    html = response.content.decode()
    assert '<form id="registration-form" class="waitlist-step"' in html
    # Every value sent, and only those, rides along for the next step.
    expected = sorted(
        (name, value)
        for name, values in full_form_data.items()
        for value in (values if isinstance(values, list) else [values])
    )
    assert sorted(_hidden_inputs(html)) == expected
    # Shown to the person, not asked again: no text field of the whole form.
    assert '<input type="text" name="first_name"' not in html
    facts = html.split('class="row registration-facts"')[1].split("</dl>")[0]
    for shown in ("María González", "maria.gonzalez@partner.example", "data-session-id="):
        assert shown in facts
    offer = html.split('id="waitlist-offer"')[1]
    assert '<input type="checkbox" name="waitlist"' in offer
    assert not Registration.objects.filter(email=full_form_data["email"]).exists()


def test_register_seminar_full_short_step_sent_with_box_ticked_waitlists(
    client, seminar, full_form_data
):
    step = client.post(register_url(seminar), full_form_data).content.decode()
    carried = [
        (name, value) for name, value in _hidden_inputs(step) if name != "csrfmiddlewaretoken"
    ]
    resent = {name: [v for n, v in carried if n == name] for name, _ in carried}

    joined = client.post(register_url(seminar), resent | {"waitlist": "on"})

    assert joined.status_code == 302
    registration = Registration.objects.get(email=full_form_data["email"])
    assert registration.status == RegistrationStatus.WAITLISTED
    assert registration.phone == full_form_data["phone"]
    assert [str(s.pk) for s in registration.sessions.all()] == full_form_data["sessions"]
    assert [a.value for a in registration.answers.all()] == ["Step-free <access>"]


def test_register_seminar_full_short_step_box_left_unticked_asks_again(
    client, seminar, full_form_data
):
    client.post(register_url(seminar), full_form_data)  # the step
    again = client.post(register_url(seminar), full_form_data)  # sent on without the box
    assert again.status_code == 422
    assert "seminar has just filled up" in field_errors(again, "waitlist")[0]
    assert not Registration.objects.filter(email=full_form_data["email"]).exists()


def test_register_seminar_full_short_step_change_details_shows_whole_form(
    client, seminar, full_form_data
):
    response = client.post(register_url(seminar), full_form_data | {"edit": "1"})

    assert response.status_code == 200
    assert response.templates[0].name == "events/registration_form.html"
    assert_kept_input(response, full_form_data)
    html = response.content.decode()
    assert 'id="error-summary"' not in html
    assert 'id="waitlist-offer"' in html
    assert not Registration.objects.filter(email=full_form_data["email"]).exists()


def test_register_seminar_full_short_step_in_spanish(client, seminar, full_form_data):
    response = client.post(register_url(seminar), full_form_data, HTTP_ACCEPT_LANGUAGE="es")
    html = response.content.decode()
    for text in ("Sus datos", "Cambiar mis datos", "Unirse a la lista de espera"):
        assert text in html


def test_register_duplicate_email_other_case_shows_error_at_email(
    client, seminar, company, register
):
    register(seminar, CompanyFactory(), email="Maria.Gonzalez@Partner.Example")
    data = form_data(seminar, company)
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert "already registered" in field_errors(response, "email")[0]
    assert_kept_input(response, data)
    assert Registration.objects.count() == 1


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "We cannot deliver e-mail to this address"), ("es", "No podemos entregar")],
)
@pytest.mark.parametrize(
    "email",
    ["\u212aate@partner.example", "m\u0131xed.case@partner.example"],
    ids=["kelvin-sign", "dotless-i"],
)
def test_register_look_alike_email_refused_as_undeliverable(
    client, seminar, company, email, language, message
):
    data = form_data(seminar, company, email=email)
    response = client.post(register_url(seminar), data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 422
    assert field_errors(response, "email")[0].startswith(message)
    assert not Registration.objects.exists()


def test_register_same_address_with_unicode_domain_refused(client, seminar, company, register):
    register(seminar, CompanyFactory(), email="maria@bücher.example")
    data = form_data(seminar, company, email="Maria@XN--BCHER-KVA.example")
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert "already registered" in field_errors(response, "email")[0]
    assert Registration.objects.get().email == "maria@bücher.example"


def test_register_overlapping_sessions_shows_error_at_sessions(client, seminar, company):
    day = seminar.days.order_by("date").first()
    first, second = day.sessions.order_by("starts_at", "topic")[:2]
    data = form_data(seminar, company, sessions=[str(first.pk), str(second.pk)])
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert "at the same time" in field_errors(response, "sessions")[0]
    assert response.context["form"]["sessions"].value() == [str(first.pk), str(second.pk)]
    assert 'href="#id_sessions"' in response.content.decode()
    assert not Registration.objects.exists()


def test_register_session_of_other_day_shows_error_at_sessions(client, seminar, company):
    other_day = seminar.days.order_by("date").last()
    data = form_data(seminar, company, sessions=[str(other_day.sessions.first().pk)])
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert "on your workshop day" in field_errors(response, "sessions")[0]
    assert not Registration.objects.exists()


def test_register_session_or_day_of_other_seminar_is_form_error(client, seminar, company):
    other_session = BreakoutSessionFactory()
    data = form_data(
        seminar,
        company,
        workshop_day=str(other_session.day.pk),
        sessions=[str(other_session.pk)],
    )
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert field_errors(response, "workshop_day") == ["Choose one of this seminar's workshop days."]
    assert field_errors(response, "sessions") == ["Choose break-out sessions of this seminar."]
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    "window",
    [
        pytest.param({"registration_opens_at": timezone.now() + timedelta(days=1)}, id="not-yet"),
        pytest.param(
            {
                "registration_opens_at": timezone.now() - timedelta(days=9),
                "registration_closes_at": timezone.now() - timedelta(days=1),
            },
            id="closed",
        ),
    ],
)
def test_register_outside_window_refused_and_saves_nothing(client, company, window):
    seminar = SeminarFactory(**window)
    WorkshopDayFactory(seminar=seminar)
    shown = client.get(register_url(seminar))
    assert shown.status_code == 200
    assert 'name="account_number"' not in shown.content.decode()
    response = client.post(register_url(seminar), form_data(seminar, company))
    assert response.status_code == 403
    assert 'id="registration-unavailable"' in response.content.decode()
    assert not Registration.objects.exists()


# --- Bad input never fails the server ------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"first_name": "A" * 100_000}, "first_name", "at most 100", id="100kB-name"),
        pytest.param({"last_name": "Gonz\x00lez"}, "last_name", "control characters", id="NUL"),
        pytest.param({"job_title": "Boss\x1b[31m"}, "job_title", "control characters", id="ESC"),
        pytest.param({"first_name": "Ma\nría"}, "first_name", "control characters", id="newline"),
        pytest.param({"email": "a\x00@b.example"}, "email", "control characters", id="NUL-email"),
        pytest.param({"email": "not-an-address"}, "email", "valid email", id="bad-email"),
        pytest.param({"email": "a" * 250 + "@b.example"}, "email", "at most 254", id="long-email"),
        pytest.param({"phone": "call me"}, "phone", "phone number", id="phone-letters"),
        pytest.param({"phone": "123"}, "phone", "at least 7 digits", id="phone-short"),
        pytest.param({"account_number": "DEMO-0001"}, "account_number", "letters and digits"),
        pytest.param({"account_number": "A" * 21}, "account_number", "at most 20", id="long-acct"),
        pytest.param({"workshop_day": "tuesday"}, "workshop_day", "workshop days", id="day-text"),
        pytest.param({"workshop_day": "9" * 30}, "workshop_day", "workshop days", id="day-huge"),
        pytest.param({"workshop_day": ""}, "workshop_day", "required", id="day-missing"),
        pytest.param({"sessions": ["1x"]}, "sessions", "of this seminar", id="session-text"),
        pytest.param({"sessions": ["9" * 30]}, "sessions", "of this seminar", id="session-huge"),
        pytest.param({"first_name": "   "}, "first_name", "required", id="blank-name"),
    ],
)
def test_register_bad_input_is_form_error_and_saves_nothing(
    client, seminar, company, overrides, field, message
):
    response = client.post(register_url(seminar), form_data(seminar, company, **overrides))
    assert response.status_code == 422
    errors = field_errors(response, field)
    assert len(errors) == 1
    assert message in errors[0]
    assert f'href="#id_{field}"' in response.content.decode()
    assert not Registration.objects.exists()


def test_register_empty_post_lists_every_required_field(client, seminar):
    response = client.post(register_url(seminar), {})
    assert response.status_code == 422
    required = {"account_number", "first_name", "last_name", "email", "job_title", "phone"}
    assert required | {"workshop_day"} == set(response.context["form"].errors)
    assert not Registration.objects.exists()


def test_register_without_csrf_token_is_403(seminar, company):
    client = Client(enforce_csrf_checks=True)
    response = client.post(register_url(seminar), form_data(seminar, company))
    assert response.status_code == 403
    assert "expired" in response.content.decode()
    assert not Registration.objects.exists()


def test_register_get_form_sets_csrf_cookie(seminar):
    client = Client(enforce_csrf_checks=True)
    response = client.get(register_url(seminar))
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert settings.CSRF_COOKIE_NAME in response.cookies


# --- Query counts ------------------------------------------------------------------------


def _add_sessions(seminar, per_day: int) -> None:
    for day in seminar.days.all():
        for _ in range(per_day):
            BreakoutSessionFactory(day=day)


@pytest.mark.parametrize("extra_sessions", [pytest.param(3, id="2x6"), pytest.param(20, id="2x23")])
def test_seminar_detail_query_count_is_fixed(
    client, seminar, django_assert_max_num_queries, extra_sessions
):
    _add_sessions(seminar, extra_sessions)
    with django_assert_max_num_queries(3):
        assert client.get(reverse("events:seminar_detail", args=[seminar.slug])).status_code == 200


@pytest.mark.parametrize("extra_sessions", [pytest.param(3, id="2x6"), pytest.param(20, id="2x23")])
def test_availability_json_query_count_is_fixed(
    client, seminar, django_assert_max_num_queries, extra_sessions
):
    _add_sessions(seminar, extra_sessions)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("events:seminar_availability", args=[seminar.slug]))
    assert sum(len(day["sessions"]) for day in response.json()["days"]) == 6 + 2 * extra_sessions


@pytest.mark.parametrize("extra_sessions", [pytest.param(3, id="2x6"), pytest.param(20, id="2x23")])
def test_registration_form_query_count_is_fixed(
    client, seminar, django_assert_max_num_queries, extra_sessions
):
    _add_sessions(seminar, extra_sessions)
    # The seminar, its days, their sessions, and its questions (tests/events/test_questions.py);
    # then the choices of the day and of the sessions as the form's fields show them.
    with django_assert_max_num_queries(6):
        assert client.get(register_url(seminar)).status_code == 200


def test_register_applicant_company_shows_pending_reason(client, seminar):
    company = CompanyFactory(status=CertificationStatus.APPLICANT)
    response = client.post(register_url(seminar), form_data(seminar, company))
    assert "still pending" in field_errors(response, "account_number")[0]

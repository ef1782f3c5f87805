"""The pages behind the private management link: see, cancel, change, hand over (R8, R9, R11)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.changes import registration_cancel, registration_link_revoke, registration_substitute
from events.enums import RegistrationStatus
from events.models import Registration, Seminar
from tests.factories import CompanyFactory, seminar_build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

ACTIONS = ["cancel", "change", "substitute"]


def url(registration: Registration, action: str = "") -> str:
    name = f"events:registration_{action or 'detail'}"
    return reverse(name, args=[registration.manage_token])


def colleague(**overrides) -> dict:
    return {
        "first_name": "Jorge",
        "last_name": "Ramírez",
        "email": "jorge.ramirez@partner.example",
        "job_title": "Compliance officer",
        "phone": "+52 664 555 0199",
    } | overrides


@pytest.fixture
def small(db):
    """Two seats on two one-seat days, two back-to-back one-seat sessions per day."""
    return seminar_build(capacity=2, day_capacities=(1, 1), session_capacity=1)


def days_of(seminar: Seminar):
    return list(seminar.days.order_by("date"))


def status_of(registration: Registration) -> str:
    registration.refresh_from_db()
    return registration.status


# --- The management page ---------------------------------------------------------------------


def test_manage_page_confirmed_offers_every_action(client, seminar, company, register):
    registration = register(seminar, company)
    response = client.get(url(registration))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-registration-status="confirmed"' in body
    assert "You are registered" in body
    assert f'data-confirmation-code="{registration.confirmation_code}"' in body
    assert "data-manage-link" in body
    for action in ACTIONS:
        assert f'href="{url(registration, action)}"' in body
    assert "Cancel my registration" in body
    assert "Change workshop day or sessions" in body
    assert "Hand my seat to a colleague" in body


def test_manage_page_waitlisted_via_form_shows_position_day_and_leave(client, small, register):
    tuesday = days_of(small)[0]
    register(small, CompanyFactory(), day=tuesday)
    register(small, CompanyFactory(), day=tuesday, waitlist=True)
    data = {
        "account_number": CompanyFactory().account_number,
        "first_name": "Lucía",
        "last_name": "Fernández",
        "email": "lucia@partner.example",
        "job_title": "Security lead",
        "phone": "+1 619 555 0142",
        "workshop_day": str(tuesday.pk),
        "waitlist": "on",
    }
    response = client.post(reverse("events:registration_create", args=[small.slug]), data)
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert 'data-registration-status="waitlisted"' in body
    assert 'data-waitlist-position="2" data-waitlist-for="day"' in body
    assert f"You are number 2 in line for {tuesday.label}." in body
    assert "Leave the wait-list" in body
    assert "Hand my wait-list place to a colleague" in body


def test_manage_page_waitlisted_for_full_seminar_does_not_name_the_day(client, register):
    """The seminar is full, the chosen day is not: the line is the seminar's, not the day's."""
    seminar = seminar_build(capacity=1, day_capacities=(5, 5))
    tuesday, thursday = days_of(seminar)
    register(seminar, CompanyFactory(), day=thursday)
    register(seminar, CompanyFactory(), day=thursday, waitlist=True)
    waiting = register(seminar, CompanyFactory(), day=tuesday, waitlist=True)

    body = client.get(url(waiting)).content.decode()

    assert 'data-waitlist-position="2" data-waitlist-for="seminar"' in body
    assert "You are number 2 in line for a seat at this seminar." in body
    assert f"in line for {tuesday.label}" not in body


def test_manage_page_cancelled_offers_nothing(client, seminar, company, register):
    registration = registration_cancel(registration=register(seminar, company))
    body = client.get(url(registration)).content.decode()
    assert 'data-registration-status="cancelled"' in body
    assert "This registration was cancelled (" in body
    assert "data-action=" not in body
    assert "data-manage-link" not in body


def test_manage_page_checked_in_closes_changes_keeps_cancel(client, seminar, company, register):
    registration = register(seminar, company)
    Registration.objects.filter(pk=registration.pk).update(checked_in_at=timezone.now())
    body = client.get(url(registration)).content.decode()
    assert 'data-registration-status="confirmed"' in body
    assert "You are checked in" in body
    assert "This registration is checked in, so it can no longer be changed" in body
    assert 'data-action="change"' not in body
    assert 'data-action="substitute"' not in body
    assert 'data-action="cancel"' in body


@pytest.mark.parametrize("action", ["", *ACTIONS], ids=["detail", *ACTIONS])
def test_manage_pages_are_private(client, seminar, company, register, action):
    response = client.get(url(register(seminar, company), action))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


# --- Cancel ----------------------------------------------------------------------------------


def test_cancel_get_shows_confirm_step_and_changes_nothing(client, seminar, company, register):
    registration = register(seminar, company)
    response = client.get(url(registration, "cancel"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Cancel your registration?" in body
    assert "Nobody is on the wait-list, so your seat becomes free for anyone who registers." in body
    assert "next person" not in body
    # One button in the page's own content (the header's language switcher has its own).
    assert body.partition("<main")[2].count('type="submit"') == 1
    assert status_of(registration) == RegistrationStatus.CONFIRMED


def test_cancel_post_cancels_and_promotes_next_waitlisted(client, small, register):
    tuesday = days_of(small)[0]
    holder = register(small, CompanyFactory(), day=tuesday)
    first = register(small, CompanyFactory(), day=tuesday, waitlist=True)
    second = register(small, CompanyFactory(), day=tuesday, waitlist=True)

    response = client.post(url(holder, "cancel"))

    assert response.status_code == 302
    assert response["Location"] == url(holder)
    assert status_of(holder) == RegistrationStatus.CANCELLED
    assert status_of(first) == RegistrationStatus.CONFIRMED
    assert status_of(second) == RegistrationStatus.WAITLISTED
    page = client.get(response["Location"]).content.decode()
    assert (
        "Your registration is cancelled. Your seat goes to the next person on the wait-list who "
        "can take it." in page
    )


def test_cancel_get_with_someone_waiting_says_the_seat_goes_to_them(client, small, register):
    tuesday = days_of(small)[0]
    holder = register(small, CompanyFactory(), day=tuesday)
    register(small, CompanyFactory(), day=tuesday, waitlist=True)
    body = client.get(url(holder, "cancel")).content.decode()
    assert "It goes at once to the next person on the wait-list who can take it" in body


def test_cancel_after_registration_closed_says_the_seat_stays_empty(
    client, seminar, company, register
):
    registration = register(seminar, company)
    Seminar.objects.filter(pk=seminar.pk).update(
        registration_closes_at=timezone.now() - timedelta(minutes=1)
    )
    body = client.get(url(registration, "cancel")).content.decode()
    assert "Registration has closed, so your seat will not be offered online again." in body
    response = client.post(url(registration, "cancel"), follow=True)
    assert "Your registration is cancelled.</" in response.content.decode()


def test_cancel_post_with_nobody_waiting_says_the_seat_is_free(client, seminar, company, register):
    registration = register(seminar, company)
    response = client.post(url(registration, "cancel"), follow=True)
    page = response.content.decode()
    assert "Your registration is cancelled. Your seat is free again for anyone to take." in page


def test_cancel_waitlisted_leaves_the_list(client, small, register):
    tuesday = days_of(small)[0]
    register(small, CompanyFactory(), day=tuesday)
    waiting = register(small, CompanyFactory(), day=tuesday, waitlist=True)
    assert "Leave the wait-list?" in client.get(url(waiting, "cancel")).content.decode()
    response = client.post(url(waiting, "cancel"), follow=True)
    assert status_of(waiting) == RegistrationStatus.CANCELLED
    assert "You have left the wait-list." in response.content.decode()


def test_cancel_twice_is_refused_with_message(client, seminar, company, register, seat_ledger):
    registration = register(seminar, company)
    client.post(url(registration, "cancel"))
    before = seat_ledger(seminar)
    response = client.post(url(registration, "cancel"))
    assert response.status_code == 422
    assert "This registration is cancelled. Nothing more can be done with it." in (
        response.content.decode()
    )
    assert seat_ledger(seminar) == before


@pytest.mark.parametrize(
    ("started", "ended", "said"),
    [
        pytest.param(
            timedelta(hours=1),
            None,
            "The seminar has started, so this registration can no longer be cancelled online. "
            "Please tell the CBP staff at the registration desk.",
            id="started",
        ),
        pytest.param(
            timedelta(days=4),
            timedelta(days=1),
            # Not sent to a registration desk that has closed.
            "The seminar is over, so this registration can no longer be cancelled.",
            id="over",
        ),
    ],
)
def test_cancel_closed_once_seminar_started(
    client, seminar, company, register, started, ended, said
):
    registration = register(seminar, company)
    now = timezone.now()
    Seminar.objects.filter(pk=seminar.pk).update(
        registration_opens_at=now - timedelta(days=19),
        registration_closes_at=now - timedelta(days=12),
        starts_at=now - started,
        ends_at=now - ended if ended else seminar.ends_at,
    )
    page = client.get(url(registration)).content.decode()
    assert said in page
    assert 'data-action="cancel"' not in page
    shown = client.get(url(registration, "cancel"))
    assert shown.status_code == 200
    assert 'id="cancel-form"' not in shown.content.decode()
    response = client.post(url(registration, "cancel"))
    assert response.status_code == 422
    assert status_of(registration) == RegistrationStatus.CONFIRMED


# --- Change ----------------------------------------------------------------------------------


def test_change_form_preselects_current_choice_with_seats(client, seminar, company, register):
    tuesday = days_of(seminar)[0]
    session = tuesday.sessions.order_by("starts_at", "topic").first()
    registration = register(seminar, company, day=tuesday, sessions=[session])
    response = client.get(url(registration, "change"))
    form = response.context["form"]
    assert form["workshop_day"].value() == tuesday.pk
    assert form["sessions"].value() == [session.pk]
    body = response.content.decode()
    # Their own day and session say so instead of counting the seat they hold.
    assert body.count("your seat now") == 2
    assert "599 of 600 seats left" not in body
    assert "600 of 600 seats left" in body
    assert body.count('name="sessions"') == 6


def test_change_moves_day_and_sessions(client, seminar, company, register, seat_ledger):
    tuesday, thursday = days_of(seminar)
    registration = register(seminar, company, day=tuesday)
    session = thursday.sessions.order_by("starts_at", "topic").first()
    data = {"workshop_day": str(thursday.pk), "sessions": [str(session.pk)]}
    response = client.post(url(registration, "change"), data)
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.workshop_day == thursday
    assert list(registration.sessions.all()) == [session]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["counters"][f"day {thursday.pk}"] == 1
    assert "Your choice is saved." in client.get(response["Location"]).content.decode()


def test_change_to_full_day_keeps_old_choice(client, small, register, seat_ledger):
    tuesday, thursday = days_of(small)
    session = tuesday.sessions.order_by("starts_at").first()
    registration = register(small, CompanyFactory(), day=tuesday, sessions=[session])
    register(small, CompanyFactory(), day=thursday)
    before = seat_ledger(small)

    data = {"workshop_day": str(thursday.pk), "sessions": []}
    response = client.post(url(registration, "change"), data)

    assert response.status_code == 422
    errors = response.context["form"].errors["workshop_day"]
    assert errors == [f"{thursday.label} is full. Your registration is unchanged."]
    assert "wait-list only" not in response.content.decode()
    assert response.context["form"]["workshop_day"].value() == str(thursday.pk)
    registration.refresh_from_db()
    assert (registration.workshop_day, list(registration.sessions.all())) == (tuesday, [session])
    assert seat_ledger(small) == before


def test_change_to_full_session_is_error_at_sessions(client, register, seat_ledger):
    seminar = seminar_build(capacity=3, day_capacities=(2, 1), session_capacity=1)
    tuesday = days_of(seminar)[0]
    full = tuesday.sessions.order_by("starts_at").first()
    register(seminar, CompanyFactory(), day=tuesday, sessions=[full])
    registration = register(seminar, CompanyFactory(), day=tuesday)
    before = seat_ledger(seminar)
    shown = client.get(url(registration, "change")).content.decode()
    assert '<span class="choice__seats seats--full">full</span>' in shown
    data = {"workshop_day": str(tuesday.pk), "sessions": [str(full.pk)]}
    response = client.post(url(registration, "change"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["sessions"] == [
        f"The session “{full.topic}” has just filled up. Choose another session or leave it out."
    ]
    assert list(registration.sessions.all()) == []
    assert seat_ledger(seminar) == before


# --- Substitute ------------------------------------------------------------------------------


def test_substitute_hands_seat_over_and_old_link_shows_it(client, seminar, company, register):
    registration = register(seminar, company)
    response = client.post(url(registration, "substitute"), colleague())
    assert response.status_code == 302
    assert response["Location"] == url(registration)

    new = Registration.objects.get(email="jorge.ramirez@partner.example")
    assert (new.status, new.company, new.workshop_day) == (
        RegistrationStatus.CONFIRMED,
        company,
        registration.workshop_day,
    )
    assert new.manage_token != registration.manage_token
    assert new.confirmation_code != registration.confirmation_code
    assert status_of(registration) == RegistrationStatus.SUBSTITUTED

    body = client.get(response["Location"]).content.decode()
    assert 'data-registration-status="substituted"' in body
    assert "Handed over to Jorge Ramírez" in body
    assert "they received their own link by e-mail" in body
    assert new.manage_token not in body
    assert new.confirmation_code not in body
    assert "data-action=" not in body


def test_substitute_email_already_registered_is_error_at_email(client, seminar, company, register):
    registration = register(seminar, company)
    register(seminar, CompanyFactory(), email="Jorge.Ramirez@Partner.Example")
    data = colleague()
    response = client.post(url(registration, "substitute"), data)
    assert response.status_code == 422
    form = response.context["form"]
    assert "already holds a registration" in form.errors["email"][0]
    assert {name: form[name].value() for name in data} == data
    assert status_of(registration) == RegistrationStatus.CONFIRMED
    assert Registration.objects.count() == 2


def test_substitute_with_own_email_is_error_at_email(client, seminar, company, register):
    registration = register(seminar, company)
    response = client.post(url(registration, "substitute"), colleague(email=registration.email))
    assert response.status_code == 422
    assert response.context["form"].errors["email"] == [
        "Enter your colleague's e-mail address, not yours."
    ]


def test_substitute_after_cancel_is_refused(client, seminar, company, register):
    registration = registration_cancel(registration=register(seminar, company))
    shown = client.get(url(registration, "substitute"))
    assert shown.status_code == 200
    assert 'name="email"' not in shown.content.decode()
    response = client.post(url(registration, "substitute"), colleague())
    assert response.status_code == 422
    assert "This registration is cancelled." in response.content.decode()
    assert Registration.objects.count() == 1


# --- Closed windows --------------------------------------------------------------------------


def _close_registration(registration):
    Seminar.objects.filter(pk=registration.seminar_id).update(
        registration_closes_at=timezone.now() - timedelta(minutes=1)
    )


def _check_in(registration):
    Registration.objects.filter(pk=registration.pk).update(checked_in_at=timezone.now())


@pytest.mark.parametrize("action", ["change", "substitute"])
@pytest.mark.parametrize(
    ("close", "reason"),
    [
        (_close_registration, "Registration has closed"),
        (_check_in, "This registration is checked in"),
    ],
    ids=["registration-closed", "checked-in"],
)
def test_changes_closed_refused(client, seminar, company, register, action, close, reason):
    registration = register(seminar, company)
    close(registration)
    day = days_of(seminar)[1]
    data = colleague() | {"workshop_day": str(day.pk)}

    shown = client.get(url(registration, action))
    assert shown.status_code == 200
    assert reason in shown.content.decode()
    assert shown.context["form"] is None
    response = client.post(url(registration, action), data)
    assert response.status_code == 422
    assert reason in response.content.decode()
    registration.refresh_from_db()
    assert (registration.status, registration.workshop_day) == (
        RegistrationStatus.CONFIRMED,
        days_of(seminar)[0],
    )
    assert Registration.objects.count() == 1


# --- Links that are not (or no longer) valid -------------------------------------------------


def _forged(registration):
    return "A" * 43


def _truncated(registration):
    return registration.manage_token[:-4]


def _revoked(registration):
    old = registration.manage_token
    registration_link_revoke(registration=registration)
    return old


def _extended(registration):
    return registration.manage_token + "x"


TOKENS = [
    pytest.param(_forged, id="forged"),
    pytest.param(_truncated, id="truncated"),
    pytest.param(_revoked, id="revoked"),
    pytest.param(_extended, id="extended"),
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("action", ["", *ACTIONS], ids=["detail", *ACTIONS])
@pytest.mark.parametrize("make_token", TOKENS)
def test_bad_token_is_404_and_changes_nothing(
    client, seminar, company, register, seat_ledger, make_token, action, method
):
    registration = register(seminar, company)
    token = make_token(registration)
    before = seat_ledger(seminar)
    path = f"/registrations/{token}/" + (f"{action}/" if action else "")
    response = getattr(client, method)(path, colleague())
    assert response.status_code == 404
    body = response.content.decode()
    assert registration.email not in body
    assert registration.confirmation_code not in body
    assert seat_ledger(seminar) == before
    assert status_of(registration) == RegistrationStatus.CONFIRMED


@pytest.mark.parametrize(
    "token",
    ["x" * 65, "abc%00def", "abc%0Adef", "%E2%80%AEabc", "abc.def", "..%2F..%2Fadmin"],
    ids=["too-long", "NUL", "newline", "bidi", "dot", "traversal"],
)
@pytest.mark.parametrize("action", ["", *ACTIONS], ids=["detail", *ACTIONS])
def test_hostile_token_is_404(client, db, token, action):
    response = client.get(f"/registrations/{token}/" + (f"{action}/" if action else ""))
    assert response.status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_post_without_csrf_token_is_403(seminar, company, register, seat_ledger, action):
    registration = register(seminar, company)
    before = seat_ledger(seminar)
    data = colleague() | {"workshop_day": str(days_of(seminar)[1].pk)}
    response = Client(enforce_csrf_checks=True).post(url(registration, action), data)
    assert response.status_code == 403
    assert seat_ledger(seminar) == before
    assert Registration.objects.count() == 1


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        pytest.param("change", {"workshop_day": "tuesday"}, "workshop_day", id="day-text"),
        pytest.param("change", {"workshop_day": "9" * 40}, "workshop_day", id="day-huge"),
        pytest.param("change", {"workshop_day": "-1"}, "workshop_day", id="day-negative"),
        pytest.param("change", {"workshop_day": "1\x00"}, "workshop_day", id="day-NUL"),
        pytest.param("change", {"sessions": ["9" * 40]}, "sessions", id="session-huge"),
        pytest.param("change", {"sessions": ["1e3"]}, "sessions", id="session-text"),
        pytest.param("substitute", colleague(first_name="A" * 100_000), "first_name", id="huge"),
        pytest.param("substitute", colleague(last_name="Ra\x00m"), "last_name", id="NUL"),
        pytest.param("substitute", colleague(job_title="\x1b[31m"), "job_title", id="ESC"),
        pytest.param("substitute", colleague(email="a\x00@b.example"), "email", id="NUL-email"),
        pytest.param("substitute", colleague(email="nobody"), "email", id="bad-email"),
        pytest.param("substitute", colleague(phone="call me"), "phone", id="bad-phone"),
        pytest.param("substitute", {}, "first_name", id="empty"),
    ],
)
def test_hostile_input_is_form_error_and_saves_nothing(
    client, seminar, company, register, seat_ledger, action, data, field
):
    registration = register(seminar, company)
    if action == "change":
        data = {"workshop_day": str(days_of(seminar)[1].pk)} | data
    before = seat_ledger(seminar)
    response = client.post(url(registration, action), data)
    assert response.status_code == 422
    assert len(response.context["form"].errors[field]) == 1
    assert f'href="#id_{field}"' in response.content.decode()
    assert seat_ledger(seminar) == before
    registration.refresh_from_db()
    assert registration.workshop_day == days_of(seminar)[0]
    assert Registration.objects.count() == 1


def test_substitute_of_waitlisted_keeps_place_in_line(client, small, register):
    tuesday = days_of(small)[0]
    register(small, CompanyFactory(), day=tuesday)
    waiting = register(small, CompanyFactory(), day=tuesday, waitlist=True)
    client.post(url(waiting, "substitute"), colleague())
    new = Registration.objects.get(email="jorge.ramirez@partner.example")
    assert (new.status, new.waitlisted_at) == (RegistrationStatus.WAITLISTED, waiting.waitlisted_at)
    body = client.get(url(new)).content.decode()
    assert 'data-waitlist-position="1"' in body


def test_substituted_registration_cannot_be_substituted_again(client, seminar, company, register):
    registration = register(seminar, company)
    registration_substitute(registration=registration, **colleague())
    response = client.post(
        url(registration, "substitute"), colleague(email="third@partner.example")
    )
    assert response.status_code == 422
    assert "handed over to a colleague" in response.content.decode()
    assert Registration.objects.count() == 2


def test_manage_page_post_is_405_and_changes_nothing(client, seminar, company, register):
    registration = register(seminar, company)
    response = client.post(url(registration))
    assert response.status_code == 405
    assert status_of(registration) == RegistrationStatus.CONFIRMED


def test_cancel_post_from_a_browser_passes_csrf_origin_check(seminar, company, register):
    """Browsers send the page's origin with its forms (not "null", as under "no-referrer")."""
    registration = register(seminar, company)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url(registration, "cancel"))
    assert page["Referrer-Policy"] == "same-origin"
    response = browser.post(
        url(registration, "cancel"),
        {"csrfmiddlewaretoken": page.context["csrf_token"]},
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 302
    assert status_of(registration) == RegistrationStatus.CANCELLED

"""Every outbox e-mail, rendered from rows the services wrote (delivery is in test_outbox.py)."""

from datetime import UTC

import pytest
from django.utils import formats, timezone, translation
from icalendar import Calendar

from events.changes import (
    registration_cancel,
    registration_change,
    registration_link_revoke,
    registration_substitute,
)
from events.emails import email_message_build
from events.enums import EmailKind, RegistrationStatus
from events.models import OutboundEmail
from events.reminders import reminders_send
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

FROM = "CTPAT Seminars <ctpat-seminars@localhost>"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://seminars.example"
    settings.DEFAULT_FROM_EMAIL = FROM


@pytest.fixture
def picked(seminar):
    """Two sessions of the first day that do not overlap: 9:00-10:30 and 10:30-12:00."""
    day = seminar.days.first()
    return [day.sessions.get(topic="CBP risk indicators"), day.sessions.get(topic__startswith="Ev")]


@pytest.fixture
def full_seminar(seminar, company, register):
    """One seat, taken; returns (holder, wait-listed person of another company)."""
    seminar.capacity = 1
    seminar.save()
    holder = register(seminar, company)
    waiting = register(seminar, CompanyFactory(), waitlist=True)
    return holder, waiting


def _message(registration, kind, *, to=None):
    email = OutboundEmail.objects.get(
        registration=registration, kind=kind, to=to or registration.email
    )
    return email_message_build(email=email)


def _html(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def _calendars(message) -> list[Calendar]:
    return [
        Calendar.from_ical(part.get_payload(decode=True))
        for part in message.message().walk()
        if part.get_content_type() == "text/calendar"
    ]


def _manage_url(registration) -> str:
    return f"https://seminars.example/registrations/{registration.manage_token}/"


def _uids(calendar) -> set[str]:
    return {str(event["UID"]) for event in calendar.walk("VEVENT")}


def _scenario(name, seminar, company, register, picked):
    """Reach one kind of e-mail through the services; returns the registration it is about."""
    if name == "confirmed":
        return register(seminar, company, sessions=picked)
    if name == "changed":
        registration = register(seminar, company, sessions=picked)
        return registration_change(
            registration=registration, workshop_day_id=seminar.days.last().pk
        )
    if name == "cancelled":
        return registration_cancel(registration=register(seminar, company, sessions=picked))
    if name == "handed_over":
        return registration_substitute(
            registration=register(seminar, company, sessions=picked),
            first_name="Jorge",
            last_name="Ruiz",
            email="jorge.ruiz@partner.example",
            job_title="Logistics lead",
            phone="+52 664 555 0111",
        ).substitute_for
    if name == "link_reissued":
        return registration_link_revoke(registration=register(seminar, company))
    if name == "reminder":
        registration = register(seminar, company, sessions=picked)
        days = (timezone.localdate(seminar.starts_at) - timezone.localdate()).days
        assert reminders_send(days=days) == 1
        return registration
    raise AssertionError(name)


# (scenario, kind, subject after "<seminar>: ", calendar method or None)
KINDS = [
    ("confirmed", EmailKind.CONFIRMED, "you have a seat — code {code}", "PUBLISH"),
    ("changed", EmailKind.CHANGED, "your registration was changed — code {code}", "PUBLISH"),
    ("cancelled", EmailKind.CANCELLED, "registration cancelled — code {code}", "CANCEL"),
    ("handed_over", EmailKind.HANDED_OVER, "your seat now belongs to Jorge Ruiz", "CANCEL"),
    ("link_reissued", EmailKind.LINK_REISSUED, "your new private link — code {code}", None),
    ("reminder", EmailKind.REMINDER, "starts in 60 days — code {code}", "PUBLISH"),
]


@pytest.mark.parametrize(
    ("scenario", "kind", "subject", "method"), KINDS, ids=[k[0] for k in KINDS]
)
def test_email_kind_has_subject_text_html_and_calendar(
    scenario, kind, subject, method, seminar, company, register, picked
):
    registration = _scenario(scenario, seminar, company, register, picked)
    message = _message(registration, kind)
    separator = " " if kind == EmailKind.REMINDER else ": "
    assert message.subject == seminar.title + separator + subject.format(
        code=registration.confirmation_code
    )
    assert message.to == [registration.email]
    assert message.from_email == FROM
    assert message.body.startswith(f"Dear {registration.first_name},\n\n")
    assert message.body.endswith("CBP CTPAT Training Seminars\n")
    assert "<" not in message.body
    assert "&amp;" not in message.body
    assert '<html lang="en">' in _html(message)
    assert [str(c["METHOD"]) for c in _calendars(message)] == ([method] if method else [])


def test_email_confirmed_lists_details_link_and_calendar(seminar, company, register, picked):
    registration = register(seminar, company, sessions=picked)
    message = _message(registration, EmailKind.CONFIRMED)
    for expected in [
        "You have a seat at the",
        f"Confirmation code: {registration.confirmation_code}",
        f"Name: María {registration.last_name}",
        f"Company: {company.legal_name} ({company.account_number})",
        "Venue: San Diego Convention Center",
        "Workshop day: Tuesday workshops",
        f"CBP risk indicators ({picked[0].room})",
        f"Evidence of implementation ({picked[1].room})",
        _manage_url(registration),
    ]:
        assert expected in message.body
    assert "handed this seat over" not in message.body
    html = _html(message)
    assert 'data-registration-status="confirmed"' in html
    assert f'href="{_manage_url(registration)}"' in html
    [calendar] = _calendars(message)
    code = registration.confirmation_code
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {
        f"{code}-seminar@ctpat-seminars",
        f"{code}-session-{picked[0].pk}@ctpat-seminars",
        f"{code}-session-{picked[1].pk}@ctpat-seminars",
    }
    whole = events[f"{code}-seminar@ctpat-seminars"]
    assert str(whole["SUMMARY"]) == seminar.title
    assert whole.decoded("DTSTART") == seminar.starts_at.astimezone(UTC).replace(microsecond=0)
    session = events[f"{code}-session-{picked[0].pk}@ctpat-seminars"]
    assert str(session["LOCATION"]) == f"San Diego Convention Center, {picked[0].room}"
    assert str(session["DESCRIPTION"]) == f"Confirmation code: {code}"


def test_email_changed_calendar_keeps_uids_and_raises_sequence(seminar, company, register, picked):
    registration = register(seminar, company, sessions=picked)
    [before] = _calendars(_message(registration, EmailKind.CONFIRMED))
    registration_change(
        registration=registration,
        workshop_day_id=registration.workshop_day_id,
        session_ids=[picked[0].pk],
    )
    message = _message(registration, EmailKind.CHANGED)
    [after] = _calendars(message)
    assert _uids(after) == _uids(before) - {
        f"{registration.confirmation_code}-session-{picked[1].pk}@ctpat-seminars"
    }
    sequences = {int(event["SEQUENCE"]) for event in after.walk("VEVENT")}
    assert sequences == {1 + max(int(event["SEQUENCE"]) for event in before.walk("VEVENT"))}
    assert "Evidence of implementation" not in message.body


def test_email_confirmed_names_the_colleague_who_handed_over(seminar, company, register):
    old = register(seminar, company)
    new = registration_substitute(
        registration=old,
        first_name="Jorge",
        last_name="Ruiz",
        email="jorge.ruiz@partner.example",
        job_title="Logistics lead",
        phone="+52 664 555 0111",
    )
    message = _message(new, EmailKind.CONFIRMED)
    assert f"{old.full_name} handed this seat over to you." in message.body
    assert _manage_url(new) in message.body
    handed = _message(old, EmailKind.HANDED_OVER)
    assert "now belongs to Jorge Ruiz." in handed.body
    assert _manage_url(old) not in handed.body
    assert "no longer work" in handed.body


def test_email_waitlisted_gives_position_and_leave_link(seminar, company, register, full_seminar):
    _holder, waiting = full_seminar
    message = _message(waiting, EmailKind.WAITLISTED)
    assert message.subject == (
        f"{seminar.title}: you are on the wait-list — code {waiting.confirmation_code}"
    )
    assert "You do not have a seat yet." in message.body
    assert "You are number 1 on the wait-list." in message.body
    assert f"To leave the wait-list:\n{_manage_url(waiting)}cancel/\n" in message.body
    assert 'data-waitlist-position="1"' in _html(message)
    assert _calendars(message) == []


def test_email_promoted_has_cancel_link_dropped_sessions_and_calendar(
    seminar, company, register, picked
):
    seminar.capacity = 1
    seminar.save()
    holder = register(seminar, company)
    waiting = register(seminar, CompanyFactory(), waitlist=True, sessions=picked)
    picked[1].capacity = picked[1].confirmed_count
    picked[1].save()
    registration_cancel(registration=holder)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED

    message = _message(waiting, EmailKind.PROMOTED)
    cancel_url = _manage_url(waiting) + "cancel/"
    assert cancel_url.endswith("/cancel/")
    assert message.subject == (
        f"{seminar.title}: a seat freed up and it is yours — code {waiting.confirmation_code}"
    )
    assert (
        f"I can no longer attend: give my seat to the next person on the wait-list\n{cancel_url}\n"
    ) in message.body
    assert (
        "These sessions you picked were full, so they are not part of your registration:\n"
        "- Evidence of implementation\n"
    ) in message.body
    html = _html(message)
    assert f'<a href="{cancel_url}" data-cancel-link' in html
    assert "<li>Evidence of implementation</li>" in html
    [calendar] = _calendars(message)
    code = waiting.confirmation_code
    assert _uids(calendar) == {
        f"{code}-seminar@ctpat-seminars",
        f"{code}-session-{picked[0].pk}@ctpat-seminars",
    }


@pytest.mark.parametrize(
    ("had_seat", "subject", "sentence"),
    [
        (True, "registration cancelled", "is cancelled and your seat has been released."),
        (False, "you left the wait-list", "You will not be offered a seat."),
    ],
    ids=["seat", "wait-list"],
)
def test_email_cancelled_depends_on_whether_a_seat_was_held(
    had_seat, subject, sentence, seminar, company, register, full_seminar
):
    holder, waiting = full_seminar
    registration = registration_cancel(registration=holder if had_seat else waiting)
    message = _message(registration, EmailKind.CANCELLED)
    assert message.subject == f"{seminar.title}: {subject} — code {registration.confirmation_code}"
    assert sentence in message.body
    assert f"https://seminars.example/seminars/{seminar.slug}/" in message.body
    assert "/registrations/" not in message.body
    calendars = _calendars(message)
    assert [str(c["METHOD"]) for c in calendars] == (["CANCEL"] if had_seat else [])
    if had_seat:
        assert {str(e["STATUS"]) for e in calendars[0].walk("VEVENT")} == {"CANCELLED"}


def test_email_link_reissued_carries_current_token_only(seminar, company, register):
    registration = register(seminar, company)
    old_url = _manage_url(registration)
    registration = registration_link_revoke(registration=registration)
    # The confirmation is rendered when delivered: a retry after the revocation has the new link.
    for kind in (EmailKind.LINK_REISSUED, EmailKind.CONFIRMED):
        message = _message(registration, kind)
        assert _manage_url(registration) in message.body
        assert old_url not in message.body
        assert old_url not in _html(message)
    assert "The old link no longer works." in _message(registration, EmailKind.LINK_REISSUED).body


def test_email_reminder_has_program_venue_sessions_and_check_in(seminar, company, register, picked):
    seminar.program = "08:00 Registration & coffee\n09:00 Opening plenary"
    seminar.address = "111 W Harbor Dr, San Diego, CA 92101"
    seminar.save()
    registration = _scenario("reminder", seminar, company, register, picked)
    message = _message(registration, EmailKind.REMINDER)
    with translation.override("en"):
        start = formats.time_format(timezone.localtime(picked[0].starts_at), "TIME_FORMAT")
    for expected in [
        "starts in 60 days. Here is your program.",
        "Program:\n08:00 Registration & coffee\n09:00 Opening plenary\n",
        "Venue: San Diego Convention Center, 111 W Harbor Dr, San Diego, CA 92101",
        "Workshop day: Tuesday workshops",
        f"- {start}–",
        f"CBP risk indicators ({picked[0].room})",
        "Bring a government-issued photo ID",
        f"Your confirmation code: {registration.confirmation_code}",
        f"{_manage_url(registration)}cancel/",
    ]:
        assert expected in message.body
    assert "Registration &amp; coffee" in _html(message)
    assert len(_calendars(message)) == 1


COMPANY_EVENTS = [
    ("registered", "{name} registered and has a seat", 1),
    ("waitlisted", "{name} joined the wait-list", 0),
    ("cancelled", "{name} cancelled their registration", 0),
    ("handed_over", "{name} handed their registration to Jorge Ruiz", 1),
]


@pytest.mark.parametrize(
    ("event", "headline", "taken"), COMPANY_EVENTS, ids=[e[0] for e in COMPANY_EVENTS]
)
def test_email_company_notice_names_person_and_seats_without_link(
    event, headline, taken, seminar, company, register
):
    if event == "waitlisted":
        seminar.capacity = 1
        seminar.save()
        register(seminar, CompanyFactory())
        registration = register(seminar, company, waitlist=True)
    else:
        registration = register(seminar, company)
    if event == "cancelled":
        registration = registration_cancel(registration=registration)
    elif event == "handed_over":
        registration_substitute(
            registration=registration,
            first_name="Jorge",
            last_name="Ruiz",
            email="jorge.ruiz@partner.example",
            job_title="Logistics lead",
            phone="+52 664 555 0111",
        )
        registration.refresh_from_db()
    kind = {"registered": "confirmed"}.get(event, event)
    [notice] = OutboundEmail.objects.filter(
        registration=registration, kind=EmailKind.COMPANY_NOTICE, context__event=kind
    )
    message = email_message_build(email=notice)
    expected = headline.format(name=registration.full_name)
    assert message.to == [company.poc_email]
    assert message.subject == f"{seminar.title}: {expected} ({company.legal_name})"
    assert message.body.startswith(
        f"To the CTPAT point of contact of {company.legal_name} ({company.account_number}),\n\n"
        f"{expected}.\n"
    )
    assert f"Your company now holds {taken} of its 2 seats at this seminar." in message.body
    assert f"E-mail: {registration.email}" in message.body
    for part in (message.body, _html(message)):
        assert registration.manage_token not in part
        assert "/registrations/" not in part
        assert registration.confirmation_code not in part
    assert _calendars(message) == []


def test_email_company_notice_not_written_when_registrant_is_the_contact(
    seminar, company, register
):
    registration = register(seminar, company, email=company.poc_email.upper())
    assert list(OutboundEmail.objects.values_list("kind", "to")) == [
        (EmailKind.CONFIRMED, registration.email)
    ]


def test_email_renders_in_registration_language(seminar, company, register):
    registration = register(seminar, company, language="es")
    message = _message(registration, EmailKind.CONFIRMED)
    with translation.override("es"):
        spanish_date = formats.date_format(timezone.localtime(seminar.starts_at), "DATE_FORMAT")
    with translation.override("en"):
        english_date = formats.date_format(timezone.localtime(seminar.starts_at), "DATE_FORMAT")
    assert spanish_date != english_date
    assert spanish_date in message.body
    assert english_date not in message.body
    assert '<html lang="es">' in _html(message)

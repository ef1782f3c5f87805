import logging
from datetime import UTC
from smtplib import SMTPRecipientsRefused

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import dateformat, translation
from icalendar import Calendar

from events.calendar import registration_calendar_build
from events.emails import registration_confirmation_send
from events.enums import RegistrationStatus
from events.models import Registration
from tests.factories import CompanyFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every recipient, quoting the address as real servers do."""

    def send_messages(self, email_messages):
        raise SMTPRecipientsRefused(
            {m.to[0]: (550, b"mailbox unavailable") for m in email_messages}
        )


@pytest.fixture
def picked(seminar):
    """Two sessions of the first day that do not overlap: 9:00-10:30 and 10:30-12:00."""
    day = seminar.days.first()
    return [day.sessions.get(topic="CBP risk indicators"), day.sessions.get(topic__startswith="Ev")]


@pytest.fixture
def confirmed(seminar, company, picked, register, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return register(seminar, company, sessions=picked)


def _calendar_parts(message):
    return [part for part in message.message().walk() if part.get_content_type() == "text/calendar"]


def _ical_time(moment):
    return moment.astimezone(UTC).replace(microsecond=0)  # iCalendar has whole seconds


def _manage_url(settings, registration):
    return f"{settings.SITE_URL}/registrations/{registration.manage_token}/"


def test_confirmation_email_confirmed_subject_and_recipient(confirmed, seminar, mailoutbox):
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject == (
        f"{seminar.title}: registration confirmed — code {confirmed.confirmation_code}"
    )
    assert message.to == [confirmed.email]


def test_confirmation_email_text_part_has_every_detail(
    confirmed, seminar, company, picked, mailoutbox, settings
):
    body = mailoutbox[0].body
    for expected in [
        "Confirmed",
        f"Confirmation code: {confirmed.confirmation_code}",
        f"Name: {confirmed.first_name} {confirmed.last_name}",
        f"Company: {company.legal_name} ({company.account_number})",
        f"Seminar: {seminar.title}",
        "Venue: San Diego Convention Center",
        f"Workshop day: {picked[0].day.label}",
        f"CBP risk indicators ({picked[0].room})",
        f"Evidence of implementation ({picked[1].room})",
        _manage_url(settings, confirmed),
    ]:
        assert expected in body
    assert "&amp;" not in body
    assert "<" not in body


def test_confirmation_email_html_part_has_code_status_and_link(confirmed, mailoutbox, settings):
    [(html, mimetype)] = mailoutbox[0].alternatives
    assert mimetype == "text/html"
    assert 'data-registration-status="confirmed"' in html
    assert confirmed.confirmation_code in html
    assert f'href="{_manage_url(settings, confirmed)}"' in html


def test_confirmation_email_calendar_is_publish_with_seminar_and_sessions(
    confirmed, seminar, picked, mailoutbox
):
    [part] = _calendar_parts(mailoutbox[0])
    assert part.get_param("method") == "PUBLISH"
    assert part.get_filename() == "ctpat-seminar.ics"
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert str(calendar["METHOD"]) == "PUBLISH"
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    code = confirmed.confirmation_code
    assert set(events) == {
        f"{code}-seminar@ctpat-seminars",
        f"{code}-session-{picked[0].pk}@ctpat-seminars",
        f"{code}-session-{picked[1].pk}@ctpat-seminars",
    }
    whole = events[f"{code}-seminar@ctpat-seminars"]
    assert str(whole["SUMMARY"]) == seminar.title
    assert str(whole["LOCATION"]) == "San Diego Convention Center"
    assert whole.decoded("DTSTART") == _ical_time(seminar.starts_at)
    assert whole.decoded("DTEND") == _ical_time(seminar.ends_at)
    session = events[f"{code}-session-{picked[0].pk}@ctpat-seminars"]
    assert str(session["SUMMARY"]) == f"CBP risk indicators — {seminar.title}"
    assert str(session["LOCATION"]) == f"San Diego Convention Center, {picked[0].room}"
    assert session.decoded("DTSTART") == _ical_time(picked[0].starts_at)
    assert session.decoded("DTEND") == _ical_time(picked[0].ends_at)
    for event in events.values():
        assert str(event["DESCRIPTION"]) == f"Confirmation code: {code}"
        assert "DTSTAMP" in event


def test_registration_calendar_uids_stable_across_builds(confirmed, picked):
    def uids():
        calendar = Calendar.from_ical(
            registration_calendar_build(registration=confirmed, sessions=picked)
        )
        return [str(event["UID"]) for event in calendar.walk("VEVENT")]

    assert uids() == uids()


def test_confirmation_email_waitlisted_has_no_calendar(
    seminar, company, register, django_capture_on_commit_callbacks, mailoutbox, settings
):
    seminar.capacity = 1
    seminar.save()
    with django_capture_on_commit_callbacks(execute=True):
        register(seminar, company)
    with django_capture_on_commit_callbacks(execute=True):
        waiting = register(seminar, company, waitlist=True)
    assert waiting.status == RegistrationStatus.WAITLISTED
    message = mailoutbox[1]
    assert message.subject == (
        f"{seminar.title}: you are on the wait-list — code {waiting.confirmation_code}"
    )
    assert "Status: Wait-listed" in message.body
    assert "You do not have a seat yet." in message.body
    assert _manage_url(settings, waiting) in message.body
    assert 'data-registration-status="waitlisted"' in message.alternatives[0][0]
    assert _calendar_parts(message) == []


def test_confirmation_email_renders_in_registration_language(
    seminar, company, register, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        register(seminar, company, language="es")
    with translation.override("es"):
        spanish_date = dateformat.format(seminar.starts_at, "l j F Y")
    with translation.override("en"):
        english_date = dateformat.format(seminar.starts_at, "l j F Y")
    assert spanish_date != english_date
    assert spanish_date in mailoutbox[0].body
    assert english_date not in mailoutbox[0].body
    assert '<html lang="es">' in mailoutbox[0].alternatives[0][0]


def test_confirmation_email_cancelled_registration_sends_nothing(mailoutbox):
    registration = RegistrationFactory(status=RegistrationStatus.CANCELLED)
    registration_confirmation_send(registration=registration)
    assert mailoutbox == []


def test_confirmation_email_failing_backend_does_not_raise(
    seminar, register, django_capture_on_commit_callbacks, settings, caplog
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    company = CompanyFactory()
    with (
        caplog.at_level(logging.ERROR, logger="events.emails"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        registration = register(seminar, company)
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED
    [record] = caplog.records
    assert record.getMessage() == (
        f"Confirmation e-mail for registration {registration.pk} was not sent "
        "(SMTPRecipientsRefused)."
    )
    assert registration.email not in caplog.text
    assert registration.last_name not in caplog.text

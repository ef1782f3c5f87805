"""``send_reminders --days N``: everyone confirmed for a seminar N local days out, once each."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from events.enums import EmailKind, RegistrationStatus
from events.models import OutboundEmail
from events.reminders import reminders_send
from tests.factories import RegistrationFactory, SeminarFactory

# Delivery right after commit, as in development; production leaves it to send_outbox --loop.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_delivered")]

SAN_DIEGO = ZoneInfo("America/Los_Angeles")
NOW = datetime(2030, 3, 1, 12, 0, tzinfo=SAN_DIEGO)


@pytest.fixture(autouse=True)
def _san_diego_time(settings):
    settings.TIME_ZONE = "America/Los_Angeles"


def _seminar(*, local_start: datetime, **fields):
    return SeminarFactory(
        starts_at=local_start,
        registration_opens_at=NOW - timedelta(days=60),
        registration_closes_at=NOW - timedelta(days=1),
        **fields,
    )


def _reminded() -> list[str]:
    return sorted(
        OutboundEmail.objects.filter(kind=EmailKind.REMINDER).values_list("to", flat=True)
    )


def test_reminders_send_reaches_confirmed_only(mailoutbox, django_capture_on_commit_callbacks):
    seminar = _seminar(local_start=datetime(2030, 3, 8, 8, 0, tzinfo=SAN_DIEGO))
    for status in RegistrationStatus.values:
        RegistrationFactory(seminar=seminar, status=status, email=f"{status}@partner.example")
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(days=7, now=NOW) == 1
    assert _reminded() == ["confirmed@partner.example"]
    [message] = mailoutbox
    assert message.to == ["confirmed@partner.example"]
    assert message.subject.startswith(f"{seminar.title} starts in 7 days — code ")


def test_reminders_send_twice_reminds_each_person_once(
    mailoutbox, django_capture_on_commit_callbacks
):
    seminar = _seminar(local_start=datetime(2030, 3, 8, 8, 0, tzinfo=SAN_DIEGO))
    RegistrationFactory.create_batch(2, seminar=seminar)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(days=7, now=NOW) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(days=7, now=NOW) == 0
    assert len(mailoutbox) == 2
    assert OutboundEmail.objects.filter(kind=EmailKind.REMINDER).count() == 2


def test_reminders_send_other_days_is_another_reminder(
    mailoutbox, django_capture_on_commit_callbacks
):
    seminar = _seminar(local_start=datetime(2030, 3, 8, 8, 0, tzinfo=SAN_DIEGO))
    RegistrationFactory(seminar=seminar)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(days=7, now=NOW) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(days=1, now=NOW + timedelta(days=6)) == 1
    assert [m.subject.split(" — ")[0] for m in mailoutbox] == [
        f"{seminar.title} starts in 7 days",
        f"{seminar.title} starts in 1 day",
    ]


@pytest.mark.parametrize(
    ("local_start", "published", "reminded"),
    [
        (datetime(2030, 3, 8, 0, 0), True, True),
        (datetime(2030, 3, 8, 23, 59), True, True),
        (datetime(2030, 3, 7, 23, 59), True, False),
        (datetime(2030, 3, 9, 0, 0), True, False),
        (datetime(2030, 3, 8, 9, 0), False, False),
    ],
    ids=["day-starts", "day-ends", "day-before", "day-after", "unpublished"],
)
def test_reminders_send_only_for_seminars_n_local_days_out(local_start, published, reminded):
    seminar = _seminar(local_start=local_start.replace(tzinfo=SAN_DIEGO), is_published=published)
    RegistrationFactory(seminar=seminar, email="person@partner.example")
    assert reminders_send(days=7, now=NOW) == int(reminded)
    assert _reminded() == (["person@partner.example"] if reminded else [])


def test_reminders_send_uses_local_date_not_utc(mailoutbox):
    # 20:00 on 1 March in San Diego is already 2 March in UTC: still 7 local days out.
    late_evening = datetime(2030, 3, 1, 20, 0, tzinfo=SAN_DIEGO)
    seminar = _seminar(local_start=datetime(2030, 3, 8, 9, 0, tzinfo=SAN_DIEGO))
    RegistrationFactory(seminar=seminar)
    assert reminders_send(days=7, now=late_evening) == 1


def test_send_reminders_command_prints_count(mailoutbox, settings):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    seminar = _seminar(local_start=datetime.now(SAN_DIEGO) + timedelta(days=3))
    RegistrationFactory.create_batch(2, seminar=seminar)
    out = StringIO()
    call_command("send_reminders", "--days", "3", stdout=out)
    assert out.getvalue() == "Reminders written: 2.\n"
    # Delivered by the command itself, not left for the worker.
    assert len(mailoutbox) == 2
    out = StringIO()
    call_command("send_reminders", "--days", "3", stdout=out)
    assert out.getvalue() == "Reminders written: 0.\n"
    assert len(mailoutbox) == 2

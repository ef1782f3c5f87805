"""The outbox: written with the change, delivered after it, retried, never sent twice."""

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ctpat.exceptions import CompanyNotEligible
from events.changes import registration_change, registration_substitute
from events.enums import EmailKind, RegistrationStatus
from events.exceptions import AlreadyRegistered, SeminarFull, WorkshopDayFull
from events.models import OutboundEmail
from events.outbox import MAX_ATTEMPTS, outbox_deliver, outbox_send_due
from tests.factories import CompanyFactory, seminar_build

# Delivery right after commit, as in development; production leaves it to send_outbox --loop.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_delivered")]

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every recipient, quoting the address as real servers do."""

    def send_messages(self, email_messages):
        raise SMTPRecipientsRefused(
            {m.to[0]: (550, b"mailbox unavailable") for m in email_messages}
        )


class ReentrantBackend(BaseEmailBackend):
    """Starts a second deliverer while the first is still sending its first message."""

    started_second = False

    def send_messages(self, email_messages):
        if not ReentrantBackend.started_second:
            ReentrantBackend.started_second = True
            outbox_deliver()
        mail.outbox.extend(email_messages)
        return len(email_messages)


class SlowBackend(BaseEmailBackend):
    """A slow server, so that concurrent deliverers overlap; records what it was given."""

    lock = threading.Lock()

    def send_messages(self, email_messages):
        time.sleep(0.01)
        with SlowBackend.lock:
            mail.outbox.extend(email_messages)
        return len(email_messages)


class CountingBackend(BaseEmailBackend):
    """Counts the connections opened to the mail server and the messages sent over them."""

    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return True

    def send_messages(self, email_messages):
        mail.outbox.extend(email_messages)
        return len(email_messages)


def send_outbox(*args) -> str:
    out = StringIO()
    call_command("send_outbox", *args, stdout=out, stderr=out)
    return out.getvalue()


def _make_due():
    OutboundEmail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_outbox_failing_server_keeps_registration_and_message(
    seminar, company, register, settings, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with (
        caplog.at_level(logging.WARNING, logger="events.outbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        registration = register(seminar, company)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED
    rows = OutboundEmail.objects.order_by("pk")
    assert [(r.kind, r.to) for r in rows] == [
        (EmailKind.CONFIRMED, registration.email),
        (EmailKind.COMPANY_NOTICE, company.poc_email),
    ]
    assert {(r.sent_at, r.attempts, r.last_error) for r in rows} == {
        (None, 1, "SMTPRecipientsRefused")
    }
    assert all(r.next_attempt_at > timezone.now() for r in rows)
    assert mailoutbox == []
    assert len(caplog.records) == 2
    assert registration.email not in caplog.text
    assert company.poc_email not in caplog.text


def test_send_outbox_delivers_once_after_server_recovers(
    seminar, company, register, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(seminar, company)
    settings.EMAIL_BACKEND = LOCMEM

    assert send_outbox() == "Sent 0, failed 0.\n"  # not due yet: the retry waits its backoff
    _make_due()
    assert send_outbox() == "Sent 2, failed 0.\n"
    assert send_outbox() == "Sent 0, failed 0.\n"

    assert sorted(m.to[0] for m in mailoutbox) == sorted([registration.email, company.poc_email])
    assert {(r.attempts, r.last_error) for r in OutboundEmail.objects.all()} == {(2, "")}
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 0


def test_send_outbox_backs_off_and_gives_up_after_max_attempts(
    seminar, company, register, settings, mailoutbox
):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    register(seminar, company)
    delays = []
    for _attempt in range(MAX_ATTEMPTS):
        _make_due()
        before = timezone.now()
        assert send_outbox().startswith("Sent 0, failed 2.\n")
        delays.append(OutboundEmail.objects.first().next_attempt_at - before)
    assert delays[1] > delays[0]
    assert max(delays) <= timedelta(hours=2, seconds=5)
    _make_due()
    assert send_outbox() == (
        "Sent 0, failed 0.\n2 e-mail(s) gave up after 12 attempts; see the admin.\n"
    )
    assert mailoutbox == []


def test_outbox_sends_only_after_commit(
    seminar, company, register, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        register(seminar, company)
        assert OutboundEmail.objects.count() == 2
    assert mailoutbox == []
    [deliver] = callbacks
    deliver()
    assert len(mailoutbox) == 2


def test_outbox_deliver_on_commit_off_leaves_messages_to_worker(
    seminar, company, register, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    with django_capture_on_commit_callbacks(execute=True):
        register(seminar, company)
    assert mailoutbox == []
    assert send_outbox() == "Sent 2, failed 0.\n"
    assert len(mailoutbox) == 2


@pytest.mark.parametrize(
    ("batch", "first_sent"),
    [(1, 1), (4, 4), (50, 6)],
    ids=["second-takes-the-other-five", "second-takes-the-next-batch", "one-batch-for-all"],
)
def test_outbox_second_deliverer_never_sends_a_message_twice(
    batch, first_sent, seminar, register, settings, mailoutbox, monkeypatch
):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    monkeypatch.setattr("events.outbox.BATCH", batch)
    for _person in range(3):
        register(seminar, CompanyFactory())
    settings.EMAIL_BACKEND = f"{__name__}.ReentrantBackend"
    ReentrantBackend.started_second = False
    # The second deliverer starts while the first sends its first batch: it takes what the first
    # has not claimed, and the first claims nothing it took.
    assert outbox_deliver() == (first_sent, 0)
    assert ReentrantBackend.started_second
    assert len(mailoutbox) == 6
    assert len({(m.to[0], m.subject) for m in mailoutbox}) == 6
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("suspended", CompanyNotEligible),
        ("full", SeminarFull),
        ("duplicate", AlreadyRegistered),
    ],
    ids=["ineligible-company", "full-seminar", "same-email"],
)
def test_outbox_refused_registration_writes_no_message(setup, error, seminar, company, register):
    if setup == "full":
        seminar.capacity = 0
        seminar.save()
    if setup == "duplicate":
        register(seminar, company, email="twice@partner.example")
    before = OutboundEmail.objects.count()
    if setup == "suspended":
        company = CompanyFactory(status="suspended")
    with pytest.raises(error):
        register(seminar, company, email="twice@partner.example")
    assert OutboundEmail.objects.count() == before


def test_outbox_rolled_back_change_writes_no_message(register):
    seminar = seminar_build(capacity=10, day_capacities=(5, 1))
    first_day, second_day = seminar.days.all()
    register(seminar, CompanyFactory(), day=second_day)
    registration = register(seminar, CompanyFactory(), day=first_day)
    with pytest.raises(WorkshopDayFull):
        registration_change(registration=registration, workshop_day_id=second_day.pk)
    assert not OutboundEmail.objects.filter(kind=EmailKind.CHANGED).exists()


def test_outbox_refused_substitution_writes_no_message(seminar, company, register):
    taken = register(seminar, company)
    registration = register(seminar, company)
    with pytest.raises(AlreadyRegistered):
        registration_substitute(
            registration=registration,
            first_name="Jorge",
            last_name="Ruiz",
            email=taken.email.upper(),
            job_title="Logistics lead",
            phone="+52 664 555 0111",
        )
    assert not OutboundEmail.objects.filter(kind=EmailKind.HANDED_OVER).exists()
    assert OutboundEmail.objects.count() == 4  # two confirmations and two notices


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outbox_concurrent_deliverers_send_each_message_once(register, settings):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    seminar = seminar_build()
    for _person in range(20):
        register(seminar, CompanyFactory())
    mail.outbox = []
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def deliverer():
        try:
            barrier.wait(timeout=30)
            outbox_deliver()
        except BaseException as error:  # reported in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliverer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    delivered = [(m.to[0], m.subject) for m in mail.outbox]
    assert len(delivered) == 40
    assert len(set(delivered)) == 40
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 0
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.parametrize(
    ("debug", "delivered"), [("0", "False"), ("1", "True")], ids=["production", "development"]
)
def test_outbox_deliver_on_commit_default_only_in_development(debug, delivered):
    env = {k: v for k, v in os.environ.items() if k != "OUTBOX_DELIVER_ON_COMMIT"}
    env.update(DEBUG=debug, SECRET_KEY="x", DJANGO_SETTINGS_MODULE="ctpat.settings")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ctpat import settings; print(settings.OUTBOX_DELIVER_ON_COMMIT)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == delivered


def _registered(register, count: int) -> None:
    seminar = seminar_build()
    for _person in range(count):
        register(seminar, CompanyFactory())


@pytest.mark.usefixtures("outbox_kept")
def test_outbox_send_due_keeps_to_the_rate(register, mailoutbox):
    _registered(register, 12)  # 24 messages
    waits = []
    assert outbox_send_due(rate=5, wait=lambda seconds: waits.append(seconds)) == (24, 0)
    # Batches of 5, each followed by the rest of its second: 5 + 5 + 5 + 5 + 4.
    assert len(waits) == 4
    assert all(0 < seconds <= 1.0 for seconds in waits)
    assert len({(m.to[0], m.subject) for m in mailoutbox}) == 24


@pytest.mark.usefixtures("outbox_kept")
def test_outbox_send_due_without_rate_sends_all_at_once(register, mailoutbox):
    _registered(register, 12)
    assert outbox_send_due(rate=0, wait=pytest.fail) == (24, 0)
    assert len(mailoutbox) == 24


@pytest.mark.usefixtures("outbox_kept")
def test_outbox_send_due_stops_between_batches_when_told(register, mailoutbox):
    _registered(register, 6)
    assert outbox_send_due(rate=4, wait=lambda seconds: True) == (4, 0)
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 8
    assert outbox_send_due(rate=0) == (8, 0)


def test_outbox_send_rate_setting_defaults_to_ten_and_never_goes_negative():
    env = {k: v for k, v in os.environ.items() if k != "OUTBOX_SEND_RATE"}
    env.update(SECRET_KEY="x", DJANGO_SETTINGS_MODULE="ctpat.settings")
    rates = []
    for value in (None, "-3", "2.5"):
        run_env = env if value is None else {**env, "OUTBOX_SEND_RATE": value}
        result = subprocess.run(
            [sys.executable, "-c", "from ctpat import settings; print(settings.OUTBOX_SEND_RATE)"],
            env=run_env,
            capture_output=True,
            text=True,
            check=True,
        )
        rates.append(result.stdout.strip())
    assert rates == ["10.0", "0.0", "2.5"]


@pytest.mark.usefixtures("outbox_kept")
def test_outbox_batch_reads_and_connects_once_however_many_messages(register, settings):
    """A batch's claim, reads, marks and mail connection do not grow with its messages."""
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    seminar = seminar_build(day_capacities=(20,), sessions_per_day=2)
    day = seminar.days.get()
    queries = []
    for count in (2, 8):
        for _person in range(count):
            register(seminar, CompanyFactory(), day=day, sessions=list(day.sessions.all()[:1]))
        CountingBackend.opened = 0
        with CaptureQueriesContext(connection) as captured:
            assert outbox_deliver() == (2 * count, 0)
        assert CountingBackend.opened == 1
        queries.append(len(captured.captured_queries))
    assert queries[0] == queries[1]

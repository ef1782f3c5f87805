"""The e-mail outbox: messages are written with the change they report and delivered after it.

``outbox_write`` runs inside the caller's transaction, so a message exists exactly when its
change committed. Delivery happens after commit (and again from ``manage.py send_outbox`` for
whatever failed); a failing mail server only delays a message, it never fails a registration.
"""

import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ctpat.models import Company
from events.emails import Reads, email_message_build
from events.enums import EmailKind
from events.models import OutboundEmail, Registration

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)

# The company's CTPAT point of contact hears of every change to who holds its seats (R3).
COMPANY_NOTICE_KINDS = frozenset(
    {
        EmailKind.CONFIRMED,
        EmailKind.WAITLISTED,
        EmailKind.PROMOTED,
        EmailKind.CANCELLED,
        EmailKind.HANDED_OVER,
    }
)


def outbox_write(
    *,
    registration: Registration,
    kind: str,
    context: dict | None = None,
    dedupe_key: str | None = None,
    notify_company: bool = True,
) -> list[OutboundEmail]:
    """Write the registrant's message (and the company's notice) into the caller's transaction."""
    context = context or {}
    emails = [
        OutboundEmail(
            kind=kind,
            registration=registration,
            to=registration.email,
            context=context,
            dedupe_key=dedupe_key,
        )
    ]
    poc_email = registration.company.poc_email
    if (
        notify_company
        and kind in COMPANY_NOTICE_KINDS
        and poc_email
        and poc_email.lower() != registration.email.lower()
    ):
        emails.append(
            OutboundEmail(
                kind=EmailKind.COMPANY_NOTICE,
                registration=registration,
                to=poc_email,
                context={**context, "event": kind},
            )
        )
    # ignore_conflicts: a message with the same dedupe key was already written (a reminder).
    written = OutboundEmail.objects.bulk_create(emails, ignore_conflicts=dedupe_key is not None)
    _deliver_after_commit(written, keys=[dedupe_key] if dedupe_key is not None else [])
    return written


def outbox_write_once(
    *,
    registrations: Iterable[Registration],
    kind: str,
    dedupe_key: Callable[[Registration], str],
    context: dict | None = None,
) -> int:
    """Write one message of ``kind`` to each registrant who has not had the one
    ``dedupe_key(registration)`` names, in one INSERT in the caller's transaction (no company
    notice: for reminders and certificates). Returns how many were written; the unique key makes
    a second run at the same moment write nothing twice."""
    keys = {registration.pk: dedupe_key(registration) for registration in registrations}
    done = set(
        OutboundEmail.objects.filter(dedupe_key__in=keys.values()).values_list(
            "dedupe_key", flat=True
        )
    )
    emails = [
        OutboundEmail(
            kind=kind,
            registration=registration,
            to=registration.email,
            context=context or {},
            dedupe_key=keys[registration.pk],
        )
        for registration in registrations
        if keys[registration.pk] not in done
    ]
    written = OutboundEmail.objects.bulk_create(emails, ignore_conflicts=True)
    _deliver_after_commit(written, keys=[email.dedupe_key for email in emails])
    return len(emails)


# At most one requested link per company in this long: the link just sent works for days, and
# whoever keeps asking (from however many clients) cannot fill the point of contact's inbox.
COMPANY_LINK_EMAIL_EVERY = timedelta(minutes=5)


def outbox_write_company_link(
    *, company: Company, language: str, now: datetime | None = None
) -> None:
    """The message that carries a link to the company's page to its point of contact, in
    ``language``, unless one was already written for the company in the same
    ``COMPANY_LINK_EMAIL_EVERY``. The link itself is issued when the message is rendered, so no
    working link waits in the outbox."""
    now = now or timezone.now()
    window = int(now.timestamp() // COMPANY_LINK_EMAIL_EVERY.total_seconds())
    key = f"company-link:{company.pk}:{window}"
    email = OutboundEmail(
        kind=EmailKind.COMPANY_LINK,
        company=company,
        to=company.poc_email,
        context={"language": language},
        dedupe_key=key,
        created_at=now,
        next_attempt_at=now,
    )
    written = OutboundEmail.objects.bulk_create([email], ignore_conflicts=True)
    _deliver_after_commit(written, keys=[key])


def _deliver_after_commit(written: list[OutboundEmail], *, keys: list[str]) -> None:
    """With ``OUTBOX_DELIVER_ON_COMMIT``, send the messages just written once the change commits."""
    if not settings.OUTBOX_DELIVER_ON_COMMIT:
        return
    ids = [email.pk for email in written if email.pk is not None]
    if keys:
        # With ignore_conflicts the database returns no ids: find the rows by their keys.
        ids += OutboundEmail.objects.filter(dedupe_key__in=keys, sent_at__isnull=True).values_list(
            "pk", flat=True
        )
    # robust: the change has committed; nothing in delivery may undo its answer.
    transaction.on_commit(lambda: outbox_deliver(ids=ids), robust=True)


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


# Messages claimed, sent and marked together: two commits per batch instead of two per message
# (a rush writes two messages per seat, and every commit waits for the disk). A worker killed in
# the middle of a batch may send its first messages again after their retry delay.
BATCH = 50


def _claim(*, ids: list[int] | None, now: datetime, limit: int) -> dict[int, int]:
    """Lease up to ``limit`` due messages to this process until their next attempt is due.

    Returns each claimed message's attempt number. The rows are locked while they are claimed:
    another deliverer skips them (PostgreSQL) or waits for this transaction (SQLite's writers
    serialize), and then finds them no longer due.
    """
    due = OutboundEmail.objects.filter(
        sent_at__isnull=True, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS
    )
    if ids is not None:
        due = due.filter(pk__in=ids)
    with transaction.atomic():
        rows = dict(
            due.order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", "attempts")[:limit]
        )
        by_attempts: dict[int, list[int]] = {}
        for email_id, attempts in rows.items():
            by_attempts.setdefault(attempts, []).append(email_id)
        for attempts, email_ids in by_attempts.items():
            OutboundEmail.objects.filter(pk__in=email_ids, attempts=attempts).update(
                attempts=attempts + 1, next_attempt_at=now + _retry_delay(attempts + 1)
            )
    return {email_id: attempts + 1 for email_id, attempts in rows.items()}


def _with_related(emails: QuerySet[OutboundEmail]) -> QuerySet[OutboundEmail]:
    """What rendering a message reads, in a fixed number of queries for a whole batch."""
    return emails.select_related(
        "registration__seminar", "registration__company", "registration__workshop_day", "company"
    ).order_by("next_attempt_at", "pk")


def _send(claimed: Iterable[int]) -> dict[int, str]:
    """Send the claimed messages over one connection: each one's error type, "" if it went out."""
    outcome: dict[int, str] = {}
    try:
        emails = list(_with_related(OutboundEmail.objects.filter(pk__in=claimed)))
        reads = Reads(emails)
        with get_connection() as mail_connection:
            for email in emails:
                try:
                    mail_connection.send_messages([email_message_build(email=email, reads=reads)])
                except Exception as exc:
                    outcome[email.pk] = type(exc).__name__
                else:
                    outcome[email.pk] = ""
    except Exception as exc:
        # The mail server could not be reached (or was lost): the rest wait for their retry.
        for email_id in claimed:
            outcome.setdefault(email_id, type(exc).__name__)
    return outcome


def outbox_deliver(*, ids: list[int] | None = None, limit: int = 500) -> tuple[int, int]:
    """Send due messages (all, or those of ``ids``); returns (sent, failed). Never raises."""
    sent = failed = 0
    while sent + failed < limit:
        claimed = _claim(ids=ids, now=timezone.now(), limit=min(BATCH, limit - sent - failed))
        if not claimed:
            break
        by_error: dict[str, list[int]] = {}
        for email_id, error in _send(claimed).items():
            by_error.setdefault(error, []).append(email_id)
        for error, email_ids in by_error.items():
            if error:
                # A mail server's error text often quotes the address: keep the type only.
                OutboundEmail.objects.filter(pk__in=email_ids).update(last_error=error)
                for email_id in email_ids:
                    logger.warning(
                        "E-mail %s not delivered (attempt %d): %s",
                        email_id,
                        claimed[email_id],
                        error,
                    )
                failed += len(email_ids)
            else:
                OutboundEmail.objects.filter(pk__in=email_ids).update(
                    sent_at=timezone.now(), last_error=""
                )
                sent += len(email_ids)
        if len(claimed) < BATCH:
            break
    return sent, failed


def outbox_send_due(
    *, rate: float | None = None, wait: Callable[[float], object] = time.sleep
) -> tuple[int, int]:
    """Deliver every due message, at most ``rate`` a second; returns (sent, failed).

    ``rate`` defaults to ``settings.OUTBOX_SEND_RATE`` (0: as fast as they render). Mail services
    cap how fast an account may send (Amazon SES starts at 14 messages a second) and refuse the
    excess; a rush's thousands of confirmations then go out steadily instead of failing into
    retries, and the worker renders them without taking the CPU the registrations need.
    ``wait(seconds)`` pauses between batches; a true answer (a set stop event's) ends the run.
    """
    rate = settings.OUTBOX_SEND_RATE if rate is None else rate
    batch = min(BATCH, max(1, math.floor(rate))) if rate else BATCH
    sent = failed = 0
    while True:
        started = time.monotonic()
        batch_sent, batch_failed = outbox_deliver(limit=batch)
        sent, failed = sent + batch_sent, failed + batch_failed
        # A short batch means nothing more is due (or others claimed it).
        if batch_sent + batch_failed < batch:
            return sent, failed
        if rate and wait(max(0.0, batch / rate - (time.monotonic() - started))):
            return sent, failed

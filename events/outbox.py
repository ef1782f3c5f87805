"""The e-mail outbox: messages are written with the change they report and delivered after it.

``outbox_write`` runs inside the caller's transaction, so a message exists exactly when its
change committed. Delivery happens after commit (and again from ``manage.py send_outbox`` for
whatever failed); a failing mail server only delays a message, it never fails a registration.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

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
    if settings.OUTBOX_DELIVER_ON_COMMIT:
        ids = [email.pk for email in written if email.pk is not None]
        if dedupe_key is not None:
            # With ignore_conflicts the database returns no ids: find the row by its key.
            ids += OutboundEmail.objects.filter(
                dedupe_key=dedupe_key, sent_at__isnull=True
            ).values_list("pk", flat=True)
        # robust: the change has committed; nothing that happens in delivery may undo its answer.
        transaction.on_commit(lambda: outbox_deliver(ids=ids), robust=True)
    return written


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def _claim(email_id: int, *, attempts: int, now: datetime) -> bool:
    """Lease one message to this process until its next attempt is due; False if another has it."""
    return bool(
        OutboundEmail.objects.filter(
            pk=email_id, sent_at__isnull=True, attempts=attempts, next_attempt_at__lte=now
        ).update(attempts=attempts + 1, next_attempt_at=now + _retry_delay(attempts + 1))
    )


def outbox_deliver(*, ids: list[int] | None = None, limit: int = 500) -> tuple[int, int]:
    """Send due messages (all, or those of ``ids``); returns (sent, failed). Never raises."""
    now = timezone.now()
    due = OutboundEmail.objects.filter(
        sent_at__isnull=True, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS
    )
    if ids is not None:
        due = due.filter(pk__in=ids)
    sent = failed = 0
    for email_id, attempts in due.order_by("next_attempt_at", "pk").values_list("pk", "attempts")[
        :limit
    ]:
        if not _claim(email_id, attempts=attempts, now=now):
            continue
        try:
            from events.emails import email_message_build  # emails reads the wait-list: a cycle

            email = OutboundEmail.objects.select_related(
                "registration__seminar", "registration__company", "registration__workshop_day"
            ).get(pk=email_id)
            email_message_build(email=email).send()
        except Exception as exc:
            # A mail server's error text often quotes the address: keep the type only.
            failed += 1
            OutboundEmail.objects.filter(pk=email_id).update(last_error=type(exc).__name__)
            logger.warning(
                "E-mail %s not delivered (attempt %d): %s",
                email_id,
                attempts + 1,
                type(exc).__name__,
            )
        else:
            sent += 1
            OutboundEmail.objects.filter(pk=email_id).update(sent_at=timezone.now(), last_error="")
    return sent, failed

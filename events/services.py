"""Use cases of seminar registration. Each runs in one database transaction.

Lock order, the same in every use case that moves a counter so that no two transactions wait for
each other in a cycle: company allocation, sessions (by id), workshop day, seminar. The hottest
row, the seminar, comes last so that it is held for the shortest time: from its UPDATE to COMMIT.
"""

import secrets
from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _t

from ctpat.models import Company
from ctpat.services import company_get_eligible
from events.enums import ACTIVE_STATUSES, RegistrationStatus
from events.exceptions import (
    AlreadyRegistered,
    CompanyLimitReached,
    InvalidChoice,
    RegistrationClosed,
    SeminarFull,
    SessionFull,
    SessionsOverlap,
    WorkshopDayFull,
)
from events.models import (
    BreakoutSession,
    CompanyAllocation,
    Registration,
    RegistrationSession,
    Seminar,
    WorkshopDay,
)

# No 0/O, 1/I/L: a code read aloud over the phone or typed from a badge cannot be misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def confirmation_code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def manage_token_generate() -> str:
    return secrets.token_urlsafe(32)  # 256 bits, unrelated to the confirmation code


def _choices_validate(
    *, seminar: Seminar, workshop_day_id: int | None, session_ids: Sequence[int]
) -> tuple[WorkshopDay | None, list[BreakoutSession]]:
    """R4/R5 shape: exactly one day of this seminar; sessions of that day that do not overlap."""
    days = list(seminar.days.all())
    day = None
    if days:
        day = next((d for d in days if d.pk == workshop_day_id), None)
        if day is None:
            raise InvalidChoice(
                _t("Choose one of this seminar's workshop days."), field="workshop_day"
            )
    elif workshop_day_id is not None:
        raise InvalidChoice(_t("This seminar has no workshop days."), field="workshop_day")

    wanted = set(session_ids)
    if not wanted:
        return day, []
    if day is None:
        raise InvalidChoice(_t("This seminar has no break-out sessions."), field="sessions")
    sessions = sorted(
        BreakoutSession.objects.filter(pk__in=wanted, day=day), key=lambda s: s.starts_at
    )
    if len(sessions) != len(wanted):
        raise InvalidChoice(
            _t("Choose break-out sessions on your workshop day (%(day)s).") % {"day": day.label},
            field="sessions",
        )
    for earlier, later in zip(sessions, sessions[1:], strict=False):
        if earlier.overlaps(later):
            raise SessionsOverlap(
                _t("“%(first)s” and “%(second)s” take place at the same time. Choose one of them.")
                % {"first": earlier.topic, "second": later.topic}
            )
    return day, sessions


def _company_seat_take(*, seminar: Seminar, company: Company) -> None:
    """R3 guard: take one of the company's seats, or refuse."""
    for _attempt in range(2):
        taken = CompanyAllocation.objects.filter(
            seminar=seminar, company=company, confirmed_count__lt=seminar.per_company_limit
        ).update(confirmed_count=F("confirmed_count") + 1)
        if taken:
            return
        if CompanyAllocation.objects.filter(seminar=seminar, company=company).exists():
            break
        CompanyAllocation.objects.bulk_create(
            [CompanyAllocation(seminar=seminar, company=company)], ignore_conflicts=True
        )
    raise CompanyLimitReached(
        _t(
            "%(company)s already has %(limit)d people registered for this seminar, the most one "
            "company may send. A registered colleague can hand over their seat through the link "
            "in their confirmation e-mail."
        )
        % {"company": company.legal_name, "limit": seminar.per_company_limit}
    )


def _sessions_take(*, sessions: list[BreakoutSession]) -> None:
    """R5 guard: one seat in each picked session, or refuse naming the full one."""
    if not sessions:
        return
    locked = list(
        BreakoutSession.objects.select_for_update()
        .filter(pk__in=[s.pk for s in sessions])
        .order_by("pk")
    )
    for session in locked:
        if session.confirmed_count >= session.capacity:
            raise SessionFull(
                _t("The session “%(topic)s” is full. Choose another session or leave it out.")
                % {"topic": session.topic}
            )
    BreakoutSession.objects.filter(pk__in=[s.pk for s in locked]).update(
        confirmed_count=F("confirmed_count") + 1
    )


def _day_seat_take(*, day: WorkshopDay | None) -> None:
    """R4 guard."""
    if day is None:
        return
    taken = WorkshopDay.objects.filter(pk=day.pk, confirmed_count__lt=F("capacity")).update(
        confirmed_count=F("confirmed_count") + 1
    )
    if not taken:
        raise WorkshopDayFull()


def _seminar_seat_take(*, seminar: Seminar) -> None:
    """R2 guard."""
    taken = Seminar.objects.filter(pk=seminar.pk, confirmed_count__lt=F("capacity")).update(
        confirmed_count=F("confirmed_count") + 1
    )
    if not taken:
        raise SeminarFull()


def _registration_insert(**fields) -> Registration:
    """Insert one registration; R6's unique index turns a duplicate e-mail into a refusal."""
    registration = Registration(
        confirmation_code=confirmation_code_generate(),
        manage_token=manage_token_generate(),
        **fields,
    )
    try:
        registration.save(force_insert=True)
    except IntegrityError as exc:
        if "events_registration_one_active_email" in str(exc):
            raise AlreadyRegistered() from exc
        raise
    return registration


def _on_commit_send_confirmation(registration: Registration) -> None:
    from events.emails import registration_confirmation_send

    transaction.on_commit(lambda: registration_confirmation_send(registration=registration))


def registration_create(
    *,
    seminar: Seminar,
    account_number: str,
    first_name: str,
    last_name: str,
    email: str,
    job_title: str,
    phone: str,
    workshop_day_id: int | None,
    session_ids: Sequence[int] = (),
    waitlist: bool = False,
    language: str = "en",
    now: datetime | None = None,
) -> Registration:
    """Register one person: confirmed, or wait-listed when asked for and the seminar or day is full.

    Raises a ``DomainError`` subclass for every refusal; nothing is written then.
    """
    now = now or timezone.now()
    if not seminar.registration_is_open(now=now):
        raise RegistrationClosed()
    company = company_get_eligible(account_number=account_number, on=timezone.localdate(now))
    day, sessions = _choices_validate(
        seminar=seminar, workshop_day_id=workshop_day_id, session_ids=session_ids
    )
    email = email.strip()
    if Registration.objects.filter(
        seminar=seminar, email__iexact=email, status__in=ACTIVE_STATUSES
    ).exists():
        raise AlreadyRegistered()  # a friendly early answer; the unique index is the guard
    person = {
        "seminar": seminar,
        "company": company,
        "workshop_day": day,
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "email": email,
        "job_title": job_title.strip(),
        "phone": phone.strip(),
        "language": language,
        "created_at": now,
    }
    for _attempt in range(3):
        try:
            try:
                return _registration_confirm(
                    seminar=seminar, sessions=sessions, person=person, now=now
                )
            except (SeminarFull, WorkshopDayFull):
                if not waitlist:
                    raise
            return _registration_waitlist(
                seminar=seminar, sessions=sessions, person=person, now=now
            )
        except _SeatFreedMeanwhile:
            continue
        except IntegrityError as exc:
            if "confirmation_code" not in str(exc):
                raise
            # Two registrations drew the same code (about 1 in 10^12): draw again.
    raise SeminarFull()


def _registration_confirm(*, seminar, sessions, person, now) -> Registration:
    with transaction.atomic(durable=True):
        # Unlocked reads that refuse early once full; the conditional UPDATEs below are the guards.
        if Seminar.objects.filter(pk=seminar.pk, confirmed_count__gte=F("capacity")).exists():
            raise SeminarFull()
        _company_seat_take(seminar=seminar, company=person["company"])
        _sessions_take(sessions=sessions)
        _day_seat_take(day=person["workshop_day"])
        registration = _registration_insert(
            status=RegistrationStatus.CONFIRMED, confirmed_at=now, **person
        )
        _picks_insert(registration=registration, sessions=sessions)
        _seminar_seat_take(seminar=seminar)
        _on_commit_send_confirmation(registration)
    return registration


def _registration_waitlist(*, seminar, sessions, person, now) -> Registration:
    with transaction.atomic(durable=True):
        # Holding the seminar row, nobody can free or take a seat while we decide: if one is free
        # now, the person should have it rather than wait.
        locked = Seminar.objects.select_for_update().get(pk=seminar.pk)
        day = person["workshop_day"]
        day_full = (
            day is not None
            and not WorkshopDay.objects.filter(
                pk=day.pk, confirmed_count__lt=F("capacity")
            ).exists()
        )
        if locked.confirmed_count < locked.capacity and not day_full:
            raise _SeatFreedMeanwhile()
        registration = _registration_insert(
            status=RegistrationStatus.WAITLISTED, waitlisted_at=now, **person
        )
        _picks_insert(registration=registration, sessions=sessions)
        _on_commit_send_confirmation(registration)
    return registration


class _SeatFreedMeanwhile(Exception):
    pass


def _picks_insert(*, registration: Registration, sessions: list[BreakoutSession]) -> None:
    if sessions:
        RegistrationSession.objects.bulk_create(
            [RegistrationSession(registration=registration, session=s) for s in sessions]
        )

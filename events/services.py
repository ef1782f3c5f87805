"""Use cases of seminar registration. Each runs in one database transaction.

Every use case that moves seats takes the seminar's row first, through ``events.seats``: one lock
per seminar, so no two such transactions wait for each other in a cycle, whatever rows a
promotion from the wait-list then needs. Measured on PostgreSQL with fsync on, taking the seminar
row last instead bought no throughput and a longer latency tail.
"""

import functools
import itertools
import secrets
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import MappingProxyType

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _t

from ctpat.exceptions import DomainError
from ctpat.services import company_get_eligible
from events import seats
from events.enums import EmailKind, QuestionKind, RegistrationStatus, YesNo
from events.exceptions import (
    AlreadyRegistered,
    InvalidAnswer,
    InvalidChoice,
    RegistrationClosed,
    SeminarFull,
    SessionsOverlap,
    WorkshopDayFull,
)
from events.models import (
    ANSWER_MAX_LENGTH,
    BreakoutSession,
    Registration,
    RegistrationAnswer,
    RegistrationSession,
    Seminar,
    WorkshopDay,
    text_naming,
)
from events.outbox import outbox_rows, outbox_write, outbox_written

# No 0/O, 1/I/L: a code read aloud over the phone or typed from a badge cannot be misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
NO_ANSWERS: Mapping[int, str] = MappingProxyType({})


def confirmation_code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def manage_token_generate() -> str:
    return secrets.token_urlsafe(32)  # 256 bits, unrelated to the confirmation code


def choices_validate(
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
    # The day's sessions come with it when the caller loaded the program (the form did): no query.
    sessions = sorted(
        (s for s in day.sessions.all() if s.pk in wanted), key=lambda s: (s.starts_at, s.pk)
    )
    if len(sessions) != len(wanted):
        raise InvalidChoice(
            text_naming(
                _t("Choose break-out sessions on your workshop day (%(day)s)."), day=(day, "label")
            ),
            field="sessions",
        )
    for earlier, later in itertools.pairwise(sessions):
        if earlier.overlaps(later):
            raise SessionsOverlap(
                text_naming(
                    _t(
                        "“%(first)s” and “%(second)s” take place at the same time. "
                        "Choose one of them."
                    ),
                    first=(earlier, "topic"),
                    second=(later, "topic"),
                )
            )
    return day, sessions


def answers_validate(*, seminar: Seminar, answers: Mapping[int, str]) -> list[RegistrationAnswer]:
    """The answers to the seminar's own questions, unsaved; an empty answer counts as none."""
    questions = {question.pk: question for question in seminar.questions.all()}
    for question_id in answers:
        if question_id not in questions:
            raise InvalidAnswer(
                _t("This question is not one of this seminar's. Reload the form and try again."),
                field=f"question_{question_id}",
            )
    rows = []
    for question in questions.values():
        value = str(answers.get(question.pk) or "").strip()
        if not value:
            if question.required:
                raise InvalidAnswer(_t("Answer this question."), field=question.field_name)
            continue
        if question.kind == QuestionKind.CHOICE:
            valid = value in question.option_keys
        elif question.kind == QuestionKind.YES_NO:
            valid = value in YesNo.values
        else:
            valid = len(value) <= ANSWER_MAX_LENGTH
        if not valid:
            raise InvalidAnswer(field=question.field_name)
        rows.append(RegistrationAnswer(question=question, value=value))
    return rows


def _registration_new(**fields) -> Registration:
    return Registration(
        confirmation_code=confirmation_code_generate(),
        manage_token=manage_token_generate(),
        **fields,
    )


@contextmanager
def _duplicate_email_refused():
    """R6's unique index turns the INSERT of a duplicate e-mail into a refusal."""
    try:
        yield
    except IntegrityError as exc:
        if "events_registration_one_active_email" in str(exc):
            raise AlreadyRegistered() from exc
        raise


def _registration_insert(**fields) -> Registration:
    """Insert one registration (R6 refuses a duplicate e-mail)."""
    registration = _registration_new(**fields)
    with _duplicate_email_refused():
        registration.save(force_insert=True)
    return registration


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
    answers: Mapping[int, str] = NO_ANSWERS,
    now: datetime | None = None,
) -> Registration:
    """Register one person: confirmed, or wait-listed when asked for and the seminar or day is full.

    Raises a ``DomainError`` subclass for every refusal; nothing is written then.
    """
    now = now or timezone.now()
    if not seminar.registration_is_open(now=now):
        raise RegistrationClosed()
    company = company_get_eligible(
        account_number=account_number,
        on=timezone.localdate(now),
        lookup=functools.partial(seats.company_with_limit, seminar=seminar),
    )
    day, sessions = choices_validate(
        seminar=seminar, workshop_day_id=workshop_day_id, session_ids=session_ids
    )
    answer_rows = answers_validate(seminar=seminar, answers=answers)
    # R3 is decided in the transaction; a company already at its limit (as read with it) is told
    # so before anything is written or any seat is locked (a seat it holds frees only when a
    # colleague cancels).
    if company.at_limit:
        raise seats.company_limit_error(seminar=seminar, company=company)
    # R6 needs no read first: the unique index refuses the INSERT before any seat is touched.
    email = email.strip()
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
            return _registration_save(
                seminar=seminar,
                sessions=sessions,
                answers=answer_rows,
                person=person,
                waitlist=waitlist,
                now=now,
            )
        except IntegrityError as exc:
            if "confirmation_code" not in str(exc):
                raise
            # Two registrations drew the same code (about 1 in 10^12): draw again.
    raise RuntimeError("could not draw a unique confirmation code")


def _registration_save(*, seminar, sessions, answers, person, waitlist, now) -> Registration:
    # While the form's copy of the seminar shows seats (nearly every attempt of a rush until the
    # last seat goes), take them all or none, with the commit in the seat call's round trip; a
    # seminar or day that filled up meanwhile is then decided under the seminar's lock.
    if seminar.remaining > 0:
        try:
            return _registration_save_seated(
                seminar=seminar, sessions=sessions, answers=answers, person=person, now=now
            )
        except seats.SeatUnavailable as unavailable:
            # The seminar had a seat and the day none: for someone who has not asked for the
            # wait-list the seat call's answer is the refusal, with no lock queued for.
            if unavailable.full == "day" and not waitlist:
                raise WorkshopDayFull() from None
    # Once the seminar is full, most people who keep posting the form have not asked for the
    # wait-list: one read tells them so, with nothing written and no lock queued for (a seat
    # freed in between goes to the wait-list first, in the transaction that frees it).
    if not waitlist and seats.seminar_is_full(seminar=seminar, open_at=now):
        raise SeminarFull()
    return _registration_save_deciding(
        seminar=seminar,
        sessions=sessions,
        answers=answers,
        person=person,
        waitlist=waitlist,
        now=now,
    )


def _registration_save_seated(*, seminar, sessions, answers, person, now) -> Registration:
    """Confirmed with every seat, or ``SeatUnavailable`` and nothing written."""
    day, company = person["workshop_day"], person["company"]
    registration = _registration_new(
        status=RegistrationStatus.CONFIRMED, confirmed_at=now, **person
    )
    # The rows first, which lock nothing others wait for (a duplicate e-mail waits on its twin and
    # is refused); the seats last. On PostgreSQL the whole transaction is one round trip.
    with (
        seats.seats_refused(seminar=seminar, sessions=sessions, company=company),
        _duplicate_email_refused(),
    ):
        seats.seats_take_after_insert(
            row=registration,
            rows=lambda: [
                picks_rows(registration=registration, sessions=sessions),
                answers_rows(registration=registration, answers=answers),
                outbox_rows(registration=registration, kind=EmailKind.CONFIRMED),
            ],
            seminar=seminar,
            day=day,
            sessions=sessions,
            company=company,
            open_at=now,
        )
    outbox_written(registration=registration)
    return registration


def _registration_save_deciding(
    *, seminar, sessions, answers, person, waitlist, now
) -> Registration:
    """Confirmed, wait-listed (when asked for and the seminar or day is full) or refused."""
    day, company = person["workshop_day"], person["company"]
    with transaction.atomic(durable=True):
        registration = _registration_rows_insert(
            person=person, sessions=sessions, answers=answers, confirmed_at=now
        )
        status = _seats_take_or_wait(
            seminar=seminar,
            day=day,
            sessions=sessions,
            company=company,
            waitlist=waitlist,
            now=now,
        )
        if status == RegistrationStatus.WAITLISTED:
            registration.status = status
            registration.confirmed_at, registration.waitlisted_at = None, now
            registration.save(update_fields=["status", "confirmed_at", "waitlisted_at"])
        outbox_write(registration=registration, kind=EmailKind(status))
    return registration


def _registration_rows_insert(*, person, sessions, answers, confirmed_at) -> Registration:
    """The registration (as confirmed: the seats follow in its transaction), picks, answers."""
    registration = _registration_insert(
        status=RegistrationStatus.CONFIRMED, confirmed_at=confirmed_at, **person
    )
    picks_insert(registration=registration, sessions=sessions)
    answers_insert(registration=registration, answers=answers)
    return registration


def _seats_take_or_wait(*, seminar, day, sessions, company, waitlist, now) -> str:
    """Take every seat the person needs, or decide they wait (R8), or refuse.

    ``seminar`` may be up to a second old (the form's copy): the window (R7) and every cap are
    checked on the rows themselves.
    """
    wanted = {"seminar": seminar, "day": day, "sessions": sessions, "company": company}
    full = seats.seats_take(**wanted, open_at=now)
    if full == "seminar":
        # A failed UPDATE holds no lock: take the row, then look again, since a seat may have
        # been freed (and not yet given to the wait-list) in between.
        seminar = seats.seminar_lock(seminar=seminar)
        if not seminar.registration_is_open(now=now):
            raise RegistrationClosed()
        full = seats.seats_take(**wanted, open_at=now)
    if full == "seminar":
        return _waitlist_or_refuse(SeminarFull(), seminar=seminar, company=company, ask=waitlist)
    if full == "day":
        seats.seminar_seat_release(seminar=seminar)
        # The seminar's row is this transaction's already: read its limit as it is now.
        seminar = seats.seminar_lock(seminar=seminar)
        return _waitlist_or_refuse(
            WorkshopDayFull(), seminar=seminar, company=company, ask=waitlist
        )
    return RegistrationStatus.CONFIRMED


def _waitlist_or_refuse(full: DomainError, *, seminar, company, ask: bool) -> str:
    if not ask:
        raise full
    # A company already at its limit cannot gain a seat from the wait-list either.
    if seats.company_seats_held(seminar=seminar, company=company) >= seminar.per_company_limit:
        raise seats.company_limit_error(seminar=seminar, company=company)
    return RegistrationStatus.WAITLISTED


def picks_rows(
    *, registration: Registration, sessions: list[BreakoutSession]
) -> list[RegistrationSession]:
    return [RegistrationSession(registration=registration, session=s) for s in sessions]


def picks_insert(*, registration: Registration, sessions: list[BreakoutSession]) -> None:
    if sessions:
        RegistrationSession.objects.bulk_create(
            picks_rows(registration=registration, sessions=sessions)
        )


def answers_rows(
    *, registration: Registration, answers: list[RegistrationAnswer]
) -> list[RegistrationAnswer]:
    return [
        RegistrationAnswer(registration=registration, question=a.question, value=a.value)
        for a in answers
    ]


def answers_insert(*, registration: Registration, answers: list[RegistrationAnswer]) -> None:
    if answers:
        RegistrationAnswer.objects.bulk_create(
            answers_rows(registration=registration, answers=answers)
        )

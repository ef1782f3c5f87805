"""Registering for a seminar: the checks of what was asked, then one transaction.

Seats are taken through ``events.seats``, in its one lock order (the seminar's row first).
"""

import itertools
import secrets
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import MappingProxyType

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _t

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
from events.outbox import outbox_write

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


# How the databases name R6's refusal: PostgreSQL by the constraint, SQLite by its columns.
R6_REFUSAL_NAMES = ("events_registration_one_active_email", "events_registration.email_normalized")


@contextmanager
def email_unique_refused(*, refusal: AlreadyRegistered | None = None):
    """R6: the unique constraint's refusal of a second active registration of one address, as
    ``refusal`` (``AlreadyRegistered`` unless the caller words it)."""
    try:
        yield
    except IntegrityError as exc:
        if any(name in str(exc) for name in R6_REFUSAL_NAMES):
            raise (refusal or AlreadyRegistered()) from exc
        raise


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
    """Register one person: confirmed, or wait-listed when asked for and the seminar or the
    chosen day is full (R1-R8).

    ``seminar`` is the caller's copy, read for this request (with its program, when the caller
    loaded it, as ``selectors.seminar_get_for_form`` does). It settles the refusals made before
    anything is written; the window and every cap are then decided on the rows, under the
    seminar's lock. Raises a ``DomainError`` subclass for every refusal; nothing is written then.
    """
    now = now or timezone.now()
    if not seminar.registration_is_open(now=now):
        raise RegistrationClosed()
    company = company_get_eligible(
        account_number=account_number,
        on=timezone.localdate(now),
        companies=seats.companies_with_limit(seminar=seminar),
    )
    day, sessions = choices_validate(
        seminar=seminar, workshop_day_id=workshop_day_id, session_ids=session_ids
    )
    answer_rows = answers_validate(seminar=seminar, answers=answers)
    # Refused before any write or lock: a company that holds its limit already (a seat frees
    # only when a colleague cancels), and a full seminar for someone not asking to wait.
    if company.at_limit:
        raise seats.company_limit_error(seminar=seminar, company=company)
    if seminar.remaining <= 0 and not waitlist:
        raise SeminarFull()
    person = {
        "seminar": seminar,
        "company": company,
        "workshop_day": day,
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "email": email.strip(),
        "job_title": job_title.strip(),
        "phone": phone.strip(),
        "language": language,
        "created_at": now,
    }
    for _attempt in range(3):
        try:
            return _registration_save(
                person=person, sessions=sessions, answers=answer_rows, waitlist=waitlist, now=now
            )
        except IntegrityError as exc:
            if "confirmation_code" not in str(exc):
                raise
            # Two registrations drew the same code (about 1 in 10^12): draw again.
    raise RuntimeError("could not draw a unique confirmation code")


def _registration_save(*, person, sessions, answers, waitlist, now) -> Registration:
    """The registration's transaction: its rows, then its seats (or its wait-list place)."""
    seminar, company = person["seminar"], person["company"]
    with (
        email_unique_refused(),
        transaction.atomic(durable=True),
    ):
        # The rows first: they lock nothing anyone waits for but a twin registration of the
        # same e-mail, which R6's unique index refuses here, before either holds the seminar.
        registration = Registration.objects.create(
            status=RegistrationStatus.CONFIRMED,
            confirmed_at=now,
            confirmation_code=confirmation_code_generate(),
            manage_token=manage_token_generate(),
            **person,
        )
        picks_insert(registration=registration, sessions=sessions)
        answers_insert(registration=registration, answers=answers)
        # Then the seats, under the seminar's lock, on the rows as they are now.
        seminar = seats.seminar_lock(seminar=seminar)
        if not seminar.registration_is_open(now=now):
            raise RegistrationClosed()
        try:
            seats.seats_take(
                seminar=seminar, day=person["workshop_day"], sessions=sessions, company=company
            )
        except (SeminarFull, WorkshopDayFull):
            if not waitlist:
                raise
            seats.company_waitlist_check(seminar=seminar, company=company)
            registration.status = RegistrationStatus.WAITLISTED
            registration.confirmed_at, registration.waitlisted_at = None, now
            registration.save(update_fields=["status", "confirmed_at", "waitlisted_at"])
        outbox_write(registration=registration, kind=EmailKind(registration.status))
    return registration


def picks_insert(*, registration: Registration, sessions: list[BreakoutSession]) -> None:
    RegistrationSession.objects.bulk_create(
        RegistrationSession(registration=registration, session=session) for session in sessions
    )


def answers_insert(*, registration: Registration, answers: list[RegistrationAnswer]) -> None:
    RegistrationAnswer.objects.bulk_create(
        RegistrationAnswer(registration=registration, question=a.question, value=a.value)
        for a in answers
    )

"""What a registrant (through the private link) or staff can do with a registration (R8, R9).

Each use case is one transaction that takes the seminar's row first (``events.seats``), then the
registration's; every freed seat goes to the wait-list in the same transaction.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _t

from ctpat.emailaddress import email_normalized
from ctpat.exceptions import CompanyNotEligible
from events import seats
from events.enums import ACTIVE_STATUSES, EmailKind, RegistrationAction, RegistrationStatus
from events.exceptions import (
    AlreadyRegistered,
    CancellationClosed,
    ChangesClosed,
    NotTheCompanysRegistration,
    RegistrationNotActive,
    SeminarOver,
    WorkshopDayFull,
)
from events.history import CompanyContact, acts_as_staff, registration_log
from events.models import (
    BreakoutSession,
    OutboundEmail,
    Registration,
    RegistrationSession,
    Seminar,
    text_naming,
)
from events.outbox import outbox_write
from events.services import (
    choices_validate,
    confirmation_code_generate,
    email_unique_refused,
    manage_token_generate,
    picks_insert,
)
from events.waitlist import waitlist_promote


def _lock(registration: Registration, *, actor=None) -> Registration:
    """The seminar's row, then the registration's, read fresh; ``registration.seminar`` is the
    locked row. A company's point of contact may act on its own company's registrations only."""
    seminar = seats.seminar_lock(seminar=registration.seminar)
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("company", "workshop_day")
        .get(pk=registration.pk)
    )
    if isinstance(actor, CompanyContact) and registration.company_id != actor.company_id:
        raise NotTheCompanysRegistration()
    registration.seminar = seminar
    return registration


def _staff_only(actor):
    """The staff member to credit with the promotions an action causes: a registrant's or a
    company contact's action promotes on nobody's behalf."""
    return actor if acts_as_staff(actor) else None


def _require_active(registration: Registration) -> None:
    if registration.status not in ACTIVE_STATUSES:
        raise RegistrationNotActive()


def _require_changeable(registration: Registration, *, now: datetime) -> None:
    _require_active(registration)
    if now >= registration.seminar.registration_closes_at or registration.checked_in_at:
        raise ChangesClosed()


def _lock_changeable(registration: Registration, *, actor, now: datetime) -> Registration:
    """Lock, then check it may still change: staff while it is active, registrants (and their
    company's point of contact) until close."""
    registration = _lock(registration, actor=actor)
    if not acts_as_staff(actor):
        _require_changeable(registration, now=now)
    else:
        _require_active(registration)
    return registration


def cancellation_refusal(*, seminar: Seminar, now: datetime) -> CancellationClosed | None:
    """Why a registrant (or their company's contact) can no longer cancel online, or None."""
    if now >= seminar.ends_at:
        return SeminarOver()
    if now >= seminar.starts_at:
        return CancellationClosed()
    return None


def registration_cancel(
    *, registration: Registration, actor=None, now: datetime | None = None
) -> Registration:
    """Cancel a seat or leave the wait-list; a freed seat goes to the wait-list at once.

    Registrants (and their company's point of contact) may cancel until the seminar starts;
    staff at any time.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        registration = _lock(registration, actor=actor)
        _require_active(registration)
        refusal = cancellation_refusal(seminar=registration.seminar, now=now)
        if refusal is not None and not acts_as_staff(actor):
            raise refusal
        held_seat = registration.status == RegistrationStatus.CONFIRMED
        if held_seat:
            seats.seats_release(
                seminar=registration.seminar,
                day=registration.workshop_day,
                sessions=list(registration.sessions.all()),
                company=registration.company,
            )
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        registration_log(
            registration=registration, action=RegistrationAction.CANCELLED, actor=actor
        )
        outbox_write(registration=registration, kind=EmailKind.CANCELLED)
        if held_seat:
            waitlist_promote(seminar=registration.seminar, now=now, actor=_staff_only(actor))
    return registration


def registration_change(
    *,
    registration: Registration,
    workshop_day_id: int | None,
    session_ids: Sequence[int] = (),
    actor=None,
    now: datetime | None = None,
) -> Registration:
    """Move to another workshop day and/or other sessions, all or nothing (R4, R5).

    If the new day or a new session is full, the refusal rolls everything back: the registrant
    keeps the old choice. A seat freed on the old day goes to the wait-list.
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        registration = _lock_changeable(registration, actor=actor, now=now)
        seminar = registration.seminar
        day, sessions = choices_validate(
            seminar=seminar, workshop_day_id=workshop_day_id, session_ids=session_ids
        )
        old_day = registration.workshop_day
        old_sessions = list(registration.sessions.all())
        if registration.status == RegistrationStatus.CONFIRMED:
            if old_day is not None:
                seats.day_seat_release(day=old_day)
            seats.session_seats_release(sessions=old_sessions)
            if day is not None:
                try:
                    seats.day_seat_take(day=day)
                except WorkshopDayFull:
                    message = _t("%(day)s is full. Your registration is unchanged.")
                    raise WorkshopDayFull(text_naming(message, day=(day, "label"))) from None
            seats.session_seats_take(sessions=sessions)
        RegistrationSession.objects.filter(registration=registration).delete()
        picks_insert(registration=registration, sessions=sessions)
        registration.workshop_day = day
        registration.save(update_fields=["workshop_day"])
        registration_log(
            registration=registration,
            action=RegistrationAction.CHANGED,
            actor=actor,
            detail=_describe_choice(old_day, old_sessions)
            + " → "
            + _describe_choice(day, sessions),
        )
        outbox_write(registration=registration, kind=EmailKind.CHANGED)
        if old_day != day or registration.status == RegistrationStatus.WAITLISTED:
            waitlist_promote(seminar=seminar, now=now, actor=_staff_only(actor))
    return registration


def _email_taken(email: str) -> AlreadyRegistered:
    return AlreadyRegistered(
        _t("%(email)s already holds a registration or wait-list place for this seminar.")
        % {"email": email}
    )


def _describe_choice(day, sessions: list[BreakoutSession]) -> str:
    topics = ", ".join(session.topic for session in sessions) or "-"
    return f"{day.label if day else '-'} ({topics})"


def registration_substitute(
    *,
    registration: Registration,
    first_name: str,
    last_name: str,
    email: str,
    job_title: str,
    phone: str,
    language: str = "en",
    actor=None,
    now: datetime | None = None,
) -> Registration:
    """Hand the seat (or the wait-list place) to a colleague of the same company (R9, R6).

    The colleague gets a registration of their own, with its own code and private link, holding
    the same day, sessions and place; the old one is kept as handed over, its link now inert.
    Returns the colleague's registration.
    """
    now = now or timezone.now()
    email = email.strip()
    if email_normalized(email) == registration.email_normalized:
        raise AlreadyRegistered(_t("Enter your colleague's e-mail address, not yours."))
    with (
        email_unique_refused(refusal=_email_taken(email)),
        transaction.atomic(durable=True),
    ):
        # The colleague's row first, as a registration writes its own: it locks nothing anyone
        # waits for but the same address's twin, and the two settle R6 between them before
        # either holds the seminar's row (taking that row first let a hand-over and a registration
        # of the same address wait for each other: a deadlock).
        new = Registration.objects.create(
            seminar=registration.seminar,
            company=registration.company,
            workshop_day=registration.workshop_day,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email=email,
            job_title=job_title.strip(),
            phone=phone.strip(),
            status=registration.status,
            confirmation_code=confirmation_code_generate(),
            manage_token=manage_token_generate(),
            language=language,
            created_at=now,
            waitlisted_at=registration.waitlisted_at,
            confirmed_at=registration.confirmed_at,
        )
        old = _lock_changeable(registration, actor=actor, now=now)
        if email_normalized(email) == old.email_normalized:
            raise AlreadyRegistered(_t("Enter your colleague's e-mail address, not yours."))
        if not old.company.is_eligible(on=timezone.localdate(now)):
            raise CompanyNotEligible(
                _t("Your company is no longer eligible, so its seats cannot be handed over.")
            )
        # What the colleague takes over, as it is under the lock (a promotion or a move may have
        # come in between).
        held = {
            "status": old.status,
            "workshop_day_id": old.workshop_day_id,
            "waitlisted_at": old.waitlisted_at,
            "confirmed_at": old.confirmed_at,
        }
        changed = [name for name, value in held.items() if getattr(new, name) != value]
        if changed:
            for name in changed:
                setattr(new, name, held[name])
            new.save(update_fields=changed)
        status = old.status
        old.status = RegistrationStatus.SUBSTITUTED
        old.cancelled_at = now
        old.substituted_by = new
        old.save(update_fields=["status", "cancelled_at", "substituted_by"])
        RegistrationSession.objects.filter(registration=old).update(registration=new)
        registration_log(
            registration=old,
            action=RegistrationAction.SUBSTITUTED,
            actor=actor,
            detail=f"{new.full_name} ({new.confirmation_code})",
        )
        registration_log(
            registration=new,
            action=RegistrationAction.SUBSTITUTE_IN,
            actor=actor,
            detail=f"{old.full_name} ({old.confirmation_code})",
        )
        outbox_write(registration=old, kind=EmailKind.HANDED_OVER)
        outbox_write(
            registration=new,
            kind=EmailKind(status),
            context={"substitute_for": old.full_name},
        )
    return new


def registration_link_revoke(*, registration: Registration, actor=None) -> Registration:
    """Replace the private link (a leaked one stops working) and send the new one."""
    with transaction.atomic(durable=True):
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.manage_token = manage_token_generate()
        registration.save(update_fields=["manage_token"])
        registration_log(
            registration=registration, action=RegistrationAction.LINK_REVOKED, actor=actor
        )
        if registration.status in ACTIVE_STATUSES:
            outbox_write(registration=registration, kind=EmailKind.LINK_REISSUED)
    return registration


def registration_confirmation_resend(*, registration: Registration, actor=None) -> OutboundEmail:
    """Send the registrant their confirmation (or wait-list) e-mail again, with today's link.

    The message says what the registration is now, and the company's point of contact, who
    heard of it the first time, is not told again.
    """
    with transaction.atomic(durable=True):
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("company")
            .get(pk=registration.pk)
        )
        _require_active(registration)
        kind = (
            EmailKind.CONFIRMED
            if registration.status == RegistrationStatus.CONFIRMED
            else EmailKind.WAITLISTED
        )
        [email] = outbox_write(registration=registration, kind=kind, notify_company=False)
        registration_log(
            registration=registration,
            action=RegistrationAction.EMAIL_RESENT,
            actor=actor,
            detail=f"{kind.label} → {registration.email}",
        )
    return email


# The person's details, which staff may correct in the admin; seats move only through the use
# cases above.
PERSON_FIELDS = ("first_name", "last_name", "email", "job_title", "phone", "language")
# Their changes are recorded, their values not: the history keeps no copy of a phone number.
UNRECORDED_VALUES = frozenset({"phone"})


def registration_details_update(
    *, registration: Registration, details: Mapping[str, str], actor
) -> Registration:
    """Staff correct the person's details; the history says what changed, by whom and when.

    Joins the caller's transaction (the admin saves its change form inside its own). A new
    e-mail address that another active registration of the seminar holds is refused (R6).
    """
    unknown = details.keys() - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"not a detail of the person: {', '.join(sorted(unknown))}")
    email = details.get("email", "")
    with (
        email_unique_refused(refusal=_email_taken(email)),
        transaction.atomic(),
    ):
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        changed = {name: new for name, new in details.items() if getattr(current, name) != new}
        if not changed:
            return current
        detail = _describe_details(current, changed)
        for name, value in changed.items():
            setattr(current, name, value)
        current.save(update_fields=list(changed))
        registration_log(
            registration=current,
            action=RegistrationAction.DETAILS_CHANGED,
            actor=actor,
            detail=detail,
        )
    return current


def _describe_details(registration: Registration, changed: Mapping[str, str]) -> str:
    """``Last name: Lopez → López; Phone changed``, in English like the rest of the history."""
    parts = []
    with translation.override("en"):
        for name, value in changed.items():
            label = capfirst(Registration._meta.get_field(name).verbose_name)
            if name in UNRECORDED_VALUES:
                parts.append(f"{label} changed")
            else:
                parts.append(f"{label}: {getattr(registration, name) or '-'} → {value or '-'}")
    return "; ".join(parts)

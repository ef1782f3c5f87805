"""Refusals of the registration rules. Views show ``message`` next to ``field``."""

from django.utils.translation import gettext_lazy as _

from ctpat.exceptions import DomainError


class RegistrationClosed(DomainError):
    message = _("Registration for this seminar is not open.")


class SeminarFull(DomainError):
    """R2. The form then offers the wait-list."""

    message = _("This seminar has just filled up. You can join the wait-list instead.")
    waitlist_offered = True


class WorkshopDayFull(DomainError):
    """R4. The form then offers the wait-list for that day, or another day."""

    message = _(
        "This workshop day has just filled up. Choose the other day, or join the wait-list for it."
    )
    field = "workshop_day"
    waitlist_offered = True


class SessionFull(DomainError):
    field = "sessions"


class SessionsOverlap(DomainError):
    field = "sessions"


class InvalidChoice(DomainError):
    """A day or session that does not belong to this seminar or day: a tampered or stale form."""


class CompanyLimitReached(DomainError):
    field = "account_number"


class AlreadyRegistered(DomainError):
    """R6: the e-mail already holds a seat or a wait-list place in this seminar."""

    message = _(
        "This e-mail address is already registered or wait-listed for this seminar. Use the "
        "private link in your confirmation e-mail to change or cancel that registration."
    )
    field = "email"


class RegistrationNotActive(DomainError):
    """The registration was cancelled or handed to a colleague: nothing more can be done with it."""

    message = _("This registration is no longer active: it was cancelled or handed to a colleague.")


class NotTheCompanysRegistration(DomainError):
    """A company's point of contact acted on a registration of another company."""

    message = _("This registration is not one of your company's.")


class CancellationClosed(DomainError):
    message = _(
        "The seminar has started, so this registration can no longer be cancelled online. "
        "Please tell the CBP staff at the registration desk."
    )


class SeminarOver(CancellationClosed):
    message = _("The seminar is over, so this registration can no longer be cancelled.")


class ChangesClosed(DomainError):
    message = _(
        "Changes are no longer possible: registration has closed or you have already checked in. "
        "You can still cancel until the seminar starts."
    )


class CapacityBelowConfirmed(DomainError):
    """Staff tried to lower a capacity under the seats already confirmed."""

    field = "capacity"


class CodeNotFound(DomainError):
    message = _("No registration has this confirmation code. Check the code and try again.")
    field = "code"


class CheckInRefused(DomainError):
    """A person at the door who may not be checked in now; staff see ``message`` as a warning."""

    field = "code"


class CheckInNotActive(CheckInRefused, RegistrationNotActive):
    """Cancelled or handed to a colleague; the message says by whom and when."""


class CheckInNotConfirmed(CheckInRefused):
    message = _("This person is on the wait-list and has no seat. Do not check them in.")


class NotASeminarDay(CheckInRefused):
    message = _("This seminar does not take place today.")


class WrongDay(CheckInRefused):
    """Today is a workshop day other than the one this person registered for."""


class AlreadyCheckedIn(CheckInRefused):
    """The message gives the time of the first check-in today."""


class InvalidAnswer(DomainError):
    """An answer to one of the seminar's own questions is missing, unknown or not an option.

    ``field`` is the question's form field, ``question_<id>``.
    """

    message = _("Answer this question with one of the options offered.")


class NotWaitlisted(DomainError):
    """Staff chose someone to promote who is not (or no longer) on the wait-list."""

    message = _("This registration is not on the wait-list, so it cannot be promoted.")


class CertificateUnavailable(DomainError):
    """No certificate of attendance can be issued for this registration (yet)."""


class SeminarNotEnded(CertificateUnavailable):
    message = _("Certificates of attendance are issued once the seminar has ended.")


class NeverCheckedIn(CertificateUnavailable):
    message = _(
        "This person was never checked in at the seminar, so there is no certificate of attendance."
    )

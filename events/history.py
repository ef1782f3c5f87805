from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from events.enums import RegistrationStatus
from events.models import Registration, RegistrationChange


@dataclass(frozen=True)
class CompanyContact:
    """The company's CTPAT point of contact, acting through the company's private page.

    As an ``actor`` of the use cases it follows the registrant's rules (it is not staff), may
    act only on its own company's registrations, and is recorded as such in the history.
    """

    company_id: int
    is_authenticated = False


def acts_as_staff(actor) -> bool:
    """Whether ``actor`` is a staff member, whom the use cases allow more than a registrant."""
    return actor is not None and actor.is_authenticated


def registration_log(
    *, registration: Registration, action: str, actor=None, detail: str = ""
) -> None:
    """Record one step of a registration's history (inside the caller's transaction)."""
    RegistrationChange.objects.create(
        registration=registration,
        action=action,
        actor=actor if acts_as_staff(actor) else None,
        by_company_contact=isinstance(actor, CompanyContact),
        detail=detail[:500],
    )


@dataclass(frozen=True)
class HistoryStart:
    at: datetime
    label: str


def registration_history_start(*, registration: Registration) -> HistoryStart:
    """The first line of a registration's history, read from the row itself.

    Registering writes no history row (it is the rush's hot path): the row's own timestamps say
    how it began. Confirmed at once, its ``confirmed_at`` is no later than ``created_at``; a
    person promoted later, or still waiting, began on the wait-list.
    """
    confirmed_at = registration.confirmed_at
    if confirmed_at is not None and confirmed_at <= registration.created_at:
        began_confirmed = True
    elif registration.waitlisted_at is not None:
        began_confirmed = False
    else:  # a row made without the service's timestamps: its status is all there is
        began_confirmed = registration.status != RegistrationStatus.WAITLISTED
    label = _("Registered (confirmed)") if began_confirmed else _("Registered (wait-listed)")
    return HistoryStart(at=registration.created_at, label=label)

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Wait-listed")
    CANCELLED = "cancelled", _("Cancelled")
    SUBSTITUTED = "substituted", _("Handed to a colleague")


# A registration in one of these states holds (or waits for) a seat: R6 allows one per e-mail.
ACTIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class RegistrationAction(models.TextChoices):
    """What happened to a registration, for its history."""

    CONFIRMED = "confirmed", _("Registered (confirmed)")
    WAITLISTED = "waitlisted", _("Joined the wait-list")
    PROMOTED = "promoted", _("Promoted from the wait-list")
    CHANGED = "changed", _("Workshop day or sessions changed")
    CANCELLED = "cancelled", _("Cancelled")
    SUBSTITUTED = "substituted", _("Handed to a colleague")
    SUBSTITUTE_IN = "substitute_in", _("Took over a colleague's registration")
    LINK_REVOKED = "link_revoked", _("Private link replaced")
    CHECKED_IN = "checked_in", _("Checked in")
    EMAIL_RESENT = "email_resent", _("Confirmation e-mail sent again")
    DETAILS_CHANGED = "details_changed", _("Details corrected by staff")


class EmailKind(models.TextChoices):
    CONFIRMED = "confirmed", _("Registration confirmed")
    WAITLISTED = "waitlisted", _("Joined the wait-list")
    PROMOTED = "promoted", _("Promoted from the wait-list")
    CHANGED = "changed", _("Registration changed")
    CANCELLED = "cancelled", _("Registration cancelled")
    HANDED_OVER = "handed_over", _("Seat handed to a colleague")
    LINK_REISSUED = "link_reissued", _("New private link")
    REMINDER = "reminder", _("Reminder")
    COMPANY_NOTICE = "company_notice", _("Notice to the company's CTPAT point of contact")
    COMPANY_LINK = "company_link", _("Link to the company's page")
    CERTIFICATE = "certificate", _("Certificate of attendance")


class CompanyLinkOrigin(models.TextChoices):
    """How a link to a company's private page came to be issued."""

    REQUESTED = "requested", _("Asked for on the site")
    NOTICE = "notice", _("Sent with a notice to the point of contact")
    STAFF = "staff", _("Issued by staff")


class QuestionKind(models.TextChoices):
    """What a seminar's own question asks for on the registration form."""

    TEXT = "text", _("Short text")
    CHOICE = "choice", _("Choice (one of a list)")
    YES_NO = "yes_no", _("Yes or no")


class YesNo(models.TextChoices):
    """The stored answer of a yes/no question: the same whatever language it was given in."""

    YES = "yes", _("Yes")
    NO = "no", _("No")

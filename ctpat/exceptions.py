"""Domain errors: one type per refusal, each with a message fit to show the user."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule refused the request. ``field`` names the form field the refusal concerns."""

    message = _("The request could not be completed.")
    field: str | None = None

    def __init__(self, message=None, *, field: str | None = None):
        if message is not None:
            self.message = message
        if field is not None:
            self.field = field
        super().__init__(str(self.message))


class CompanyNotFound(DomainError):
    message = _(
        "We could not find this CTPAT account number. Check it against your CTPAT portal "
        "account, or contact your CTPAT supply chain security specialist."
    )
    field = "account_number"


class CompanyNotEligible(DomainError):
    field = "account_number"


class PartnerListError(DomainError):
    """A partner-list file was refused; ``line`` is the 1-based line of the first bad row."""

    def __init__(self, message, *, line: int | None = None):
        self.line = line
        super().__init__(message)

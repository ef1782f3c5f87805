"""The company's CTPAT point of contact: asking for the link to the company's page.

What the page shows is read by ``events.selectors.company_page_read``; what it does goes through
the registrant's own use cases (``events.changes``) with ``events.history.CompanyContact`` as the
actor, so every rule, e-mail and promotion is the same and the history says who acted.
"""

from django.db import transaction

from ctpat.emailaddress import email_normalized
from ctpat.models import Company
from ctpat.services import normalize_account_number
from events.outbox import outbox_write_company_link


def company_link_request(*, account_number: str, email: str, language: str) -> bool:
    """E-mail a link to the company's page to its point of contact, when ``email`` is that
    address on the company's partner record (compared as R6 compares addresses). Whether it was
    sent is for the caller's records only: the person asking is told the same either way."""
    company = Company.objects.filter(
        account_number=normalize_account_number(account_number)
    ).first()
    address = email_normalized(email)
    if company is None or not address or email_normalized(company.poc_email) != address:
        return False
    with transaction.atomic(durable=True):
        outbox_write_company_link(company=company, language=language)
    return True

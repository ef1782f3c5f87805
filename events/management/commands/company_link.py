"""Issue a link to a company's private page, for staff to send by hand."""

from django.core.management.base import BaseCommand, CommandError

from ctpat.models import Company
from ctpat.services import normalize_account_number
from events.company_links import company_link_issue
from events.enums import CompanyLinkOrigin


class Command(BaseCommand):
    help = "Issue a link to a company's private page (valid 7 days); its URL is the last line."

    def add_arguments(self, parser):
        parser.add_argument("account_number", help="The company's CTPAT account number.")

    def handle(self, *args, account_number: str, **options):
        number = normalize_account_number(account_number)
        company = Company.objects.filter(account_number=number).first()
        if company is None:
            raise CommandError(f"No company with the CTPAT account number {number!r}.")
        issued = company_link_issue(company=company, origin=CompanyLinkOrigin.STAFF)
        self.stdout.write(
            f"{company.legal_name} ({company.account_number}): valid until "
            f"{issued.link.expires_at:%Y-%m-%d %H:%M %Z}"
        )
        self.stdout.write(issued.url)

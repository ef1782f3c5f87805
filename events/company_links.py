"""Links to a company's private page: issued, looked up and revoked.

A link's token is 256 random bits, like a registrant's private link; only its SHA-256 digest is
stored, so the table cannot give a working link away. A link works for ``LINK_LIFETIME`` unless
staff revoke it; a forged, truncated, expired or revoked one is a plain 404.
"""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from ctpat.models import Company
from events.models import CompanyLink

LINK_LIFETIME = timedelta(days=7)
# The longest token the lookup hashes; a real one is 43 characters.
TOKEN_MAX_LENGTH = 64


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def company_page_url(*, token: str) -> str:
    """The address of the company's page behind ``token``, as e-mails and staff give it out."""
    return settings.SITE_URL + reverse("events:company_detail", args=[token])


@dataclass(frozen=True)
class IssuedLink:
    link: CompanyLink
    token: str

    @property
    def url(self) -> str:
        return company_page_url(token=self.token)


def company_links_issue(
    *, companies: Sequence[Company], origin: str, now: datetime | None = None
) -> list[IssuedLink]:
    """A fresh link for each of ``companies`` (one INSERT however many), in their order."""
    now = now or timezone.now()
    tokens = [secrets.token_urlsafe(32) for _ in companies]
    links = CompanyLink.objects.bulk_create(
        CompanyLink(
            company=company,
            token_digest=_digest(token),
            origin=origin,
            issued_at=now,
            expires_at=now + LINK_LIFETIME,
        )
        for company, token in zip(companies, tokens, strict=True)
    )
    return [IssuedLink(link=link, token=token) for link, token in zip(links, tokens, strict=True)]


def company_link_issue(*, company: Company, origin: str, now: datetime | None = None) -> IssuedLink:
    """A fresh link to ``company``'s page; the token exists only in what this returns."""
    [issued] = company_links_issue(companies=[company], origin=origin, now=now)
    return issued


def company_link_get_by_token(*, token: str, now: datetime | None = None) -> CompanyLink:
    """The valid link behind ``token``, with its company; 404 for anything else."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise Http404
    link = CompanyLink.objects.select_related("company").filter(token_digest=_digest(token)).first()
    if link is None or not link.is_valid(now=now):
        raise Http404
    return link


def company_links_revoke(*, company: Company, now: datetime | None = None) -> int:
    """Every link to ``company``'s page stops working now; how many were still valid."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        return CompanyLink.objects.filter(
            company=company, revoked_at__isnull=True, expires_at__gt=now
        ).update(revoked_at=now)

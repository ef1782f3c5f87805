"""E-mail addresses: one form for comparing them (R6), and whether our mail can reach one.

Django's ``EmailValidator`` matches the local part case-insensitively, and under Unicode case
rules a few non-ASCII letters pass as ASCII ones (U+212A the Kelvin sign as K, U+0131 the dotless
i as I, U+017F the long s as S). Such an address is not the one it looks like, and Django's
mail (without SMTPUTF8) can only write its local part in an RFC 2047 encoding that no mail
server reads: it is refused.
"""

import contextlib
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def _folded(text: str) -> str:
    """Unicode NFKC with case folding (NFKC, fold, NFKC again: folding can leave text that
    NFKC changes)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def email_normalized(address: str) -> str:
    """The form of ``address`` that R6 compares: NFKC and case folding throughout, the domain
    in its IDNA (ASCII) form, without surrounding space or the domain's final dot."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return _folded(address.strip())
    domain = _folded(domain).rstrip(".")
    # A domain IDNA cannot encode is one the validator refuses: compared as it is.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return f"{_folded(local)}@{domain}"


def validate_deliverable_email(address: str) -> None:
    """Refuse an address whose part before the @ is not plain ASCII (see the module)."""
    local, _at, _domain = address.rpartition("@")
    if not local.isascii():
        raise ValidationError(
            _(
                "We cannot deliver e-mail to this address: the part before the @ may contain "
                "only unaccented Latin letters, digits and punctuation. Check for a look-alike "
                "character and type the address again."
            ),
            code="undeliverable",
        )

"""Logging filters, loaded by LOGGING before any app: import nothing of Django's here.

``redact_private_links`` is the one redaction of private links for every log the site writes:
Django's (``RedactPrivateLinks``) and gunicorn's access log (``ctpat.accesslog``).
"""

import logging
import re

# A registrant's link (/registrations/<token>/…) and a company's (/company/<token>/…): the path
# segment after either prefix, up to the next slash, query, fragment or quote.
_PRIVATE_LINK = re.compile(r"(/(?:registrations|company)/)[^/\s?#\"']+")


def redact_private_links(text: str) -> str:
    """``text`` with the token of every private link replaced by ``[private]``."""
    if "/registrations/" in text or "/company/" in text:
        return _PRIVATE_LINK.sub(r"\1[private]", text)
    return text


class RedactPrivateLinks(logging.Filter):
    """Replace the token of a private link in a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_private_links(message)
        if redacted is not message:
            record.msg = redacted
            record.args = None
        return True


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


# Longest message kept of a refused request: its text quotes what the client sent (a Host header
# may be 8 KB long).
SECURITY_MESSAGE_MAX_LENGTH = 300


class SecurityEventOneLine(logging.Filter):
    """A request Django refuses as suspicious (``django.security.*``: a disallowed Host, an
    oversized body, too many fields) as one line, without the traceback: anyone can send them,
    unauthenticated and by the thousand, and the traceback says nothing the line does not."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security."):
            message = " ".join(record.getMessage().split())
            record.msg = message[:SECURITY_MESSAGE_MAX_LENGTH]
            record.args = None
            record.exc_info = record.exc_text = record.stack_info = None
        return True

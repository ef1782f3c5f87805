"""Logging filters, loaded by LOGGING before any app: import nothing of Django's here."""

import logging
import re

_PRIVATE_LINK = re.compile(r"/registrations/[^/\s]+/")


class RedactPrivateLinks(logging.Filter):
    """Replace the token of a private link (``/registrations/<token>/``) in a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/registrations/" in message:
            record.msg = _PRIVATE_LINK.sub("/registrations/[private]/", message)
            record.args = None
        return True

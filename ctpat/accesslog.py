"""gunicorn's access log without private links (``logger_class`` in ``ctpat/gunicorn.conf.py``).

Every value an access-log format can name (the path, the request line, the Referer and any other
header or environ variable) goes through the same redaction as Django's own log lines.
"""

from gunicorn.glogging import Logger

from ctpat.logfilters import redact_private_links


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict:
        return {
            name: redact_private_links(value) if isinstance(value, str) else value
            for name, value in super().atoms(resp, req, environ, request_time).items()
        }

"""A database that is gone or too busy is a clear 503 page, never a 500.

PostgreSQL restarting under a rush, a lost connection, a lock held longer than the lock timeout or
a statement past the statement timeout reach the view as Django's ``OperationalError`` or
``InterfaceError``. Whatever the view was writing is rolled back with its transaction, so the
person can simply try again: the page says so and ``Retry-After`` says when. Django discards the
broken connection at the end of the request (``CONN_HEALTH_CHECKS`` checks a kept one before its
next use), so the site recovers on its own once the database is back.
"""

import logging

from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# PostgreSQL's SQLSTATEs of a request that waited too long or lost a race; nothing is wrong with
# the database itself: lock_not_available, query_canceled (statement_timeout), deadlock_detected,
# serialization_failure.
BUSY_SQLSTATES = frozenset({"55P03", "57014", "40P01", "40001"})
# SQLite's equivalent: the busy timeout ran out ("database is locked").
BUSY_SQLITE_ERRORS = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})

BUSY_RETRY_AFTER = 5
UNAVAILABLE_RETRY_AFTER = 30

MESSAGES = {
    "busy": {
        "title": _("We are very busy right now"),
        "lead": _(
            "Many people are using the site at this moment and your request had to wait too "
            "long, so we stopped it. Please try again in a moment."
        ),
    },
    "unavailable": {
        "title": _("The site is briefly unavailable"),
        "lead": _("We could not reach our database just now. Please try again in a minute."),
    },
}


def database_fault_kind(exc: BaseException) -> str:
    """``"busy"`` when the request waited too long for others, ``"unavailable"`` otherwise."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in BUSY_SQLSTATES:
        return "busy"
    if getattr(cause, "sqlite_errorname", None) in BUSY_SQLITE_ERRORS:
        return "busy"
    return "unavailable"


def database_fault_response(kind: str) -> HttpResponse:
    """The 503 page, rendered without the request: its context processors may need the database."""
    retry_after = BUSY_RETRY_AFTER if kind == "busy" else UNAVAILABLE_RETRY_AFTER
    context = {
        "kind": kind,
        "retry_after": retry_after,
        "LANGUAGE_CODE": get_language(),
        "LANGUAGE_BIDI": get_language_bidi(),
        **MESSAGES[kind],
    }
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        kind = database_fault_kind(exception)
        # No message text: a database error can quote the values of the row it concerns (PII),
        # and a management page's path holds its private token; the view's name is enough.
        match = request.resolver_match
        logger.log(
            logging.WARNING if kind == "busy" else logging.ERROR,
            "Database %s: %s %s (%s, SQLSTATE %s)",
            kind,
            request.method,
            match.view_name if match else "-",
            type(exception.__cause__ or exception).__name__,
            getattr(exception.__cause__, "sqlstate", None) or "-",
        )
        response = database_fault_response(kind)
        # Logged above; Django's own "Service Unavailable: <path>" would write the private token
        # of a management page into the log.
        response._has_been_logged = True
        return response


def unreadable_body_refuse(get_response):
    """A POST body Django cannot read (a non-UTF-8 form, a broken multipart) is a 400, not a 500.

    Django's CSRF check reads ``request.POST``; when that raises, its error handlers run the same
    check again and fail with a 500. Reading the body here first, before the CSRF middleware,
    answers the client's mistake as the client's: a plain 400.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018  (parse now, so that a failure is ours to answer)
            except (BadRequest, MultiPartParserError, UnicodeDecodeError, ValueError):
                logger.info("Unreadable request body: %s", request.method)
                return HttpResponseBadRequest(
                    _("The form could not be read. Reload the page and try again."),
                    content_type="text/plain; charset=utf-8",
                )
        return get_response(request)

    return middleware

"""Public pages rendered at most once a second per process and shared by anonymous visitors.

On an opening morning thousands of people load the same seminar page, availability feed and empty
registration form in the same minute. Each is rendered once per ``PUBLIC_PAGE_CACHE_SECONDS``
(default 1, never more than 2) per app-server process and language, and served from memory in
between: the seat counts it shows are then at most that old (plus the milliseconds of one rebuild,
during which the other threads of the process serve the copy being replaced), and a refusal of
the form says that the seminar, the day or the session "has just filled up".

The cache lives in process memory on purpose: it holds public counts only, each process renders
its own copy, and nothing depends on one process (sessions and rate-limit counters are elsewhere).
Only requests that carry nothing personal share a page: a GET without a query string, from a
visitor who is not logged in and has no pending message.

CSRF: a page is rendered with a per-process placeholder in place of the token (``render``); each
response gets the requesting visitor's own token (``get_token``, which also sets the CSRF cookie)
in every place the placeholder stands, so every form on the page posts as if freshly rendered.
"""

import secrets
import threading
import time
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from django import shortcuts
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

T = TypeVar("T")

LONGEST_SECONDS = 2.0
# Keys are (view, seminar slug, language) of published seminars only: a bound, but a cheap guard.
MAX_PAGES = 512
# Random per process, so that no text typed by a visitor or staff can ever stand for it.
CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"
_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()


# Headers of the built page that every copy served carries too (``never_cache``'s, say).
KEPT_HEADERS = ("Cache-Control", "Expires")


@dataclass(frozen=True)
class _Page:
    expires_at: float
    status: int
    content_type: str
    content: bytes
    headers: tuple[tuple[str, str], ...] = ()


# The cookies that can make a page personal: a session (a signed-in user, messages kept in the
# session) and Django's message cookie.
_PERSONAL_COOKIES = frozenset({settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name})

_pages: dict[Hashable, _Page] = {}
# Objects shared the same way (``shared_value``): (expires at, value).
_values: dict[Hashable, tuple[float, object]] = {}
# Keys being rebuilt now: one thread per process builds, the others serve the copy it replaces.
_building: set[Hashable] = set()
_building_lock = threading.Lock()


def seconds() -> float:
    wanted = float(getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 1.0))
    return max(0.0, min(wanted, LONGEST_SECONDS))


def clear() -> None:
    _pages.clear()
    _values.clear()


def shared_value(key: Hashable, build: Callable[[], T]) -> T:
    """What ``build`` returns, kept in this process as long as a page and shared by its threads.

    For reads that only shape a page or a form: whatever a rule decides is read again in the
    transaction that applies it. ``build`` may raise (a 404): nothing is kept then.
    """
    ttl = seconds()
    if ttl <= 0:
        return build()
    now = time.monotonic()
    entry = _values.get(key)
    if entry is not None and entry[0] > now:
        return entry[1]
    with _claimed(("value", key)) as claimed:
        if entry is not None and not claimed:
            # Another thread of this process is reading the new one (a few milliseconds).
            return entry[1]
        value = build()
    if len(_values) >= MAX_PAGES:
        _values.clear()
    _values[key] = (now + ttl, value)
    return value


def render(
    request: HttpRequest, template_name: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """``django.shortcuts.render`` with the placeholder for the CSRF token: for ``build`` only."""
    return shortcuts.render(
        request, template_name, {**context, "csrf_token": CSRF_PLACEHOLDER}, status=status
    )


def _shared(request: HttpRequest) -> bool:
    """True when nothing in the page can belong to this visitor alone."""
    if request.method != "GET" or request.GET:
        return False
    if not (_PERSONAL_COOKIES & request.COOKIES.keys()):
        # No session and no message cookie: an anonymous visitor with no message waiting, told
        # without setting up the session, the user and the message storage.
        return True
    return not request.user.is_authenticated and not len(messages.get_messages(request))


def public_page(
    request: HttpRequest, *, key: Hashable, build: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page ``build`` renders, from memory when another visitor's copy is fresh enough.

    ``build`` renders with ``render`` (the CSRF placeholder) or without any token at all. Only a
    200 is kept; anything else (and every page of a visitor with personal content) is built anew.
    The page's ``KEPT_HEADERS`` go out with every copy: ``build`` sets them once, not each
    request (``never_cache`` cost more than serving the copy itself).
    """
    ttl = seconds()
    shared = ttl > 0 and _shared(request)
    page_key = (key, get_language())
    now = time.monotonic()
    page = _pages.get(page_key) if shared else None
    if page is None or page.expires_at <= now:
        with _claimed(page_key, when=shared) as claimed:
            if page is not None and not claimed:
                # Another thread of this process is building the new copy (a few milliseconds).
                return _served(request, page)
            response = build()
        if response.streaming or response.status_code != 200 or response.cookies:
            return token_put(request, response)
        # Fresh as of ``now``, before the reads: never older than ``ttl`` when served.
        page = _Page(
            now + ttl,
            response.status_code,
            response["Content-Type"],
            response.content,
            tuple((name, response[name]) for name in KEPT_HEADERS if response.has_header(name)),
        )
        if shared:
            if len(_pages) >= MAX_PAGES:
                _pages.clear()
            _pages[page_key] = page
    return _served(request, page)


@contextmanager
def _claimed(key: Hashable, *, when: bool = True):
    """Whether this thread builds ``key`` now (``when`` it may, and no other thread of the
    process is building it); the claim ends with the block."""
    with _building_lock:
        claimed = when and key not in _building
        if claimed:
            _building.add(key)
    try:
        yield claimed
    finally:
        if claimed:
            _building.discard(key)


def _served(request: HttpRequest, page: _Page) -> HttpResponse:
    response = HttpResponse(
        page.content, status=page.status, content_type=page.content_type, headers=page.headers
    )
    return token_put(request, response)


def token_put(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The visitor's own CSRF token wherever ``response`` has the placeholder."""
    if not response.streaming and _PLACEHOLDER_BYTES in response.content:
        response.content = response.content.replace(_PLACEHOLDER_BYTES, get_token(request).encode())
    return response

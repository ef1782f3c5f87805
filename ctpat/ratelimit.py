"""Rate limits for the rush: counters in the database, shared by every app server.

Each limit is a *scope* (``"register-email"``) with a number of requests per fixed window
(``settings.RATELIMITS``). A request counts once against each of its keys, all in one statement,
``INSERT … ON CONFLICT (key, bucket) DO UPDATE SET hits = hits + 1 RETURNING hits``, which is
atomic on PostgreSQL and SQLite alike: two app servers can never both read the same count. The
statement commits on its own (the views call it in autocommit, before the registration's
transaction), so it adds no lock to the seat work.

Keys are keyed hashes (HMAC with SECRET_KEY) of the scope and its value: the table never holds an
e-mail address, an account number, a private link or an IP address. A refusal answers 429 with
``Retry-After``, the same for every value, so it tells nothing about whether an account exists.
"""

import functools
import hashlib
import hmac
import logging
import math
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from axes.helpers import get_cool_off
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from ctpat.emailaddress import email_normalized
from ctpat.models import RateLimitHit
from ctpat.security import client_ip

logger = logging.getLogger(__name__)

# One request in this many also deletes the windows that have ended (0: never).
PRUNE_ONE_IN = 200
# Longest value hashed into a key: anything longer is tampering and hashes the same as its prefix.
_VALUE_MAX_LENGTH = 320

Key = tuple[str, str]


def ratelimit_key(scope: str, value: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"{scope}\0{value[:_VALUE_MAX_LENGTH]}".encode(errors="replace"),
        hashlib.sha256,
    ).hexdigest()
    return f"{scope}:{digest[:40]}"


def ratelimit_hit(keys: Iterable[Key], *, now: datetime | None = None) -> int | None:
    """Count one request against each ``(scope, value)``; seconds to wait if one is over.

    Returns None while every key is within its limit (or limits are off), else the number of
    seconds until the window of the longest-blocked key ends (at least 1).
    """
    if not settings.RATELIMIT_ENABLED:
        return None
    now = now or timezone.now()
    timestamp = now.timestamp()
    rows: dict[tuple[str, int], tuple[int, int]] = {}
    for scope, value in keys:
        if not value:
            continue
        limit, period = settings.RATELIMITS[scope]
        bucket = int(timestamp // period) * period
        rows[(ratelimit_key(scope, value), bucket)] = (limit, period)
    if not rows:
        return None
    counts = _increment(sorted(rows), now=now)
    waits = [
        bucket + period - timestamp
        for (key, bucket), (limit, period) in rows.items()
        if counts[(key, bucket)] > limit
    ]
    if PRUNE_ONE_IN and random.randrange(PRUNE_ONE_IN) == 0:
        ratelimit_prune(now=now)
    return max(1, math.ceil(max(waits))) if waits else None


def _increment(keys: list[tuple[str, int]], *, now: datetime) -> dict[tuple[str, int], int]:
    # Sorted keys: concurrent statements lock the rows in the same order (no deadlock).
    table = connection.ops.quote_name(RateLimitHit._meta.db_table)
    key, bucket, hits, expires_at = map(
        connection.ops.quote_name, ("key", "bucket", "hits", "expires_at")
    )
    values, params = [], []
    for row_key, row_bucket in keys:
        values.append("(%s, %s, 1, %s)")
        # A window's row is kept a little beyond its end, then pruned.
        ends = datetime.fromtimestamp(row_bucket, tz=UTC) + timedelta(hours=1)
        params.extend([row_key, row_bucket, ends if ends > now else now])
    sql = (
        f"INSERT INTO {table} ({key}, {bucket}, {hits}, {expires_at}) VALUES {', '.join(values)} "
        f"ON CONFLICT ({key}, {bucket}) DO UPDATE SET {hits} = {table}.{hits} + 1 "
        f"RETURNING {key}, {bucket}, {hits}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(row[0], row[1]): row[2] for row in cursor.fetchall()}


def ratelimit_prune(*, now: datetime | None = None) -> int:
    """Delete the counters of windows that ended (one DELETE); how many went."""
    deleted, _ = RateLimitHit.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    """The 429 answer: a page in the site's look, or JSON for a client that prefers it."""
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
        response = JsonResponse({"error": "rate_limited", "retry_after": retry_after}, status=429)
    else:
        response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response


def axes_lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """Too many failed admin logins (django-axes): the 429 page, with the cool-off as
    ``Retry-After``."""
    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds()) if cool_off else 3600
    return too_many_requests(request, retry_after=seconds)


# --- What each kind of request counts against -----------------------------------------------


def _per_client_keys(policy: str):
    """A form that names a company and a person (registering, asking for the company's link):
    the account number and the e-mail address count per client, so a stranger's posts naming
    them cannot lock the company or the person out, while one client still cannot try either in
    bulk (the same one again and again: its own counter; many: the client's own limit)."""

    def keys(request: HttpRequest, **kwargs) -> list[Key]:
        if request.method != "POST":
            return []
        from ctpat.services import normalize_account_number

        account = normalize_account_number(
            request.POST.get("account_number", "")[:_VALUE_MAX_LENGTH]
        )
        email = email_normalized(request.POST.get("email", "")[:_VALUE_MAX_LENGTH])
        ip = client_ip(request)
        return [
            (f"{policy}-account", account and f"{ip}\0{account}"),
            (f"{policy}-email", email and f"{ip}\0{email}"),
            (f"{policy}-ip", ip),
        ]

    return keys


def _manage_keys(request: HttpRequest, *, token: str = "", **kwargs) -> list[Key]:
    keys = [("manage-ip", client_ip(request))]
    if request.method == "POST":
        keys.append(("manage-token", token))
    return keys


def _checkin_keys(request: HttpRequest, **kwargs) -> list[Key]:
    if request.method != "POST":
        return []
    return [("checkin-user", str(request.user.pk)), ("checkin-ip", client_ip(request))]


POLICIES: dict[str, Callable[..., list[Key]]] = {
    "registration": _per_client_keys("register"),
    "company": _per_client_keys("company"),
    "manage": _manage_keys,
    "checkin": _checkin_keys,
}


def rate_limited(policy: str):
    """View decorator: count the request under ``policy``; a 429 once a key is over its limit."""
    keys_for = POLICIES[policy]

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            retry_after = ratelimit_hit(keys_for(request, **kwargs))
            if retry_after is not None:
                # The view's name only: a path may hold a private link's token.
                match = request.resolver_match
                logger.info(
                    "Rate limit: %s %s refused, retry after %ss",
                    request.method,
                    match.view_name if match else policy,
                    retry_after,
                )
                return too_many_requests(request, retry_after=retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

"""What every template may use."""

from django.conf import settings


def public_cache(request) -> dict:
    """``cache_seconds``: how long a fragment that holds only public text or counts is kept in
    the cache (``{% cache cache_seconds … %}``; 0 keeps nothing)."""
    return {"cache_seconds": settings.PUBLIC_PAGE_CACHE_SECONDS}

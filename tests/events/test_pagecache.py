"""Public pages rendered once a second per process: fresh enough, never personal, CSRF intact."""

import re
import time

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from events import pagecache
from events.enums import RegistrationStatus
from events.models import Registration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def cached(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 1
    pagecache.clear()
    yield settings
    pagecache.clear()


def urls(seminar) -> dict[str, str]:
    return {
        "seminar page": reverse("events:seminar_detail", args=[seminar.slug]),
        "availability": reverse("events:seminar_availability", args=[seminar.slug]),
        "form": reverse("events:registration_create", args=[seminar.slug]),
    }


@pytest.mark.parametrize("page", ["seminar page", "availability", "form"])
def test_pagecache_second_request_within_ttl_makes_no_query(
    cached, client, seminar, page, django_assert_num_queries
):
    url = urls(seminar)[page]
    first = client.get(url)

    with django_assert_num_queries(0):
        second = Client().get(url)

    assert first.status_code == second.status_code == 200
    assert TOKEN.sub("", first.content.decode()) == TOKEN.sub("", second.content.decode())


@pytest.mark.parametrize("page", ["seminar page", "form"])
def test_pagecache_one_copy_per_language(cached, seminar, page, django_assert_num_queries):
    """English, Spanish, then each again (by the switcher's cookie too): never the other's copy."""
    url = urls(seminar)[page]
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es")
    switched = Client(HTTP_ACCEPT_LANGUAGE="en")
    switched.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    seen = [("en", english.get(url)), ("es", spanish.get(url))]

    with django_assert_num_queries(0):  # from memory, one copy per language
        seen += [("en", english.get(url)), ("es", spanish.get(url)), ("es", switched.get(url))]

    for language, response in seen:
        body = response.content.decode()
        assert f'<html lang="{language}">' in body
        with translation.override(language):
            assert translation.gettext("Skip to main content") in body


def test_pagecache_counts_change_after_ttl(cached, client, seminar, company, register):
    cached.PUBLIC_PAGE_CACHE_SECONDS = 0.3
    url = urls(seminar)["availability"]
    assert client.get(url).json()["confirmed"] == 0
    register(seminar, company)

    within_ttl = client.get(url).json()["confirmed"]
    time.sleep(0.35)
    after_ttl = client.get(url).json()["confirmed"]

    assert (within_ttl, after_ttl) == (0, 1)


def test_pagecache_ttl_never_longer_than_two_seconds(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60

    assert pagecache.seconds() == 2


def test_pagecache_cached_form_gives_each_visitor_a_valid_csrf_token(cached, seminar, company):
    url = urls(seminar)["form"]
    Client(enforce_csrf_checks=True).get(url)  # renders the shared copy
    visitor = Client(enforce_csrf_checks=True)

    page = visitor.get(url)
    tokens = TOKEN.findall(page.content.decode())
    day = seminar.days.order_by("date", "id").first()
    response = visitor.post(
        url,
        {
            "csrfmiddlewaretoken": tokens[0],
            "account_number": company.account_number,
            "first_name": "María",
            "last_name": "González",
            "email": "maria@partner.example",
            "job_title": "Supply chain security manager",
            "phone": "+52 664 555 0100",
            "workshop_day": str(day.pk),
        },
    )

    assert pagecache.CSRF_PLACEHOLDER not in page.content.decode()
    assert tokens
    assert "csrftoken" in page.cookies
    assert response.status_code == 302
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED


def test_pagecache_replaces_every_token_on_the_page(cached, rf):
    request = rf.get("/")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    html = f"<form>{pagecache.CSRF_PLACEHOLDER}</form><form>{pagecache.CSRF_PLACEHOLDER}</form>"

    response = pagecache.public_page(request, key="two forms", build=lambda: HttpResponse(html))

    body = response.content.decode()
    assert pagecache.CSRF_PLACEHOLDER not in body
    assert re.fullmatch(r"<form>(\w{64})</form><form>\1</form>", body)


def test_pagecache_two_visitors_get_different_tokens(cached, seminar):
    url = urls(seminar)["form"]

    first = TOKEN.findall(Client().get(url).content.decode())
    second = TOKEN.findall(Client().get(url).content.decode())

    assert first
    assert second
    assert first != second


def test_pagecache_not_shared_with_logged_in_user(
    cached, client, seminar, staff_client, django_assert_max_num_queries
):
    url = urls(seminar)["seminar page"]
    client.get(url)
    staff = staff_client()

    with django_assert_max_num_queries(10) as captured:
        staff.get(url)

    assert len(captured) >= 3  # built for them: the seminar, its days and sessions


def test_pagecache_not_shared_with_pending_messages(cached, seminar, django_assert_max_num_queries):
    url = urls(seminar)["seminar page"]
    Client().get(url)
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(constants.SUCCESS, "Your registration is cancelled.")
    carrier = HttpResponse()
    storage.update(carrier)
    visitor = Client()
    visitor.cookies["messages"] = carrier.cookies["messages"].value

    with django_assert_max_num_queries(10) as captured:
        visitor.get(url)

    assert len(captured) >= 3  # built for them: the seminar, its days and sessions


def test_pagecache_query_string_not_shared(cached, client, seminar, django_assert_num_queries):
    url = urls(seminar)["seminar page"]
    client.get(url)

    with django_assert_num_queries(3):
        client.get(url + "?utm_source=newsletter")


def test_pagecache_one_build_at_a_time_others_serve_the_previous_copy(cached, rf):
    request = rf.get("/")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    cached.PUBLIC_PAGE_CACHE_SECONDS = 0.05
    pagecache.public_page(request, key="busy", build=lambda: HttpResponse("first"))
    time.sleep(0.06)
    during = []

    def build_while_another_request_comes():
        # What another thread of the process gets while this one is still building.
        during.append(pagecache.public_page(request, key="busy", build=lambda: HttpResponse("x")))
        return HttpResponse("second")

    rebuilt = pagecache.public_page(request, key="busy", build=build_while_another_request_comes)

    assert during[0].content == b"first"
    assert rebuilt.content == b"second"


def test_pagecache_availability_copies_stay_uncacheable_downstream(cached, seminar):
    """A copy served from memory carries the built page's no-cache headers: no proxy or browser
    keeps seat counts."""
    url = urls(seminar)["availability"]
    built = Client().get(url)

    served = Client().get(url)

    for response in (built, served):
        assert "no-store" in response["Cache-Control"]
        assert "max-age=0" in response["Cache-Control"]
        assert response.has_header("Expires")


def test_pagecache_shared_value_read_once_at_a_time_others_get_the_previous_one(cached):
    cached.PUBLIC_PAGE_CACHE_SECONDS = 0.05
    assert pagecache.shared_value("busy", lambda: "first") == "first"
    time.sleep(0.06)
    during = []

    def read_while_another_request_comes():
        # What another thread of the process gets while this one is still reading.
        during.append(pagecache.shared_value("busy", lambda: "x"))
        return "second"

    assert pagecache.shared_value("busy", read_while_another_request_comes) == "second"
    assert during == ["first"]
    assert pagecache.shared_value("busy", lambda: "third") == "second"


def test_pagecache_shared_value_failed_read_keeps_nothing_and_frees_the_claim(cached):
    def missing():
        raise LookupError("no such seminar")

    with pytest.raises(LookupError):
        pagecache.shared_value("gone", missing)
    assert pagecache.shared_value("gone", lambda: "found") == "found"

"""What the public pages keep in Django's cache, and what they never take from it.

The seminar page, ``availability.json`` and the blank registration form's fields show public
counts only: they are kept for ``PUBLIC_PAGE_CACHE_SECONDS`` (a second by default, per process).
A visitor's own values, CSRF token and every rule are never read from the cache.
"""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from events.enums import RegistrationStatus
from events.models import Registration
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 1
    cache.clear()
    yield
    cache.clear()


def register_url(seminar) -> str:
    return reverse("events:registration_create", args=[seminar.slug])


def seminar_url(seminar) -> str:
    return reverse("events:seminar_detail", args=[seminar.slug])


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def seats_shown(html: str) -> int:
    return int(re.search(r'data-seminar-remaining="(\d+)"', html)[1])


def person(seminar, company, number: int, **fields) -> dict:
    return {
        "account_number": company.account_number,
        "first_name": "Ana",
        "last_name": f"García {number}",
        "email": f"ana{number}@partner.example",
        "job_title": "Security manager",
        "phone": "+1 619 555 0100",
        "workshop_day": str(seminar.days.order_by("date", "id").first().pk),
        **fields,
    }


def test_caching_seminar_page_second_visit_reads_only_the_seminar(
    cached, client, seminar, django_assert_num_queries
):
    first = client.get(seminar_url(seminar))

    with django_assert_num_queries(0):  # the seminar and its program are kept
        second = client.get(seminar_url(seminar))

    # The same page, but for the language switcher's token: each visitor gets their own.
    assert TOKEN.sub("", second.content.decode()) == TOKEN.sub("", first.content.decode())


def test_caching_seminar_page_one_copy_per_language(cached, client, seminar):
    english = client.get(seminar_url(seminar), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = client.get(seminar_url(seminar), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Break-out workshops" in english
    assert "Break-out workshops" not in spanish


def test_caching_seminar_page_counts_as_old_as_the_cache_at_most(
    cached, client, seminar, company, register
):
    before = seats_shown(client.get(seminar_url(seminar)).content.decode())
    register(seminar, company)

    kept = seats_shown(client.get(seminar_url(seminar)).content.decode())
    cache.clear()  # the second is over
    fresh = seats_shown(client.get(seminar_url(seminar)).content.decode())

    assert (kept, fresh) == (before, before - 1)


def test_caching_availability_kept_and_uncacheable_downstream(
    cached, client, seminar, django_assert_num_queries
):
    url = reverse("events:seminar_availability", args=[seminar.slug])
    first = client.get(url)

    with django_assert_num_queries(0):
        second = client.get(url)

    assert second.json() == first.json()
    for response in (first, second):
        assert "no-cache" in response["Cache-Control"]
        assert "max-age=0" in response["Cache-Control"]


def test_caching_availability_unknown_seminar_is_a_404_and_kept_nowhere(cached, client):
    url = reverse("events:seminar_availability", args=["no-such-seminar"])

    assert client.get(url).status_code == 404
    assert cache.get("availability:no-such-seminar") is None


def test_caching_blank_form_fields_kept_each_visitor_posts_with_own_token(
    cached, seminar, django_assert_num_queries
):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page = first.get(register_url(seminar)).content.decode()

    # The seminar, its program and the form's fields all come from the cache.
    with django_assert_num_queries(0):
        second_page = second.get(register_url(seminar)).content.decode()

    tokens = [TOKEN.search(page)[1] for page in (first_page, second_page)]
    assert tokens[0] != tokens[1]
    assert TOKEN.sub("", first_page) == TOKEN.sub("", second_page)
    for number, (client, own) in enumerate(zip((first, second), tokens, strict=True)):
        data = person(seminar, CompanyFactory(), number) | {"csrfmiddlewaretoken": own}
        assert client.post(register_url(seminar), data).status_code == 302


def test_caching_post_decided_on_the_rows_not_on_the_kept_form(cached, client, seminar, register):
    """The kept form still shows a seat; the seminar filled since: the post is told so."""
    seminar.capacity = 1
    seminar.save()
    client.get(register_url(seminar))
    register(seminar, CompanyFactory())

    response = client.post(register_url(seminar), person(seminar, CompanyFactory(), 1))

    assert response.status_code == 422
    assert 'class="waitlist-step"' in response.content.decode()
    assert not Registration.objects.filter(email="ana1@partner.example").exists()
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED


def test_caching_refused_form_shows_each_visitors_own_values(cached, client, seminar, company):
    for number in (1, 2):
        data = person(seminar, company, number, phone="12")  # too short: refused by the form
        html = client.post(register_url(seminar), data).content.decode()
        assert f"García {number}" in html
        assert f"García {3 - number}" not in html

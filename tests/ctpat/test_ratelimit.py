import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ctpat import ratelimit
from ctpat.models import RateLimitHit
from ctpat.ratelimit import ratelimit_hit, ratelimit_key, ratelimit_prune
from events.models import Registration
from tests.factories import CompanyFactory
from tests.races import race

pytestmark = pytest.mark.django_db

# 10 s into a minute: a 60-second window has 50 s left.
NOW = datetime(2026, 3, 2, 17, 0, 10, tzinfo=UTC)


# The view tests run at the real time: windows of ~31 years never end during a test.
LONG = 10**9


@pytest.fixture(autouse=True)
def limits(settings, monkeypatch):
    """Rate limits on, small enough to reach in a test; no random pruning."""
    monkeypatch.setattr(ratelimit, "PRUNE_ONE_IN", 0)
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {
        "register-account": (3, LONG),
        "register-email": (2, LONG),
        "register-ip": (4, LONG),
        "manage-ip": (3, LONG),
        "manage-token": (2, LONG),
        "checkin-user": (2, LONG),
        "checkin-ip": (5, LONG),
    }
    return settings.RATELIMITS


@pytest.fixture
def per_minute(limits):
    """The counter tests: two e-mails a minute, at the fixed time NOW."""
    limits["register-email"] = (2, 60)


def _hits(n, keys, *, now=NOW):
    return [ratelimit_hit(keys, now=now) for _ in range(n)]


# --- The counter -----------------------------------------------------------------------------


def test_ratelimit_hit_limit_plus_one_waits_until_window_ends(per_minute):
    assert _hits(3, [("register-email", "a@x.example")]) == [None, None, 50]


def test_ratelimit_hit_other_value_and_other_scope_unaffected(per_minute):
    _hits(3, [("register-email", "a@x.example")])
    assert ratelimit_hit([("register-email", "b@x.example")], now=NOW) is None
    assert ratelimit_hit([("register-account", "a@x.example")], now=NOW) is None


def test_ratelimit_hit_next_window_starts_again(per_minute):
    _hits(3, [("register-email", "a@x.example")])
    assert ratelimit_hit([("register-email", "a@x.example")], now=NOW + timedelta(seconds=49)) == 1
    assert (
        ratelimit_hit([("register-email", "a@x.example")], now=NOW + timedelta(seconds=50)) is None
    )


def test_ratelimit_hit_longest_wait_of_the_keys_over_limit(limits, per_minute):
    limits["register-ip"] = (1, 3600)
    keys = [("register-email", "a@x.example"), ("register-ip", "192.0.2.1")]
    assert _hits(3, keys) == [None, 3590, 3590]


def test_ratelimit_hit_counts_each_key_once_per_call():
    ratelimit_hit([("register-email", "a@x.example"), ("register-ip", "192.0.2.1")], now=NOW)
    assert sorted(RateLimitHit.objects.values_list("hits", flat=True)) == [1, 1]


def test_ratelimit_hit_empty_value_not_counted():
    assert _hits(5, [("register-email", "")]) == [None] * 5
    assert not RateLimitHit.objects.exists()


def test_ratelimit_hit_disabled_counts_nothing(settings):
    settings.RATELIMIT_ENABLED = False
    assert _hits(5, [("register-email", "a@x.example")]) == [None] * 5
    assert not RateLimitHit.objects.exists()


def test_ratelimit_key_is_a_hash_not_the_value():
    ratelimit_hit([("register-email", "maria@partner.example")], now=NOW)
    (key,) = RateLimitHit.objects.values_list("key", flat=True)
    assert key == ratelimit_key("register-email", "maria@partner.example")
    assert "maria" not in key
    assert key.startswith("register-email:")
    assert len(key) == len("register-email:") + 40


def test_ratelimit_prune_deletes_ended_windows_only(per_minute):
    ratelimit_hit([("register-email", "old@x.example")], now=NOW)
    ratelimit_hit([("register-email", "new@x.example")], now=NOW + timedelta(hours=2))
    assert ratelimit_prune(now=NOW + timedelta(hours=2)) == 1
    assert RateLimitHit.objects.get().key == ratelimit_key("register-email", "new@x.example")


def test_ratelimit_hit_is_its_own_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        ratelimit_hit(
            [("register-account", "X"), ("register-email", "a@x.example"), ("register-ip", "::1")],
            now=NOW,
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ratelimit_hit_concurrent_requests_each_get_their_own_count(limits):
    """16 threads hit one key at once: exactly the limit pass, the counter holds every hit."""
    limits["register-email"] = (8, 3600)
    limits["register-ip"] = (100, 3600)
    keys = [("register-email", "rush@x.example"), ("register-ip", "198.51.100.7")]
    tasks = [(lambda: None, lambda _: ratelimit_hit(keys, now=NOW)) for _ in range(16)]
    outcomes = race(tasks)
    assert sorted(outcomes, key=str) == [3590] * 8 + [None] * 8
    assert RateLimitHit.objects.get(key=ratelimit_key(*keys[0])).hits == 16
    assert RateLimitHit.objects.get(key=ratelimit_key(*keys[1])).hits == 16
    assert connection.vendor == "postgresql"


# --- Registration ----------------------------------------------------------------------------


def _register_url(seminar):
    return reverse("events:registration_create", args=[seminar.slug])


def _post(client, seminar, *, email="a@x.example", account="DEMO00001", ip="192.0.2.1", **extra):
    data = {"account_number": account, "email": email, "first_name": "Ana"}
    return client.post(_register_url(seminar), data, REMOTE_ADDR=ip, **extra)


def test_registration_email_limit_plus_one_is_429_with_retry_after(client, seminar):
    assert [_post(client, seminar, account=f"ACC{n}").status_code for n in range(2)] == [422, 422]
    response = _post(client, seminar, account="ACC9")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= LONG
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "Too many attempts" in body
    assert f'data-retry-after="{response["Retry-After"]}"' in body


def test_registration_email_limit_ignores_case_and_spaces(client, seminar):
    _post(client, seminar, email="Ana@X.example", account="ACC1")
    _post(client, seminar, email=" ana@x.example ", account="ACC2")
    assert _post(client, seminar, email="ANA@x.EXAMPLE", account="ACC3").status_code == 429


def test_registration_account_limit_plus_one_is_429(client, seminar):
    codes = [
        _post(client, seminar, email=f"p{n}@x.example", account="demo 00001") for n in range(4)
    ]
    assert [r.status_code for r in codes] == [422, 422, 422, 429]
    # Another company's colleagues are not held up.
    other = _post(client, seminar, email="q@x.example", account="DEMO00002", ip="192.0.2.9")
    assert other.status_code == 422


@pytest.mark.parametrize(
    "named",
    [{"account": "DEMO00001"}, {"email": "ana@x.example"}],
    ids=["account-number", "e-mail"],
)
def test_registration_strangers_posts_do_not_lock_out_another_client(client, seminar, named):
    """Junk posts naming a company or a person, from one client, hold up only that client."""
    stranger = [
        _post(client, seminar, **({"email": f"s{n}@x.example", "account": f"S{n}"} | named))
        for n in range(4)
    ]
    assert stranger[-1].status_code == 429
    real = _post(client, seminar, ip="203.0.113.5", **({"email": "r@x.example"} | named))
    assert real.status_code == 422


def test_registration_ip_limit_plus_one_is_429_other_ip_unaffected(client, seminar):
    codes = [_post(client, seminar, email=f"p{n}@x.example", account=f"A{n}") for n in range(5)]
    assert [r.status_code for r in codes] == [422, 422, 422, 422, 429]
    assert (
        _post(client, seminar, email="z@x.example", account="Z", ip="192.0.2.2").status_code == 422
    )


def test_registration_limit_same_answer_for_known_and_unknown_account(
    client, seminar, limits, monkeypatch
):
    # The limiter's clock stands still, so both waits are counted from the same second.
    stopped = timezone.now()
    monkeypatch.setattr(ratelimit, "timezone", SimpleNamespace(now=lambda: stopped))
    known = CompanyFactory()
    limits["register-account"] = (1, LONG)
    limits["register-email"] = (100, LONG)
    limits["register-ip"] = (100, LONG)
    answers = []
    for account in (known.account_number, "NOSUCH999"):
        _post(client, seminar, account=account, email="a@x.example")
        answers.append(_post(client, seminar, account=account, email="b@x.example"))
    assert [(r.status_code, r["Retry-After"]) for r in answers] == [
        (429, answers[0]["Retry-After"])
    ] * 2
    # The same page, but for the CSRF token of the language switcher.
    bodies = [re.sub(rb'value="[A-Za-z0-9]{64}"', b"", r.content) for r in answers]
    assert bodies[0] == bodies[1]


def test_registration_limit_json_client_gets_json(client, seminar, limits):
    limits["register-email"] = (0, LONG)
    response = _post(client, seminar, HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    assert response.json() == {"error": "rate_limited", "retry_after": int(response["Retry-After"])}


def test_registration_limit_refusal_saves_nothing_and_costs_one_query(
    client, seminar, company, limits, django_assert_max_num_queries
):
    limits["register-email"] = (0, LONG)
    data = {"account_number": company.account_number, "email": "a@x.example"}
    with django_assert_max_num_queries(1):
        response = client.post(_register_url(seminar), data)
    assert response.status_code == 429
    assert not Registration.objects.exists()


def test_registration_get_not_counted(client, seminar, limits):
    limits["register-ip"] = (0, LONG)
    assert [client.get(_register_url(seminar)).status_code for _ in range(3)] == [200] * 3
    assert not RateLimitHit.objects.exists()


def test_registration_limits_disabled_by_setting(client, seminar, settings, limits):
    limits["register-email"] = (0, LONG)
    settings.RATELIMIT_ENABLED = False
    assert _post(client, seminar).status_code == 422


def test_availability_json_not_limited(client, seminar, limits):
    limits.update(dict.fromkeys(limits, (0, LONG)))
    url = reverse("events:seminar_availability", args=[seminar.slug])
    assert [client.get(url).status_code for _ in range(5)] == [200] * 5


# --- Management links and check-in -----------------------------------------------------------


def test_manage_link_ip_limit_counts_forged_tokens(client, seminar):
    urls = [reverse("events:registration_detail", args=[f"forged{n}"]) for n in range(4)]
    assert [client.get(url).status_code for url in urls] == [404, 404, 404, 429]


def test_manage_link_post_limit_per_token(client, seminar, company, register, limits):
    limits["manage-ip"] = (100, LONG)
    registration = register(seminar, company)
    url = reverse("events:registration_change", args=[registration.manage_token])
    assert [client.post(url, {}).status_code for _ in range(3)] == [422, 422, 429]
    other = register(seminar, company)
    other_url = reverse("events:registration_change", args=[other.manage_token])
    assert client.post(other_url, {}).status_code == 422
    # Reading the page is not a post: only the address limit applies to it.
    assert client.get(url).status_code == 200


def test_checkin_post_limit_per_staff_user(client, seminar, desk, limits):
    client.force_login(desk)
    url = reverse("events:seminar_check_in", args=[seminar.slug])
    assert [client.post(url, {"code": "NOPE"}).status_code for _ in range(3)] == [422, 422, 429]
    assert client.get(url).status_code == 200

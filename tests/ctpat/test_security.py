import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ctpat import ratelimit
from ctpat.logfilters import RedactPrivateLinks
from ctpat.security import client_ip
from events.models import Registration
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(django_settings.BASE_DIR)
# A production-like environment: the settings are read at import, so it runs in a subprocess.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "HTTPS_ONLY": "1",
    "SECRET_KEY": "a-long-random-production-secret-key-" + "k3Y9pQ2xZ7vB1nM5tR8wL4cJ6hF0dS",
    "ALLOWED_HOSTS": "seminars.example.gov",
    "CSRF_TRUSTED_ORIGINS": "https://seminars.example.gov",
    "DATABASE_URL": "sqlite:///:memory:",
}


def _run_with_env(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean | PRODUCTION_ENV | {"DJANGO_SETTINGS_MODULE": "ctpat.settings"} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- Client address --------------------------------------------------------------------------


def _request(remote="203.0.113.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_ip_default_ignores_spoofed_forwarded_for(settings):
    assert (settings.TRUSTED_PROXY_HEADER, settings.TRUSTED_PROXY_COUNT) == ("", 0)
    assert client_ip(_request(forwarded="1.2.3.4")) == "203.0.113.5"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # The client wrote the left-most entry itself; our one proxy appended the real address.
        (1, "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        (2, "1.2.3.4, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, "198.51.100.7", "203.0.113.5"),  # fewer entries than proxies: not believed
        (1, "not-an-address", "203.0.113.5"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_trusted_proxy_header_right_most_untrusted(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(forwarded=forwarded)) == expected


def test_ratelimit_spoofed_forwarded_for_does_not_escape_ip_limit(
    client, seminar, settings, monkeypatch
):
    monkeypatch.setattr(ratelimit, "PRUNE_ONE_IN", 0)
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "register-ip": (2, 10**9)}
    url = reverse("events:registration_create", args=[seminar.slug])
    codes = [
        client.post(
            url, {"email": f"p{n}@x.example"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(3)
    ]
    assert codes == [422, 422, 429]


# --- Admin login lockout (django-axes) -------------------------------------------------------


@pytest.fixture
def admin_user(db):
    from ctpat.models import User

    return User.objects.create_superuser("boss", password="correct horse battery")


def _admin_login(client, password, *, ip="192.0.2.10", **extra):
    return client.post(
        reverse("admin:login"),
        {"username": "boss", "password": password, "next": reverse("admin:index"), **extra},
        REMOTE_ADDR=ip,
    )


def test_admin_login_locked_after_five_failures(client, admin_user):
    codes = [_admin_login(client, f"wrong {n}").status_code for n in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    locked = _admin_login(client, "correct horse battery")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert "Too many attempts" in locked.content.decode()
    # The attempt made while locked out counts too (and restarts the cool-off).
    assert AccessAttempt.objects.get().failures_since_start == 6


def test_admin_login_lockout_keyed_on_username_and_ip(client, admin_user):
    for n in range(5):
        _admin_login(client, f"wrong {n}")
    other = Client()
    response = _admin_login(other, "correct horse battery", ip="192.0.2.11")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_admin_login_four_failures_then_success_resets(client, admin_user):
    for n in range(4):
        _admin_login(client, f"wrong {n}")
    assert _admin_login(client, "correct horse battery").status_code == 302
    assert not AccessAttempt.objects.exists()


# --- Two-factor for staff (django-otp) -------------------------------------------------------


@pytest.fixture
def otp_on(settings):
    settings.STAFF_OTP_REQUIRED = True


@pytest.fixture
def device(admin_user):
    return TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_admin_otp_on_password_alone_refused(client, admin_user, device, otp_on):
    response = _admin_login(client, "correct horse battery")
    assert response.status_code == 200
    assert "otp_token" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_admin_otp_on_staff_without_device_refused(client, admin_user, otp_on):
    response = _admin_login(client, "correct horse battery", otp_token="123456")
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_admin_otp_on_wrong_code_refused(client, admin_user, device, otp_on):
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    assert _admin_login(client, "correct horse battery", otp_token=wrong).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def _sign_in_page(response) -> str:
    """The page without its CSRF token, the one part that differs between two answers."""
    assert response.status_code == 200
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode())


def test_admin_otp_on_every_failed_sign_in_gets_one_answer(client, admin_user, device, otp_on):
    wrong_code = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    pages = [
        _sign_in_page(_admin_login(client, "wrong password", otp_token=_code(device))),
        _sign_in_page(_admin_login(client, "correct horse battery")),
        _sign_in_page(_admin_login(client, "correct horse battery", otp_token=wrong_code)),
    ]
    assert pages[1] == pages[0]
    assert pages[2] == pages[0]
    assert "Please enter the correct username, password and two-factor code" in pages[0]
    assert "correct horse battery" not in pages[0]
    assert "OTP" not in pages[0]


def test_admin_otp_on_failed_codes_count_towards_lockout(client, admin_user, device, otp_on):
    wrong_code = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    codes = [
        _admin_login(client, "correct horse battery", otp_token=wrong_code).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]
    assert _admin_login(client, "correct horse battery", otp_token=_code(device)).status_code == 429


def test_admin_otp_on_sign_in_page_names_the_two_factor_code(client, otp_on):
    html = client.get(reverse("admin:login")).content.decode()
    assert 'for="id_otp_token">Two-factor code:</label>' in html
    assert 'autocomplete="one-time-code"' in html


def test_admin_otp_on_valid_code_gets_in(client, admin_user, device, otp_on):
    response = _admin_login(client, "correct horse battery", otp_token=_code(device))
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_otp_on_forced_login_without_verification_refused(client, admin_user, otp_on):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_checkin_otp_on_unverified_staff_sent_to_login(client, seminar, desk, otp_on):
    client.force_login(desk)
    url = reverse("events:seminar_check_in", args=[seminar.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_checkin_otp_on_verified_staff_gets_desk(client, seminar, desk, otp_on):
    desk.set_password("desk password 1")
    desk.save()
    device = TOTPDevice.objects.create(user=desk, name="phone", confirmed=True)
    logged_in = client.post(
        reverse("admin:login"),
        {"username": "desk", "password": "desk password 1", "otp_token": _code(device)},
    )
    assert logged_in.status_code == 302
    url = reverse("events:seminar_check_in", args=[seminar.slug])
    assert client.get(url).status_code == 200


def test_admin_otp_off_by_setting_password_is_enough(client, admin_user, settings):
    settings.STAFF_OTP_REQUIRED = False
    assert _admin_login(client, "correct horse battery").status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


# --- Headers: CSP, HSTS, secure cookies ------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


@pytest.mark.parametrize("page", ["list", "detail", "register"])
def test_public_pages_csp_without_inline_script(client, seminar, page):
    url = {
        "list": reverse("events:seminar_list"),
        "detail": reverse("events:seminar_detail", args=[seminar.slug]),
        "register": reverse("events:registration_create", args=[seminar.slug]),
    }[page]
    response = client.get(url)
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    body = response.content.decode()
    # Every script is a file: no inline <script> (it would be blocked) and no on…= handler.
    assert body.count("<script") == body.count("<script src=")
    assert " onclick=" not in body
    assert ' style="' not in body


def test_admin_pages_csp_same_policy(admin_client, seminar):
    for url in (
        reverse("admin:index"),
        reverse("admin:events_seminar_change", args=[seminar.pk]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert _csp(response)["script-src"] == ["'self'"]


def test_https_only_settings_secure_cookies_and_hsts():
    code = (
        "import django, json; django.setup();"
        "from django.conf import settings as s; from django.test import Client;"
        "r = Client().get('/healthz', secure=True, HTTP_HOST='seminars.example.gov');"
        "plain = Client().get('/healthz', HTTP_HOST='seminars.example.gov');"
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " r.status_code, r.headers.get('Strict-Transport-Security'),"
        " plain.status_code, plain.headers.get('Location')]))"
    )
    result = _run_with_env(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        True,
        True,
        True,
        200,
        "max-age=31536000; includeSubDomains; preload",
        301,
        "https://seminars.example.gov/healthz",
    ]


def test_plain_http_settings_no_hsts_no_secure_cookies():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT]))"
    )
    result = _run_with_env(code, HTTPS_ONLY="0")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [False, 0, False]


def test_check_deploy_clean_under_production_settings():
    code = (
        "import django; django.setup(); from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING'); print('clean')"
    )
    result = _run_with_env(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "clean"


# --- No personal data on public pages, in availability.json or in logs ------------------------


def test_public_pages_and_availability_show_no_personal_data(client, seminar, company, register):
    registration = register(seminar, company, first_name="Zacarías", last_name="Quintanilla")
    urls = [
        reverse("events:seminar_list"),
        reverse("events:seminar_detail", args=[seminar.slug]),
        reverse("events:registration_create", args=[seminar.slug]),
        reverse("events:seminar_availability", args=[seminar.slug]),
    ]
    for url in urls:
        body = client.get(url).content.decode()
        for private in (
            registration.email,
            "Zacarías",
            "Quintanilla",
            registration.confirmation_code,
            registration.manage_token,
            company.legal_name,
            company.account_number,
        ):
            assert private not in body, (url, private)


def test_registration_logs_no_personal_data(client, seminar, caplog):
    company = CompanyFactory()
    day = seminar.days.order_by("date").first()
    data = {
        "account_number": company.account_number,
        "first_name": "Zacarías",
        "last_name": "Quintanilla",
        "email": "zacarias.quintanilla@partner.example",
        "job_title": "Compliance manager",
        "phone": "+52 664 555 0100",
        "workshop_day": str(day.pk),
    }
    url = reverse("events:registration_create", args=[seminar.slug])
    with caplog.at_level(logging.DEBUG):
        created = client.post(url, data)
        refused = client.post(url, data | {"phone": "x"})
    assert (created.status_code, refused.status_code) == (302, 422)
    assert Registration.objects.count() == 1
    for private in ("zacarias", "Zacarías", "Quintanilla", company.account_number):
        assert private.lower() not in caplog.text.lower()


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/registrations/abcDEF123/cancel/", "/registrations/[private]/cancel/"),
        ("/company/abc-DEF_123/", "/company/[private]/"),
        ("/registrations/abcDEF123", "/registrations/[private]"),
    ],
    ids=["registrant", "company", "no-trailing-slash"],
)
def test_log_filter_hides_private_link_token(path, logged):
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (path,), None
    )
    assert RedactPrivateLinks().filter(record) is True
    assert record.getMessage() == f"Not Found: {logged}"


@pytest.fixture
def console_log():
    """What the site's configured log handler (settings.LOGGING's "console") writes."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.mark.parametrize(
    "refused",
    [
        lambda client, url: client.get(url, HTTP_HOST="evil.example" + "x" * 2000),
        lambda client, url: client.post(url, {"f": "x" * 200}),
        lambda client, url: client.post(url, {f"f{n}": "x" for n in range(20)}),
    ],
    ids=["disallowed-host", "body-too-big", "too-many-fields"],
)
def test_suspicious_request_logged_as_one_line(client, seminar, settings, console_log, refused):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    url = reverse("events:registration_create", args=[seminar.slug])
    assert refused(client, url).status_code == 400
    lines = console_log.getvalue().splitlines()
    assert len(lines) == 1
    assert " django.security." in lines[0]
    assert len(lines[0]) < 400


def test_favicon_served_before_django_without_a_csrf_cookie(client):
    """Browsers ask for /favicon.ico on their first page: a 404 page there set a CSRF cookie of
    its own, which could replace the one the first page's form was rendered with."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "csrftoken" not in response.cookies

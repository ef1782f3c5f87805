"""Property-based fuzzing of every form a stranger or the door staff can post (R11, issue 6).

Random and hostile field values (huge, binary, NUL, control characters, any Unicode, lists where
one value is expected), missing and extra fields, and bodies in odd or broken encodings never get
a 5xx, and after every example the seats, counters and e-mails still obey every rule.

The clients do not enforce CSRF (Django's test client default): a request without a token stops in
CsrfViewMiddleware, so with enforcement the hostile values would never reach the forms and views
under test. With enforcement on, Django itself would answer a non-UTF-8 urlencoded body with a 500
(its CSRF check fails while reading it); ``ctpat.middleware.unreadable_body_refuse`` reads the body
first and answers 400, which a test below checks with enforcement on.

Examples are derandomized (the same in CI and on a laptop, so a failure reproduces) and bounded;
Hypothesis keeps no example database (nothing is written into the checkout).
"""

from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctpat.enums import CertificationStatus
from events.enums import RegistrationStatus
from events.models import CheckIn, OutboundEmail, Registration
from tests.factories import (
    CompanyFactory,
    RegistrationFactory,
    SeminarFactory,
    WorkshopDayFactory,
    seminar_build,
)
from tests.races import assert_caps_hold

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    # One database (the test's) for all examples: rows pile up, which is part of the point.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# The test client encodes every value as UTF-8, which a lone surrogate cannot be; raw bodies below
# carry any bytes at all.
_ANY_CHARACTER = st.characters(exclude_categories=("Cs",))
_HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\u202eevil",
    "\u200b",
    "\ufeff",
    "１２３",
    "٣",
    "🎟️",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "-1",
    "0",
    "1.5",
    "1e9",
    "NaN",
    "None",
    "[]",
    "{}",
    "9" * 30,
    "on",
    "true",
    "a" * 64 + "@" + "b" * 250 + ".example",
    "x@" + "y" * 70 + ".example",
    "attendee@ex\u0430mple.com",
]
hostile_text = st.one_of(
    st.text(_ANY_CHARACTER, max_size=40),
    st.text(st.characters(max_codepoint=0x9F, exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(_HOSTILE),
    # Huge, yet under DATA_UPLOAD_MAX_MEMORY_SIZE for a whole form of them.
    st.integers(min_value=1_000, max_value=150_000).map(lambda n: "é" * n),
)


def values(valid: st.SearchStrategy) -> st.SearchStrategy:
    """One field's value: valid, hostile, or a list where one value is expected."""
    one = st.one_of(valid, valid, hostile_text)
    return st.one_of(one, one, st.lists(one, min_size=0, max_size=4))


def field_sets(valid: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """Any subset of the expected fields, plus fields nobody expects."""
    extra = st.dictionaries(
        st.text(_ANY_CHARACTER, min_size=1, max_size=20), hostile_text, max_size=3
    )
    known = st.fixed_dictionaries({}, optional={name: values(s) for name, s in valid.items()})
    return st.builds(lambda fields, more: more | fields, known, extra)


_CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=fuzz",
    "multipart/form-data; boundary=" + "b" * 300,
    "multipart/mixed; boundary=fuzz",
    "application/json",
    "text/plain",
    "",
]
_MULTIPART = '--fuzz\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n'
_BROKEN_BODIES = [
    b"",
    b"email=%ff%fe%00&account_number=%c3%28",
    b"&&&==&=%",
    b"a=1&" * 1_100,  # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
    b"x" * 3_000_000,  # more than DATA_UPLOAD_MAX_MEMORY_SIZE
    b'{"account_number": ["DEMO1"], "email": null}',
    (_MULTIPART.format(name="email", extra="") + "\xff\xfe\r\n--fuzz--\r\n").encode("latin-1"),
    (_MULTIPART.format(name="email", extra='; filename="a.txt"') + "x\r\n--fuzz--\r\n").encode(),
    (_MULTIPART.format(name="first_name", extra="") + "truncated").encode(),
    b"--fuzz\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--fuzz--\r\n",
    b"--fuzz--\r\n",
]


def _urlencoded(fields: dict) -> bytes:
    return urlencode(fields, doseq=True).encode()


@st.composite
def requests(draw, valid: dict[str, st.SearchStrategy]):
    """(body, content type) for ``Client.generic``; a form body or a raw one, maybe broken."""
    kind = draw(st.sampled_from(["near-valid", "near-valid", "multipart", "urlencoded", "raw"]))
    if kind == "near-valid":
        # Every field valid but at most two, so that examples also get past the form.
        fields = {name: draw(strategy) for name, strategy in valid.items()}
        for name in draw(st.lists(st.sampled_from(sorted(valid)), max_size=2, unique=True)):
            fields[name] = draw(values(valid[name]))
        return fields, None
    if kind == "multipart":
        return draw(field_sets(valid)), None
    if kind == "urlencoded":
        charset = draw(st.sampled_from(["", "; charset=utf-8", "; charset=utf-16", "; charset=x"]))
        body = _urlencoded(draw(field_sets(valid)))
        return body, "application/x-www-form-urlencoded" + charset
    body = draw(st.one_of(st.binary(max_size=2_000), st.sampled_from(_BROKEN_BODIES)))
    return body, draw(st.sampled_from(_CONTENT_TYPES))


def post(client: Client, url: str, request, **extra):
    body, content_type = request
    if content_type is None:
        return client.post(url, body, **extra)
    return client.generic("POST", url, body, content_type=content_type, **extra)


def assert_nothing_half_written(seminar, seat_ledger) -> None:
    assert_caps_hold(seminar, seat_ledger)
    registrations = Registration.objects.filter(seminar=seminar)
    without_email = registrations.exclude(
        pk__in=OutboundEmail.objects.values("registration_id")
    ).values_list("pk", flat=True)
    assert list(without_email) == []


# --- Registration ----------------------------------------------------------------------------


@pytest.fixture
def small(db):
    """Two seats, one per day, so examples also meet full days, the wait-list and refusals."""
    return seminar_build(capacity=2, day_capacities=(1, 1), session_capacity=1)


def _registration_values(seminar) -> dict[str, st.SearchStrategy]:
    other = seminar_build()
    companies = [
        CompanyFactory(),
        CompanyFactory(),
        CompanyFactory(status=CertificationStatus.SUSPENDED),
    ]
    day_ids = [str(pk) for pk in seminar.days.values_list("pk", flat=True)]
    day_ids.append(str(other.days.first().pk))
    session_ids = [str(pk) for pk in seminar.days.values_list("sessions__pk", flat=True)]
    return {
        "account_number": st.sampled_from(
            [c.account_number for c in companies] + [companies[0].account_number.lower() + " "]
        ),
        "first_name": st.sampled_from(["María", "Ana"]),
        "last_name": st.sampled_from(["González", "O'Neil-Ñúñez"]),
        "email": st.integers(min_value=1, max_value=40).map(lambda n: f"p{n}@partner.example"),
        "job_title": st.just("Security manager"),
        "phone": st.sampled_from(["+1 619 555 0100", "(664) 555-0100 ext 12"]),
        "workshop_day": st.sampled_from(day_ids),
        "sessions": st.sampled_from(session_ids),
        "waitlist": st.sampled_from(["on", "1", "off"]),
    }


def test_fuzz_registration_never_5xx_and_rules_hold(small, seat_ledger):
    url = reverse("events:registration_create", args=[small.slug])
    valid = _registration_values(small)
    client = Client()
    statuses = set()

    @FUZZ
    @given(request=requests(valid))
    def check(request):
        response = post(client, url, request)
        statuses.add(response.status_code)
        assert response.status_code < 500
        assert_nothing_half_written(small, seat_ledger)

    check()
    # The fuzzing reached the service, not only the form's refusals.
    assert {302, 422} <= statuses
    assert Registration.objects.filter(seminar=small).exists()


@pytest.mark.parametrize("charset", ["utf-16", "latin-1"])
def test_registration_urlencoded_non_utf8_with_csrf_enforced_is_4xx(small, charset):
    url = reverse("events:registration_create", args=[small.slug])
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(url)

    response = client.generic(
        "POST", url, b"0=", content_type=f"application/x-www-form-urlencoded; charset={charset}"
    )

    assert response.status_code == 400


# --- The private management pages ------------------------------------------------------------


def _token_variants(token: str) -> st.SearchStrategy:
    return st.one_of(
        st.just(token),
        st.just(token),
        st.sampled_from([token[:-1], token + "x", token.upper(), token[::-1], token[:8]]),
        st.text(_ANY_CHARACTER, min_size=1, max_size=80),
        st.sampled_from(["%00", "..", "a" * 65, "a" * 5_000, "🎟️"]),
    )


def test_fuzz_manage_pages_never_5xx_and_rules_hold(small, register, seat_ledger):
    valid = _registration_values(small) | {
        "email": st.integers(min_value=1, max_value=40).map(lambda n: f"colleague{n}@x.example")
    }
    client = Client()
    statuses = set()

    @FUZZ
    @given(data=st.data())
    def check(data):
        # A fresh registration each time (many wait-listed), so every action meets a live one.
        registration = register(small, CompanyFactory(), waitlist=True)
        action = data.draw(st.sampled_from(["cancel", "change", "substitute", ""]))
        token = data.draw(_token_variants(registration.manage_token))
        url = f"/registrations/{quote(token, safe='')}/{action + '/' if action else ''}"
        response = post(client, url, data.draw(requests(valid)))
        statuses.add(response.status_code)
        assert response.status_code < 500
        assert_nothing_half_written(small, seat_ledger)

    check()
    assert {302, 404} <= statuses


# --- Check-in at the door --------------------------------------------------------------------


@pytest.fixture
def running(db):
    """A seminar on today, with people of every status holding a confirmation code."""
    now = timezone.now()
    seminar = SeminarFactory(
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(days=3),
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=1),
    )
    day = WorkshopDayFactory(seminar=seminar, date=timezone.localdate() + timedelta(days=1))
    for status in RegistrationStatus.values:
        RegistrationFactory(seminar=seminar, workshop_day=day, status=status)
    RegistrationFactory(seminar=seminar, workshop_day=None)
    RegistrationFactory()  # another seminar's
    return seminar


def test_fuzz_check_in_never_5xx_and_rules_hold(running, django_user_model):
    desk = django_user_model.objects.create_user("desk", password="x", is_staff=True)
    desk.groups.add(Group.objects.get(name="Check-in staff"))
    client = Client()
    client.force_login(desk)
    url = reverse("events:seminar_check_in", args=[running.slug])
    codes = list(Registration.objects.values_list("confirmation_code", flat=True))
    valid = {"code": st.sampled_from(codes + [code.lower() for code in codes])}
    before = dict(Registration.objects.values_list("pk", "status"))
    statuses = set()

    @FUZZ
    @given(request=requests(valid))
    def check(request):
        response = post(client, url, request)
        statuses.add(response.status_code)
        assert response.status_code < 500
        checked_in = CheckIn.objects.values_list("registration__seminar", "registration__status")
        assert set(checked_in) <= {(running.pk, RegistrationStatus.CONFIRMED)}
        assert dict(Registration.objects.values_list("pk", "status")) == before

    check()
    assert {200, 422} <= statuses
    assert CheckIn.objects.exists()

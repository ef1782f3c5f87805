import re
from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from ctpat.enums import BusinessType, CertificationStatus
from ctpat.models import Certification, Company
from events.models import BreakoutSession, Seminar, WorkshopDay

pytestmark = pytest.mark.django_db

SAN_DIEGO = ZoneInfo("America/Los_Angeles")
TOPICS = {
    "Conducting a supply chain security risk assessment",
    "Evidence of implementation and documentation",
    "Suspensions and removals",
    "CBP risk indicators",
    "Developing a security training and awareness program",
    "Proactive approaches to security breach prevention",
}


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Every row seed_demo writes, to compare two runs."""
    return {
        "seminars": list(Seminar.objects.order_by("pk").values()),
        "days": list(WorkshopDay.objects.order_by("pk").values()),
        "sessions": list(BreakoutSession.objects.order_by("pk").values()),
        "companies": list(Company.objects.order_by("pk").values()),
        "history": list(Certification.objects.order_by("pk").values()),
    }


def test_seed_demo_creates_the_san_diego_seminar():
    seed()
    seminar = Seminar.objects.get(slug="san-diego")
    assert seminar.title == "CTPAT Training Seminar — San Diego"
    assert seminar.venue == "San Diego Convention Center"
    assert (seminar.capacity, seminar.per_company_limit, seminar.confirmed_count) == (1200, 2, 0)
    assert seminar.is_published
    assert seminar.registration_is_open()
    starts, ends = seminar.starts_at.astimezone(SAN_DIEGO), seminar.ends_at.astimezone(SAN_DIEGO)
    assert (starts.strftime("%A"), ends.strftime("%A")) == ("Monday", "Thursday")
    assert 42 <= (starts.date() - timezone.localdate()).days < 49
    assert "Panel discussions" in seminar.program


def test_seed_demo_slug_seeds_a_second_seminar_and_leaves_the_first():
    seed("--seats", "20")
    first = snapshot()["days"]
    seed("--slug", "warm-up", "--seats", "10")
    seed("--slug", "warm-up", "--seats", "10")

    seminar = Seminar.objects.get(slug="warm-up")
    assert (seminar.capacity, seminar.title) == (10, "CTPAT Training Seminar — San Diego")
    assert sorted(seminar.days.values_list("capacity", flat=True)) == [5, 5]
    assert BreakoutSession.objects.filter(day__seminar=seminar).count() == 12
    assert [d for d in snapshot()["days"] if d["seminar_id"] != seminar.pk] == first
    assert Seminar.objects.count() == 2


def test_seed_demo_refuses_a_slug_that_is_not_one():
    with pytest.raises(CommandError, match="--slug"):
        seed("--slug", "not a slug")
    assert not Seminar.objects.exists()


def test_seed_demo_creates_two_workshop_days_with_six_sessions_each():
    seed()
    days = list(WorkshopDay.objects.filter(seminar__slug="san-diego").order_by("date"))
    assert [(d.label, d.capacity, d.date.strftime("%A")) for d in days] == [
        ("Tuesday workshops", 600, "Tuesday"),
        ("Thursday workshops", 600, "Thursday"),
    ]
    for day in days:
        sessions = list(day.sessions.all())
        assert {s.topic for s in sessions} == TOPICS
        assert {s.capacity for s in sessions} == {300}
        slots = sorted({s.starts_at.astimezone(SAN_DIEGO).strftime("%H:%M") for s in sessions})
        assert slots == ["09:00", "11:00", "14:00"]
        for slot_sessions in (
            [s for s in sessions if s.starts_at == start]
            for start in {s.starts_at for s in sessions}
        ):
            assert len(slot_sessions) == 2
            assert slot_sessions[0].overlaps(slot_sessions[1])
            assert slot_sessions[0].room != slot_sessions[1].room


def test_seed_demo_creates_eligible_and_refused_companies():
    seed()
    demo = Company.objects.filter(account_number__regex=r"^DEMO\d{5}$").order_by("account_number")
    assert [c.account_number for c in demo] == [f"DEMO{n:05d}" for n in range(1, 51)]
    assert all(c.is_eligible() and c.poc_email for c in demo)
    assert {c.country for c in demo} == {"US", "MX", "CA"}
    assert {c.business_type for c in demo} == set(BusinessType.values)
    assert {c.status for c in demo} == {
        CertificationStatus.CERTIFIED,
        CertificationStatus.VALIDATED,
    }
    importers = [c for c in demo if c.business_type == BusinessType.US_IMPORTER]
    assert all(c.importer_tier for c in importers)
    assert not any(c.importer_tier for c in demo if c not in importers)
    specials = Company.objects.exclude(pk__in=demo)
    assert {c.account_number: (c.status, c.is_eligible()) for c in specials} == {
        "DEMOAPPL1": (CertificationStatus.APPLICANT, False),
        "DEMOSUSP1": (CertificationStatus.SUSPENDED, False),
        "DEMOREMV1": (CertificationStatus.REMOVED, False),
        "DEMOEXPD1": (CertificationStatus.CERTIFIED, False),
    }


@pytest.mark.parametrize(
    ("number", "steps"),
    [
        ("DEMOREMV1", ["certified", "suspended", "removed"]),
        ("DEMOSUSP1", ["certified", "suspended"]),
        ("DEMO00002", ["certified", "validated"]),
        ("DEMO00001", ["certified"]),
    ],
    ids=["removed", "suspended", "validated", "certified"],
)
def test_seed_demo_records_certification_history(number, steps):
    seed()
    history = Certification.objects.filter(company__account_number=number)
    assert list(history.order_by("effective_on").values_list("status", flat=True)) == steps
    assert Company.objects.get(account_number=number).status == steps[-1]


def test_seed_demo_twice_changes_nothing():
    first_output = seed()
    before = snapshot()
    second_output = seed()
    assert snapshot() == before
    assert "54 created" in first_output
    assert "0 created" in second_output


def test_seed_demo_options_set_seats_limit_and_companies():
    output = seed("--seats", "901", "--per-company", "3", "--companies", "5")
    seminar = Seminar.objects.get(slug="san-diego")
    assert (seminar.capacity, seminar.per_company_limit) == (901, 3)
    assert list(seminar.days.order_by("date").values_list("capacity", flat=True)) == [451, 450]
    assert set(
        BreakoutSession.objects.filter(day__label="Tuesday workshops").values_list(
            "capacity", flat=True
        )
    ) == {226}
    assert Company.objects.count() == 5 + 4
    assert "901 seats" in output


def test_seed_demo_rerun_summary_shows_new_numbers():
    seed()
    output = seed("--seats", "901")
    assert "(already there)" in output
    assert "901 seats (0 confirmed)" in output
    assert "  Tuesday workshops " in output
    assert ": 451 seats, 6 break-out sessions" in output
    assert ": 450 seats, 6 break-out sessions" in output


def test_seed_demo_rerun_with_other_numbers_updates_without_duplicates():
    seed()
    seminar_pk = Seminar.objects.get().pk
    seed("--seats", "800", "--per-company", "1", "--companies", "60")
    seminar = Seminar.objects.get()
    assert (seminar.pk, seminar.capacity, seminar.per_company_limit) == (seminar_pk, 800, 1)
    assert list(seminar.days.values_list("capacity", flat=True)) == [400, 400]
    assert BreakoutSession.objects.count() == 12
    assert set(BreakoutSession.objects.values_list("capacity", flat=True)) == {200}
    assert Company.objects.count() == 64
    assert Certification.objects.filter(company__account_number="DEMO00001").count() == 1


def test_seed_demo_reopens_a_stale_seminar():
    seed()
    now = timezone.now()
    Seminar.objects.update(
        registration_opens_at=now - timedelta(days=60),
        registration_closes_at=now - timedelta(days=1),
    )
    seed()
    seminar = Seminar.objects.get()
    assert seminar.registration_is_open()
    assert seminar.starts_at.astimezone(SAN_DIEGO).strftime("%A %H:%M") == "Monday 08:00"


@pytest.fixture
def seeded_with_registrations(register):
    """Six seats; DEMO00001 holds two on Thursday, DEMO00002 one on Thursday: three confirmed."""
    seed("--seats", "6")
    seminar = Seminar.objects.get()
    thursday = seminar.days.get(label="Thursday workshops")
    for number in ("DEMO00001", "DEMO00001", "DEMO00002"):
        register(seminar, Company.objects.get(account_number=number), day=thursday)
    return seminar


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--seats", "2"],
            "--seats 2 refused: CTPAT Training Seminar — San Diego has 3 confirmed registrations, "
            "so its capacity cannot be 2.",
        ),
        (
            ["--seats", "4"],
            "--seats 4 refused: Thursday workshops has 3 confirmed registrations, so its capacity "
            "cannot be 2.",
        ),
        (
            ["--per-company", "1"],
            "--per-company 1 refused: A company already holds 2 confirmed seats, so the limit per "
            "company cannot be 1.",
        ),
    ],
    ids=["seminar", "day", "per-company"],
)
def test_seed_demo_refuses_limits_below_confirmed(seeded_with_registrations, args, message):
    before = snapshot()
    with pytest.raises(CommandError, match=re.escape(message)):
        seed(*args, "--companies", "70")
    assert snapshot() == before  # one transaction: no companies added either


def test_seed_demo_more_seats_promote_from_the_waitlist(register, settings):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    seed("--seats", "2")
    seminar = Seminar.objects.get()
    thursday = seminar.days.get(label="Thursday workshops")
    register(seminar, Company.objects.get(account_number="DEMO00001"), day=thursday)
    waiting = register(
        seminar, Company.objects.get(account_number="DEMO00002"), day=thursday, waitlist=True
    )
    seed("--seats", "4")
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    assert WorkshopDay.objects.get(pk=thursday.pk).confirmed_count == 2


@pytest.mark.parametrize("args", [["--seats", "1"], ["--per-company", "0"]], ids=["seats", "limit"])
def test_seed_demo_refuses_impossible_numbers(args):
    with pytest.raises(CommandError):
        seed(*args)
    assert not Seminar.objects.exists()


def _demo_staff(*args):
    out = StringIO()
    call_command("demo_staff", *args, stdout=out)
    lines = out.getvalue().splitlines()
    return lines, lines[-1].removeprefix("  password: ")


def test_demo_staff_refuses_without_debug_or_flag(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="local demos only"):
        call_command("demo_staff")
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    ("debug", "args"), [(True, []), (False, ["--i-know-this-is-local"])], ids=["debug", "flag"]
)
def test_demo_staff_creates_superuser_with_printed_password(settings, debug, args):
    settings.DEBUG = debug
    lines, password = _demo_staff(*args)
    user = get_user_model().objects.get()
    assert (user.username, user.is_staff, user.is_superuser, user.is_active) == (
        "demo-admin",
        True,
        True,
        True,
    )
    assert user.check_password(password)
    assert lines[0].startswith("LOCAL DEMO ONLY")
    assert "  username: demo-admin" in lines


def test_demo_staff_rerun_resets_password(settings):
    settings.DEBUG = True
    _lines, first = _demo_staff()
    _lines, second = _demo_staff()
    user = get_user_model().objects.get()
    assert first != second
    assert user.check_password(second)
    assert not user.check_password(first)

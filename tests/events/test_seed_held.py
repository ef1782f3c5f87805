"""``seed_demo --slug S --held``: a seminar like San Diego that ended yesterday, with attendees."""

import io
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from events.enums import RegistrationStatus
from events.management.commands.seed_demo import _held_schedule, _programs, _workshop_days
from events.models import (
    Certificate,
    CheckIn,
    OutboundEmail,
    Registration,
    RegistrationChange,
    RegistrationSession,
    Seminar,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

SAN_DIEGO = ZoneInfo("America/Los_Angeles")
SPANISH_WEEKDAYS = ["Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Domingo"]


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def held(*args) -> str:
    return seed("--slug", "held-demo", "--held", "--companies", "6", *args)


def snapshot() -> dict:
    return {
        "seminars": list(Seminar.objects.order_by("pk").values()),
        "registrations": list(Registration.objects.order_by("pk").values()),
        "picks": list(RegistrationSession.objects.order_by("pk").values()),
        "check_ins": list(CheckIn.objects.order_by("pk").values()),
        "history": list(RegistrationChange.objects.order_by("pk").values()),
        "emails": list(OutboundEmail.objects.order_by("pk").values()),
    }


@pytest.mark.parametrize("today", [date(2026, 12, 4) + timedelta(days=n) for n in range(7)])
def test_held_schedule_ended_yesterday_its_days_named_for_their_weekdays(today):
    """Whatever day it is seeded on (this check first ran on a Friday, then on a Saturday, when
    a Tuesday start put "Tuesday workshops" on a Wednesday), the held seminar ran four days to
    yesterday, and its workshop days and program name the weekdays they fall on."""
    now = datetime.combine(today, time(9), SAN_DIEGO)

    schedule = _held_schedule(now)

    starts = schedule["starts_at"].astimezone(SAN_DIEGO)
    ends = schedule["ends_at"].astimezone(SAN_DIEGO)
    assert (f"{starts:%H:%M}", ends.date(), f"{ends:%H:%M}") == (
        "08:00",
        today - timedelta(days=1),
        "17:00",
    )
    assert (ends.date() - starts.date()).days == 3
    assert schedule["registration_closes_at"] < schedule["starts_at"]
    workshops = _workshop_days(starts.date())
    assert [day for _label, _label_es, day in workshops] == [
        starts.date() + timedelta(days=1),
        starts.date() + timedelta(days=3),
    ]
    for label, label_es, day in workshops:
        assert label == f"{day:%A} workshops"
        assert label_es.startswith("Talleres del ")
    english, spanish = _programs(starts.date())
    first_lines = [line.split(" — ")[0] for line in english.splitlines() if " — " in line]
    assert first_lines == [f"{starts.date() + timedelta(days=n):%A}" for n in range(4)]
    assert spanish.splitlines()[0].split(" — ")[0] == SPANISH_WEEKDAYS[starts.weekday()]
    if today.weekday() == 4:  # a Friday: San Diego's own Monday to Thursday
        assert (f"{starts:%A}", [label for label, *_ in workshops]) == (
            "Monday",
            ["Tuesday workshops", "Thursday workshops"],
        )


def test_seed_demo_held_seminar_ended_yesterday(seat_ledger):
    output = held()

    seminar = Seminar.objects.get(slug="held-demo")
    starts, ends = seminar.starts_at.astimezone(SAN_DIEGO), seminar.ends_at.astimezone(SAN_DIEGO)
    assert ends.date() == timezone.localdate(timezone.now(), SAN_DIEGO) - timedelta(days=1)
    assert (f"{starts:%H:%M}", (ends.date() - starts.date()).days) == ("08:00", 3)
    assert seminar.registration_closes_at < seminar.starts_at
    days = seminar.days.order_by("date")
    assert [(day.label, day.date) for day in days] == [
        (f"{starts + timedelta(days=n):%A} workshops", starts.date() + timedelta(days=n))
        for n in (1, 3)
    ]
    assert seminar.program.startswith(f"{starts:%A} — plenary")
    # Two people from each of the six companies, through the service: every counter matches.
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]
    assert ledger["registrations"] == {RegistrationStatus.CONFIRMED: 12}
    assert set(seminar.registrations.values_list("company__account_number", flat=True)) == {
        f"DEMO{n:05d}" for n in range(1, 7)
    }
    assert "12 registrations (12 new)" in output


def test_seed_demo_held_most_checked_in_a_few_absent():
    held()

    seminar = Seminar.objects.get(slug="held-demo")
    people = seminar.registrations.order_by("pk")
    came = [person for person in people if person.checked_in_at is not None]
    assert len(came) == 11
    assert people.filter(check_ins__isnull=True).count() == 1
    # Each came on the plenary days and on their own workshop day, never on the other one.
    for person in came:
        dates = set(person.check_ins.values_list("date", flat=True))
        others = seminar.days.exclude(pk=person.workshop_day_id)
        other_days = set(others.values_list("date", flat=True))
        assert person.workshop_day.date in dates
        assert not dates & other_days
    assert CheckIn.objects.filter(registration__seminar=seminar).count() > 2 * len(came)


def test_seed_demo_held_leaves_no_e_mail_to_send():
    held()

    assert OutboundEmail.objects.exists()
    assert not OutboundEmail.objects.filter(sent_at=None).exists()


def test_seed_demo_held_twice_changes_nothing():
    held()
    before = snapshot()

    output = held()

    assert snapshot() == before
    assert "(0 new)" in output
    assert "(0 new check-ins)" in output


def test_seed_demo_held_beside_the_open_san_diego():
    seed("--companies", "6")
    held()

    assert Seminar.objects.get(slug="san-diego").registration_is_open()
    assert not Registration.objects.filter(seminar__slug="san-diego").exists()
    assert Registration.objects.filter(seminar__slug="held-demo").count() == 12


def test_seed_demo_held_refuses_a_seminar_that_has_not_ended():
    seed("--companies", "1")

    with pytest.raises(CommandError, match="'san-diego' has not ended"):
        seed("--slug", "san-diego", "--held", "--companies", "1")


def test_seed_demo_without_held_refuses_a_held_seminar():
    held()
    before = snapshot()

    with pytest.raises(CommandError, match="'held-demo' is a held seminar"):
        seed("--slug", "held-demo", "--companies", "6")
    assert snapshot() == before


def test_seed_demo_held_attendees_certificates_verify(client, settings):
    """The issue's "done when": each attendee's certificate link gives a PDF naming the person
    and the seminar with its verification address, which answers 200."""
    settings.SITE_URL = "http://testserver"
    held()
    seminar = Seminar.objects.get(slug="held-demo")

    for person in seminar.registrations.filter(checked_in_at__isnull=False)[:3]:
        url = reverse("events:registration_certificate", args=[person.manage_token])
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.content))
        text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
        assert person.full_name in text
        assert seminar.localized("title", person.language) in text
        code = Certificate.objects.get(registration=person).code
        address = f"http://testserver/certificates/{code}/"
        assert address in text
        assert client.get(address).status_code == 200
    absent = seminar.registrations.get(checked_in_at__isnull=True)
    url = reverse("events:registration_certificate", args=[absent.manage_token])
    assert client.get(url).status_code == 404

"""The seminar's admin page edits its workshop days and, nested in each day, the day's sessions;
capacities still change only through events.capacity."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import BreakoutSession, WorkshopDay
from tests.factories import CompanyFactory, SeminarFactory, seminar_build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]


def _url(seminar) -> str:
    return reverse("admin:events_seminar_change", args=[seminar.pk])


def _session_forms(response) -> dict[int, object]:
    """Each session's form on the page, by the session's id (the sessions nested in each day)."""
    [days] = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is WorkshopDay
    ]
    return {
        form.instance.pk: form
        for day_form in days.forms
        for sessions in day_form.nested_formsets
        for form in sessions.forms
    }


@pytest.fixture
def busy(register):
    """Two days of two sessions (5 seats each); two people picked the first day's first session."""
    seminar = seminar_build(capacity=10, day_capacities=(5, 5), session_capacity=5)
    day = seminar.days.order_by("date").first()
    session = day.sessions.order_by("starts_at").first()
    for _ in range(2):
        register(seminar, CompanyFactory(), day=day, sessions=[session])
    return seminar, day, session


def test_seminar_page_shows_each_days_sessions_inline(admin_client, busy):
    seminar, _day, _session = busy

    response = admin_client.get(_url(seminar))

    assert response.status_code == 200
    forms = _session_forms(response)
    assert set(forms) == set(
        BreakoutSession.objects.filter(day__seminar=seminar).values_list("pk", flat=True)
    )
    assert {form.instance.day_id for form in forms.values()} == set(
        seminar.days.values_list("pk", flat=True)
    )
    body = response.content.decode()
    for prefix in ("days-0-sessions-0", "days-0-sessions-1", "days-1-sessions-1"):
        assert f'name="{prefix}-topic"' in body
        assert f'name="{prefix}-capacity"' in body
    assert not re.search(r'name="[^"]*confirmed_count"', body)


def test_seminar_page_scripts_are_served_by_the_site(admin_client, busy):
    seminar, _day, _session = busy
    body = admin_client.get(_url(seminar)).content.decode()
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', body)
    assert "/static/nested_admin/dist/nested_admin.min.js" in scripts
    assert all(src.startswith("/") and not src.startswith("//") for src in scripts)
    response = admin_client.get("/static/nested_admin/dist/nested_admin.min.js")
    assert response.status_code == 200
    response.close()


def test_seminar_page_session_capacity_below_confirmed_is_form_error(
    admin_client, busy, change_form_data
):
    seminar, _day, session = busy
    page = admin_client.get(_url(seminar))
    data = change_form_data(page)
    data[f"{_session_forms(page)[session.pk].prefix}-capacity"] = "1"

    response = admin_client.post(_url(seminar), data)

    assert response.status_code == 200
    assert _session_forms(response)[session.pk].errors["capacity"] == [
        "2 seats are already confirmed, so the capacity cannot be 1. Cancel or move "
        "registrations first, or choose at least 2."
    ]
    session.refresh_from_db()
    assert session.capacity == 5


def test_seminar_page_session_capacity_raise_keeps_seats_taken_meanwhile(
    admin_client, busy, register, change_form_data, seat_ledger
):
    seminar, day, session = busy
    page = admin_client.get(_url(seminar))
    data = change_form_data(page)
    register(seminar, CompanyFactory(), day=day, sessions=[session])  # while the page is open
    data[f"{_session_forms(page)[session.pk].prefix}-capacity"] = "7"

    response = admin_client.post(_url(seminar), data)

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.capacity, session.confirmed_count) == (7, 3)
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]


def test_seminar_page_adds_a_day_with_its_sessions_in_one_save(admin_client, change_form_data):
    seminar = SeminarFactory()
    date = (seminar.starts_at + timedelta(days=1)).date()
    data = change_form_data(admin_client.get(_url(seminar)))
    data |= {
        "days-TOTAL_FORMS": "1",
        "days-0-label": "Tuesday workshops",
        "days-0-label_es": "Talleres del martes",
        "days-0-date": date.isoformat(),
        "days-0-capacity": "600",
        "days-0-sessions-TOTAL_FORMS": "2",
        "days-0-sessions-INITIAL_FORMS": "0",
    }
    for index, (topic, hour) in enumerate((("CBP risk indicators", 9), ("Security training", 11))):
        data |= {
            f"days-0-sessions-{index}-topic": topic,
            f"days-0-sessions-{index}-room": f"Room {index + 1}",
            # The browser's date-and-time field sends the ISO form, in the site's time zone.
            f"days-0-sessions-{index}-starts_at": f"{date.isoformat()}T{hour:02d}:00",
            f"days-0-sessions-{index}-ends_at": f"{date.isoformat()}T{hour + 1:02d}:30",
            f"days-0-sessions-{index}-capacity": "150",
        }

    response = admin_client.post(_url(seminar), data)

    assert response.status_code == 302
    day = seminar.days.get()
    assert (day.label, day.label_es, day.date, day.capacity) == (
        "Tuesday workshops",
        "Talleres del martes",
        date,
        600,
    )
    sessions = day.sessions.order_by("starts_at")
    assert [
        (s.topic, s.room, s.capacity, timezone.localtime(s.starts_at).strftime("%Y-%m-%d %H:%M"))
        for s in sessions
    ] == [
        ("CBP risk indicators", "Room 1", 150, f"{date.isoformat()} 09:00"),
        ("Security training", "Room 2", 150, f"{date.isoformat()} 11:00"),
    ]


@pytest.mark.parametrize("what", ["day", "session"])
def test_seminar_page_refuses_to_delete_what_registrations_refer_to(
    admin_client, busy, change_form_data, what
):
    seminar, day, session = busy
    page = admin_client.get(_url(seminar))
    data = change_form_data(page)
    prefix = "days-0" if what == "day" else _session_forms(page)[session.pk].prefix
    data[f"{prefix}-DELETE"] = "on"

    response = admin_client.post(_url(seminar), data)

    assert response.status_code == 200
    name = f"workshop day {day.label}" if what == "day" else f"break-out session {session}"
    assert (
        f"Deleting {name} would require deleting the following protected related objects:"
    ) in response.content.decode()
    assert WorkshopDay.objects.filter(pk=day.pk).exists()
    assert BreakoutSession.objects.filter(pk=session.pk).exists()


def test_seminar_page_deletes_a_session_nobody_picked(admin_client, busy, change_form_data):
    seminar, day, session = busy
    unpicked = day.sessions.exclude(pk=session.pk).get()
    page = admin_client.get(_url(seminar))
    data = change_form_data(page)
    data[f"{_session_forms(page)[unpicked.pk].prefix}-DELETE"] = "on"

    response = admin_client.post(_url(seminar), data)

    assert response.status_code == 302
    assert list(day.sessions.all()) == [session]


def test_seminar_page_queries_do_not_grow_with_sessions(admin_client, django_assert_num_queries):
    few = seminar_build(sessions_per_day=1)
    many = seminar_build(sessions_per_day=6)
    admin_client.get(_url(few))  # the first page of a process caches content types
    with CaptureQueriesContext(connection) as first:
        admin_client.get(_url(few))
    with django_assert_num_queries(len(first.captured_queries)):
        response = admin_client.get(_url(many))
    assert len(_session_forms(response)) == 12

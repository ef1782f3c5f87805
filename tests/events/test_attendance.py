import csv
import io
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import reports
from events.changes import registration_cancel
from events.checkin import registration_check_in
from events.exceptions import WrongDay
from events.models import CheckIn, Seminar, WorkshopDay
from tests.factories import CompanyFactory, RegistrationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

HEADER = [
    "Kind",
    "Date",
    "Day",
    "Session",
    "Room",
    "Starts",
    "Expected",
    "Checked in",
    "Percent",
]


@pytest.fixture
def dates(seminar):
    """The seminar's four dates, local: plenary, workshops 1, plenary, workshops 2."""
    first = timezone.localdate() + timedelta(days=60)
    Seminar.objects.filter(pk=seminar.pk).update(
        starts_at=timezone.make_aware(datetime.combine(first, datetime.min.time()))
        + timedelta(hours=8),
        ends_at=timezone.make_aware(
            datetime.combine(first + timedelta(days=3), datetime.min.time())
        )
        + timedelta(hours=17),
    )
    seminar.refresh_from_db()
    day1, day2 = seminar.days.order_by("date")
    for offset, day in ((101, day1), (103, day2), (1, day1), (3, day2)):
        WorkshopDay.objects.filter(pk=day.pk).update(date=first + timedelta(days=offset))
    return [first + timedelta(days=n) for n in range(4)]


@pytest.fixture
def attended(seminar, company, register, dates):
    """Four confirmed people (two per workshop day), one cancelled, and who came when."""
    other = CompanyFactory()
    day1, day2 = seminar.days.order_by("date")
    risk1 = day1.sessions.get(topic="CBP risk indicators")
    evidence1 = day1.sessions.get(topic="Evidence of implementation")
    risk2 = day2.sessions.get(topic="CBP risk indicators")
    ana = register(seminar, company, day=day1, sessions=[risk1])
    beto = register(seminar, company, day=day1, sessions=[risk1, evidence1])
    carla = register(seminar, other, day=day2, sessions=[risk2])
    register(seminar, other, day=day2)
    eva = register(seminar, CompanyFactory(), day=day1, sessions=[risk1])
    registration_cancel(registration=eva, actor=None)
    plenary1, workshops1, plenary2, workshops2 = dates
    for person, today in (
        (ana, plenary1),
        (beto, plenary1),
        (carla, plenary1),
        (beto, workshops1),
        (ana, plenary2),
        (carla, workshops2),
    ):
        registration_check_in(code=person.confirmation_code, actor=None, today=today)
    with pytest.raises(WrongDay):
        registration_check_in(code=carla.confirmation_code, actor=None, today=workshops1)
    seminar.refresh_from_db()
    return seminar


def test_attendance_report_per_day_against_expected(attended, dates):
    report = reports.attendance_report(seminar=attended, today=dates[1])

    assert [
        (day.date, day.label, day.checked_in, day.expected, day.percent, day.is_today)
        for day in report.days
    ] == [
        (dates[0], "Plenary", 3, 4, 75, False),
        (dates[1], "Tuesday workshops", 1, 2, 50, True),
        (dates[2], "Plenary", 1, 4, 25, False),
        (dates[3], "Thursday workshops", 1, 2, 50, False),
    ]


def test_attendance_report_per_session_counts_picks_checked_in_that_day(attended, dates):
    report = reports.attendance_report(seminar=attended, today=dates[1])

    assert [
        (s.day_label, s.topic, s.checked_in, s.expected, s.is_today) for s in report.sessions
    ] == [
        ("Tuesday workshops", "CBP risk indicators", 1, 2, True),
        ("Tuesday workshops", "Suspensions and removals", 0, 0, True),
        ("Tuesday workshops", "Evidence of implementation", 1, 1, True),
        ("Thursday workshops", "CBP risk indicators", 1, 1, False),
        ("Thursday workshops", "Suspensions and removals", 0, 0, False),
        ("Thursday workshops", "Evidence of implementation", 0, 0, False),
    ]


def test_attendance_report_without_check_ins_lists_every_date(seminar, dates):
    report = reports.attendance_report(seminar=seminar, today=dates[0])

    assert [(day.date, day.checked_in, day.percent, day.width) for day in report.days] == [
        (moment, 0, 0, 0) for moment in dates
    ]


def attendance_url(seminar, name="attendance"):
    return reverse(f"admin:events_seminar_{name}", args=[seminar.pk])


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_attendance_csv_lists_days_then_sessions(admin_client, attended, dates):
    response = admin_client.get(attendance_url(attended, "attendance_csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="attendance-{attended.slug}-'
    )
    rows = _rows(response)
    assert rows[0] == HEADER
    day = [f"{moment:%Y-%m-%d}" for moment in dates]
    assert rows[1:5] == [
        ["Day", day[0], "Plenary", "", "", "", "4", "3", "75"],
        ["Day", day[1], "Tuesday workshops", "", "", "", "2", "1", "50"],
        ["Day", day[2], "Plenary", "", "", "", "4", "1", "25"],
        ["Day", day[3], "Thursday workshops", "", "", "", "2", "1", "50"],
    ]
    sessions = [(r[0], r[1], r[2], r[3], r[6], r[7], r[8]) for r in rows[5:]]
    assert sessions[0] == (
        "Session",
        day[1],
        "Tuesday workshops",
        "CBP risk indicators",
        "2",
        "1",
        "50",
    )
    assert len(rows) == 1 + 4 + 6


def test_attendance_csv_for_excel_starts_with_bom(admin_client, attended):
    response = admin_client.get(attendance_url(attended, "attendance_csv") + "?excel=1")

    assert response.content.startswith("\ufeff".encode())
    assert response["Content-Disposition"].endswith('-excel.csv"')
    assert _rows(response)[0][0] == "\ufeffKind"


def test_attendance_csv_neutralizes_formulas(admin_client, attended):
    day = attended.days.order_by("date").first()
    WorkshopDay.objects.filter(pk=day.pk).update(label="=HYPERLINK(1)")

    rows = _rows(admin_client.get(attendance_url(attended, "attendance_csv")))

    assert rows[2][2] == "'=HYPERLINK(1)"


def test_attendance_page_shows_figures_and_exports(admin_client, attended):
    response = admin_client.get(attendance_url(attended))

    assert response.status_code == 200
    html = response.content.decode()
    checked = response.context["report"].days
    assert [day.checked_in for day in checked] == [3, 1, 1, 1]
    assert html.count('data-figure="checked_in"') == 4 + 6
    assert attendance_url(attended, "attendance_csv") + "?excel=1" in html


def _bulk_checked_in(seminar, dates, count):
    day = seminar.days.order_by("date").first()
    rows = RegistrationFactory.create_batch(count, seminar=seminar, workshop_day=day)
    CheckIn.objects.bulk_create(CheckIn(registration=row, date=dates[0]) for row in rows)


@pytest.mark.parametrize("name", ["attendance", "attendance_csv"])
def test_attendance_queries_do_not_grow_with_check_ins(
    admin_client, seminar, dates, name, django_assert_num_queries
):
    url = attendance_url(seminar, name)
    _bulk_checked_in(seminar, dates, 5)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200

    _bulk_checked_in(seminar, dates, 295)

    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("perms", "expected"),
    [
        pytest.param(["view_reports"], 200, id="view-reports"),
        pytest.param(["view_seminar", "view_registration"], 403, id="viewing-is-not-enough"),
    ],
)
def test_attendance_csv_needs_the_view_reports_permission(staff_client, seminar, perms, expected):
    response = staff_client(*perms).get(attendance_url(seminar, "attendance_csv"))

    assert response.status_code == expected

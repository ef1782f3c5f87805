import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ctpat.enums import BusinessType
from events import reports
from events.changes import registration_cancel
from events.enums import RegistrationStatus
from events.models import RegistrationSession, Seminar, WorkshopDay
from tests.factories import CompanyFactory, RegistrationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

# Registration opens at 09:00 local time on a Monday with no daylight-saving change near it.
OPENS = timezone.make_aware(datetime(2026, 11, 2, 9, 0))


def crowd_register(seminar, register, *, opens):
    """Six people registered at known minutes after ``opens``; the second day has one seat.

    Confirmed: Ana and Beto (U.S. importer A, day 1), Carla (U.S. importer B, day 2), Dora
    (foreign manufacturer C, Mexico, day 1). Wait-listed: Eva (highway carrier D, Canada, day 2).
    Cancelled: Fede (C, day 1).
    """
    Seminar.objects.filter(pk=seminar.pk).update(
        registration_opens_at=opens, registration_closes_at=opens + timedelta(days=10)
    )
    seminar.refresh_from_db()
    day1, day2 = seminar.days.order_by("date")
    WorkshopDay.objects.filter(pk=day2.pk).update(capacity=1)
    day2.refresh_from_db()
    first1 = day1.sessions.get(topic="CBP risk indicators")
    first2 = day2.sessions.get(topic="CBP risk indicators")
    importer_a, importer_b = (
        CompanyFactory(business_type=BusinessType.US_IMPORTER, country="US") for _ in range(2)
    )
    maker = CompanyFactory(business_type=BusinessType.FOREIGN_MANUFACTURER, country="MX")
    carrier = CompanyFactory(business_type=BusinessType.HIGHWAY_CARRIER, country="CA")

    def at(hours, minutes):
        return opens + timedelta(hours=hours, minutes=minutes)

    people = {
        "ana": register(seminar, importer_a, day=day1, sessions=[first1], now=at(0, 10)),
        "beto": register(seminar, importer_a, day=day1, now=at(0, 40)),
        "carla": register(seminar, importer_b, day=day2, sessions=[first2], now=at(1, 5)),
        "eva": register(
            seminar, carrier, day=day2, sessions=[first2], waitlist=True, now=at(2, 15)
        ),
        "dora": register(seminar, maker, day=day1, sessions=[first1], now=at(3, 20)),
        "fede": register(seminar, maker, day=day1, now=at(3, 50)),
    }
    registration_cancel(registration=people["fede"], actor=None)
    seminar.refresh_from_db()
    assert people["eva"].status == RegistrationStatus.WAITLISTED
    return people


@pytest.fixture
def crowd(seminar, register):
    return crowd_register(seminar, register, opens=OPENS)


@pytest.fixture
def live_crowd(seminar, register):
    """The same people, registration having opened at the top of the hour five hours ago."""
    hour = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    return crowd_register(seminar, register, opens=hour - timedelta(hours=5))


def test_registrations_over_time_counts_every_hour_since_opening(seminar, crowd):
    chart = reports.registrations_over_time(
        seminar=seminar, now=OPENS + timedelta(hours=4, minutes=10)
    )

    assert chart.per_hour is True
    assert [(timezone.localtime(b.start).hour, b.count, b.cumulative) for b in chart.buckets] == [
        (9, 2, 2),
        (10, 1, 3),
        (11, 1, 4),
        (12, 2, 6),
        (13, 0, 6),
    ]
    assert chart.total == 6
    assert (chart.busiest.start.hour, chart.busiest.count) == (9, 2)


def test_registrations_over_time_bar_heights_follow_counts(seminar, crowd):
    chart = reports.registrations_over_time(seminar=seminar, now=OPENS + timedelta(hours=4))

    heights = [bar.height for bar in chart.bars]
    assert heights[0] == heights[3] == 2 * heights[1] == 2 * heights[2]
    assert heights[4] == 0
    assert [value for _y, value in chart.y_ticks] == [0, 1, 2]


def test_registrations_over_time_counts_per_day_over_long_windows(seminar, crowd):
    chart = reports.registrations_over_time(seminar=seminar, now=OPENS + timedelta(days=9))

    assert chart.per_hour is False
    assert len(chart.buckets) == 10
    assert [b.count for b in chart.buckets] == [6, 0, 0, 0, 0, 0, 0, 0, 0, 0]


def test_registrations_over_time_last_label_fits_inside_the_chart(seminar):
    """48 hours and a half: the last of the labels, every sixth hour, is a long midnight one."""
    midnight = timezone.make_aware(datetime(2026, 11, 10, 0, 0))
    Seminar.objects.filter(pk=seminar.pk).update(
        registration_opens_at=midnight - timedelta(hours=48)
    )
    seminar.refresh_from_db()

    chart = reports.registrations_over_time(seminar=seminar, now=midnight + timedelta(minutes=30))

    assert chart.x_ticks[-1][1] == "Nov 10"
    # 11 px type whose characters average under 0.7 em: half a label, from its middle, takes
    # less than 3.85 px a character.
    assert all(x + len(label) * 3.85 <= chart.width for x, label in chart.x_ticks)
    assert all(x - len(label) * 3.85 >= 0 for x, label in chart.x_ticks)


def test_registrations_over_time_empty_seminar_has_zero_buckets(seminar):
    Seminar.objects.filter(pk=seminar.pk).update(registration_opens_at=OPENS)
    seminar.refresh_from_db()

    chart = reports.registrations_over_time(seminar=seminar, now=OPENS + timedelta(hours=2))

    assert [b.count for b in chart.buckets] == [0, 0, 0]
    assert chart.total == 0


def test_shares_count_confirmed_registrations_only(seminar, crowd):
    types = reports.business_type_shares(seminar=seminar)
    countries = reports.country_shares(seminar=seminar)

    assert [(s.label, s.count, s.percent) for s in types] == [
        ("U.S. importer", 3, 75.0),
        ("Foreign manufacturer", 1, 25.0),
    ]
    assert [(s.label, s.count, s.percent, s.width) for s in countries] == [
        ("US", 3, 75.0, 750),
        ("MX", 1, 25.0, 250),
    ]


def test_capacity_overview_counts_confirmed_remaining_waitlisted(seminar, crowd):
    overview = reports.capacity_overview(seminar=seminar)

    def figures(bar):
        return (bar.label, bar.confirmed, bar.remaining, bar.waitlisted, bar.capacity)

    assert figures(overview.seminar) == (seminar.title, 4, 1196, 1, 1200)
    assert [figures(bar) for bar in overview.days] == [
        ("Tuesday workshops", 3, 597, 0, 600),
        ("Thursday workshops", 1, 0, 1, 1),
    ]
    assert [(bar.label, bar.confirmed, bar.waitlisted) for bar in overview.sessions] == [
        ("CBP risk indicators", 2, 0),
        ("Suspensions and removals", 0, 0),
        ("Evidence of implementation", 0, 0),
        ("CBP risk indicators", 1, 1),
        ("Suspensions and removals", 0, 0),
        ("Evidence of implementation", 0, 0),
    ]
    full = overview.days[1]
    assert (full.confirmed_width, full.remaining_width, full.waitlisted_x) == (500, 0, 500)
    assert full.waitlisted_width == 500


def _svg(html: str, css_class: str) -> ET.Element:
    match = re.search(rf'<svg class="{css_class}".*?</svg>', html, re.S)
    assert match, f"no <svg class={css_class}>"
    return ET.fromstring(match.group(0))


def _section(html: str, css_class: str) -> ET.Element:
    match = re.search(rf'<section class="{css_class}".*?</section>', html, re.S)
    assert match, f"no <section class={css_class}>"
    return ET.fromstring(match.group(0))


def _capacity_rows(html: str) -> dict[str, dict[str, str]]:
    section = _section(html, "capacity")
    rows = {}
    for row in section.iter("tr"):
        if "capacity__row" not in row.get("class", ""):
            continue
        label = row.find("th").text.strip()
        figures = {td.get("data-figure"): td.text for td in row.iter("td") if td.get("data-figure")}
        rows.setdefault(label, figures)
    return rows


def dashboard_url(seminar):
    return reverse("admin:events_seminar_dashboard", args=[seminar.pk])


def test_dashboard_shows_chart_shares_and_capacity(admin_client, seminar, live_crowd):
    response = admin_client.get(dashboard_url(seminar))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<meta http-equiv="refresh" content="30">' in html
    assert "refreshes every 30 seconds" in html
    chart = _svg(html, "chart")
    ns = "{http://www.w3.org/2000/svg}"
    bars = chart.findall(f"{ns}rect")
    assert len(bars) == len(response.context["dashboard"].over_time.buckets)
    counts = [rect.find(f"{ns}title").text.split(": ")[1] for rect in bars]
    assert counts[:4] == ["2", "1", "1", "2"]
    assert set(counts[4:]) == {"0"}
    assert chart.find(f"{ns}title").text == "Registrations per hour"
    assert "6 registrations since registration opened" in html
    rows = re.findall(r'<tr class="over-time-row">.*?</tr>', html)
    assert len(rows) == 4
    shares = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td class="num" data-figure="count">(\d+)</td>\s*'
        r'<td class="num" data-figure="percent">([\d.]+)</td>',
        html,
    )
    assert shares == [
        ("U.S. importer", "3", "75.0"),
        ("Foreign manufacturer", "1", "25.0"),
        ("US", "3", "75.0"),
        ("MX", "1", "25.0"),
    ]
    capacity = _capacity_rows(html)
    assert capacity[seminar.title] == {
        "confirmed": "4",
        "remaining": "1196",
        "waitlisted": "1",
        "capacity": "1200",
    }
    assert capacity["Thursday workshops"] == {
        "confirmed": "1",
        "remaining": "0",
        "waitlisted": "1",
        "capacity": "1",
    }


def test_seminar_change_page_draws_capacity_bars_and_links(admin_client, seminar, crowd):
    response = admin_client.get(reverse("admin:events_seminar_change", args=[seminar.pk]))

    html = response.content.decode()
    capacity = _capacity_rows(html)
    assert capacity["Tuesday workshops"] == {
        "confirmed": "3",
        "remaining": "597",
        "waitlisted": "0",
        "capacity": "600",
    }
    bar = _svg(html.split("capacity__row--day capacity__row--full")[1], "bar")
    assert [(r.get("class"), r.get("x"), r.get("width")) for r in bar] == [
        ("bar__confirmed", "0", "500"),
        ("bar__remaining", "500", "0"),
        ("bar__waitlisted", "500", "500"),
    ]
    day1, day2 = seminar.days.order_by("date")
    badges = reverse("admin:events_seminar_badges", args=[seminar.pk])
    for link in (
        dashboard_url(seminar),
        reverse("admin:events_seminar_attendance", args=[seminar.pk]),
        reverse("events:seminar_check_in", args=[seminar.slug]),
        badges,
        f"{badges}?day={day1.pk}",
        f"{badges}?day={day2.pk}",
        reverse("admin:events_seminar_roster", args=[seminar.pk]),
    ):
        assert f'href="{link}"' in html
    assert "<script>" not in html.split('id="capacity-heading"')[1].split("</section>")[0]
    assert 'style="' not in html.split('id="capacity-heading"')[1].split("</section>")[0]


def _bulk(seminar, count):
    """``count`` confirmed rows with a session pick each (counters untouched: reads only)."""
    day = seminar.days.order_by("date").first()
    session = day.sessions.first()
    companies = [
        CompanyFactory(business_type=kind, country=country)
        for kind, country in (
            (BusinessType.US_IMPORTER, "US"),
            (BusinessType.EXPORTER, "US"),
            (BusinessType.CUSTOMS_BROKER, "MX"),
        )
    ]
    rows = RegistrationFactory.create_batch(
        count,
        seminar=seminar,
        workshop_day=day,
        company=factory.Iterator(companies),
        created_at=factory.Iterator([OPENS + timedelta(minutes=13 * n) for n in range(count)]),
    )
    RegistrationSession.objects.bulk_create(
        RegistrationSession(registration=row, session=session) for row in rows
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:events_seminar_dashboard",
        "admin:events_seminar_attendance",
        "admin:events_seminar_change",
    ],
    ids=["dashboard", "attendance", "change-page"],
)
def test_report_pages_queries_do_not_grow_with_registrations(
    admin_client, seminar, url_name, django_assert_num_queries
):
    Seminar.objects.filter(pk=seminar.pk).update(registration_opens_at=OPENS)
    url = reverse(url_name, args=[seminar.pk])
    _bulk(seminar, 5)
    few = _queries(admin_client, url)

    _bulk(seminar, 295)

    with django_assert_num_queries(few):
        admin_client.get(url)


@pytest.mark.parametrize(
    ("user_kwargs", "expected"),
    [
        pytest.param({"group": "Check-in staff"}, 403, id="check-in-staff"),
        pytest.param({"group": "Seminar managers"}, 200, id="seminar-manager"),
        pytest.param({"perms": ["view_reports"]}, 200, id="view-reports"),
        pytest.param(
            {"perms": ["view_seminar", "view_registration"]}, 403, id="viewing-is-not-enough"
        ),
    ],
)
@pytest.mark.parametrize(
    "url_name",
    ["admin:events_seminar_dashboard", "admin:events_seminar_attendance"],
    ids=["dashboard", "attendance"],
)
def test_reports_need_the_view_reports_permission(
    staff_user, client, seminar, url_name, user_kwargs, expected
):
    client.force_login(staff_user("someone", **user_kwargs))

    response = client.get(reverse(url_name, args=[seminar.pk]))

    assert response.status_code == expected


@pytest.mark.parametrize("signed_in", [True, False], ids=["non-staff", "anonymous"])
def test_dashboard_sends_non_staff_to_login(staff_user, client, seminar, signed_in):
    if signed_in:
        client.force_login(staff_user("visitor", group="Seminar managers", is_staff=False))

    response = client.get(dashboard_url(seminar))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_dashboard_unknown_seminar_is_404(admin_client, seminar):
    assert (
        admin_client.get(reverse("admin:events_seminar_dashboard", args=[999999])).status_code
        == 404
    )


def test_change_page_hides_report_links_without_registration_view(staff_user, client, seminar):
    client.force_login(staff_user("reader", perms=["view_seminar"]))

    html = client.get(reverse("admin:events_seminar_change", args=[seminar.pk])).content.decode()

    assert dashboard_url(seminar) not in html
    assert reverse("admin:events_seminar_badges", args=[seminar.pk]) not in html
    assert 'id="capacity-heading"' in html


def test_change_page_links_each_tool_its_permission_allows(staff_user, client, seminar):
    client.force_login(staff_user("reader", perms=["view_seminar", "add_checkin", "view_reports"]))

    html = client.get(reverse("admin:events_seminar_change", args=[seminar.pk])).content.decode()

    assert reverse("events:seminar_check_in", args=[seminar.slug]) in html
    assert dashboard_url(seminar) in html
    assert reverse("admin:events_seminar_badges", args=[seminar.pk]) not in html
    assert reverse("admin:events_seminar_roster", args=[seminar.pk]) not in html


def test_dashboard_chart_coordinates_stay_svg_numbers_in_spanish(admin_client, seminar, live_crowd):
    """Spanish writes 180,0 for 180.0: a chart drawn with it would show no bars at all."""
    response = admin_client.get(dashboard_url(seminar), HTTP_ACCEPT_LANGUAGE="es")

    chart = _svg(response.content.decode(), "chart")
    coordinates = [
        value
        for element in chart.iter()
        for name, value in element.attrib.items()
        if name in {"x", "y", "width", "height", "x1", "x2", "y1", "y2"}
    ]
    assert len(coordinates) > 20
    assert [value for value in coordinates if not re.fullmatch(r"-?\d+(\.\d+)?", value)] == []
    assert re.fullmatch(r"0 0 \d+ \d+", chart.get("viewBox"))

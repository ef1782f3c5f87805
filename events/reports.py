"""What staff read about one seminar: capacity, registrations over time, shares and attendance.

Every figure is counted in the database (``annotate``/``Count``), so each report costs the same
few queries whether a seminar has five registrations or five thousand.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDay, TruncHour
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ctpat.enums import BusinessType
from events.enums import RegistrationStatus
from events.models import BreakoutSession, CheckIn, Registration, Seminar, WorkshopDay
from events.roster import neutralize

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED

# Bars are drawn on a 0..BAR_SCALE axis (an SVG viewBox), so that no inline style is needed.
BAR_SCALE = 1000
# Beyond this many hours the chart counts per day, or its bars would be thinner than a pixel.
MAX_HOURLY_BUCKETS = 7 * 24
CHART_WIDTH, CHART_HEIGHT = 720, 240
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 44, 34, 26
# Past the last bar's center, room for half the longest x label ("Nov 30, 00:00" in 11 px type),
# which the SVG's edge would cut off otherwise.
CHART_RIGHT = 48


@dataclass(frozen=True)
class CapacityBar:
    """Confirmed, remaining and wait-listed seats of one seminar, day or session."""

    label: str
    capacity: int
    confirmed: int
    waitlisted: int
    detail: str = ""

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.confirmed, 0)

    @property
    def _total(self) -> int:
        return max(self.capacity, self.confirmed) + self.waitlisted or 1

    def _width(self, value: int) -> int:
        return round(BAR_SCALE * value / self._total)

    @property
    def confirmed_width(self) -> int:
        return self._width(self.confirmed)

    @property
    def remaining_width(self) -> int:
        return self._width(self.remaining)

    @property
    def waitlisted_x(self) -> int:
        return self.confirmed_width + self.remaining_width

    @property
    def waitlisted_width(self) -> int:
        return BAR_SCALE - self.waitlisted_x if self.waitlisted else 0

    @property
    def percent_full(self) -> int:
        return round(100 * self.confirmed / self.capacity) if self.capacity else 100


@dataclass(frozen=True)
class CapacityOverview:
    seminar: CapacityBar
    days: list[CapacityBar]
    sessions: list[CapacityBar]


def capacity_overview(*, seminar: Seminar) -> CapacityOverview:
    """Three queries: the seminar's wait-list, its days and its sessions with their wait-lists."""
    waiting = Registration.objects.filter(seminar=seminar, status=WAITLISTED).count()
    days = (
        WorkshopDay.objects.filter(seminar=seminar)
        .annotate(waitlisted=Count("registrations", filter=Q(registrations__status=WAITLISTED)))
        .order_by("date", "pk")
    )
    sessions = (
        BreakoutSession.objects.filter(day__seminar=seminar)
        .select_related("day")
        .annotate(waitlisted=Count("picks", filter=Q(picks__registration__status=WAITLISTED)))
        .order_by("day__date", "starts_at", "topic", "pk")
    )
    return CapacityOverview(
        seminar=CapacityBar(
            label=seminar.title,
            capacity=seminar.capacity,
            confirmed=seminar.confirmed_count,
            waitlisted=waiting,
        ),
        days=[
            CapacityBar(
                label=day.label,
                capacity=day.capacity,
                confirmed=day.confirmed_count,
                waitlisted=day.waitlisted,
                detail=formats.date_format(day.date, "DATE_FORMAT"),
            )
            for day in days
        ],
        sessions=[
            CapacityBar(
                label=session.topic,
                capacity=session.capacity,
                confirmed=session.confirmed_count,
                waitlisted=session.waitlisted,
                detail=_("%(day)s, %(start)s, %(room)s")
                % {
                    "day": session.day.label,
                    "start": formats.time_format(
                        timezone.localtime(session.starts_at), "TIME_FORMAT"
                    ),
                    "room": session.room,
                },
            )
            for session in sessions
        ],
    )


# Registrations over time


@dataclass(frozen=True)
class TimeBucket:
    start: datetime
    count: int
    cumulative: int


@dataclass
class ChartBar:
    x: float
    y: float
    width: float
    height: float
    bucket: TimeBucket


@dataclass
class TimeChart:
    """A server-drawn bar chart: geometry for the template's SVG and the data for its table."""

    per_hour: bool
    buckets: list[TimeBucket]
    bars: list[ChartBar] = field(default_factory=list)
    y_ticks: list[tuple[float, int]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = CHART_LEFT
    baseline: int = CHART_HEIGHT - CHART_BOTTOM

    @property
    def total(self) -> int:
        return self.buckets[-1].cumulative if self.buckets else 0

    @property
    def busiest(self) -> TimeBucket | None:
        return max(self.buckets, key=lambda b: b.count, default=None)

    @property
    def nonempty(self) -> list[TimeBucket]:
        return [bucket for bucket in self.buckets if bucket.count]


def registrations_over_time(*, seminar: Seminar, now: datetime | None = None) -> TimeChart:
    """Registrations (whatever their status now) per hour since registration opened.

    One query per granularity: per hour, or per day when the window is longer than
    ``MAX_HOURLY_BUCKETS`` hours.
    """
    now = now or timezone.now()
    registrations = Registration.objects.filter(seminar=seminar)
    end = min(now, seminar.registration_closes_at)
    per_hour = (end - seminar.registration_opens_at) <= timedelta(hours=MAX_HOURLY_BUCKETS)
    trunc, step = (TruncHour, timedelta(hours=1)) if per_hour else (TruncDay, timedelta(days=1))
    rows = (
        registrations.annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by("bucket")
    )
    counts = {_utc(row["bucket"]): row["n"] for row in rows}
    first = _floor(seminar.registration_opens_at, per_hour=per_hour)
    last = _floor(end, per_hour=per_hour)
    if counts:
        first, last = min(first, *counts), max(last, *counts)
    buckets, cumulative, moment = [], 0, first
    while moment <= last:
        count = counts.get(moment, 0)
        cumulative += count
        buckets.append(
            TimeBucket(start=timezone.localtime(moment), count=count, cumulative=cumulative)
        )
        moment = _next(moment, step=step, per_hour=per_hour)
    return _chart_draw(TimeChart(per_hour=per_hour, buckets=buckets))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _floor(moment: datetime, *, per_hour: bool) -> datetime:
    local = timezone.localtime(moment)
    local = local.replace(minute=0, second=0, microsecond=0)
    if not per_hour:
        local = timezone.make_aware(datetime.combine(local.date(), datetime.min.time()))
    return _utc(local)


def _next(moment: datetime, *, step: timedelta, per_hour: bool) -> datetime:
    if per_hour:
        return moment + step  # in UTC, so that a daylight-saving change neither skips nor repeats
    local_date = timezone.localtime(moment).date() + step
    return _utc(timezone.make_aware(datetime.combine(local_date, datetime.min.time())))


def _chart_draw(chart: TimeChart) -> TimeChart:
    buckets = chart.buckets
    if not buckets:
        return chart
    plot_width = chart.width - chart.left - CHART_RIGHT
    plot_height = chart.baseline - CHART_TOP
    slot = plot_width / len(buckets)
    peak = max(bucket.count for bucket in buckets) or 1
    top = _nice_ceiling(peak)
    for index, bucket in enumerate(buckets):
        height = plot_height * bucket.count / top
        chart.bars.append(
            ChartBar(
                x=round(chart.left + index * slot + slot * 0.1, 2),
                y=round(chart.baseline - height, 2),
                width=round(max(slot * 0.8, 0.5), 2),
                height=round(height, 2),
                bucket=bucket,
            )
        )
    chart.y_ticks = [
        (round(chart.baseline - plot_height * value / top, 2), value)
        for value in sorted({0, top // 2, top})
    ]
    every = max(1, len(buckets) // 8)
    for index in range(0, len(buckets), every):
        bucket = buckets[index]
        # The axis: a short day ("Dec 3") where a day begins, else the hour in the public pages'
        # time format ("9 a.m."); the first label names both.
        label = formats.date_format(bucket.start, "M j")
        if chart.per_hour and bucket.start.hour != 0:
            hour = formats.time_format(bucket.start, "TIME_FORMAT")
            label = f"{label}, {hour}" if index == 0 else hour
        chart.x_ticks.append((round(chart.left + index * slot + slot / 2, 2), label))
    return chart


def _nice_ceiling(value: int) -> int:
    """A round axis top at or above ``value``: 1, 2, 4, 6, 8 or 10 times a power of ten."""
    magnitude = 1
    while True:
        for factor in (1, 2, 4, 6, 8, 10):
            if value <= factor * magnitude:
                return factor * magnitude
        magnitude *= 10


# Shares of the confirmed registrations


@dataclass(frozen=True)
class Share:
    key: str
    label: str
    count: int
    percent: float

    @property
    def width(self) -> int:
        return round(BAR_SCALE * self.percent / 100)


def _shares(rows, *, key: str, label) -> list[Share]:
    rows = list(rows)
    total = sum(row["n"] for row in rows)
    return [
        Share(
            key=row[key],
            label=label(row[key]),
            count=row["n"],
            percent=round(100 * row["n"] / total, 1) if total else 0.0,
        )
        for row in rows
    ]


def business_type_shares(*, seminar: Seminar) -> list[Share]:
    rows = (
        Registration.objects.filter(seminar=seminar, status=CONFIRMED)
        .values("company__business_type")
        .annotate(n=Count("id"))
        .order_by("-n", "company__business_type")
    )
    labels = dict(BusinessType.choices)
    return _shares(
        rows, key="company__business_type", label=lambda value: str(labels.get(value, value))
    )


def country_shares(*, seminar: Seminar) -> list[Share]:
    rows = (
        Registration.objects.filter(seminar=seminar, status=CONFIRMED)
        .values("company__country")
        .annotate(n=Count("id"))
        .order_by("-n", "company__country")
    )
    return _shares(rows, key="company__country", label=str)


# Attendance


class _Turnout:
    expected: int
    checked_in: int

    @property
    def percent(self) -> int:
        return round(100 * self.checked_in / self.expected) if self.expected else 0

    @property
    def width(self) -> int:
        if not self.expected:
            return 0
        return min(BAR_SCALE, round(BAR_SCALE * self.checked_in / self.expected))


@dataclass(frozen=True)
class DayAttendance(_Turnout):
    date: date
    label: str
    expected: int
    checked_in: int
    is_today: bool


@dataclass(frozen=True)
class SessionAttendance(_Turnout):
    date: date
    day_label: str
    topic: str
    room: str
    starts_at: datetime
    expected: int
    checked_in: int
    is_today: bool


@dataclass(frozen=True)
class AttendanceReport:
    days: list[DayAttendance]
    sessions: list[SessionAttendance]
    # People checked in on at least one day, and the certificates of attendance issued so far.
    attendees: int = 0
    certificates: int = 0


def attendance_report(*, seminar: Seminar, today: date | None = None) -> AttendanceReport:
    """Who came, per seminar date and per session, against who was expected, and the
    certificates issued: five queries.

    On a plenary date every confirmed person is expected; on a workshop date, the people
    registered for that day. A session counts the people who picked it and checked in that day.
    """
    today = today or timezone.localdate()
    workshop_days = {day.date: day for day in WorkshopDay.objects.filter(seminar=seminar)}
    confirmed = seminar.confirmed_count
    arrived = dict(
        CheckIn.objects.filter(registration__seminar=seminar)
        .values_list("date")
        .annotate(n=Count("id"))
        .order_by("date")
    )
    first = timezone.localtime(seminar.starts_at).date()
    last = timezone.localtime(seminar.ends_at).date()
    dates = sorted(
        {first + timedelta(days=n) for n in range((last - first).days + 1)} | set(arrived)
    )
    days = []
    for moment in dates:
        workshop = workshop_days.get(moment)
        days.append(
            DayAttendance(
                date=moment,
                label=workshop.label if workshop else _("Plenary"),
                expected=workshop.confirmed_count if workshop else confirmed,
                checked_in=arrived.get(moment, 0),
                is_today=moment == today,
            )
        )
    sessions = (
        BreakoutSession.objects.filter(day__seminar=seminar)
        .select_related("day")
        .annotate(
            arrived=Count(
                "picks",
                filter=Q(picks__registration__check_ins__date=F("day__date")),
                distinct=True,
            )
        )
        .order_by("day__date", "starts_at", "topic", "pk")
    )
    people = Registration.objects.filter(seminar=seminar).aggregate(
        attendees=Count("pk", filter=Q(checked_in_at__isnull=False)),
        certificates=Count("certificate"),
    )
    return AttendanceReport(
        attendees=people["attendees"],
        certificates=people["certificates"],
        days=days,
        sessions=[
            SessionAttendance(
                date=session.day.date,
                day_label=session.day.label,
                topic=session.topic,
                room=session.room,
                starts_at=timezone.localtime(session.starts_at),
                expected=session.confirmed_count,
                checked_in=session.arrived,
                is_today=session.day.date == today,
            )
            for session in sessions
        ],
    )


def attendance_csv(*, seminar: Seminar, excel: bool = False) -> str:
    """The attendance report as CSV, one row per date then per session; ``excel`` adds a BOM."""
    report = attendance_report(seminar=seminar)
    out = io.StringIO()
    if excel:
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Kind"),
            _("Date"),
            _("Day"),
            _("Session"),
            _("Room"),
            _("Starts"),
            _("Expected"),
            _("Checked in"),
            _("Percent"),
        ]
    )
    for day in report.days:
        writer.writerow(
            [
                neutralize(cell)
                for cell in (
                    _("Day"),
                    f"{day.date:%Y-%m-%d}",
                    day.label,
                    "",
                    "",
                    "",
                    str(day.expected),
                    str(day.checked_in),
                    str(day.percent),
                )
            ]
        )
    for session in report.sessions:
        writer.writerow(
            [
                neutralize(cell)
                for cell in (
                    _("Session"),
                    f"{session.date:%Y-%m-%d}",
                    session.day_label,
                    session.topic,
                    session.room,
                    f"{session.starts_at:%H:%M}",
                    str(session.expected),
                    str(session.checked_in),
                    str(session.percent),
                )
            ]
        )
    return out.getvalue()


# The dashboard


@dataclass(frozen=True)
class Dashboard:
    seminar: Seminar
    capacity: CapacityOverview
    over_time: TimeChart
    business_types: list[Share]
    countries: list[Share]
    attendance: AttendanceReport
    generated_at: datetime


def seminar_dashboard(*, seminar: Seminar, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    return Dashboard(
        seminar=seminar,
        capacity=capacity_overview(seminar=seminar),
        over_time=registrations_over_time(seminar=seminar, now=now),
        business_types=business_type_shares(seminar=seminar),
        countries=country_shares(seminar=seminar),
        attendance=attendance_report(seminar=seminar, today=timezone.localdate(now)),
        generated_at=timezone.localtime(now),
    )

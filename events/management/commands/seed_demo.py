"""The San Diego demo: one seminar shaped like CBP's and a set of demo CTPAT partners.

``--held`` seeds a seminar like it that ended yesterday instead, with the people who came.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ctpat.enums import BusinessType, CertificationStatus, ImporterTier
from ctpat.models import Company
from ctpat.services import company_set_status
from events import capacity as capacity_service
from events.checkin import registration_check_in
from events.enums import EmailKind, QuestionKind, RegistrationStatus
from events.exceptions import CapacityBelowConfirmed
from events.models import (
    BreakoutSession,
    CheckIn,
    OutboundEmail,
    Seminar,
    SeminarQuestion,
    WorkshopDay,
)
from events.services import registration_create

SLUG = "san-diego"
HELD_SLUG = "held-demo"
VENUE_ZONE = ZoneInfo("America/Los_Angeles")
TITLE = "CTPAT Training Seminar — San Diego"
SUMMARY = (
    "Three and a half days of CTPAT training for certified and validated partners: program "
    "updates, joint CBP/trade presentations, panel discussions and two days of break-out workshops."
)
# The program, with the four days' names filled in from the seminar's dates.
PROGRAM = """\
{first} — plenary
Welcome and opening remarks by CBP leadership.
CTPAT program updates: minimum security criteria, the partner portal, mutual recognition.
Joint CBP/trade presentations: securing cargo from the foreign point of stuffing to the U.S. border.

{second} — break-out workshops (first group)
{third} — plenary
Panel discussions: trade facilitation and border security as complementary objectives; \
lessons learned from supply chain security breaches; working with business partners.

{fourth} — break-out workshops (second group), closing session

Each registrant attends the workshops on one day, {second} or {fourth}. \
Free for CTPAT certified or validated companies, at most two employees per company.
"""
TITLE_ES = "Seminario de capacitación CTPAT — San Diego"
SUMMARY_ES = (
    "Tres días y medio de capacitación CTPAT para socios certificados y validados: novedades del "
    "programa, presentaciones conjuntas de CBP y la industria, paneles de discusión y dos días de "
    "talleres."
)
PROGRAM_ES = """\
{First} — sesión plenaria
Bienvenida y palabras de apertura de los directivos de CBP.
Novedades del programa CTPAT: criterios mínimos de seguridad, el portal de socios, reconocimiento \
mutuo.
Presentaciones conjuntas de CBP y la industria: cómo proteger la carga desde el punto de carga en \
el extranjero hasta la frontera de los Estados Unidos.

{Second} — talleres (primer grupo)
{Third} — sesión plenaria
Paneles de discusión: facilitación del comercio y seguridad fronteriza como objetivos \
complementarios; lecciones aprendidas de brechas de seguridad en la cadena de suministro; el \
trabajo con los socios comerciales.

{Fourth} — talleres (segundo grupo), sesión de clausura

Cada participante asiste a los talleres de un solo día, {second} o {fourth}. \
Gratuito para empresas CTPAT certificadas o validadas, con un máximo de dos empleados por empresa.
"""
# Three slots of two parallel sessions, so that a registrant can pick at most three.
TOPICS = [
    ("Conducting a supply chain security risk assessment", time(9), "Room 6A"),
    ("Evidence of implementation and documentation", time(9), "Room 6B"),
    ("Suspensions and removals", time(11), "Room 6A"),
    ("CBP risk indicators", time(11), "Room 6B"),
    ("Developing a security training and awareness program", time(14), "Room 6A"),
    ("Proactive approaches to security breach prevention", time(14), "Room 6B"),
]
SESSION_LENGTH = timedelta(minutes=90)
SEMINAR_DAYS = 4  # plenary, workshops, plenary, workshops and closing session
WORKSHOP_OFFSETS = (1, 3)  # the workshop days, counted from the first day
# Days are named for their weekdays: a seminar that starts on a Monday (San Diego always does)
# has "Tuesday workshops" and "Thursday workshops".
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
TOPICS_ES = {
    "Conducting a supply chain security risk assessment": (
        "Cómo realizar una evaluación de riesgos de seguridad de la cadena de suministro"
    ),
    "Evidence of implementation and documentation": "Evidencia de implementación y documentación",
    "Suspensions and removals": "Suspensiones y remociones",
    "CBP risk indicators": "Indicadores de riesgo de CBP",
    "Developing a security training and awareness program": (
        "Cómo desarrollar un programa de capacitación y concientización en seguridad"
    ),
    "Proactive approaches to security breach prevention": (
        "Enfoques proactivos para la prevención de brechas de seguridad"
    ),
}

NAMES = [
    "Pacific Rim", "Otay Mesa", "Baja Norte", "Great Lakes", "Sierra Madre", "Harbor Point",
    "Cascadia", "Rio Bravo", "Golden Gate", "Lone Star", "Maple Leaf", "Sonora", "Bajío",
    "Coronado", "Mesa Verde", "Northern Plains", "Cabrillo", "Tecate", "Laurentian", "Gulf Coast",
    "Chula Vista", "Monterrey", "Fraser Valley", "Imperial Valley", "Ensenada",
]  # fmt: skip
SUFFIX = {"US": "Inc.", "MX": "S.A. de C.V.", "CA": "Ltd."}
TYPE_WORD = {
    BusinessType.US_IMPORTER: ("Imports", "US"),
    BusinessType.EXPORTER: ("Exports", None),
    BusinessType.FOREIGN_MANUFACTURER: ("Manufacturing", "MX"),
    BusinessType.HIGHWAY_CARRIER: ("Trucking", None),
    BusinessType.MEXICO_LONG_HAUL_CARRIER: ("Autotransportes", "MX"),
    BusinessType.RAIL_CARRIER: ("Railway", None),
    BusinessType.SEA_CARRIER: ("Shipping Lines", None),
    BusinessType.AIR_CARRIER: ("Air Cargo", None),
    BusinessType.CONSOLIDATOR: ("Freight Consolidators", None),
    BusinessType.CUSTOMS_BROKER: ("Customs Brokerage", "US"),
    BusinessType.PORT_TERMINAL_OPERATOR: ("Marine Terminals", "US"),
    BusinessType.THIRD_PARTY_LOGISTICS: ("Logistics", None),
}
COUNTRIES = ["US", "MX", "CA"]
# The seminar's own questions, optional so that scripted clients that do not know them still
# register. Found again by their English wording, so a rerun adds nothing.
QUESTIONS = [
    {
        "kind": QuestionKind.TEXT,
        "label_en": "Do you need any accessibility accommodation?",
        "label_es": "¿Necesita algún ajuste de accesibilidad?",
        "help_en": "For example a wheelchair-accessible seat, a sign-language interpreter or "
        "large-print material.",
        "help_es": "Por ejemplo, un asiento accesible en silla de ruedas, un intérprete de lengua "
        "de señas o material en letra grande.",
    },
    {
        "kind": QuestionKind.CHOICE,
        "label_en": "Dietary restriction",
        "label_es": "Restricción alimentaria",
        "options_en": "None\nVegetarian\nVegan\nHalal\nKosher\nGluten-free",
        "options_es": "Ninguna\nVegetariana\nVegana\nHalal\nKosher\nSin gluten",
    },
]


class Command(BaseCommand):
    help = "Create or update the San Diego demo seminar and demo CTPAT partners (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--seats", type=int, default=1200, help="seminar capacity (1200)")
        parser.add_argument("--per-company", type=int, default=2, help="seats per company (2)")
        parser.add_argument("--companies", type=int, default=50, help="eligible companies (50)")
        parser.add_argument(
            "--slug",
            help=f"the seminar's slug ({SLUG}, with --held {HELD_SLUG}); another slug seeds a "
            "second seminar like it",
        )
        parser.add_argument(
            "--held",
            action="store_true",
            help="a seminar of four days that ended yesterday (its days named for their weekdays), "
            "with registrations from the demo companies, "
            "most of them checked in on their days and a few absent",
        )

    def handle(self, *args, seats, per_company, companies, slug, held, **options):
        slug = slug or (HELD_SLUG if held else SLUG)
        if seats < 2:
            raise CommandError("--seats must be at least 2 (one per workshop day).")
        if per_company < 1:
            raise CommandError("--per-company must be at least 1.")
        if companies < 0:
            raise CommandError("--companies cannot be negative.")
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise CommandError(f"--slug: {exc.messages[0]}") from exc
        now = timezone.now()
        if held:
            self._held(
                slug=slug, seats=seats, per_company=per_company, companies=companies, now=now
            )
            return
        with transaction.atomic():
            seminar, seminar_created = self._seminar(
                slug=slug, seats=seats, per_company=per_company, now=now
            )
            self._days(seminar=seminar, seats=seats)
            self._questions(seminar=seminar)
            if not seminar_created:
                _capacities_set(seminar=seminar, seats=seats, per_company=per_company)
            created = self._companies(count=companies, today=timezone.localdate(now))
        self._summary(seminar, seminar_created, companies, created)

    # --- Seminar -------------------------------------------------------------------------------

    def _seminar(self, *, slug, seats, per_company, now):
        monday = _monday_on_or_after(timezone.localdate(now) + timedelta(weeks=6))
        schedule = {
            "starts_at": datetime.combine(monday, time(8), VENUE_ZONE),
            "ends_at": datetime.combine(monday + timedelta(days=3), time(17), VENUE_ZONE),
            "registration_opens_at": now - timedelta(hours=1),
            "registration_closes_at": now + timedelta(weeks=4),
        }
        seminar = Seminar.objects.filter(slug=slug).first()
        if seminar is None:
            return _seminar_create(
                slug=slug, seats=seats, per_company=per_company, schedule=schedule
            ), True
        if CheckIn.objects.filter(registration__seminar=seminar).exists():
            raise CommandError(f"{slug!r} is a held seminar (people checked in): use --held.")
        if not seminar.registration_is_open(now=now):
            _reschedule(seminar=seminar, schedule=schedule)
        # A demo seeded before the Spanish texts existed gets them; a text staff wrote stays.
        for field, spanish in (
            ("title_es", TITLE_ES),
            ("summary_es", SUMMARY_ES),
            ("program_es", _programs(_first_day(seminar))[1]),
        ):
            Seminar.objects.filter(pk=seminar.pk, **{field: ""}).update(**{field: spanish})
        seminar.refresh_from_db()
        return seminar, False

    def _days(self, *, seminar, seats):
        """The missing days and sessions; capacities of existing ones are _capacities_set's job."""
        workshop_days = _workshop_days(_first_day(seminar))
        for (label, label_es, date_), capacity in zip(
            workshop_days, _day_capacities(seats), strict=True
        ):
            day = seminar.days.filter(label=label).first()
            if day is None:
                day = WorkshopDay.objects.create(
                    seminar=seminar,
                    label=label,
                    label_es=label_es,
                    date=date_,
                    capacity=capacity,
                )
            elif not day.label_es:
                WorkshopDay.objects.filter(pk=day.pk).update(label_es=label_es)
            self._sessions(day=day, capacity=_session_capacity(capacity))

    def _sessions(self, *, day, capacity):
        for topic, starts, room in TOPICS:
            session = day.sessions.filter(topic=topic).first()
            if session is None:
                starts_at = datetime.combine(day.date, starts, VENUE_ZONE)
                BreakoutSession.objects.create(
                    day=day,
                    topic=topic,
                    topic_es=TOPICS_ES[topic],
                    room=room,
                    starts_at=starts_at,
                    ends_at=starts_at + SESSION_LENGTH,
                    capacity=capacity,
                )
            elif not session.topic_es:
                BreakoutSession.objects.filter(pk=session.pk).update(topic_es=TOPICS_ES[topic])

    def _questions(self, *, seminar):
        for position, wording in enumerate(QUESTIONS, start=1):
            SeminarQuestion.objects.get_or_create(
                seminar=seminar,
                label_en=wording["label_en"],
                defaults={**wording, "required": False, "position": position},
            )

    # --- Companies -----------------------------------------------------------------------------

    def _companies(self, *, count, today) -> int:
        wanted = {f"DEMO{n:05d}": n for n in range(1, count + 1)}
        wanted.update(dict.fromkeys(SPECIALS, 0))
        existing = set(
            Company.objects.filter(account_number__in=wanted).values_list(
                "account_number", flat=True
            )
        )
        created = 0
        for number, n in wanted.items():
            if number not in existing:
                _company_create(number=number, n=n, today=today)
                created += 1
        return created

    def _summary(self, seminar, seminar_created, companies, created):
        closes = timezone.localtime(seminar.registration_closes_at, VENUE_ZONE)
        self.stdout.write(
            f"Seminar {seminar.slug!r} ({'created' if seminar_created else 'already there'}): "
            f"{seminar.title}, {timezone.localtime(seminar.starts_at, VENUE_ZONE):%a %Y-%m-%d} to "
            f"{timezone.localtime(seminar.ends_at, VENUE_ZONE):%a %Y-%m-%d}, "
            f"{seminar.capacity} seats ({seminar.confirmed_count} confirmed), "
            f"{seminar.per_company_limit} per company, registration open until "
            f"{closes:%Y-%m-%d %H:%M %Z}."
        )
        for day in seminar.days.annotate(sessions_count=Count("sessions")).order_by("date"):
            self.stdout.write(
                f"  {day.label} {day.date:%a %Y-%m-%d}: {day.capacity} seats, "
                f"{day.sessions_count} break-out sessions"
            )
        self.stdout.write(
            f"Companies: {companies} eligible (DEMO00001…DEMO{companies:05d}), plus DEMOAPPL1 "
            "(applicant), "
            f"DEMOSUSP1 (suspended), DEMOREMV1 (removed), DEMOEXPD1 (expired); {created} created."
        )

    # --- A held seminar ------------------------------------------------------------------------

    def _held(self, *, slug, seats, per_company, companies, now):
        with transaction.atomic():
            seminar = Seminar.objects.filter(slug=slug).first()
            seminar_created = seminar is None
            if seminar_created:
                seminar = _seminar_create(
                    slug=slug, seats=seats, per_company=per_company, schedule=_held_schedule(now)
                )
            elif seminar.ends_at > now:
                raise CommandError(f"{slug!r} has not ended: choose another --slug for --held.")
            self._days(seminar=seminar, seats=seats)
            self._questions(seminar=seminar)
            created = self._companies(count=companies, today=timezone.localdate(now))
        registered = _held_registrations(seminar=seminar, companies=companies)
        checked_in = _held_check_ins(seminar=seminar)
        seminar.refresh_from_db()
        starts = timezone.localtime(seminar.starts_at, VENUE_ZONE)
        ends = timezone.localtime(seminar.ends_at, VENUE_ZONE)
        attendees = seminar.registrations.filter(checked_in_at__isnull=False).count()
        self.stdout.write(
            f"Held seminar {seminar.slug!r} ({'created' if seminar_created else 'already there'}): "
            f"{seminar.title}, {starts:%a %Y-%m-%d} to {ends:%a %Y-%m-%d}, "
            f"{seminar.confirmed_count} registrations ({registered} new), {attendees} of them "
            f"checked in ({checked_in} new check-ins), "
            f"{seminar.confirmed_count - attendees} absent."
        )
        self.stdout.write(
            f"Companies: {companies} eligible (DEMO00001…DEMO{companies:05d}); {created} created."
        )


def _seminar_create(*, slug, seats, per_company, schedule) -> Seminar:
    program, program_es = _programs(timezone.localtime(schedule["starts_at"], VENUE_ZONE).date())
    return Seminar.objects.create(
        slug=slug,
        title=TITLE,
        title_es=TITLE_ES,
        summary=SUMMARY,
        summary_es=SUMMARY_ES,
        program=program,
        program_es=program_es,
        venue="San Diego Convention Center",
        address="111 W Harbor Dr, San Diego, CA 92101",
        city="San Diego",
        is_published=True,
        capacity=seats,
        per_company_limit=per_company,
        **schedule,
    )


def _held_schedule(now) -> dict:
    """Four days like San Diego's, the last one yesterday (their names follow their weekdays);
    registration closed a week before it began."""
    first = timezone.localdate(now, VENUE_ZONE) - timedelta(days=SEMINAR_DAYS)
    starts_at = datetime.combine(first, time(8), VENUE_ZONE)
    return {
        "starts_at": starts_at,
        "ends_at": datetime.combine(first + timedelta(days=SEMINAR_DAYS - 1), time(17), VENUE_ZONE),
        "registration_opens_at": starts_at - timedelta(weeks=8),
        "registration_closes_at": starts_at - timedelta(weeks=1),
    }


FIRST_NAMES = [
    "María", "José", "Ana", "Luis", "Carmen", "Jorge", "Sofía", "Daniel", "Laura", "Miguel",
    "Emily", "James", "Olivia", "Robert", "Grace", "David", "Chloé", "Marc", "Priya", "Wei",
]  # fmt: skip
LAST_NAMES = [
    "García", "Hernández", "López", "Martínez", "Ramírez", "Núñez", "Ortega", "Castillo",
    "Smith", "Johnson", "Williams", "Brown", "Nguyen", "Tremblay", "Gagnon", "Roy", "Patel",
]  # fmt: skip


def _held_registrations(*, seminar, companies) -> int:
    """Up to the seminar's per-company limit from each demo company, through the registration
    service at a moment when registration was open: every rule and counter as for a real one.

    The people alternate between the workshop days and between each slot's two sessions, so
    that no day or session overflows. Returns how many were registered now.
    """
    taken = set(seminar.registrations.values_list("email", flat=True))
    days = list(seminar.days.order_by("date"))
    sessions = {day.pk: list(day.sessions.order_by("starts_at", "topic", "pk")) for day in days}
    numbers = [f"DEMO{n:05d}" for n in range(1, companies + 1)]
    countries = dict(
        Company.objects.filter(account_number__in=numbers).values_list("account_number", "country")
    )
    registered = 0
    for index, (number, seat) in enumerate(
        (number, seat) for number in numbers for seat in range(seminar.per_company_limit)
    ):
        if index >= seminar.capacity:
            break
        email = f"attendee{seat + 1}@{number.lower()}.partner.example"
        if email in taken:
            continue
        day = days[index % len(days)] if days else None
        registration_create(
            seminar=seminar,
            account_number=number,
            first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
            last_name=LAST_NAMES[(index * 7) % len(LAST_NAMES)],
            email=email,
            job_title="Supply chain security manager",
            phone="+1 619 555 0100",
            workshop_day_id=day.pk if day else None,
            session_ids=_held_picks(sessions[day.pk] if day else [], index // len(days or [1])),
            language="es" if countries.get(number) == "MX" else "en",
            now=seminar.registration_opens_at + timedelta(minutes=index + 1),
        )
        registered += 1
    # Their confirmations belong to the past: marked sent, so that no outbox worker mails them now.
    OutboundEmail.objects.filter(
        registration__seminar=seminar,
        kind__in=(EmailKind.CONFIRMED, EmailKind.COMPANY_NOTICE),
        sent_at__isnull=True,
    ).update(sent_at=timezone.now())
    return registered


def _held_picks(day_sessions, position) -> list[int]:
    """One session of each slot's pair, alternating; every third person skips the last slot."""
    slots = [day_sessions[start : start + 2] for start in range(0, len(day_sessions), 2)]
    picks = []
    for number, pair in enumerate(slots):
        if number == len(slots) - 1 and position % 3 == 2:
            break
        picks.append(pair[(position + number) % len(pair)].pk)
    return picks


def _held_check_ins(*, seminar) -> int:
    """Most people checked in on each of their days (the plenary days and their workshop day);
    one in ten never came and one in six missed the second plenary day. Returns how many
    check-ins were recorded now."""
    first = timezone.localtime(seminar.starts_at, VENUE_ZONE).date()
    last = timezone.localtime(seminar.ends_at, VENUE_ZONE).date()
    workshop_dates = set(seminar.days.values_list("date", flat=True))
    plenary = [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if first + timedelta(days=n) not in workshop_dates
    ]
    done = set(
        CheckIn.objects.filter(registration__seminar=seminar).values_list("registration_id", "date")
    )
    recorded = 0
    people = seminar.registrations.filter(status=RegistrationStatus.CONFIRMED).select_related(
        "workshop_day"
    )
    for index, registration in enumerate(people.order_by("pk")):
        if index % 10 == 7:
            continue
        dates = list(plenary)
        if index % 6 == 1 and len(dates) > 1:
            dates.pop()
        if registration.workshop_day is not None:
            dates.append(registration.workshop_day.date)
        for moment in sorted(dates):
            if (registration.pk, moment) in done:
                continue
            registration_check_in(
                code=registration.confirmation_code,
                actor=None,
                today=moment,
                seminar=seminar,
                now=datetime.combine(moment, time(7, 30), VENUE_ZONE)
                + timedelta(seconds=37 * index % 3600),
            )
            recorded += 1
    return recorded


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=-day.weekday() % 7)


def _reschedule(*, seminar, schedule):
    """Move a stale demo seminar forward by whole weeks so its registration is open again."""
    weeks = timedelta(weeks=max(0, -(-(schedule["starts_at"] - seminar.starts_at).days // 7)))

    def later(moment):  # by wall-clock time at the venue, across daylight-saving changes
        return timezone.localtime(moment, VENUE_ZONE) + weeks

    Seminar.objects.filter(pk=seminar.pk).update(
        starts_at=later(seminar.starts_at),
        ends_at=later(seminar.ends_at),
        registration_opens_at=schedule["registration_opens_at"],
        registration_closes_at=schedule["registration_closes_at"],
        is_published=True,
    )
    for day in seminar.days.all():
        WorkshopDay.objects.filter(pk=day.pk).update(date=day.date + weeks)
        for session in day.sessions.all():
            BreakoutSession.objects.filter(pk=session.pk).update(
                starts_at=later(session.starts_at), ends_at=later(session.ends_at)
            )
    seminar.refresh_from_db()


def _first_day(seminar: Seminar) -> date:
    return timezone.localtime(seminar.starts_at, VENUE_ZONE).date()


def _workshop_days(first: date) -> list[tuple[str, str, date]]:
    """The two workshop days of a seminar that begins on ``first``: label, Spanish label, date."""
    dates = [first + timedelta(days=offset) for offset in WORKSHOP_OFFSETS]
    return [
        (
            f"{WEEKDAYS[day.weekday()]} workshops",
            f"Talleres del {WEEKDAYS_ES[day.weekday()]}",
            day,
        )
        for day in dates
    ]


def _programs(first: date) -> tuple[str, str]:
    """The program in English and in Spanish, naming the weekdays of the days from ``first``."""
    names = ("first", "second", "third", "fourth")
    weekdays = [(first + timedelta(days=n)).weekday() for n in range(SEMINAR_DAYS)]
    english = {name: WEEKDAYS[weekday] for name, weekday in zip(names, weekdays, strict=True)}
    spanish = {name: WEEKDAYS_ES[weekday] for name, weekday in zip(names, weekdays, strict=True)}
    spanish |= {name.capitalize(): weekday.capitalize() for name, weekday in spanish.items()}
    return PROGRAM.format(**english), PROGRAM_ES.format(**spanish)


def _day_capacities(seats: int) -> list[int]:
    """Split evenly; with an odd number of seats the first day gets the extra one."""
    days = len(WORKSHOP_OFFSETS)
    return [seats // days + (1 if index < seats % days else 0) for index in range(days)]


def _session_capacity(day_capacity: int) -> int:
    return -(-day_capacity // 2)  # two parallel rooms hold the whole day


def _capacities_set(*, seminar, seats, per_company):
    """New limits for an existing seminar, through the capacity services (never below what
    registrations already hold; a raise fills seats from the wait-list at once).

    The seminar comes first, so that its refusal, the clearest one, is the one shown.
    """
    try:
        capacity_service.seminar_capacity_set(
            seminar=seminar, capacity=seats, per_company_limit=per_company
        )
        labels = [label for label, _label_es, _date in _workshop_days(_first_day(seminar))]
        day_capacity = dict(zip(labels, _day_capacities(seats), strict=True))
        for day in seminar.days.filter(label__in=day_capacity).order_by("pk"):
            capacity_service.workshop_day_capacity_set(day=day, capacity=day_capacity[day.label])
        topics = {topic for topic, _starts, _room in TOPICS}
        for session in (
            BreakoutSession.objects.filter(
                day__seminar=seminar, day__label__in=day_capacity, topic__in=topics
            )
            .select_related("day__seminar")
            .order_by("pk")
        ):
            capacity_service.session_capacity_set(
                session=session, capacity=_session_capacity(day_capacity[session.day.label])
            )
    except CapacityBelowConfirmed as exc:
        option = (
            f"--per-company {per_company}"
            if exc.field == "per_company_limit"
            else (f"--seats {seats}")
        )
        raise CommandError(f"{option} refused: {exc.message}") from exc
    seminar.refresh_from_db()


SPECIALS = {
    # account number: (legal name, business type, country, steps as (status, days ago, expiry))
    "DEMOAPPL1": ("Maquiladora Nueva Frontera S.A. de C.V.", BusinessType.FOREIGN_MANUFACTURER,
                  "MX", [("applicant", 45, None)]),
    "DEMOSUSP1": ("Suspended Freight Lines Inc.", BusinessType.HIGHWAY_CARRIER, "US",
                  [("certified", 700, 760), ("suspended", 20, 760)]),
    "DEMOREMV1": ("Removed Consolidators Ltd.", BusinessType.CONSOLIDATOR, "CA",
                  [("certified", 900, 560), ("suspended", 120, 560), ("removed", 30, None)]),
    "DEMOEXPD1": ("Expired Customs Brokerage Inc.", BusinessType.CUSTOMS_BROKER, "US",
                  [("certified", 1490, -30)]),
}  # fmt: skip


def _company_create(*, number, n, today):
    """A demo partner with a plausible certification history (the steps, not just the status)."""
    if number in SPECIALS:
        legal_name, business_type, country, plan = SPECIALS[number]
        steps = [
            (
                status,
                today - timedelta(days=ago),
                None if expiry is None else today + timedelta(days=expiry),
            )
            for status, ago, expiry in plan
        ]
        tier = None
    else:
        business_type = list(TYPE_WORD)[(n - 1) % len(TYPE_WORD)]
        word, fixed_country = TYPE_WORD[business_type]
        country = fixed_country or COUNTRIES[(n - 1) % len(COUNTRIES)]
        legal_name = f"{NAMES[(n - 1) % len(NAMES)]} {word} {SUFFIX[country]}"
        certified_on = today - timedelta(days=200 + (n * 37) % 900)
        expires_on = certified_on + timedelta(days=4 * 365)
        steps = [(CertificationStatus.CERTIFIED, certified_on, expires_on)]
        tier = ImporterTier.TIER_I
        if n % 5 in (0, 2, 3):  # about three in five, importers included
            steps.append(
                (CertificationStatus.VALIDATED, certified_on + timedelta(days=180), expires_on)
            )
            tier = ImporterTier.TIER_III if (n // 12) % 2 else ImporterTier.TIER_II
        if business_type != BusinessType.US_IMPORTER:
            tier = None
    company = Company.objects.create(
        account_number=number,
        legal_name=legal_name,
        business_type=business_type,
        country=country,
        importer_tier=tier,
        status=steps[0][0],
        poc_name="Demo Security Manager",
        poc_email=f"ctpat-poc+{number.lower()}@partner.example",
    )
    for status, effective_on, expires_on in steps:
        company_set_status(
            company=company,
            status=status,
            effective_on=effective_on,
            expires_on=expires_on,
            note="Demo data (seed_demo)",
        )

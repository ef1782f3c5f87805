from datetime import date, datetime, time, timedelta

import factory
from django.db.models import F
from django.utils import timezone

from ctpat.enums import BusinessType, CertificationStatus
from ctpat.models import Company
from events.enums import RegistrationStatus
from events.models import BreakoutSession, Registration, Seminar, WorkshopDay


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("account_number",)

    account_number = factory.Sequence(lambda n: f"TEST{n:05d}")
    legal_name = factory.Sequence(lambda n: f"Border Logistics {n} S.A. de C.V.")
    business_type = BusinessType.FOREIGN_MANUFACTURER
    country = "MX"
    status = CertificationStatus.CERTIFIED
    certified_on = factory.LazyFunction(lambda: date.today() - timedelta(days=400))
    expires_on = factory.LazyFunction(lambda: date.today() + timedelta(days=700))
    poc_email = factory.Sequence(lambda n: f"poc{n}@partner.example")


class SeminarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seminar

    title = factory.Sequence(lambda n: f"CTPAT Training Seminar {n}")
    slug = factory.Sequence(lambda n: f"seminar-{n}")
    venue = "San Diego Convention Center"
    city = "San Diego"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=60))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=3))
    registration_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    registration_closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    is_published = True
    capacity = 1200
    per_company_limit = 2


class WorkshopDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkshopDay

    seminar = factory.SubFactory(SeminarFactory)
    label = factory.Sequence(lambda n: f"Workshop day {n}")
    date = factory.LazyAttributeSequence(
        lambda o, n: (o.seminar.starts_at + timedelta(days=1 + n % 2)).date()
    )
    capacity = 600


class BreakoutSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BreakoutSession

    day = factory.SubFactory(WorkshopDayFactory)
    topic = factory.Sequence(lambda n: f"Supply chain security topic {n}")
    room = factory.Sequence(lambda n: f"Room {n}")
    starts_at = factory.LazyAttribute(
        lambda o: (
            timezone.make_aware(timezone.datetime.combine(o.day.date, timezone.datetime.min.time()))
            + timedelta(hours=9)
        )
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=90))
    capacity = 100


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A row as the service would leave it; counters are not moved (use the service for that)."""

    class Meta:
        model = Registration

    seminar = factory.SubFactory(SeminarFactory)
    company = factory.SubFactory(CompanyFactory)
    workshop_day = None
    first_name = "Ana"
    last_name = factory.Sequence(lambda n: f"Lopez{n}")
    email = factory.Sequence(lambda n: f"person{n}@partner.example")
    job_title = "Security manager"
    phone = "+52 664 555 0100"
    status = RegistrationStatus.CONFIRMED
    confirmation_code = factory.Sequence(lambda n: f"T{n:07d}")
    manage_token = factory.Sequence(lambda n: f"token-{n:040d}")


def seminar_build(
    *,
    capacity: int = 1200,
    per_company_limit: int = 2,
    day_capacities: tuple[int, ...] = (600, 600),
    sessions_per_day: int = 2,
    session_capacity: int = 100,
) -> Seminar:
    """A seminar with workshop days and back-to-back (never overlapping) sessions on each day."""
    seminar = SeminarFactory(capacity=capacity, per_company_limit=per_company_limit)
    for index, day_capacity in enumerate(day_capacities):
        day = WorkshopDayFactory(
            seminar=seminar,
            label=f"Day {index + 1} workshops",
            date=(seminar.starts_at + timedelta(days=1 + 2 * index)).date(),
            capacity=day_capacity,
        )
        first = BreakoutSessionFactory(day=day, capacity=session_capacity)
        for slot in range(1, sessions_per_day):
            BreakoutSessionFactory(
                day=day,
                capacity=session_capacity,
                starts_at=first.starts_at + slot * timedelta(minutes=90),
                ends_at=first.ends_at + slot * timedelta(minutes=90),
            )
    return seminar


# A colleague's details, for hand-overs (R9).
COLLEAGUE = {
    "first_name": "Jorge",
    "last_name": "Ramírez",
    "email": "jorge.ramirez@maquila.example",
    "job_title": "Security coordinator",
    "phone": "+52 664 555 0123",
}


def seminar_ended_yesterday(seminar: Seminar) -> Seminar:
    """Move ``seminar`` so that it ran from four days ago until yesterday (local dates), its
    workshop days (at most two) on its second and last days and their sessions with them.

    The registration window stays as it was: tests register people through the service first,
    then check them in on the seminar's past days.
    """
    first = timezone.localdate() - timedelta(days=4)
    zone = timezone.get_current_timezone()
    Seminar.objects.filter(pk=seminar.pk).update(
        starts_at=datetime.combine(first, time(8), zone),
        ends_at=datetime.combine(first + timedelta(days=3), time(17), zone),
    )
    days = list(seminar.days.order_by("date", "pk"))
    # Through far-away dates first: a seminar's workshop dates are unique at every step.
    for base in (100, 0):
        for index, day in enumerate(days):
            WorkshopDay.objects.filter(pk=day.pk).update(
                date=first + timedelta(days=base + 1 + 2 * index)
            )
    for day in days:
        shift = first + timedelta(days=1 + 2 * days.index(day)) - day.date
        BreakoutSession.objects.filter(day=day).update(
            starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift
        )
    seminar.refresh_from_db()
    return seminar

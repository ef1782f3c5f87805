"""The database's own guards: writes that bypass the services still cannot break a rule."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from events.enums import RegistrationStatus
from events.models import (
    BreakoutSession,
    CompanyAllocation,
    Registration,
    RegistrationSession,
    Seminar,
    WorkshopDay,
)
from tests.factories import (
    BreakoutSessionFactory,
    CompanyFactory,
    RegistrationFactory,
    SeminarFactory,
    WorkshopDayFactory,
)

pytestmark = pytest.mark.django_db

COUNTED = [
    pytest.param(lambda: SeminarFactory(capacity=10), id="seminar"),
    pytest.param(lambda: WorkshopDayFactory(capacity=10), id="workshop-day"),
    pytest.param(lambda: BreakoutSessionFactory(capacity=10), id="session"),
]


def _refused(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


@pytest.mark.parametrize("make", COUNTED)
def test_counter_up_to_capacity_allowed(make):
    row = make()
    model = type(row)

    model.objects.filter(pk=row.pk).update(confirmed_count=10)

    row.refresh_from_db()
    assert (row.confirmed_count, row.remaining) == (10, 0)


@pytest.mark.parametrize("make", COUNTED)
def test_counter_above_capacity_refused(make):
    row = make()
    model = type(row)

    _refused(lambda: model.objects.filter(pk=row.pk).update(confirmed_count=11))

    row.refresh_from_db()
    assert row.confirmed_count == 0


@pytest.mark.parametrize("make", COUNTED)
def test_capacity_below_counter_refused(make):
    row = make()
    model = type(row)
    model.objects.filter(pk=row.pk).update(confirmed_count=8)

    _refused(lambda: model.objects.filter(pk=row.pk).update(capacity=7))


@pytest.mark.parametrize(
    "make",
    [*COUNTED, pytest.param(lambda: _allocation(), id="company-allocation")],
)
def test_counter_below_zero_refused(make):
    row = make()
    model = type(row)

    _refused(lambda: model.objects.filter(pk=row.pk).update(confirmed_count=-1))


def _allocation(**fields) -> CompanyAllocation:
    seminar = SeminarFactory(per_company_limit=2)
    return CompanyAllocation.objects.create(
        seminar=seminar, company=CompanyFactory(), per_company_limit=2, **fields
    )


def test_company_allocation_one_row_per_company_and_seminar():
    allocation = _allocation()

    _refused(
        lambda: CompanyAllocation.objects.create(
            seminar=allocation.seminar, company=allocation.company, per_company_limit=2
        )
    )


def test_company_allocation_up_to_its_limit_allowed():
    allocation = _allocation()

    CompanyAllocation.objects.filter(pk=allocation.pk).update(confirmed_count=2)

    allocation.refresh_from_db()
    assert allocation.confirmed_count == 2


def test_company_allocation_raw_update_past_its_limit_refused():
    """R3 holds even for SQL written by hand: the company's third seat of two is refused."""
    allocation = _allocation(confirmed_count=2)

    def third_seat():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE events_companyallocation SET confirmed_count = confirmed_count + 1 "
                "WHERE id = %s",
                [allocation.pk],
            )

    _refused(third_seat)
    allocation.refresh_from_db()
    assert allocation.confirmed_count == 2


def test_company_allocation_limit_below_its_count_refused():
    allocation = _allocation(confirmed_count=2)

    _refused(lambda: CompanyAllocation.objects.filter(pk=allocation.pk).update(per_company_limit=1))


def test_seminar_per_company_limit_at_least_one():
    seminar = SeminarFactory()

    _refused(lambda: Seminar.objects.filter(pk=seminar.pk).update(per_company_limit=0))


def test_seminar_registration_window_must_close_after_opening():
    seminar = SeminarFactory()

    _refused(
        lambda: Seminar.objects.filter(pk=seminar.pk).update(
            registration_closes_at=seminar.registration_opens_at
        )
    )


def test_workshop_day_one_per_date():
    day = WorkshopDayFactory()

    _refused(lambda: WorkshopDayFactory(seminar=day.seminar, date=day.date))


def test_session_must_end_after_it_starts():
    session = BreakoutSessionFactory()

    _refused(
        lambda: BreakoutSession.objects.filter(pk=session.pk).update(ends_at=session.starts_at)
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (RegistrationStatus.CONFIRMED, RegistrationStatus.CONFIRMED),
        (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED),
        (RegistrationStatus.WAITLISTED, RegistrationStatus.WAITLISTED),
    ],
    ids=["confirmed-twice", "confirmed-and-waitlisted", "waitlisted-twice"],
)
def test_registration_same_email_other_case_refused(first, second):
    seminar = SeminarFactory()
    RegistrationFactory(seminar=seminar, email="ana.lopez@maquila.example", status=first)

    _refused(
        lambda: RegistrationFactory(
            seminar=seminar, email="Ana.Lopez@MAQUILA.example", status=second
        )
    )
    assert Registration.objects.filter(seminar=seminar).count() == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("kate@example.com", "\u212aate@example.com"),  # the Kelvin sign
        ("kate@bücher.example", "Kate@XN--BCHER-KVA.example"),
        ("kate@example.com", "kate@\uff45xample.com"),  # a full-width e
    ],
    ids=["kelvin-sign", "idna-domain", "full-width"],
)
def test_registration_same_email_normalized_refused(first, second):
    seminar = SeminarFactory()
    kept = RegistrationFactory(seminar=seminar, email=first)

    _refused(lambda: RegistrationFactory(seminar=seminar, email=second))
    assert list(Registration.objects.filter(seminar=seminar)) == [kept]
    assert kept.email == first  # what the person typed, for display


def test_registration_email_changed_by_update_fields_keeps_its_normalized_form():
    seminar = SeminarFactory()
    RegistrationFactory(seminar=seminar, email="kate@example.com")
    other = RegistrationFactory(seminar=seminar, email="other@example.com")
    other.email = "KATE@example.com"
    _refused(lambda: other.save(update_fields=["email"]))


def test_registration_same_email_allowed_when_cancelled_or_in_another_seminar():
    seminar = SeminarFactory()
    RegistrationFactory(
        seminar=seminar, email="ana@maquila.example", status=RegistrationStatus.CANCELLED
    )
    RegistrationFactory(
        seminar=seminar, email="ANA@maquila.example", status=RegistrationStatus.CANCELLED
    )
    RegistrationFactory(seminar=seminar, email="Ana@Maquila.example")
    RegistrationFactory(email="ana@maquila.example")

    assert Registration.objects.filter(email__iexact="ana@maquila.example").count() == 4


def test_registration_reactivating_a_cancelled_duplicate_refused():
    seminar = SeminarFactory()
    RegistrationFactory(seminar=seminar, email="ana@maquila.example")
    cancelled = RegistrationFactory(
        seminar=seminar, email="ANA@maquila.example", status=RegistrationStatus.CANCELLED
    )

    _refused(
        lambda: Registration.objects.filter(pk=cancelled.pk).update(
            status=RegistrationStatus.WAITLISTED
        )
    )


def test_registration_unknown_status_refused():
    registration = RegistrationFactory()

    _refused(lambda: Registration.objects.filter(pk=registration.pk).update(status="maybe"))


@pytest.mark.parametrize("field", ["confirmation_code", "manage_token"])
def test_registration_code_and_token_unique(field):
    registration = RegistrationFactory()

    _refused(lambda: RegistrationFactory(**{field: getattr(registration, field)}))


def test_registration_session_picked_once():
    registration = RegistrationFactory()
    session = BreakoutSessionFactory()
    RegistrationSession.objects.create(registration=registration, session=session)

    _refused(lambda: RegistrationSession.objects.create(registration=registration, session=session))


def test_workshop_day_in_use_cannot_be_deleted():
    day = WorkshopDayFactory()
    RegistrationFactory(seminar=day.seminar, workshop_day=day)

    with pytest.raises(ProtectedError), transaction.atomic():
        WorkshopDay.objects.filter(pk=day.pk).delete()


@pytest.mark.parametrize("model_name", ["seminar", "workshop_day", "breakout_session"], ids=str)
def test_plain_save_never_writes_back_a_stale_counter(model_name):
    """A save of a row read before a registration committed must not undo that registration."""
    session = BreakoutSessionFactory()
    rows = {
        "seminar": (Seminar, session.day.seminar_id),
        "workshop_day": (WorkshopDay, session.day_id),
        "breakout_session": (BreakoutSession, session.pk),
    }
    model, pk = rows[model_name]
    stale = model.objects.get(pk=pk)
    model.objects.filter(pk=pk).update(confirmed_count=1)  # a registration commits meanwhile

    stale.capacity = 700
    stale.save()

    fresh = model.objects.get(pk=pk)
    assert (fresh.capacity, fresh.confirmed_count) == (700, 1)

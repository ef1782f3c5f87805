import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import CompanyAllocation, Registration, RegistrationSession, WorkshopDay
from tests.factories import CompanyFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

MODELS = ["seminar", "workshopday", "breakoutsession", "registration", "companyallocation"]


@pytest.fixture
def crowd(seminar):
    """30 registrations of 15 companies, each with a workshop day and a session pick."""
    days = list(seminar.days.all())
    for n in range(15):
        company = CompanyFactory()
        CompanyAllocation.objects.create(seminar=seminar, company=company, confirmed_count=2)
        for _ in range(2):
            day = days[n % 2]
            registration = RegistrationFactory(seminar=seminar, company=company, workshop_day=day)
            RegistrationSession.objects.create(
                registration=registration, session=day.sessions.first()
            )
    return seminar


@pytest.mark.parametrize("model", MODELS, ids=MODELS)
def test_admin_changelist_loads_in_bounded_queries(
    admin_client, crowd, model, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(f"admin:events_{model}_changelist"))
    assert response.status_code == 200


def test_admin_registration_changelist_queries_do_not_grow_with_rows(
    admin_client, crowd, django_assert_num_queries
):
    url = reverse("admin:events_registration_changelist")
    with CaptureQueriesContext(connection) as first:
        admin_client.get(url)
    RegistrationFactory.create_batch(10, seminar=crowd, workshop_day=crowd.days.first())
    with django_assert_num_queries(len(first.captured_queries)):
        admin_client.get(url)


@pytest.mark.parametrize(
    ("model", "pick", "field"),
    [
        ("seminar", lambda s: s, "confirmed_count"),
        ("workshopday", lambda s: s.days.first(), "confirmed_count"),
        ("breakoutsession", lambda s: s.days.first().sessions.first(), "confirmed_count"),
        ("registration", lambda s: s.registrations.first(), "status"),
    ],
    ids=["seminar", "workshopday", "breakoutsession", "registration"],
)
def test_admin_change_page_shows_seat_fields_read_only(admin_client, crowd, model, pick, field):
    obj = pick(crowd)
    response = admin_client.get(reverse(f"admin:events_{model}_change", args=[obj.pk]))
    assert response.status_code == 200
    # Shown, but never as an input: neither in the form nor in an inline.
    assert f"field-{field}".encode() in response.content
    assert not re.search(rf'name="[^"]*{field}"'.encode(), response.content)


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:events_registration_add"),
        reverse("admin:events_companyallocation_add"),
    ],
    ids=["registration", "companyallocation"],
)
def test_admin_add_seat_holding_rows_forbidden(admin_client, url):
    assert admin_client.get(url).status_code == 403


def test_admin_registration_delete_forbidden(admin_client, crowd):
    registration = crowd.registrations.first()
    url = reverse("admin:events_registration_delete", args=[registration.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Registration.objects.filter(pk=registration.pk).exists()


def test_admin_workshop_day_capacity_below_confirmed_refused(admin_client, seminar):
    day = WorkshopDay.objects.create(
        seminar=seminar,
        label="Friday workshops",
        date=seminar.ends_at.date() + timedelta(days=1),
        capacity=10,
    )
    WorkshopDay.objects.filter(pk=day.pk).update(confirmed_count=5)
    response = admin_client.post(
        reverse("admin:events_workshopday_change", args=[day.pk]),
        {
            "label": day.label,
            "seminar": seminar.pk,
            "date": day.date.isoformat(),
            "capacity": 4,
            "sessions-TOTAL_FORMS": 0,
            "sessions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "5 seats are already confirmed; the capacity cannot be lower." in (
        response.content.decode()
    )
    day.refresh_from_db()
    assert day.capacity == 10

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.changes import registration_cancel
from events.enums import RegistrationAction, RegistrationStatus
from events.models import (
    CompanyAllocation,
    Registration,
    RegistrationChange,
    RegistrationSession,
    Seminar,
    WorkshopDay,
)
from tests.factories import CompanyFactory, RegistrationFactory, seminar_build

pytestmark = pytest.mark.django_db

MODELS = ["seminar", "workshopday", "breakoutsession", "registration", "companyallocation"]


@pytest.fixture
def crowd(seminar):
    """30 registrations of 15 companies, each with a workshop day and a session pick."""
    days = list(seminar.days.all())
    for n in range(15):
        company = CompanyFactory()
        CompanyAllocation.objects.create(
            seminar=seminar, company=company, confirmed_count=2, per_company_limit=2
        )
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
    # 13 for registrations: one query tells whether the seminar column is needed.
    with django_assert_max_num_queries(13):
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
    assert response.context["adminform"].form.errors["capacity"] == [
        "5 seats are already confirmed, so the capacity cannot be 4. Cancel or move "
        "registrations first, or choose at least 5."
    ]
    day.refresh_from_db()
    assert day.capacity == 10


# --- Actions and capacity edits go through the services -------------------------------------


@pytest.fixture
def full_small(register, outbox_kept):
    """One seat on one day: a holder, then two people waiting for it."""
    seminar = seminar_build(capacity=1, day_capacities=(1,))
    holder = register(seminar, CompanyFactory())
    waiting = [register(seminar, CompanyFactory(), waitlist=True) for _ in range(2)]
    return seminar, holder, waiting


def _status(registration) -> str:
    registration.refresh_from_db()
    return registration.status


def _action(admin_client, model, action, objects):
    return admin_client.post(
        reverse(f"admin:events_{model}_changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )


def test_admin_cancel_action_cancels_and_promotes(admin_client, admin_user, full_small):
    _seminar, holder, (first, second) = full_small
    response = _action(admin_client, "registration", "cancel_action", [holder])
    assert _status(holder) == RegistrationStatus.CANCELLED
    assert _status(first) == RegistrationStatus.CONFIRMED
    assert _status(second) == RegistrationStatus.WAITLISTED
    assert holder.changes.get(action=RegistrationAction.CANCELLED).actor == admin_user
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["1 registration cancelled; freed seats went to the wait-list."]


def test_admin_cancel_action_reports_refusals(admin_client, full_small):
    _seminar, holder, _waiting = full_small
    registration_cancel(registration=holder)
    response = _action(admin_client, "registration", "cancel_action", [holder])
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        f"{holder}: This registration is no longer active: it was cancelled or handed to a "
        "colleague."
    ]


def test_admin_replace_link_action_revokes_old_link(admin_client, client, full_small):
    _seminar, holder, _waiting = full_small
    old = holder.manage_token
    _action(admin_client, "registration", "link_revoke_action", [holder])
    holder.refresh_from_db()
    assert holder.manage_token != old
    assert client.get(f"/registrations/{old}/").status_code == 404
    assert client.get(f"/registrations/{holder.manage_token}/").status_code == 200


def test_admin_promote_action_fills_free_seats(admin_client, admin_user, full_small):
    seminar, _holder, (first, second) = full_small
    # Staff widened the caps outside the admin: the seats are free but nobody was promoted.
    Seminar.objects.filter(pk=seminar.pk).update(capacity=2)
    WorkshopDay.objects.filter(seminar=seminar).update(capacity=2)
    response = _action(admin_client, "seminar", "waitlist_promote_action", [seminar])
    assert (_status(first), _status(second)) == (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
    )
    assert [str(m) for m in response.context["messages"]] == [
        f"1 person was promoted from the wait-list: {first.full_name} ({first.confirmation_code})."
    ]
    assert first.changes.get(action=RegistrationAction.PROMOTED).actor == admin_user


def test_admin_seminar_capacity_below_confirmed_is_form_error(
    admin_client, register, seminar, change_form_data
):
    for _ in range(2):
        register(seminar, CompanyFactory())
    change_url = reverse("admin:events_seminar_change", args=[seminar.pk])
    data = change_form_data(admin_client.get(change_url))
    response = admin_client.post(change_url, data | {"capacity": "1", "title": "Renamed"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["capacity"] == [
        "2 seats are already confirmed, so the capacity cannot be 1. Cancel or move "
        "registrations first, or choose at least 2."
    ]
    seminar.refresh_from_db()
    assert (seminar.capacity, seminar.title) == (1200, seminar.title)


def test_admin_per_company_limit_below_held_is_form_error(
    admin_client, register, seminar, change_form_data
):
    company = CompanyFactory()
    register(seminar, company)
    register(seminar, company)
    change_url = reverse("admin:events_seminar_change", args=[seminar.pk])
    data = change_form_data(admin_client.get(change_url))
    response = admin_client.post(change_url, data | {"per_company_limit": "1"})
    assert response.context["adminform"].form.errors["per_company_limit"] == [
        "A company already holds 2 confirmed seats, so the limit per company cannot be 1."
    ]


def test_admin_seminar_and_day_capacity_raise_promotes(
    admin_client, admin_user, full_small, seat_ledger, change_form_data
):
    seminar, _holder, (first, second) = full_small
    change_url = reverse("admin:events_seminar_change", args=[seminar.pk])
    data = change_form_data(admin_client.get(change_url))
    data |= {"capacity": "3", "days-0-capacity": "3", "title": "San Diego (more seats)"}
    response = admin_client.post(change_url, data, follow=True)
    assert response.status_code == 200
    assert (_status(first), _status(second)) == (RegistrationStatus.CONFIRMED,) * 2
    promotions = RegistrationChange.objects.filter(action=RegistrationAction.PROMOTED)
    assert sorted(promotions.values_list("registration", "actor")) == [
        (first.pk, admin_user.pk),
        (second.pk, admin_user.pk),
    ]
    seminar.refresh_from_db()
    assert (seminar.capacity, seminar.title, seminar.confirmed_count) == (
        3,
        "San Diego (more seats)",
        3,
    )
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]


def test_admin_save_never_writes_back_a_stale_counter(
    admin_client, register, seminar, change_form_data
):
    change_url = reverse("admin:events_seminar_change", args=[seminar.pk])
    data = change_form_data(admin_client.get(change_url))
    register(seminar, CompanyFactory())  # lands while the form is open
    admin_client.post(change_url, data | {"title": "Renamed"})
    seminar.refresh_from_db()
    assert (seminar.title, seminar.confirmed_count) == ("Renamed", 1)


def test_admin_registration_page_shows_history_and_emails(admin_client, full_small):
    _seminar, holder, (first, _second) = full_small
    registration_cancel(registration=holder)
    response = admin_client.get(reverse("admin:events_registration_change", args=[first.pk]))
    body = response.content.decode()
    assert "Promoted from the wait-list" in body
    assert "Joined the wait-list" in body
    assert first.email in body
    # Read-only: only the hidden row ids Django always renders, no field of a row.
    assert not re.search(r'name="(changes|emails)-0-(?!id"|registration")', body)

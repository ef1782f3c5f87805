"""A registration's history on its admin page: how it began, and every change with who and when."""

from datetime import timedelta

import pytest
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import timezone

from events.changes import (
    registration_cancel,
    registration_details_update,
    registration_substitute,
)
from events.enums import RegistrationAction, RegistrationStatus
from events.exceptions import AlreadyRegistered
from events.history import registration_history_start
from events.models import Registration, RegistrationChange
from tests.factories import COLLEAGUE, CompanyFactory, RegistrationFactory, seminar_build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

INLINE_PREFIXES = ("picks", "answers", "check_ins", "changes", "emails")


def _change_url(registration) -> str:
    return reverse("admin:events_registration_change", args=[registration.pk])


def _details_post(client, registration, **changes):
    """Post the registration's change form as a browser would, with ``changes`` typed in."""
    data = {
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email,
        "job_title": registration.job_title,
        "phone": registration.phone,
        "language": registration.language,
        **{
            f"{prefix}-{key}": "0"
            for prefix in INLINE_PREFIXES
            for key in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }
    return client.post(_change_url(registration), data | changes, follow=True)


def _history(registration) -> list[tuple[str, int | None, str]]:
    return list(
        RegistrationChange.objects.filter(registration=registration)
        .order_by("pk")
        .values_list("action", "actor", "detail")
    )


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


# --- Edits in the admin ----------------------------------------------------------------------


def test_registration_admin_edit_recorded_with_fields_and_staff_member(
    manager_client, manager, seminar
):
    registration = RegistrationFactory(
        seminar=seminar, last_name="Lopez", email="ana@old.example", phone="+52 664 555 0100"
    )

    response = _details_post(
        manager_client,
        registration,
        last_name="López",
        email="ana@new.example",
        phone="+52 664 555 0199",
        language="es",
    )

    assert response.status_code == 200
    registration.refresh_from_db()
    assert (registration.last_name, registration.email, registration.phone) == (
        "López",
        "ana@new.example",
        "+52 664 555 0199",
    )
    assert _history(registration) == [
        (
            RegistrationAction.DETAILS_CHANGED,
            manager.pk,
            "Last name: Lopez → López; E-mail: ana@old.example → ana@new.example; "
            "Phone changed; Language: en → es",
        )
    ]
    body = _details_page(manager_client, registration)
    assert "Details corrected by staff" in body
    assert "+52 664 555 0100" not in body  # the old phone number is kept nowhere


def _details_page(client, registration) -> str:
    return client.get(_change_url(registration)).content.decode()


def test_registration_admin_save_without_changes_records_nothing(manager_client, seminar):
    registration = RegistrationFactory(seminar=seminar)

    response = _details_post(manager_client, registration)

    assert response.status_code == 200
    assert _history(registration) == []


def test_registration_admin_edit_refused_when_email_taken_since_the_form_checked(
    manager_client, seminar
):
    """Another request registers the new address between the form's check and the save."""
    registration = RegistrationFactory(seminar=seminar, email="mine@x.example")

    def register_the_address_first(sender, instance, update_fields=None, **kwargs):
        if instance.pk == registration.pk and update_fields:
            RegistrationFactory(seminar=seminar, email="wanted@x.example")

    pre_save.connect(register_the_address_first, sender=Registration)
    try:
        response = _details_post(manager_client, registration, email="wanted@x.example")
    finally:
        pre_save.disconnect(register_the_address_first, sender=Registration)

    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was saved: wanted@x.example already holds a registration or wait-list place "
        "for this seminar."
    ]
    assert response.redirect_chain == [(_change_url(registration), 302)]
    registration.refresh_from_db()
    assert registration.email == "mine@x.example"
    assert _history(registration) == []


def test_registration_details_update_refuses_address_of_active_registration(seminar):
    RegistrationFactory(seminar=seminar, email="taken@x.example")
    registration = RegistrationFactory(seminar=seminar)

    with pytest.raises(AlreadyRegistered) as refusal:
        registration_details_update(
            registration=registration, details={"email": "TAKEN@x.example"}, actor=None
        )

    assert refusal.value.message == (
        "TAKEN@x.example already holds a registration or wait-list place for this seminar."
    )
    assert _history(registration) == []


def test_registration_details_update_refuses_a_seat_field(seminar):
    registration = RegistrationFactory(seminar=seminar)
    with pytest.raises(ValueError, match="not a detail of the person: status"):
        registration_details_update(
            registration=registration, details={"status": "cancelled"}, actor=None
        )


# --- How it began --------------------------------------------------------------------------


def test_registration_history_starts_with_confirmed_registration(manager_client, register):
    seminar = seminar_build()
    registration = register(seminar, CompanyFactory())

    start = registration_history_start(registration=registration)

    assert (start.at, start.label) == (registration.created_at, "Registered (confirmed)")
    body = _details_page(manager_client, registration)
    assert '<tr class="form-row history-start">' in body
    assert "<p>Registered (confirmed)</p>" in body


def test_registration_history_starts_on_the_wait_list_before_promotion(manager_client, register):
    seminar = seminar_build(capacity=1, day_capacities=(1,))
    holder = register(seminar, CompanyFactory())
    waiting = register(seminar, CompanyFactory(), waitlist=True)
    registration_cancel(registration=holder)
    waiting.refresh_from_db()

    start = registration_history_start(registration=waiting)

    assert waiting.status == RegistrationStatus.CONFIRMED
    assert start.label == "Registered (wait-listed)"
    body = _details_page(manager_client, waiting)
    first_line = body.index("<p>Registered (wait-listed)</p>")
    assert first_line < body.index("<p>Promoted from the wait-list</p>")


@pytest.mark.parametrize(
    ("waitlist", "label"),
    [(False, "Registered (confirmed)"), (True, "Registered (wait-listed)")],
    ids=["confirmed", "waitlisted"],
)
def test_registration_history_of_a_colleague_starts_as_the_place_handed_over(
    register, waitlist, label
):
    seminar = seminar_build(capacity=1, day_capacities=(1,))
    company = CompanyFactory()
    if waitlist:
        register(seminar, CompanyFactory())
    original = register(seminar, company, waitlist=waitlist)

    colleague = registration_substitute(
        registration=original, now=timezone.now() + timedelta(minutes=5), **COLLEAGUE
    )

    assert registration_history_start(registration=colleague).label == label


def test_registration_history_of_a_row_without_timestamps_follows_its_status(seminar):
    waiting = RegistrationFactory(seminar=seminar, status=RegistrationStatus.WAITLISTED)
    confirmed = RegistrationFactory(seminar=seminar)
    assert [registration_history_start(registration=r).label for r in (waiting, confirmed)] == [
        "Registered (wait-listed)",
        "Registered (confirmed)",
    ]

"""Check-in at the door: who may come in on which day, the staff page, and the two roles."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import formats, timezone

from events.changes import registration_cancel, registration_substitute
from events.checkin import registration_check_in
from events.enums import RegistrationAction, RegistrationStatus
from events.exceptions import (
    AlreadyCheckedIn,
    CheckInNotConfirmed,
    CodeNotFound,
    NotASeminarDay,
    RegistrationNotActive,
    WrongDay,
)
from events.models import CheckIn, Registration
from tests.factories import COLLEAGUE, RegistrationFactory, SeminarFactory, WorkshopDayFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]


@pytest.fixture
def days(seminar):
    """(plenary date, first workshop day, second workshop day) of the ``seminar`` fixture."""
    first, second = seminar.days.order_by("date")
    return timezone.localtime(seminar.starts_at).date(), first, second


# The service


def test_check_in_on_own_workshop_day(seminar, company, register, days, desk):
    _, tuesday, _ = days
    registration = register(seminar, company, day=tuesday)

    result = registration_check_in(
        code=registration.confirmation_code, actor=desk, today=tuesday.date
    )

    registration.refresh_from_db()
    assert result.registration == registration
    assert result.day_label == "Tuesday workshops"
    check_in = CheckIn.objects.get()
    assert (check_in.registration, check_in.date, check_in.by) == (registration, tuesday.date, desk)
    assert registration.checked_in_at == check_in.at
    assert registration.changes.filter(action=RegistrationAction.CHECKED_IN, actor=desk).exists()


def test_check_in_plenary_day_open_to_everyone(seminar, company, register, days, desk):
    plenary, tuesday, thursday = days
    first = register(seminar, company, day=tuesday)
    second = register(seminar, company, day=thursday)

    for registration in (first, second):
        result = registration_check_in(
            code=registration.confirmation_code, actor=desk, today=plenary
        )
        assert result.day_label.startswith("Plenary")
    assert CheckIn.objects.filter(date=plenary).count() == 2


def test_check_in_keeps_first_checked_in_at(seminar, company, register, days, desk):
    plenary, tuesday, _ = days
    registration = register(seminar, company, day=tuesday)
    registration_check_in(code=registration.confirmation_code, actor=desk, today=plenary)
    registration.refresh_from_db()
    first_at = registration.checked_in_at

    registration_check_in(code=registration.confirmation_code, actor=desk, today=tuesday.date)

    registration.refresh_from_db()
    assert registration.checked_in_at == first_at
    assert registration.check_ins.count() == 2


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda code: f"  {code.lower()}  ", id="lowercase-padded"),
        pytest.param(lambda code: f"{code[:4].lower()} {code[4:].lower()}", id="with-space"),
        pytest.param(lambda code: f"{code[:4]}-{code[4:]}", id="with-hyphen"),
    ],
)
def test_check_in_code_normalized(seminar, company, register, days, desk, typed):
    plenary, _, _ = days
    registration = register(seminar, company)

    result = registration_check_in(
        code=typed(registration.confirmation_code), actor=desk, today=plenary
    )

    assert result.registration == registration


def test_check_in_unknown_code_refused(seminar, days, desk):
    plenary, _, _ = days
    with pytest.raises(CodeNotFound):
        registration_check_in(code="NOSUCHCODE", actor=desk, today=plenary)
    assert not CheckIn.objects.exists()


def test_check_in_code_of_other_seminar_refused(seminar, company, register, days, desk):
    plenary, _, _ = days
    registration = register(seminar, company)
    other = SeminarFactory()

    with pytest.raises(CodeNotFound):
        registration_check_in(
            code=registration.confirmation_code, actor=desk, today=plenary, seminar=other
        )


def test_check_in_cancelled_refused_naming_who_and_when(
    seminar, company, register, days, desk, manager
):
    plenary, _, _ = days
    registration = register(seminar, company)
    registration_cancel(registration=registration, actor=manager)

    with pytest.raises(RegistrationNotActive) as refused:
        registration_check_in(code=registration.confirmation_code, actor=desk, today=plenary)

    cancelled = registration.changes.get(action=RegistrationAction.CANCELLED).at
    when = formats.date_format(timezone.localtime(cancelled), "DATETIME_FORMAT")
    assert refused.value.message == f"Cancelled registration: cancelled on {when} by Manager."
    assert not CheckIn.objects.exists()


def test_check_in_cancelled_by_registrant_refused(seminar, company, register, days, desk):
    plenary, _, _ = days
    registration = register(seminar, company)
    registration_cancel(registration=registration)

    with pytest.raises(RegistrationNotActive, match=r" by the registrant\.$"):
        registration_check_in(code=registration.confirmation_code, actor=desk, today=plenary)


def test_check_in_handed_over_refused_naming_colleague(seminar, company, register, days, desk):
    plenary, _, _ = days
    registration = register(seminar, company)
    registration_substitute(registration=registration, **COLLEAGUE)

    with pytest.raises(
        RegistrationNotActive,
        match=r"handed to Jorge Ramírez on .* by the registrant\. Only Jorge Ramírez's own code",
    ):
        registration_check_in(code=registration.confirmation_code, actor=desk, today=plenary)
    colleague = Registration.objects.get(email=COLLEAGUE["email"])
    registration_check_in(code=colleague.confirmation_code, actor=desk, today=plenary)


def test_check_in_waitlisted_refused(seminar, days, desk):
    plenary, tuesday, _ = days
    registration = RegistrationFactory(
        seminar=seminar, workshop_day=tuesday, status=RegistrationStatus.WAITLISTED
    )

    with pytest.raises(CheckInNotConfirmed, match="on the wait-list"):
        registration_check_in(code=registration.confirmation_code, actor=desk, today=plenary)
    assert not CheckIn.objects.exists()


def test_check_in_wrong_workshop_day_refused_naming_theirs(seminar, company, register, days, desk):
    _, tuesday, thursday = days
    registration = register(seminar, company, day=thursday)

    with pytest.raises(WrongDay, match="registered for Thursday workshops"):
        registration_check_in(code=registration.confirmation_code, actor=desk, today=tuesday.date)
    assert not CheckIn.objects.exists()
    assert not registration.changes.filter(action=RegistrationAction.CHECKED_IN).exists()


def test_check_in_outside_seminar_days_refused(seminar, company, register, days, desk):
    plenary, _, _ = days
    registration = register(seminar, company)

    with pytest.raises(NotASeminarDay):
        registration_check_in(
            code=registration.confirmation_code, actor=desk, today=plenary - timedelta(days=1)
        )


def test_check_in_second_time_same_day_refused_with_first_time(
    seminar, company, register, days, desk
):
    plenary, _, _ = days
    registration = register(seminar, company)
    registration_check_in(code=registration.confirmation_code, actor=desk, today=plenary)
    first = CheckIn.objects.get()

    with pytest.raises(AlreadyCheckedIn) as refused:
        registration_check_in(code=registration.confirmation_code, actor=desk, today=plenary)

    first_time = formats.time_format(timezone.localtime(first.at), "TIME_FORMAT")
    assert "Already checked in today at" in str(refused.value.message)
    assert first_time in str(refused.value.message)
    assert CheckIn.objects.count() == 1
    assert registration.changes.filter(action=RegistrationAction.CHECKED_IN).count() == 1


# The page


@pytest.fixture
def running():
    """A seminar on today: a plenary today, workshops tomorrow and the day after."""
    now = timezone.now()
    seminar = SeminarFactory(
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(days=3),
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=1),
    )
    today = timezone.localdate()
    for offset in (1, 2):
        WorkshopDayFactory(seminar=seminar, date=today + timedelta(days=offset))
    return seminar


def _url(seminar) -> str:
    return reverse("events:seminar_check_in", args=[seminar.slug])


def test_checkin_page_shows_form_and_count(client, desk, running):
    client.force_login(desk)

    response = client.get(_url(running))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="code"' in html
    assert "autofocus" in html
    assert "0 people checked in today" in html
    assert "<script>" not in html.replace('<script src="', "")


def test_checkin_page_checks_in(client, desk, running):
    day = running.days.first()
    registration = RegistrationFactory(
        seminar=running, workshop_day=day, first_name="Ana", last_name="Lopez"
    )
    client.force_login(desk)

    response = client.post(_url(running), {"code": registration.confirmation_code.lower()})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Checked in" in html
    assert "Ana Lopez" in html
    assert registration.company.legal_name in html
    assert "1 person checked in today" in html
    assert 'value="' not in html.split('name="code"')[1].split(">")[0]
    assert CheckIn.objects.get().by == desk


@pytest.mark.parametrize(
    ("label_es", "shown"),
    [
        pytest.param("Talleres de hoy", "· Talleres de hoy</p>", id="spanish-twin"),
        pytest.param("", '· <span lang="en">Today\'s workshops</span></p>', id="english-fallback"),
    ],
)
def test_checkin_page_in_spanish_names_todays_workshop_day_in_spanish(
    client, desk, running, label_es, shown
):
    today = WorkshopDayFactory(
        seminar=running, date=timezone.localdate(), label="Today's workshops", label_es=label_es
    )
    registration = RegistrationFactory(seminar=running, workshop_day=today)
    client.force_login(desk)

    response = client.post(
        _url(running), {"code": registration.confirmation_code}, HTTP_ACCEPT_LANGUAGE="es"
    )

    assert shown in response.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(RegistrationStatus.WAITLISTED, "on the wait-list", id="waitlisted"),
        pytest.param(RegistrationStatus.CANCELLED, "Cancelled registration", id="cancelled"),
    ],
)
def test_checkin_page_warns(client, desk, running, status, expected):
    registration = RegistrationFactory(seminar=running, status=status)
    client.force_login(desk)

    response = client.post(_url(running), {"code": registration.confirmation_code})

    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html
    assert expected in html
    assert not CheckIn.objects.exists()


def test_checkin_page_warns_second_check_in(client, desk, running):
    registration = RegistrationFactory(seminar=running)
    client.force_login(desk)
    client.post(_url(running), {"code": registration.confirmation_code})

    response = client.post(_url(running), {"code": registration.confirmation_code})

    assert response.status_code == 422
    assert "Already checked in today at" in response.content.decode()


def test_checkin_page_warns_unknown_code(client, desk, running):
    client.force_login(desk)

    response = client.post(_url(running), {"code": "ZZZ"})

    assert response.status_code == 422
    assert "No registration has this confirmation code" in response.content.decode()


def test_checkin_page_anonymous_sent_to_admin_login(client, running):
    response = client.get(_url(running))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login") + "?next=")


@pytest.mark.parametrize(
    ("is_staff", "group"),
    [
        pytest.param(False, None, id="not-staff"),
        pytest.param(False, "Check-in staff", id="in-group-but-not-staff"),
        pytest.param(True, None, id="staff-without-role"),
    ],
)
def test_checkin_page_refused_without_role(staff_user, client, running, is_staff, group):
    registration = RegistrationFactory(seminar=running)
    client.force_login(staff_user("someone", group=group, is_staff=is_staff))

    assert client.get(_url(running)).status_code == 403
    response = client.post(_url(running), {"code": registration.confirmation_code})
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_checkin_page_open_to_managers(client, manager, running):
    client.force_login(manager)

    assert client.get(_url(running)).status_code == 200


# The roles in the admin


def test_check_in_staff_can_list_registrations(client, desk, running):
    RegistrationFactory(seminar=running)
    client.force_login(desk)

    assert client.get(reverse("admin:events_registration_changelist")).status_code == 200


def test_check_in_staff_cannot_change_a_registration(client, desk, running):
    registration = RegistrationFactory(seminar=running, first_name="Ana")
    client.force_login(desk)
    url = reverse("admin:events_registration_change", args=[registration.pk])

    page = client.get(url)
    response = client.post(url, {"first_name": "Changed"})

    # Django shows a view-only user the change page read-only, without a save button.
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    registration.refresh_from_db()
    assert registration.first_name == "Ana"


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:events_seminar_add",
        "admin:ctpat_company_changelist",
        "admin:ctpat_user_changelist",
    ],
)
def test_check_in_staff_refused_elsewhere_in_admin(client, desk, url_name):
    client.force_login(desk)

    assert client.get(reverse(url_name)).status_code == 403


def test_groups_hold_their_permissions():
    desk = Group.objects.get(name="Check-in staff")
    managers = Group.objects.get(name="Seminar managers")

    assert sorted(desk.permissions.values_list("codename", flat=True)) == [
        "add_checkin",
        "view_checkin",
        "view_registration",
        "view_registrationanswer",
    ]
    codenames = set(managers.permissions.values_list("codename", flat=True))
    assert {"export_roster", "view_reports"} <= codenames
    models = ["seminar", "registration", "checkin", "company", "certification"]
    for model in [*models, "seminarquestion", "registrationanswer"]:
        assert {f"{verb}_{model}" for verb in ("add", "change", "delete", "view")} <= codenames
    assert not {"add_user", "change_user"} & codenames


def test_check_in_staff_not_offered_actions_that_change_registrations(client, desk, running):
    client.force_login(desk)
    page = client.get(reverse("admin:events_registration_changelist"))
    assert page.status_code == 200
    form = page.context["action_form"]  # None when no action is offered at all
    actions = dict(form.fields["action"].choices) if form else {}
    assert "cancel_action" not in actions
    assert "link_revoke_action" not in actions

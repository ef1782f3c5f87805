"""Every staff page for the two roles, a signed-in visitor who is not staff, and nobody.

Check-in staff view registrations and check people in, nothing else: the seminar pages, the
reports, the roster (e-mail, phone) and the badges are the seminar managers'.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import RegistrationFactory, SeminarFactory, WorkshopDayFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
MANAGER, DESK, VISITOR, NOBODY = "manager", "desk", "visitor", "nobody"


@pytest.fixture
def running(db):
    """A seminar running today, with one registration."""
    now = timezone.now()
    seminar = SeminarFactory(
        slug="running",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=1),
    )
    day = WorkshopDayFactory(seminar=seminar, date=timezone.localdate())
    registration = RegistrationFactory(seminar=seminar, workshop_day=day)
    return seminar, day, registration


def _urls(seminar, day, registration) -> dict[str, str]:
    pk = seminar.pk
    return {
        "admin index": reverse("admin:index"),
        "seminars": reverse("admin:events_seminar_changelist"),
        "seminar": reverse("admin:events_seminar_change", args=[pk]),
        "workshop day": reverse("admin:events_workshopday_change", args=[day.pk]),
        "dashboard": reverse("admin:events_seminar_dashboard", args=[pk]),
        "attendance": reverse("admin:events_seminar_attendance", args=[pk]),
        "attendance csv": reverse("admin:events_seminar_attendance_csv", args=[pk]),
        "roster": reverse("admin:events_seminar_roster", args=[pk]),
        "badges": reverse("admin:events_seminar_badges", args=[pk]),
        "badges of a day": reverse("admin:events_seminar_badges", args=[pk]) + f"?day={day.pk}",
        "registrations": reverse("admin:events_registration_changelist"),
        "registration": reverse("admin:events_registration_change", args=[registration.pk]),
        "check-ins": reverse("admin:events_checkin_changelist"),
        "companies": reverse("admin:ctpat_company_changelist"),
        "import": reverse("admin:ctpat_company_import"),
        "check-in desk": reverse("events:check_in_seminars"),
        "check-in page": reverse("events:seminar_check_in", args=[seminar.slug]),
    }


# Expected status for manager, desk, a non-staff visitor; nobody is sent to the login page.
# A non-staff visitor is sent to the admin's login too, except at the desk, which says no (403).
EXPECTED = {
    "admin index": (200, 200, 302),
    "seminars": (200, 403, 302),
    "seminar": (200, 403, 302),
    "workshop day": (200, 403, 302),
    "dashboard": (200, 403, 302),
    "attendance": (200, 403, 302),
    "attendance csv": (200, 403, 302),
    "roster": (200, 403, 302),
    "badges": (200, 403, 302),
    "badges of a day": (200, 403, 302),
    "registrations": (200, 200, 302),
    "registration": (200, 200, 302),
    "check-ins": (200, 200, 302),
    "companies": (200, 403, 302),
    "import": (200, 403, 302),
    "check-in desk": (200, 200, 403),
    "check-in page": (200, 200, 403),
}


@pytest.fixture
def as_user(client, staff_user):
    def as_user(who: str):
        if who == MANAGER:
            client.force_login(staff_user("marta", group="Seminar managers"))
        elif who == DESK:
            client.force_login(staff_user("diego", group="Check-in staff"))
        elif who == VISITOR:
            client.force_login(staff_user("vera", group="Seminar managers", is_staff=False))
        return client

    return as_user


@pytest.mark.parametrize("page", list(EXPECTED), ids=list(EXPECTED))
@pytest.mark.parametrize("who", [MANAGER, DESK, VISITOR, NOBODY])
def test_roles_on_every_staff_page(as_user, running, page, who):
    url = _urls(*running)[page]

    response = as_user(who).get(url)

    expected = 302 if who == NOBODY else EXPECTED[page][(MANAGER, DESK, VISITOR).index(who)]
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(LOGIN)


def test_roles_check_in_staff_find_the_seminar_without_the_seminar_pages(as_user, running):
    seminar, _day, _registration = running
    client = as_user(DESK)

    for admin_list in ("admin:events_checkin_changelist", "admin:events_registration_changelist"):
        page = client.get(reverse(admin_list)).content.decode()
        assert f'href="{reverse("events:check_in_seminars")}"' in page

    desk = client.get(reverse("events:check_in_seminars"))
    assert [(s.slug, today) for s, today in desk.context["seminars"]] == [("running", True)]
    check_in_url = reverse("events:seminar_check_in", args=[seminar.slug])
    assert f'href="{check_in_url}"' in desk.content.decode()


def test_roles_check_in_desk_lists_todays_seminars_first_and_no_ended_one(as_user, running):
    now = timezone.now()
    later = SeminarFactory(slug="later", starts_at=now + timedelta(days=1))
    SeminarFactory(slug="ended", starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=2))
    SeminarFactory(slug="earlier-today", starts_at=now - timedelta(days=3))  # runs until today+

    response = as_user(DESK).get(reverse("events:check_in_seminars"))

    assert [(s.slug, today) for s, today in response.context["seminars"]] == [
        ("earlier-today", True),
        ("running", True),
        (later.slug, False),
    ]

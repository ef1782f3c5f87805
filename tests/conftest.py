from datetime import timedelta

import pytest

from ctpat.enums import CertificationStatus
from tests.factories import (
    BreakoutSessionFactory,
    CompanyFactory,
    SeminarFactory,
    WorkshopDayFactory,
)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render templates without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _language_restored():
    """A request with Accept-Language: es leaves Spanish active in this thread: not for others."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _staff_otp_and_rate_limits_off(settings):
    """``force_login`` sessions pass no two-factor step, and many tests post from one address:
    staff two-factor and rate limits are off unless a test turns them on (tests/ctpat)."""
    settings.STAFF_OTP_REQUIRED = False
    settings.RATELIMIT_ENABLED = False


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def suspended_company(db):
    return CompanyFactory(status=CertificationStatus.SUSPENDED)


@pytest.fixture
def seminar(db):
    """A San Diego-shaped seminar: two workshop days, two sessions each (one pair overlapping)."""
    seminar = SeminarFactory(capacity=1200, per_company_limit=2)
    for offset, label in ((1, "Tuesday workshops"), (3, "Thursday workshops")):
        day = WorkshopDayFactory(
            seminar=seminar,
            label=label,
            date=(seminar.starts_at + timedelta(days=offset)).date(),
            capacity=600,
        )
        first = BreakoutSessionFactory(day=day, topic="CBP risk indicators")
        BreakoutSessionFactory(
            day=day,
            topic="Suspensions and removals",
            starts_at=first.starts_at,
            ends_at=first.ends_at,
        )
        BreakoutSessionFactory(
            day=day,
            topic="Evidence of implementation",
            starts_at=first.ends_at,
            ends_at=first.ends_at + (first.ends_at - first.starts_at),
        )
    return seminar


@pytest.fixture
def register():
    """Call ``registration_create`` for a valid person; keywords override any field.

    ``day`` is a ``WorkshopDay`` (default: the seminar's first), ``sessions`` are sessions.
    """
    import itertools

    from events.services import registration_create

    numbers = itertools.count(1)

    def register(seminar, company, *, day=..., sessions=(), **fields):
        number = next(numbers)
        if day is ...:
            day = seminar.days.first()
        values = {
            "account_number": company.account_number,
            "first_name": "María",
            "last_name": f"Tester {number}",
            "email": f"attendee{number}@{company.account_number.lower()}.example",
            "job_title": "Supply chain security manager",
            "phone": "+1 619 555 0100",
            "workshop_day_id": day.pk if day is not None else None,
            "session_ids": [session.pk for session in sessions],
        }
        return registration_create(seminar=seminar, **(values | fields))

    return register


@pytest.fixture
def seat_ledger():
    """A function giving every counter of a seminar beside the rows it counts, and row totals."""
    from django.db.models import Count

    from events.enums import RegistrationStatus
    from events.models import (
        BreakoutSession,
        CompanyAllocation,
        Registration,
        RegistrationSession,
        WorkshopDay,
    )

    confirmed = RegistrationStatus.CONFIRMED

    def ledger(seminar) -> dict:
        seminar.refresh_from_db()
        registrations = Registration.objects.filter(seminar=seminar)
        counters = {"seminar": seminar.confirmed_count}
        rows = {"seminar": registrations.filter(status=confirmed).count()}
        for day in WorkshopDay.objects.filter(seminar=seminar):
            counters[f"day {day.pk}"] = day.confirmed_count
            rows[f"day {day.pk}"] = registrations.filter(status=confirmed, workshop_day=day).count()
        for session in BreakoutSession.objects.filter(day__seminar=seminar):
            counters[f"session {session.pk}"] = session.confirmed_count
            rows[f"session {session.pk}"] = RegistrationSession.objects.filter(
                session=session, registration__status=confirmed
            ).count()
        for allocation in CompanyAllocation.objects.filter(seminar=seminar):
            counters[f"company {allocation.company_id}"] = allocation.confirmed_count
        for row in registrations.filter(status=confirmed).values("company").annotate(n=Count("id")):
            rows[f"company {row['company']}"] = row["n"]
        for key in counters.keys() - rows.keys():
            rows[key] = 0
        return {
            "counters": counters,
            "rows": rows,
            "registrations": dict(
                registrations.values_list("status").annotate(n=Count("id")).order_by("status")
            ),
            "picks": RegistrationSession.objects.filter(registration__seminar=seminar).count(),
            "allocations": CompanyAllocation.objects.filter(seminar=seminar).count(),
        }

    return ledger


@pytest.fixture(autouse=True)
def _whitenoise_without_collectstatic(settings):
    """WhiteNoise warns (an error here) when STATIC_ROOT was never collected; serve from finders."""
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture
def staff_client(client):
    """``staff_client("view_registration", …)``: the client, logged in as staff with those."""
    from django.contrib.auth.models import Permission

    from ctpat.models import User

    def staff_client(*codenames):
        user = User.objects.create_user("clerk", password="x", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client.force_login(user)
        return client

    return staff_client


@pytest.fixture
def outbox_kept(settings):
    """Messages stay in the outbox: for tests that read the rows, not a mail server."""
    settings.OUTBOX_DELIVER_ON_COMMIT = False


@pytest.fixture
def outbox_delivered(settings):
    """Messages go out right after commit, as in development (production leaves it to a worker)."""
    settings.OUTBOX_DELIVER_ON_COMMIT = True


@pytest.fixture(autouse=True)
def _public_pages_uncached(settings):
    """Every test sees counts as of its own request (a test that checks the caching turns it on),
    and starts with an empty cache."""
    from django.core.cache import cache

    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    cache.clear()


@pytest.fixture
def staff_user(db):
    """``staff_user("name", group="Seminar managers", perms=[…])``: a staff account."""
    from django.contrib.auth.models import Group, Permission

    from ctpat.models import User

    def staff_user(
        username: str, *, group: str | None = None, perms=(), is_staff: bool = True
    ) -> User:
        user = User.objects.create_user(
            username, password="pw", is_staff=is_staff, first_name=username.title()
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        user.user_permissions.set(Permission.objects.filter(codename__in=perms))
        return user

    return staff_user


@pytest.fixture
def manager(staff_user):
    return staff_user("manager", group="Seminar managers")


@pytest.fixture
def desk(staff_user):
    return staff_user("desk", group="Check-in staff")


@pytest.fixture
def change_form_data():
    """``change_form_data(response)``: what a browser would post back unchanged from an admin
    change page, the inlines (and the sessions nested in each workshop day) included."""
    from django import forms

    def change_form_data(response) -> dict:
        data = {}

        def add(form):
            for bound in form:
                value = bound.value()
                widget = bound.field.widget
                if isinstance(widget, forms.MultiWidget):
                    for index, part in enumerate(widget.decompress(value)):
                        data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
                elif isinstance(value, bool):
                    if value:
                        data[bound.html_name] = "on"
                elif value is not None:
                    data[bound.html_name] = str(value)

        def add_formset(formset):
            data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
            data[f"{formset.prefix}-INITIAL_FORMS"] = str(len(formset.initial_forms))
            for form in formset.initial_forms:
                add(form)
                for nested in getattr(form, "nested_formsets", ()):  # a day's sessions
                    add_formset(nested)

        add(response.context["adminform"].form)
        for inline in response.context["inline_admin_formsets"]:
            add_formset(inline.formset)
        return data

    return change_form_data

"""The registration and check-in admin: lists that stay cheap, filters, and actions through the
services, for both staff roles."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ctpat.enums import BusinessType, CertificationStatus
from ctpat.models import Company
from events.changes import (
    registration_cancel,
    registration_confirmation_resend,
    registration_link_revoke,
)
from events.checkin import registration_check_in
from events.emails import email_message_build, registration_manage_url
from events.enums import EmailKind, RegistrationAction, RegistrationStatus
from events.exceptions import RegistrationNotActive
from events.models import (
    BreakoutSession,
    CheckIn,
    OutboundEmail,
    Registration,
    RegistrationChange,
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
    seminar_build,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]

CHANGELIST = reverse("admin:events_registration_changelist")
CHECKINS = reverse("admin:events_checkin_changelist")

# Queries a list or change page may issue, whatever its row count: a query per row would need
# at least 10 more at 10 rows, and 100 more (a page) at 1,200.
LIST_QUERIES = 14
CHANGE_PAGE_QUERIES = 16


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def desk_client(client, desk):
    client.force_login(desk)
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _action(client, action, registrations, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [r.pk for r in registrations], **extra},
        follow=True,
    )


def _status(registration) -> str:
    registration.refresh_from_db()
    return registration.status


# --- The query bound -------------------------------------------------------------------------


def _populate(seminar, *, count: int, start: int, by) -> None:
    """``count`` registrations of ``count // 2`` companies, bulk-inserted (counters untouched).

    Each picks a session of its day; every third is checked in; businesses, countries and
    languages alternate so that every filter keeps rows.
    """
    days = list(seminar.days.order_by("date"))
    sessions = {day.pk: list(day.sessions.order_by("pk")) for day in days}
    companies = Company.objects.bulk_create(
        Company(
            account_number=f"BULK{start + n:06d}",
            legal_name=f"Bulk Partner {start + n}",
            business_type=BusinessType.US_IMPORTER if n % 2 else BusinessType.EXPORTER,
            country="US" if n % 2 else "MX",
            status=CertificationStatus.CERTIFIED,
        )
        for n in range(max(count // 2, 1))
    )
    now = timezone.now()
    registrations = Registration.objects.bulk_create(
        Registration(
            seminar=seminar,
            company=companies[n % len(companies)],
            workshop_day=days[n % 2],
            first_name="Ana",
            last_name=f"Lopez{start + n}",
            email=f"person{start + n}@bulk.example",
            email_normalized=f"person{start + n}@bulk.example",  # bulk_create skips save()
            job_title="Security manager",
            phone="+52 664 555 0100",
            status=RegistrationStatus.WAITLISTED if n % 5 == 4 else RegistrationStatus.CONFIRMED,
            confirmation_code=f"B{start + n:07d}",
            manage_token=f"bulk-{start + n:040d}",
            language="es" if n % 2 else "en",
            checked_in_at=now if n % 3 == 0 else None,
        )
        for n in range(count)
    )
    RegistrationSession.objects.bulk_create(
        RegistrationSession(registration=r, session=sessions[r.workshop_day_id][0])
        for r in registrations
    )
    CheckIn.objects.bulk_create(
        CheckIn(registration=r, date=seminar.starts_at.date(), at=now, by=by)
        for r in registrations
        if r.checked_in_at
    )


@pytest.fixture
def grow(seminar, admin_user):
    """``grow(total)``: fill the ``seminar`` up to ``total`` registrations."""
    made = [0]

    def grow(total: int):
        _populate(seminar, count=total - made[0], start=made[0], by=admin_user)
        made[0] = total
        return seminar

    return grow


def _queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response


def _list_variants(seminar) -> dict[str, str]:
    day = seminar.days.order_by("date").first()
    session = day.sessions.order_by("pk").first()
    return {
        "plain": "",
        "seminar": f"seminar__id__exact={seminar.pk}",
        "day": f"seminar__id__exact={seminar.pk}&day={day.pk}",
        "session": f"seminar__id__exact={seminar.pk}&session={session.pk}",
        "status": "status__exact=confirmed",
        "business_type": "company__business_type__exact=us_importer",
        "country": "company__country=MX",
        "checked_in": "checked_in=yes",
        "not_checked_in": "checked_in=no",
        "language": "language=es",
        "search_name": "q=Lopez",
        "search_company": "q=Bulk+Partner",
        "search_code": "q=B0000003",
        "search_account": "q=BULK000002",
        "sorted_by_company": "o=3",
    }


VARIANTS = [
    "plain",
    "seminar",
    "day",
    "session",
    "status",
    "business_type",
    "country",
    "checked_in",
    "not_checked_in",
    "language",
    "search_name",
    "search_company",
    "search_code",
    "search_account",
    "sorted_by_company",
]


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANTS)
def test_registration_changelist_queries_same_at_10_and_1200_rows(
    admin_client, grow, variant, django_assert_max_num_queries
):
    seminar = grow(10)
    url = f"{CHANGELIST}?{_list_variants(seminar)[variant]}"
    small, response = _queries(admin_client, url)
    assert response.context["cl"].result_count >= 1
    grow(1200)
    with django_assert_max_num_queries(LIST_QUERIES):
        large, response = _queries(admin_client, url)
    assert response.context["cl"].result_count >= 1
    assert (variant, small) == (variant, large)


def test_registration_changelist_shows_1200_rows_a_page_at_a_time(admin_client, grow):
    grow(1200)
    count, response = _queries(admin_client, CHANGELIST)
    assert response.context["cl"].result_count == 1200
    assert len(response.context["cl"].result_list) == 100
    assert count <= LIST_QUERIES


def _busy_registration(seminar, admin_user, *, picks: int, rows: int) -> Registration:
    """A registration with ``picks`` session picks and ``rows`` history rows and e-mails."""
    day = seminar.days.order_by("date").first()
    registration = RegistrationFactory(seminar=seminar, workshop_day=day)
    sessions = [BreakoutSessionFactory(day=day) for _ in range(picks)]
    RegistrationSession.objects.bulk_create(
        RegistrationSession(registration=registration, session=s) for s in sessions
    )
    RegistrationChange.objects.bulk_create(
        RegistrationChange(
            registration=registration, action=RegistrationAction.CHANGED, actor=admin_user
        )
        for _ in range(rows)
    )
    OutboundEmail.objects.bulk_create(
        OutboundEmail(registration=registration, kind=EmailKind.CHANGED, to=registration.email)
        for _ in range(rows)
    )
    CheckIn.objects.create(registration=registration, date=day.date, by=admin_user)
    return registration


def test_registration_change_page_queries_same_with_1_or_10_of_each(
    admin_client, admin_user, seminar, django_assert_max_num_queries
):
    one = _busy_registration(seminar, admin_user, picks=1, rows=1)
    ten = _busy_registration(seminar, admin_user, picks=10, rows=10)
    # The first change page of a process caches the model's content type: not a per-row query.
    admin_client.get(reverse("admin:events_registration_change", args=[one.pk]))
    small, _response = _queries(
        admin_client, reverse("admin:events_registration_change", args=[one.pk])
    )
    with django_assert_max_num_queries(CHANGE_PAGE_QUERIES):
        large, response = _queries(
            admin_client, reverse("admin:events_registration_change", args=[ten.pk])
        )
    assert small == large
    body = response.content.decode()
    assert body.count("<p>Workshop day or sessions changed</p>") == 10
    assert body.count(f"<p>{ten.email}</p>") == 10
    assert body.count('<td class="field-session">') == 10


def test_checkin_changelist_queries_same_at_10_and_1200_rows(
    admin_client, grow, django_assert_max_num_queries
):
    seminar = grow(10)
    for query in ("", f"registration__seminar__id__exact={seminar.pk}", "q=Lopez3"):
        small, _response = _queries(admin_client, f"{CHECKINS}?{query}")
    grow(1200)
    for query in ("", f"registration__seminar__id__exact={seminar.pk}", "q=Lopez3"):
        with django_assert_max_num_queries(LIST_QUERIES):
            large, response = _queries(admin_client, f"{CHECKINS}?{query}")
    assert small == large
    assert response.context["cl"].result_count >= 1


# --- Columns, filters, search ------------------------------------------------------------------


def test_registration_changelist_columns_show_company_status_and_check_in(admin_client, seminar):
    company = CompanyFactory(account_number="ACME0001", legal_name="Acme Maquila")
    RegistrationFactory(
        seminar=seminar,
        company=company,
        workshop_day=seminar.days.first(),
        first_name="Ana",
        last_name="Lopez",
        confirmation_code="ABCD2345",
        status=RegistrationStatus.WAITLISTED,
        checked_in_at=timezone.now(),
    )
    body = admin_client.get(CHANGELIST).content.decode()
    assert "Acme Maquila (ACME0001)" in body
    assert "Lopez, Ana" in body
    assert "Wait-listed" in body
    assert 'src="/static/admin/img/icon-yes.svg"' in body


def test_session_filter_lists_chosen_seminars_sessions_and_no_duplicates(admin_client, seminar):
    other = seminar_build()
    day = seminar.days.order_by("date").first()
    first, second = day.sessions.order_by("pk")[:2]
    registration = RegistrationFactory(seminar=seminar, workshop_day=day)
    RegistrationSession.objects.create(registration=registration, session=first)
    RegistrationSession.objects.create(registration=registration, session=second)
    RegistrationFactory(seminar=seminar, workshop_day=day)  # picked nothing

    response = admin_client.get(f"{CHANGELIST}?seminar__id__exact={seminar.pk}&session={first.pk}")

    assert list(response.context["cl"].result_list) == [registration]
    session_filter = next(
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", None) == "session"
    )
    listed = {pk for pk, _label in session_filter.lookup_choices}
    assert listed == set(
        BreakoutSession.objects.filter(day__seminar=seminar).values_list("pk", flat=True)
    )
    assert not listed & set(
        BreakoutSession.objects.filter(day__seminar=other).values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("checked_in=yes", {"in"}, id="checked-in"),
        pytest.param("checked_in=no", {"out"}, id="not-checked-in"),
        pytest.param("company__business_type__exact=us_importer", {"in"}, id="business-type"),
        pytest.param("company__country=US", {"in"}, id="country"),
        pytest.param("session=notanumber", {"in", "out"}, id="bad-session-ignored"),
        pytest.param("session=%C2%B2&day=%C2%B2", {"in", "out"}, id="non-ascii-digit-ignored"),
        pytest.param("q=in0001", {"in"}, id="search-code-exact"),
        pytest.param("q=IN0", set(), id="search-code-partial-finds-nothing"),
        pytest.param("q=USIM0001", {"in"}, id="search-account-number"),
        pytest.param("q=harbor", {"in"}, id="search-company-name"),
        pytest.param("q=out@", {"out"}, id="search-email"),
    ],
)
def test_registration_filters_and_search(admin_client, seminar, query, expected):
    importer = CompanyFactory(
        account_number="USIM0001",
        legal_name="Harbor Imports",
        business_type=BusinessType.US_IMPORTER,
        country="US",
    )
    RegistrationFactory(
        seminar=seminar,
        company=importer,
        confirmation_code="IN0001",
        last_name="in",
        email="in@x.example",
        checked_in_at=timezone.now(),
    )
    RegistrationFactory(
        seminar=seminar, confirmation_code="OUT0001", last_name="out", email="out@x.example"
    )
    response = admin_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert {r.last_name for r in response.context["cl"].result_list} == expected


def test_registration_change_page_shows_picks_check_ins_and_history(admin_client, manager, seminar):
    day = seminar.days.order_by("date").first()
    session = day.sessions.order_by("pk").first()
    registration = RegistrationFactory(seminar=seminar, workshop_day=day)
    RegistrationSession.objects.create(registration=registration, session=session)
    RegistrationChange.objects.create(
        registration=registration, action=RegistrationAction.EMAIL_RESENT, actor=manager
    )
    body = admin_client.get(
        reverse("admin:events_registration_change", args=[registration.pk])
    ).content.decode()
    assert session.topic in body
    assert session.room in body
    assert "Confirmation e-mail sent again" in body
    assert "manager" in body
    assert "Foreign manufacturer" in body  # the company's business type


def test_registration_email_taken_in_seminar_is_form_error(admin_client, seminar):
    RegistrationFactory(seminar=seminar, email="taken@x.example")
    registration = RegistrationFactory(seminar=seminar, email="mine@x.example")
    response = admin_client.post(
        reverse("admin:events_registration_change", args=[registration.pk]),
        {
            "first_name": registration.first_name,
            "last_name": registration.last_name,
            "email": "TAKEN@x.example",
            "job_title": registration.job_title,
            "phone": registration.phone,
            "language": "en",
            **{
                f"{prefix}-{key}": "0"
                for prefix in ("picks", "answers", "check_ins", "changes", "emails")
                for key in ("TOTAL_FORMS", "INITIAL_FORMS")
            },
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "TAKEN@x.example already holds a registration or wait-list place for this seminar."
    ]
    registration.refresh_from_db()
    assert registration.email == "mine@x.example"


# --- Move to another workshop day ---------------------------------------------------------------


@pytest.fixture
def two_days(register):
    """Day 1 and day 2 with one seat each: a holder on day 1 with a session, one person waiting."""
    seminar = seminar_build(capacity=2, day_capacities=(1, 1))
    first, second = seminar.days.order_by("date")
    holder = register(seminar, CompanyFactory(), day=first, sessions=[first.sessions.first()])
    waiting = register(seminar, CompanyFactory(), day=first, waitlist=True)
    return seminar, first, second, holder, waiting


def test_move_action_shows_confirmation_page_with_days(manager_client, two_days):
    _seminar, first, second, holder, _waiting = two_days
    response = _action(manager_client, "move_action", [holder])
    assert response.status_code == 200
    assert response.templates[0].name == "admin/events/registration/move.html"
    body = response.content.decode()
    assert f'value="{first.pk}"' in body
    assert f'value="{second.pk}"' in body
    assert "break-out session picks on the old day are dropped" in body
    assert holder.workshop_day_id == first.pk
    assert _status(holder) == RegistrationStatus.CONFIRMED


def test_move_action_moves_drops_picks_and_promotes_into_freed_day(
    manager_client, manager, two_days, seat_ledger
):
    seminar, first, second, holder, waiting = two_days
    response = _action(manager_client, "move_action", [holder], apply="1", workshop_day=second.pk)
    holder.refresh_from_db()
    assert holder.workshop_day_id == second.pk
    assert not holder.picks.exists()
    assert holder.changes.get(action=RegistrationAction.CHANGED).actor == manager
    waiting.refresh_from_db()
    assert (waiting.status, waiting.workshop_day_id) == (RegistrationStatus.CONFIRMED, first.pk)
    assert _messages(response) == [
        "1 registration moved to Day 2 workshops.",
        f"1 person was promoted from the wait-list: {waiting.full_name} "
        f"({waiting.confirmation_code}).",
    ]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]


def test_move_action_full_day_warns_per_row_and_moves_the_others(manager_client, register):
    seminar = seminar_build(capacity=10, day_capacities=(5, 2))
    first, second = seminar.days.order_by("date")
    register(seminar, CompanyFactory(), day=second)  # one seat left on day 2
    movers = [register(seminar, CompanyFactory(), day=first) for _ in range(2)]

    response = _action(manager_client, "move_action", movers, apply="1", workshop_day=second.pk)

    moved = [r for r in movers if Registration.objects.get(pk=r.pk).workshop_day_id == second.pk]
    stayed = [r for r in movers if r not in moved]
    assert (len(moved), len(stayed)) == (1, 1)
    assert _messages(response) == [
        f"{stayed[0]}: Day 2 workshops is full. Your registration is unchanged.",
        "1 registration moved to Day 2 workshops.",
    ]


def test_move_action_refuses_registrations_of_two_seminars(manager_client, register, two_days):
    _seminar, _first, second, holder, _waiting = two_days
    other = seminar_build()
    stranger = register(other, CompanyFactory())
    response = _action(
        manager_client, "move_action", [holder, stranger], apply="1", workshop_day=second.pk
    )
    assert _messages(response) == [
        "Select registrations of one seminar only: each can move only to a day of its own seminar."
    ]
    holder.refresh_from_db()
    assert holder.workshop_day.label == "Day 1 workshops"


def test_move_action_without_a_day_shows_the_page_again(manager_client, two_days):
    _seminar, first, _second, holder, _waiting = two_days
    response = _action(manager_client, "move_action", [holder], apply="1")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    holder.refresh_from_db()
    assert holder.workshop_day_id == first.pk


def test_move_action_day_of_another_seminar_refused(manager_client, two_days):
    _seminar, first, _second, holder, _waiting = two_days
    foreign_day = seminar_build().days.first()
    response = _action(
        manager_client, "move_action", [holder], apply="1", workshop_day=foreign_day.pk
    )
    assert "Select a valid choice." in response.content.decode()
    holder.refresh_from_db()
    assert holder.workshop_day_id == first.pk


# --- Promote chosen people from the wait-list ------------------------------------------------


def test_promote_action_promotes_the_chosen_out_of_turn_after_close(
    manager_client, manager, register, seat_ledger
):
    seminar = seminar_build(capacity=2, day_capacities=(2,))
    holders = [register(seminar, CompanyFactory()) for _ in range(2)]
    first, second, third = [register(seminar, CompanyFactory(), waitlist=True) for _ in range(3)]
    Seminar.objects.filter(pk=seminar.pk).update(registration_closes_at=timezone.now())
    for holder in holders:
        registration_cancel(registration=holder, actor=manager)

    response = _action(manager_client, "waitlist_promote_action", [third, second])

    assert [_status(r) for r in (first, second, third)] == [
        RegistrationStatus.WAITLISTED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
    ]
    assert third.changes.get(action=RegistrationAction.PROMOTED).actor == manager
    assert _messages(response) == [
        f"2 people were promoted from the wait-list: {second.full_name} "
        f"({second.confirmation_code}), {third.full_name} ({third.confirmation_code})."
    ]
    ledger = seat_ledger(seminar)
    assert ledger["counters"] == ledger["rows"]


def test_promote_action_shows_each_refusal_with_its_reason(manager_client, full_wait, seat_ledger):
    waiting = full_wait
    holder = Registration.objects.get(seminar=waiting.seminar, status=RegistrationStatus.CONFIRMED)
    before = seat_ledger(waiting.seminar)

    response = _action(manager_client, "waitlist_promote_action", [holder, waiting])

    assert _messages(response) == [
        f"{waiting}: The seminar is full: 1 of 1 seats confirmed. Raise its capacity or cancel "
        "a registration first.",
        f"{holder}: This registration is not on the wait-list, so it cannot be promoted.",
    ]
    assert _status(waiting) == RegistrationStatus.WAITLISTED
    assert seat_ledger(waiting.seminar) == before


def test_promote_action_warns_about_dropped_session(manager_client, register):
    seminar = seminar_build(capacity=1, day_capacities=(1,), session_capacity=1)
    session = seminar.days.get().sessions.first()
    holder = register(seminar, CompanyFactory(), sessions=[session])
    waiting = register(seminar, CompanyFactory(), waitlist=True, session_ids=[session.pk])
    Seminar.objects.filter(pk=seminar.pk).update(capacity=2)
    WorkshopDay.objects.filter(seminar=seminar).update(capacity=2)

    response = _action(manager_client, "waitlist_promote_action", [waiting])

    assert _status(waiting) == RegistrationStatus.CONFIRMED
    assert _status(holder) == RegistrationStatus.CONFIRMED
    assert _messages(response) == [
        f"1 person was promoted from the wait-list: {waiting.full_name} "
        f"({waiting.confirmation_code}).",
        f"{waiting}: no seat was left in {session.topic}, so that pick was dropped; the e-mail "
        "says so.",
    ]


# --- Check in (today) --------------------------------------------------------------------------


@pytest.fixture
def today_seminar():
    """A seminar running now: plenary yesterday, workshops today and tomorrow."""
    now = timezone.now()
    seminar = SeminarFactory(
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=2),
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=2),
    )
    today = timezone.localdate()
    WorkshopDayFactory(seminar=seminar, label="Today's workshops", date=today)
    WorkshopDayFactory(
        seminar=seminar, label="Tomorrow's workshops", date=today + timedelta(days=1)
    )
    return seminar


def test_check_in_action_checks_in_and_records_who(manager_client, manager, today_seminar):
    registration = RegistrationFactory(
        seminar=today_seminar, workshop_day=today_seminar.days.get(label="Today's workshops")
    )
    response = _action(manager_client, "check_in_action", [registration])
    check_in = CheckIn.objects.get(registration=registration)
    assert (check_in.date, check_in.by) == (timezone.localdate(), manager)
    assert registration.changes.get(action=RegistrationAction.CHECKED_IN).actor == manager
    assert _messages(response) == ["1 person checked in."]


def test_check_in_action_warns_loudly_per_row(manager_client, manager, today_seminar):
    today_day = today_seminar.days.get(label="Today's workshops")
    tomorrow = today_seminar.days.get(label="Tomorrow's workshops")
    ok = RegistrationFactory(seminar=today_seminar, workshop_day=today_day)
    wrong_day = RegistrationFactory(seminar=today_seminar, workshop_day=tomorrow)
    cancelled = RegistrationFactory(
        seminar=today_seminar,
        workshop_day=today_day,
        status=RegistrationStatus.CANCELLED,
        cancelled_at=timezone.now(),
    )
    RegistrationChange.objects.create(
        registration=cancelled, action=RegistrationAction.CANCELLED, actor=manager
    )
    again = RegistrationFactory(seminar=today_seminar, workshop_day=today_day)
    registration_check_in(code=again.confirmation_code, actor=manager)

    response = _action(manager_client, "check_in_action", [ok, wrong_day, cancelled, again])

    messages = _messages(response)
    assert messages[-1] == "1 person checked in."
    warnings = "\n".join(messages[:-1])
    assert len(messages) == 4
    assert f"{wrong_day}: Wrong day: {wrong_day.full_name} is registered for Tomorrow" in warnings
    assert re.search(
        rf"^{re.escape(str(cancelled))}: Cancelled registration: cancelled on [^\n]* by Manager\.$",
        warnings,
        re.MULTILINE,
    )
    assert f"{again}: Already checked in today at" in warnings
    assert CheckIn.objects.filter(registration__in=[wrong_day, cancelled]).count() == 0
    assert CheckIn.objects.filter(registration=again).count() == 1


# --- Resend the confirmation -------------------------------------------------------------------


def test_resend_action_writes_one_email_with_current_link(
    manager_client, manager, register, seminar
):
    registration = register(seminar, CompanyFactory())
    old_token = registration.manage_token
    registration_link_revoke(registration=registration)
    registration.refresh_from_db()
    before = set(OutboundEmail.objects.values_list("pk", flat=True))

    response = _action(manager_client, "confirmation_resend_action", [registration])

    [email] = OutboundEmail.objects.exclude(pk__in=before)
    assert (email.kind, email.to) == (EmailKind.CONFIRMED, registration.email)
    body = email_message_build(email=email).body
    assert registration_manage_url(registration=registration) in body
    assert old_token not in body
    entry = registration.changes.get(action=RegistrationAction.EMAIL_RESENT)
    assert entry.actor == manager
    assert _messages(response) == [
        "1 confirmation e-mail will be sent again, with the current private link."
    ]


def test_resend_of_waitlisted_sends_the_waitlist_email(full_wait, manager):
    waiting = full_wait
    email = registration_confirmation_resend(registration=waiting, actor=manager)
    assert (email.kind, email.to) == (EmailKind.WAITLISTED, waiting.email)
    assert "wait-list" in email_message_build(email=email).subject


@pytest.fixture
def full_wait(register):
    seminar = seminar_build(capacity=1, day_capacities=(1,))
    register(seminar, CompanyFactory())
    return register(seminar, CompanyFactory(), waitlist=True)


def test_resend_action_refuses_cancelled_and_writes_nothing(manager_client, register, seminar):
    registration = register(seminar, CompanyFactory())
    registration_cancel(registration=registration)
    before = OutboundEmail.objects.count()

    response = _action(manager_client, "confirmation_resend_action", [registration])

    assert OutboundEmail.objects.count() == before
    assert not registration.changes.filter(action=RegistrationAction.EMAIL_RESENT).exists()
    assert _messages(response) == [
        f"{registration}: This registration is no longer active: it was cancelled or handed to "
        "a colleague."
    ]


def test_resend_service_refuses_cancelled(register, seminar):
    registration = register(seminar, CompanyFactory())
    registration_cancel(registration=registration)
    with pytest.raises(RegistrationNotActive):
        registration_confirmation_resend(registration=registration, actor=None)


# --- Roles -------------------------------------------------------------------------------------


ACTIONS = [
    "cancel_action",
    "move_action",
    "waitlist_promote_action",
    "confirmation_resend_action",
    "link_revoke_action",
]


def test_manager_sees_every_action(manager_client, two_days):
    response = manager_client.get(CHANGELIST)
    offered = {name for name, _label in response.context["action_form"].fields["action"].choices}
    assert offered >= {*ACTIONS, "check_in_action"}


def test_desk_sees_registrations_with_check_in_as_only_action(desk_client, two_days):
    response = desk_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    offered = {name for name, _label in response.context["action_form"].fields["action"].choices}
    assert offered == {"", "check_in_action"}


@pytest.mark.parametrize("action", ACTIONS, ids=ACTIONS)
def test_desk_posting_a_change_action_changes_nothing(desk_client, two_days, action):
    _seminar, _first, second, holder, _waiting = two_days
    before = (
        OutboundEmail.objects.count(),
        RegistrationChange.objects.count(),
        holder.manage_token,
    )
    response = _action(desk_client, action, [holder], apply="1", workshop_day=second.pk)
    assert response.status_code == 200
    assert _messages(response) == ["No action selected."]
    holder.refresh_from_db()
    assert (holder.status, holder.workshop_day.label) == (
        RegistrationStatus.CONFIRMED,
        "Day 1 workshops",
    )
    assert before == (
        OutboundEmail.objects.count(),
        RegistrationChange.objects.count(),
        holder.manage_token,
    )


def test_desk_cannot_change_a_registration(desk_client, two_days):
    _seminar, _first, _second, holder, _waiting = two_days
    url = reverse("admin:events_registration_change", args=[holder.pk])
    assert desk_client.get(url).status_code == 200  # view only
    desk_client.post(url, {"first_name": "Changed", "last_name": "x"})
    holder.refresh_from_db()
    assert holder.first_name == "María"


def test_desk_views_check_ins_but_cannot_add_or_delete(desk_client, desk, today_seminar):
    registration = RegistrationFactory(
        seminar=today_seminar, workshop_day=today_seminar.days.get(label="Today's workshops")
    )
    check_in = registration_check_in(code=registration.confirmation_code, actor=desk).check_in
    response = desk_client.get(CHECKINS)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [check_in]
    assert "Desk" in response.content.decode()
    assert desk_client.get(reverse("admin:events_checkin_add")).status_code == 403
    url = reverse("admin:events_checkin_delete", args=[check_in.pk])
    assert desk_client.post(url, {"post": "yes"}).status_code == 403
    assert CheckIn.objects.filter(pk=check_in.pk).exists()


@pytest.mark.parametrize(
    "url",
    [CHANGELIST, CHECKINS, reverse("admin:ctpat_company_changelist")],
    ids=["registrations", "check-ins", "companies"],
)
def test_non_staff_redirected_to_login(staff_user, client, url):
    client.force_login(staff_user("visitor", is_staff=False))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- The list at 1,366 px, and the language filter ---------------------------------------------


def test_registration_changelist_columns_narrow_with_seminar_only_while_it_varies(
    admin_client, seminar
):
    RegistrationFactory(seminar=seminar)
    response = admin_client.get(CHANGELIST)
    columns = response.context["cl"].list_display
    assert {"workshop_day", "status", "checked_in", "registered"} <= set(columns)
    assert not {"email", "seminar", "created_at"} & set(columns)  # searchable, or one value
    assert b'href="/static/css/admin-registrations.css"' in response.content

    seminar_build()
    with_seminar = admin_client.get(CHANGELIST).context["cl"].list_display
    assert with_seminar == [*columns[:4], "seminar", *columns[4:]]
    assert with_seminar[5] == "workshop_day"
    chosen = admin_client.get(f"{CHANGELIST}?seminar__id__exact={seminar.pk}")
    assert chosen.context["cl"].list_display == columns


def test_registration_language_filter_names_the_languages(admin_client, seminar):
    RegistrationFactory(seminar=seminar, language="en", last_name="English")
    RegistrationFactory(seminar=seminar, language="es", last_name="Spanish")

    response = admin_client.get(f"{CHANGELIST}?language=es")

    language_filter = next(
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", None) == "language"
    )
    assert [(value, str(label)) for value, label in language_filter.lookup_choices] == [
        ("en", "English"),
        ("es", "Spanish"),
    ]
    assert [r.last_name for r in response.context["cl"].result_list] == ["Spanish"]


def test_registration_change_form_offers_the_languages_by_name(admin_client, seminar):
    registration = RegistrationFactory(seminar=seminar, language="es")
    body = admin_client.get(
        reverse("admin:events_registration_change", args=[registration.pk])
    ).content.decode()
    assert '<option value="en">English</option>' in body
    assert '<option value="es" selected>Spanish</option>' in body

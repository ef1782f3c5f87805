"""Every state of every public page and of the check-in desk, each built from its own data.

``STATES[name](world)`` creates what the state needs and returns a function that fetches its page
with a given test client, as often as asked (in English, then in Spanish): a state that changes
data on the way (a cancellation, a check-in) creates a fresh registration each time.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ctpat.enums import CertificationStatus
from events.changes import registration_cancel, registration_substitute
from events.enums import QuestionKind
from events.models import BreakoutSession, Registration, Seminar, SeminarQuestion, WorkshopDay
from tests.factories import (
    COLLEAGUE,
    BreakoutSessionFactory,
    CompanyFactory,
    RegistrationFactory,
    SeminarFactory,
    WorkshopDayFactory,
)


@dataclass
class World:
    """Builds the data of a page state; ``spanish``: staff typed Spanish twins of their texts."""

    spanish: bool
    register: Callable
    settings: object

    def seminar(self, **fields) -> Seminar:
        """Two workshop days, three sessions at the same hour on each, and two questions."""
        twins = {"title_es": "Seminario CTPAT de prueba", "summary_es": "Capacitación gratuita."}
        seminar = SeminarFactory(
            summary="Free training.",
            program="Opening plenary\n\nClosing remarks",
            program_es="Sesión plenaria de apertura\n\nClausura" if self.spanish else "",
            **(twins if self.spanish else {}),
            **fields,
        )
        for offset, label, label_es in (
            (1, "Tuesday workshops", "Talleres del martes"),
            (3, "Thursday workshops", "Talleres del jueves"),
        ):
            day = WorkshopDayFactory(
                seminar=seminar,
                label=label,
                label_es=label_es if self.spanish else "",
                date=(seminar.starts_at + timedelta(days=offset)).date(),
            )
            first = BreakoutSessionFactory(day=day, topic="CBP risk indicators")
            for topic in ("Suspensions and removals", "Evidence of implementation"):
                BreakoutSessionFactory(
                    day=day, topic=topic, starts_at=first.starts_at, ends_at=first.ends_at
                )
        if self.spanish:
            BreakoutSession.objects.filter(day__seminar=seminar).update(topic_es="Tema en español")
        SeminarQuestion.objects.create(
            seminar=seminar,
            kind=QuestionKind.YES_NO,
            label_en="Will you need parking?",
            label_es="¿Necesitará estacionamiento?" if self.spanish else "",
            help_en="Parking is limited.",
            help_es="Hay pocos lugares de estacionamiento." if self.spanish else "",
        )
        SeminarQuestion.objects.create(
            seminar=seminar,
            kind=QuestionKind.CHOICE,
            label_en="Dietary restriction",
            label_es="Restricción alimentaria" if self.spanish else "",
            options_en="None\nVegetarian\nHalal",
            options_es="Ninguna\nVegetariana\nHalal" if self.spanish else "",
        )
        return seminar

    def running(self) -> Seminar:
        """A seminar that started a few minutes ago; registration closed yesterday."""
        now = timezone.now()
        return self.seminar(
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(days=3),
            registration_opens_at=now - timedelta(days=30),
            registration_closes_at=now - timedelta(days=1),
        )

    def person(self, seminar, **fields) -> Registration:
        return self.register(seminar, CompanyFactory(), **fields)


def _detail(seminar) -> str:
    return reverse("events:seminar_detail", args=[seminar.slug])


def _form(seminar) -> str:
    return reverse("events:registration_create", args=[seminar.slug])


def _manage(registration, action: str = "") -> str:
    name = f"events:registration_{action or 'detail'}"
    return reverse(name, args=[registration.manage_token])


def _check_in(seminar) -> str:
    return reverse("events:seminar_check_in", args=[seminar.slug])


def _get(url: str):
    return lambda client: client.get(url)


def _post(url: str, data: dict):
    return lambda client: client.post(url, data)


# What a registrant types into the form (pages that show it back treat it as data).
APPLICANT = {
    "first_name": "María",
    "last_name": "González",
    "email": "maria.gonzalez@maquila.example",
    "job_title": "Gerente de seguridad",
    "phone": "+52 664 555 0100",
}


def _applicant(seminar, **fields) -> dict:
    """What a registrant types into the form."""
    return {
        "account_number": CompanyFactory().account_number,
        **APPLICANT,
        "workshop_day": str(seminar.days.order_by("date").first().pk),
        **fields,
    }


def _full(seminar, *, day=None) -> None:
    """No seat left in the seminar, or on ``day`` only."""
    if day is None:
        Seminar.objects.filter(pk=seminar.pk).update(capacity=1, confirmed_count=1)
    else:
        WorkshopDay.objects.filter(pk=day.pk).update(capacity=1, confirmed_count=1)


def _desk(client: Client) -> Client:
    user, _ = get_user_model().objects.get_or_create(username="desk", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="add_checkin"))
    client.force_login(user)
    return client


def _database_unreachable(execute, sql, params, many, context):
    raise OperationalError("connection to the database server was lost")


def state_seminar_list(world):
    world.seminar()
    return _get(reverse("events:seminar_list"))


def state_seminar_page(world):
    return _get(_detail(world.seminar()))


def state_seminar_page_full(world):
    seminar = world.seminar()
    _full(seminar)
    return _get(_detail(seminar))


def state_seminar_page_closed(world):
    return _get(_detail(world.running()))


def state_seminar_page_not_yet_open(world):
    opens = timezone.now() + timedelta(days=2)
    seminar = world.seminar(registration_opens_at=opens)
    return _get(_detail(seminar))


def state_form(world):
    return _get(_form(world.seminar()))


def state_form_closed(world):
    return _get(_form(world.running()))


def state_form_refused(world):
    """A suspended company, an address that is not one, no name: errors on several fields."""
    seminar = world.seminar()
    suspended = CompanyFactory(status=CertificationStatus.SUSPENDED).account_number
    data = _applicant(seminar, account_number=suspended, email="not-an-address", first_name="")
    return _post(_form(seminar), data)


def state_form_day_full_offers_waitlist(world):
    seminar = world.seminar()
    _full(seminar, day=seminar.days.order_by("date").first())
    return lambda client: client.post(_form(seminar), _applicant(seminar))


def state_form_seminar_full_offers_waitlist(world):
    seminar = world.seminar()
    _full(seminar)
    return lambda client: client.post(_form(seminar), _applicant(seminar))


def state_confirmed(world):
    seminar = world.seminar()
    session = seminar.days.order_by("date").first().sessions.first()
    registration = world.person(seminar, sessions=[session])
    return _get(_manage(registration))


def state_confirmed_checked_in(world):
    registration = world.person(world.seminar())
    Registration.objects.filter(pk=registration.pk).update(checked_in_at=timezone.now())
    return _get(_manage(registration))


def state_waitlisted_for_the_day(world):
    seminar = world.seminar()
    day = seminar.days.order_by("date").first()
    _full(seminar, day=day)
    registration = world.person(seminar, day=day, waitlist=True)
    return _get(_manage(registration))


def state_waitlisted_for_the_seminar(world):
    seminar = world.seminar()
    _full(seminar)
    registration = world.person(seminar, waitlist=True)
    return _get(_manage(registration))


def state_cancelled(world):
    return _get(_manage(registration_cancel(registration=world.person(world.seminar()))))


def state_cancelled_just_now_with_message(world):
    seminar = world.seminar()

    def page(client):
        registration = world.person(seminar)
        return client.post(_manage(registration, "cancel"), follow=True)

    return page


def state_handed_over(world):
    registration = world.person(world.seminar())
    registration_substitute(registration=registration, **COLLEAGUE, language="en")
    return _get(_manage(registration))


def state_cancel_step(world):
    return _get(_manage(world.person(world.seminar()), "cancel"))


def state_leave_waitlist_step(world):
    seminar = world.seminar()
    _full(seminar)
    registration = world.person(seminar, waitlist=True)
    return _get(_manage(registration, "cancel"))


def state_cancel_refused_seminar_started(world):
    return _get(_manage(RegistrationFactory(seminar=world.running()), "cancel"))


def state_change_form(world):
    return _get(_manage(world.person(world.seminar()), "change"))


def state_change_form_errors(world):
    """A day that is not this seminar's (a stale or tampered form)."""
    registration = world.person(world.seminar())
    data = {"workshop_day": "999999"}
    return _post(_manage(registration, "change"), data)


def state_change_refused_registration_closed(world):
    return _get(_manage(RegistrationFactory(seminar=world.running()), "change"))


def state_substitute_form(world):
    return _get(_manage(world.person(world.seminar()), "substitute"))


def state_substitute_form_errors(world):
    registration = world.person(world.seminar())
    data = {"email": "not-an-address"}
    return _post(_manage(registration, "substitute"), data)


def state_check_in(world):
    seminar = world.running()
    return lambda client: _desk(client).get(_check_in(seminar))


def state_check_in_admitted(world):
    seminar = world.running()

    def page(client):
        registration = RegistrationFactory(seminar=seminar)
        return _desk(client).post(_check_in(seminar), {"code": registration.confirmation_code})

    return page


def state_check_in_refused(world):
    seminar = world.running()
    return lambda client: _desk(client).post(_check_in(seminar), {"code": "NOSUCHCODE"})


def state_not_found(world):
    return _get("/registrations/no-such-link/")


def state_form_expired_csrf(world):
    seminar = world.seminar()
    return lambda client: Client(
        enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=client.defaults["HTTP_ACCEPT_LANGUAGE"]
    ).post(_form(seminar), _applicant(seminar))


def state_too_many_attempts(world):
    registration = world.person(world.seminar())
    world.settings.RATELIMIT_ENABLED = True
    world.settings.RATELIMITS = {**world.settings.RATELIMITS, "manage-ip": (0, 60)}
    return _get(_manage(registration))


def state_database_unavailable(world):
    def page(client):
        with connection.execute_wrapper(_database_unreachable):
            return client.get(reverse("events:seminar_list"))

    return page


STATES = {
    name.removeprefix("state_").replace("_", "-"): function
    for name, function in sorted(globals().items())
    if name.startswith("state_")
}
EXPECTED_STATUS = {
    "form-refused": 422,
    "form-day-full-offers-waitlist": 422,
    "form-seminar-full-offers-waitlist": 422,
    "change-form-errors": 422,
    "check-in-refused": 422,
    "substitute-form-errors": 422,
    "not-found": 404,
    "form-expired-csrf": 403,
    "too-many-attempts": 429,
    "database-unavailable": 503,
}


def both_languages(state: str, world: World):
    """The page of ``state`` in English and in Spanish, from the same data."""
    page = STATES[state](world)
    responses = []
    for language in ("en", "es"):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        response = page(client)
        assert response.status_code == EXPECTED_STATUS.get(state, 200), state
        assert f'<html lang="{language}">' in response.content.decode()
        responses.append(response)
    return responses

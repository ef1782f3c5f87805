"""R10 for the company's page: its point of contact and the registrant act on the same seat at
the same moment, on a real PostgreSQL server. One of the two wins, the other is refused, and
every seat rule holds after (see tests/races.py)."""

import pytest

from events.changes import registration_cancel, registration_substitute
from events.enums import ACTIVE_STATUSES, RegistrationStatus
from events.history import CompanyContact
from events.models import Registration, RegistrationChange
from events.services import registration_create
from tests.factories import CompanyFactory, seminar_build
from tests.races import Task, assert_caps_hold, colleague, person, race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("outbox_kept"),
]

ROUNDS = range(3)
HOLDERS = 6


def _own(pk: int):
    return lambda: Registration.objects.get(pk=pk)


def _cancel(registration: Registration, actor=None) -> Task:
    def act(own):
        return "cancel " + str(registration_cancel(registration=own, actor=actor).status)

    return _own(registration.pk), act


def _hand_over(registration: Registration, email: str, actor=None) -> Task:

    def act(own):
        return "hand " + str(
            registration_substitute(registration=own, actor=actor, **colleague(email)).status
        )

    return _own(registration.pk), act


@pytest.mark.parametrize("round_", ROUNDS)
def test_race_company_contact_and_registrant_on_one_seat_one_wins(round_, seat_ledger):
    seminar = seminar_build(capacity=HOLDERS, day_capacities=(HOLDERS, HOLDERS))
    day = seminar.days.first()
    holders = [
        registration_create(
            seminar=seminar, **person(CompanyFactory(), f"h{n}@race.example", day=day)
        )
        for n in range(HOLDERS)
    ]
    waiting = [
        registration_create(
            seminar=seminar,
            **person(CompanyFactory(), f"w{n}@race.example", day=day, waitlist=True),
        )
        for n in range(HOLDERS)
    ]
    assert {r.status for r in waiting} == {RegistrationStatus.WAITLISTED}

    tasks = []
    for n, holder in enumerate(holders):
        contact = CompanyContact(company_id=holder.company_id)
        if n % 2:
            tasks += [_cancel(holder, contact), _hand_over(holder, f"c{n}@race.example")]
        else:
            tasks += [_hand_over(holder, f"c{n}@race.example", contact), _cancel(holder)]

    outcomes = race(tasks)

    ledger = assert_caps_hold(seminar, seat_ledger)
    assert ledger["rows"]["seminar"] == HOLDERS
    cancels = 0
    for n, holder in enumerate(holders):
        pair = outcomes[2 * n : 2 * n + 2]
        assert pair.count("RegistrationNotActive") == 1, pair
        [winner] = [o for o in pair if o != "RegistrationNotActive"]
        holder.refresh_from_db()
        contact_won = pair.index(winner) == 0
        if winner.startswith("cancel"):
            cancels += 1
            assert holder.status == RegistrationStatus.CANCELLED
        else:
            assert holder.status == RegistrationStatus.SUBSTITUTED
            assert holder.substituted_by.status == RegistrationStatus.CONFIRMED
        last = RegistrationChange.objects.filter(registration=holder).latest("pk")
        assert last.by_company_contact is contact_won
    promoted = Registration.objects.filter(pk__in=[w.pk for w in waiting]).filter(
        status=RegistrationStatus.CONFIRMED
    )
    assert promoted.count() == cancels
    active = Registration.objects.filter(seminar=seminar, status__in=ACTIVE_STATUSES)
    assert active.count() == 2 * HOLDERS - cancels

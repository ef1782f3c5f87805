"""The roster of a seminar as CSV: what staff need at the door, and no more personal data."""

import csv
import io
from collections.abc import Sequence

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from events.enums import RegistrationStatus
from events.models import Registration, RegistrationSession, Seminar, SeminarQuestion

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def roster_columns(questions: Sequence[SeminarQuestion] = ()) -> list[str]:
    """The fixed columns, then one per question of the seminar (in English)."""
    return [
        _("Confirmation code"),
        _("Last name"),
        _("First name"),
        _("Company legal name"),
        _("CTPAT account number"),
        _("Business type"),
        _("Country"),
        _("Job title"),
        _("E-mail"),
        _("Phone"),
        _("Workshop day"),
        _("Sessions"),
        _("Status"),
        _("Registered at"),
        _("Checked in at"),
        *(question.label_en for question in questions),
    ]


def roster_registrations(*, seminar: Seminar, include_waitlisted: bool = False) -> QuerySet:
    """Confirmed registrations (wait-listed too if asked), in four queries whatever the size."""
    statuses = [RegistrationStatus.CONFIRMED]
    if include_waitlisted:
        statuses.append(RegistrationStatus.WAITLISTED)
    picks = RegistrationSession.objects.select_related("session").order_by(
        "session__starts_at", "session__topic"
    )
    return (
        Registration.objects.filter(seminar=seminar, status__in=statuses)
        .select_related("company", "workshop_day")
        .prefetch_related(Prefetch("picks", queryset=picks), "answers")
        .order_by("last_name", "first_name", "pk")
    )


def neutralize(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _session(session) -> str:
    starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return f"{starts:%Y-%m-%d %H:%M}–{ends:%H:%M} {session.topic}"


def roster_row(registration: Registration, questions: Sequence[SeminarQuestion] = ()) -> list[str]:
    company, day = registration.company, registration.workshop_day
    answers = {answer.question_id: answer.value for answer in registration.answers.all()}
    return [
        registration.confirmation_code,
        registration.last_name,
        registration.first_name,
        company.legal_name,
        company.account_number,
        str(company.get_business_type_display()),
        company.country,
        registration.job_title,
        registration.email,
        registration.phone,
        f"{day.label} ({day.date:%Y-%m-%d})" if day else "",
        "; ".join(_session(pick.session) for pick in registration.picks.all()),
        str(registration.get_status_display()),
        _when(registration.created_at),
        _when(registration.checked_in_at),
        *(question.answer_display(answers.get(question.pk, "")) for question in questions),
    ]


def roster_csv(*, seminar: Seminar, include_waitlisted: bool = False, excel: bool = False) -> str:
    """The roster as CSV text; ``excel`` starts it with a BOM so that Excel reads it as UTF-8."""
    out = io.StringIO()
    if excel:
        out.write("\ufeff")
    writer = csv.writer(out)
    questions = list(seminar.questions.all())
    writer.writerow([neutralize(cell) for cell in roster_columns(questions)])
    registrations = roster_registrations(seminar=seminar, include_waitlisted=include_waitlisted)
    for registration in registrations:
        writer.writerow([neutralize(cell) for cell in roster_row(registration, questions)])
    return out.getvalue()

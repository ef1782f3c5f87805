"""The registration form: it checks the shape of what was typed; the service decides the rest."""

import copy
import re
from collections.abc import Callable
from typing import TypeVar

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout, Submit
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import prefetch_related_objects
from django.template.defaultfilters import time as time_format
from django.utils.formats import number_format
from django.utils.html import escape, format_html
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ctpat.services import normalize_account_number
from events.enums import QuestionKind, YesNo
from events.formhtml import CHOICE_GROUP_TEMPLATE, ChoiceLabel, LayoutHelper
from events.models import (
    ANSWER_MAX_LENGTH,
    BreakoutSession,
    Seminar,
    SeminarQuestion,
    WorkshopDay,
)
from events.templatetags.events_i18n import weekday_date

T = TypeVar("T")

# Single-line fields: any C0/C1 control character (tab and newline included) or NUL is a
# pasted-in binary or a tampered request, never part of a name or a phone number.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

PHONE_PATTERN = re.compile(r"^(?:[0-9 +\-().]|ext)+$", re.IGNORECASE)
ACCOUNT_NUMBER_PATTERN = re.compile(r"^[A-Z0-9]+$")
MIN_PHONE_DIGITS = 7


def reject_control_characters(value: str) -> None:
    if _CONTROL_CHARACTERS.search(value):
        raise forms.ValidationError(
            _("Remove the control characters (such as tabs, line breaks or NUL bytes)."),
            code="control_characters",
        )


class ControlCharactersMixin:
    """One clear message for control characters, in place of Django's NUL-only check."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Our own check covers NUL as well, so the user sees one message, not two.
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]
        self.validators.insert(0, reject_control_characters)


class TextField(ControlCharactersMixin, forms.CharField):
    """A stripped single-line text field."""


class SafeEmailField(ControlCharactersMixin, forms.EmailField):
    def run_validators(self, value):
        # A control character makes the address invalid too; say the more useful thing only.
        if value and _CONTROL_CHARACTERS.search(value):
            reject_control_characters(value)
        super().run_validators(value)


def choice_title(titled, field: str) -> dict:
    """``title`` and ``title_lang`` of a choice named by a staff-entered text (a day, a topic)."""
    return {"title": titled.localized(field), "title_lang": titled.fallback_language(field)}


_ID_PATTERN = re.compile(r"^[0-9]{1,18}$")


def _loaded_id(value, loaded: dict) -> int | None:
    """The id ``value`` names among ``loaded``, or None for anything else (tampering included)."""
    text = str(value).strip()
    # Any id beyond a 64-bit integer is tampering too (SQLite would raise OverflowError: a 500).
    if not _ID_PATTERN.match(text) or int(text) not in loaded:
        return None
    return int(text)


class _ProgramChoiceMixin:
    """A choice among the days or sessions the form loaded with the seminar: no query to show it
    or to check a POST, and the cleaned value is the loaded object itself."""

    loaded: dict[int, WorkshopDay | BreakoutSession]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loaded = {}

    def prepare_value(self, value):
        # An initial value may be the object itself (or a list of them).
        if isinstance(value, list | tuple):
            return [self.prepare_value(item) for item in value]
        return getattr(value, "pk", value)

    def validate(self, value):
        # Membership is checked against ``loaded`` in ``clean``; the choices are only labels.
        forms.Field.validate(self, value)

    def _invalid(self) -> forms.ValidationError:
        return forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class DayChoiceField(_ProgramChoiceMixin, forms.ChoiceField):
    def to_python(self, value) -> WorkshopDay | None:
        if value in self.empty_values:
            return None
        pk = _loaded_id(value, self.loaded)
        if pk is None:
            raise self._invalid()
        return self.loaded[pk]


class SessionsChoiceField(_ProgramChoiceMixin, forms.MultipleChoiceField):
    def to_python(self, value) -> list[BreakoutSession]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise forms.ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        ids = {_loaded_id(item, self.loaded) for item in value}
        if None in ids:
            raise self._invalid()
        return [self.loaded[pk] for pk in sorted(ids)]


def seats_left_text(*, remaining: int, capacity: int, waitlist: bool = True) -> str:
    if remaining <= 0:
        # Sessions have no wait-list of their own: only the seminar and its days do.
        return _t("full — wait-list only") if waitlist else _t("full")
    return _t("%(remaining)s of %(capacity)s seats left") % {
        "remaining": number_format(remaining, force_grouping=True),
        "capacity": number_format(capacity, force_grouping=True),
    }


def day_label(day: WorkshopDay) -> ChoiceLabel:
    return ChoiceLabel.build(
        day_id=day.pk,
        **choice_title(day, "label"),
        detail=weekday_date(day.date, "MONTH_DAY_FORMAT"),
        seats=seats_left_text(remaining=day.remaining, capacity=day.capacity),
        full=day.remaining <= 0,
    )


def session_label(session: BreakoutSession) -> ChoiceLabel:
    # Python-side formatting does not switch to the site's time zone the way templates do.
    starts_at, ends_at = localtime(session.starts_at), localtime(session.ends_at)
    return ChoiceLabel.build(
        day_id=session.day_id,
        **choice_title(session, "topic"),
        detail=_t("%(start)s–%(end)s, %(room)s")
        % {
            "start": time_format(starts_at, "TIME_FORMAT"),
            "end": time_format(ends_at, "TIME_FORMAT"),
            "room": session.room,
        },
        seats=seats_left_text(
            remaining=session.remaining, capacity=session.capacity, waitlist=False
        ),
        full=session.remaining <= 0,
    )


def kept_per_language(seminar: Seminar, name: str, build: Callable[[str], T]) -> T:
    """``build(language)`` for the active language, kept on the seminar object.

    The registration form's copy of a seminar is shared by a process's requests for up to a
    second (``selectors.seminar_get_for_form``): every form shown in that time gets what is kept
    here, counts included, from one build per language.
    """
    kept = seminar.__dict__.setdefault(name, {})
    language = get_language()
    if language not in kept:
        kept[language] = build(language)
    return kept[language]


def program_choices(seminar: Seminar) -> tuple[list, list]:
    """The workshop-day choices and the sessions grouped by day, labelled in the active language
    (kept per copy of the seminar: ``kept_per_language``)."""

    def build(_language: str) -> tuple[list, list]:
        days = list(seminar.days.all())
        return (
            [(day.pk, day_label(day)) for day in days],
            [
                (
                    ChoiceLabel.build(day_id=day.pk, **choice_title(day, "label")),
                    [(s.pk, session_label(s)) for s in day.sessions.all()],
                )
                for day in days
                if day.sessions.all()
            ],
        )

    return kept_per_language(seminar, "_program_choices", build)


class PersonForm(forms.Form):
    """Who holds the seat: shared by registration and hand-over to a colleague."""

    first_name = TextField(label=_("First name"), max_length=100)
    last_name = TextField(label=_("Last name"), max_length=100)
    email = SafeEmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("Your work address. The confirmation and your private link go here."),
    )
    job_title = TextField(label=_("Job title"), max_length=150)
    phone = TextField(label=_("Phone"), max_length=40)

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        digits = sum(ch.isdigit() for ch in value)
        if not PHONE_PATTERN.match(value) or digits < MIN_PHONE_DIGITS:
            raise forms.ValidationError(
                _(
                    "Enter a phone number of at least 7 digits, with only digits, spaces, "
                    "+ - ( ) . and “ext” for an extension."
                ),
                code="invalid",
            )
        return value

    def person_fieldset(self, legend: str) -> Fieldset:
        return Fieldset(
            legend,
            Div(
                Div(Field("first_name", autocomplete="given-name"), css_class="col-sm-6"),
                Div(Field("last_name", autocomplete="family-name"), css_class="col-sm-6"),
                css_class="row",
            ),
            Field("email", autocomplete="email", spellcheck="false"),
            Field("job_title", autocomplete="organization-title"),
            Field("phone", autocomplete="tel", inputmode="tel"),
        )


class ProgramForm(forms.Form):
    """The workshop day and break-out sessions: shared by registration and later changes."""

    workshop_day = DayChoiceField(
        label=_("Workshop day"),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of this seminar's workshop days.")},
    )
    sessions = SessionsChoiceField(
        label=_("Break-out sessions (optional)"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Pick sessions on your workshop day only, at most one per time slot."),
        error_messages={
            "invalid_choice": _("Choose break-out sessions of this seminar."),
            "invalid_list": _("Choose break-out sessions of this seminar."),
        },
    )

    def __init__(self, *args, seminar: Seminar, **kwargs):
        super().__init__(*args, **kwargs)
        self.seminar = seminar
        # The seminar comes with its days and sessions prefetched: the choices and the check of a
        # POST are built from them, with no query.
        days = list(seminar.days.all())
        day_field = self.fields["workshop_day"]
        # The labels (dates, seats left, translations) are built when a page shows them, and
        # once per copy of the seminar and language: a POST that goes through never needs them.
        day_field.choices = lambda: program_choices(seminar)[0]
        day_field.loaded = {day.pk: day for day in days}
        session_field = self.fields["sessions"]
        session_field.loaded = {s.pk: s for day in days for s in day.sessions.all()}
        session_field.choices = lambda: program_choices(seminar)[1]
        if not days:
            del self.fields["workshop_day"]
        if not session_field.loaded:
            del self.fields["sessions"]

    @property
    def has_program(self) -> bool:
        return "workshop_day" in self.fields or "sessions" in self.fields

    def program_choice(self) -> dict:
        """The service's keywords for the cleaned choice."""
        day = self.cleaned_data.get("workshop_day")
        return {
            "workshop_day_id": day.pk if day else None,
            "session_ids": [session.pk for session in self.cleaned_data.get("sessions") or ()],
        }

    def program_fieldset(self, legend: str, *after_day) -> Fieldset | None:
        """The program fields; ``after_day`` goes right under the day it concerns."""
        choice_template = CHOICE_GROUP_TEMPLATE
        parts = []
        if "workshop_day" in self.fields:
            parts.append(Field("workshop_day", template=choice_template))
        parts.extend(after_day)
        if "sessions" in self.fields:
            parts.append(Field("sessions", template=choice_template))
        return Fieldset(legend, *parts) if parts else None


def form_helper(*, form_id: str, layout: Layout, submit: str, name: str = "submit") -> FormHelper:
    helper = LayoutHelper()
    helper.template = "includes/_form.html"
    helper.form_id = form_id
    # The script that dims the sessions of other days looks for this class.
    helper.form_class = "program-form"
    helper.attrs = {"novalidate": ""}
    helper.layout = layout
    helper.add_input(Submit(name, submit, css_class="btn-primary btn-lg"))
    return helper


class RegistrationForm(PersonForm, ProgramForm):
    field_order = ["account_number", "first_name", "last_name", "email", "job_title", "phone"]

    account_number = TextField(
        label=_("CTPAT account number"),
        max_length=20,
        help_text=_("Your company's account number, as shown in the CTPAT portal."),
    )
    waitlist = forms.BooleanField(
        label=_("If no seat is free, put me on the wait-list"),
        required=False,
        help_text=_(
            "When a seat frees up, the longest-waiting person who fits is given it at once and "
            "told by e-mail."
        ),
    )

    # A honeypot: hidden from people and from assistive technology, never reached by Tab, and
    # skipped by scripted clients that follow the contract. A bot that fills every field in
    # sight gets a neutral refusal and nothing is saved.
    subject = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        strip=False,
        help_text=_("It is here to catch automated spam."),
    )

    def __init__(self, *args, seminar: Seminar, offer_waitlist: bool = False, **kwargs):
        super().__init__(*args, seminar=seminar, **kwargs)
        self.waitlist_offered = offer_waitlist
        # One query for every question; the service then validates against the same list.
        prefetch_related_objects([seminar], "questions")
        self.questions = list(seminar.questions.all())
        for name, field in question_fields(seminar).items():
            self.fields[name] = copy.deepcopy(field)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("subject"):
            # Deliberately vague: nothing that tells a bot which field gave it away.
            raise forms.ValidationError(
                _("We could not accept this form. Reload the page and try again."), code="refused"
            )
        return cleaned

    def clean_account_number(self) -> str:
        value = normalize_account_number(self.cleaned_data["account_number"])
        if not ACCOUNT_NUMBER_PATTERN.match(value):
            raise forms.ValidationError(
                _("A CTPAT account number has letters and digits only."), code="invalid"
            )
        return value

    def offer_waitlist(self) -> None:
        self.waitlist_offered = True

    def answers(self) -> dict[int, str]:
        """The service's ``answers``: question id → the stored value, for each question answered."""
        values = ((q.pk, self.cleaned_data.get(q.field_name) or "") for q in self.questions)
        return {pk: value for pk, value in values if value}

    @property
    def helper(self) -> FormHelper:
        # The layout names fields and holds no values: one per state of the form, kept with the
        # seminar's copy and language (``kept_per_language``) for every form shown from it.
        helpers = kept_per_language(self.seminar, "_registration_helpers", lambda _language: {})
        key = (self.waitlist_offered, self.seminar.remaining <= 0)
        if key not in helpers:
            helpers[key] = self._helper_build()
        return helpers[key]

    def _helper_build(self) -> FormHelper:
        waitlist_only = self.seminar.remaining <= 0
        parts = [
            Fieldset(
                _t("Your company"),
                Field("account_number", autocomplete="off", css_class="text-uppercase"),
            ),
            self.person_fieldset(_t("About you")),
        ]
        # The wait-list offer sits right under the day it concerns, not at the end of the form.
        offer = [self._waitlist_offer()] if self.waitlist_offered else []
        program = self.program_fieldset(_t("Your program"), *offer)
        if program is not None:
            parts.append(program)
        if self.questions:
            parts.append(self._questions_fieldset())
        parts.append(
            Div(
                Field("subject", tabindex="-1", autocomplete="off"),
                css_class="visually-hidden",
                aria_hidden="true",
            )
        )
        return form_helper(
            form_id="registration-form",
            layout=Layout(*parts),
            submit=_t("Join the wait-list") if waitlist_only else _t("Register"),
            name="register",
        )

    def _questions_fieldset(self) -> Fieldset:
        fields = [
            Field(q.field_name, template=CHOICE_GROUP_TEMPLATE)
            if q.kind == QuestionKind.YES_NO
            else Field(q.field_name)
            for q in self.questions
        ]
        return Fieldset(_t("Questions from the organisers"), *fields)

    def _waitlist_offer(self) -> Div:
        text = (
            _t("This seminar is full.")
            if self.seminar.remaining <= 0
            else _t("A workshop day is full. Choose another day, or join the wait-list.")
        )
        return Div(
            HTML(format_html("<p class='fw-semibold mb-2'>{}</p>", text)),
            Field("waitlist"),
            css_class="alert alert-warning",
            css_id="waitlist-offer",
        )


def question_fields(seminar: Seminar) -> dict[str, forms.Field]:
    """The fields that ask the seminar's questions, worded in the active language.

    Built once per copy of the seminar and language (``kept_per_language``); each form takes its
    own deep copy, as it does of its declared fields.
    """
    return kept_per_language(
        seminar,
        "_question_fields",
        lambda language: {
            question.field_name: question_field(question, language=language)
            for question in seminar.questions.all()
        },
    )


def question_field(question: SeminarQuestion, *, language: str | None) -> forms.Field:
    """The form field that asks one of the seminar's questions, worded in ``language``."""
    common = {
        "label": _question_text(question, "label", language),
        "help_text": _question_text(question, "help", language),
        "required": question.required,
    }
    invalid_choice = {"invalid_choice": _("Choose one of the options offered.")}
    if question.kind == QuestionKind.CHOICE:
        options_lang = question.fallback_language("options", language)
        return forms.ChoiceField(
            choices=[("", "—"), *question.options(language)],
            # An <option> cannot hold markup: the list as a whole says it is in English.
            widget=forms.Select(attrs={"lang": options_lang} if options_lang else None),
            error_messages=invalid_choice,
            **common,
        )
    if question.kind == QuestionKind.YES_NO:
        # Radio buttons, not a checkbox: a required question then needs a real "no".
        return forms.ChoiceField(
            choices=YesNo.choices,
            widget=forms.RadioSelect,
            error_messages=invalid_choice,
            **common,
        )
    return TextField(max_length=ANSWER_MAX_LENGTH, **common)


def _question_text(question: SeminarQuestion, field: str, language: str | None) -> str:
    """Staff wrote it: shown as text, never as HTML; an English fallback is marked as English."""
    text = getattr(question, field)(language)
    fallback = question.fallback_language(field, language)
    return format_html('<span lang="{}">{}</span>', fallback, text) if fallback else escape(text)

"""The registration form: it checks the shape of what was typed; the service decides the rest."""

import itertools
import re
from functools import cached_property
from operator import attrgetter

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout, Submit
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.formats import number_format
from django.utils.html import escape, format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ctpat.emailaddress import validate_deliverable_email
from ctpat.services import normalize_account_number
from events.enums import QuestionKind, YesNo
from events.models import (
    ANSWER_MAX_LENGTH,
    BreakoutSession,
    Seminar,
    SeminarQuestion,
    WorkshopDay,
)
from events.templatetags.events_i18n import time_range, weekday_date

# The crispy field template of radio buttons and checkboxes: a fieldset around their options.
CHOICE_GROUP_TEMPLATE = "includes/_field_choices.html"

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
    default_validators = [*forms.EmailField.default_validators, validate_deliverable_email]

    def run_validators(self, value):
        # A control character makes the address invalid too; say the more useful thing only.
        if value and _CONTROL_CHARACTERS.search(value):
            reject_control_characters(value)
        super().run_validators(value)


class ChoiceGroup:
    """Radio buttons or checkboxes as ``form-check`` options, written by their templates
    (``events/templates/events/widgets/``, where Django's form renderer finds them);
    ``includes/_field_choices.html`` puts the fieldset around them."""

    template_name = "events/widgets/choices.html"
    option_template_name = "events/widgets/choice.html"


class ChoiceRadios(ChoiceGroup, forms.RadioSelect):
    pass


class ProgramChoices(ChoiceGroup):
    """The options of workshop days or sessions: each carries its day or session (``choice``),
    what to say of it (``detail``, ``seats``) and its day's id (``data-day``, for the script
    that dims the sessions of other days).

    ``held`` are the ids a registrant holds a seat in already (the change form says so), and
    ``waitlist`` whether a full one offers the wait-list.
    """

    held: frozenset[int] = frozenset()
    waitlist = True
    option_template_name = "events/widgets/program_choice.html"
    title_field: str

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        choice = value.instance
        option["choice"] = choice
        option["title_field"] = self.title_field
        option["detail"] = self.detail(choice)
        option["seats"], option["full"] = self.seats(choice)
        option["attrs"]["data-day"] = getattr(choice, "day_id", choice.pk)
        return option

    def detail(self, choice) -> str:
        raise NotImplementedError

    def seats(self, choice) -> tuple[str, bool]:
        """What the option says of its seats, and whether it says they are all taken."""
        if choice.pk in self.held:
            return _t("your seat now"), False
        if choice.remaining <= 0:
            return (_t("full — wait-list only") if self.waitlist else _t("full")), True
        return _t("%(remaining)s of %(capacity)s seats left") % {
            "remaining": number_format(choice.remaining, force_grouping=True),
            "capacity": number_format(choice.capacity, force_grouping=True),
        }, False


class DayRadios(ProgramChoices, forms.RadioSelect):
    title_field = "label"

    def detail(self, day: WorkshopDay) -> str:
        return weekday_date(day.date, "MONTH_DAY_FORMAT")


class SessionCheckboxes(ProgramChoices, forms.CheckboxSelectMultiple):
    title_field = "topic"
    # Sessions have no wait-list of their own: only the seminar and its days do.
    waitlist = False

    def detail(self, session: BreakoutSession) -> str:
        return format_html("{}, {}", time_range(session.starts_at, session.ends_at), session.room)


class ProgramChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices in one plain read: a handful of rows, which Django's own iterator would
    fetch through a server-side cursor (three round trips on PostgreSQL)."""

    def __iter__(self):
        for choice in self.queryset:
            yield self.choice(choice)


class SessionsByDay(forms.models.ModelChoiceIterator):
    """The sessions grouped by workshop day, in one read: each group's name is the day itself."""

    def __iter__(self):
        for day, sessions in itertools.groupby(self.queryset, key=attrgetter("day")):
            yield day, [self.choice(session) for session in sessions]


class WorkshopDayField(forms.ModelChoiceField):
    iterator = ProgramChoiceIterator


# A database id: a positive integer of 64 bits at most.
ID_PATTERN = re.compile(r"^[0-9]{1,18}$")


class SessionsField(forms.ModelMultipleChoiceField):
    """Sessions grouped by day. An id no database could hold is tampering, refused before the
    query (SQLite cannot even bind it)."""

    iterator = SessionsByDay

    def clean(self, value):
        if isinstance(value, list | tuple) and not all(ID_PATTERN.match(str(v)) for v in value):
            raise forms.ValidationError(
                self.error_messages["invalid_pk_value"], code="invalid_pk_value"
            )
        return super().clean(value)


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

    workshop_day = WorkshopDayField(
        queryset=WorkshopDay.objects.none(),
        label=_("Workshop day"),
        widget=DayRadios,
        error_messages={"invalid_choice": _("Choose one of this seminar's workshop days.")},
    )
    sessions = SessionsField(
        queryset=BreakoutSession.objects.none(),
        label=_("Break-out sessions (optional)"),
        widget=SessionCheckboxes,
        required=False,
        help_text=_("Pick sessions on your workshop day only, at most one per time slot."),
        error_messages={
            "invalid_choice": _("Choose break-out sessions of this seminar."),
            "invalid_pk_value": _("Choose break-out sessions of this seminar."),
            "invalid_list": _("Choose break-out sessions of this seminar."),
        },
    )

    def __init__(self, *args, seminar: Seminar, **kwargs):
        super().__init__(*args, **kwargs)
        self.seminar = seminar
        # The program decides which fields there are (the days and their count of sessions,
        # loaded with the seminar by ``selectors``: no query).
        days = list(seminar.days.all())
        if days:
            self.fields["workshop_day"].queryset = WorkshopDay.objects.filter(
                seminar=seminar
            ).order_by("date", "pk")
        else:
            del self.fields["workshop_day"]
        if any(day.session_count for day in days):
            self.fields["sessions"].queryset = (
                BreakoutSession.objects.filter(day__seminar=seminar)
                .select_related("day")
                .order_by("day__date", "day", "starts_at", "topic", "pk")
            )
        else:
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
        parts = []
        if "workshop_day" in self.fields:
            parts.append(Field("workshop_day", template=CHOICE_GROUP_TEMPLATE))
        parts.extend(after_day)
        if "sessions" in self.fields:
            parts.append(Field("sessions", template=CHOICE_GROUP_TEMPLATE))
        return Fieldset(legend, *parts) if parts else None


def form_helper(*, layout: Layout, submit: str, name: str = "submit") -> FormHelper:
    """The fields and the submit button: the page writes the ``<form>`` element and its CSRF
    token around them (``includes/_form.html``), so that a blank form's fields can be kept in
    the cache without anyone's token."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.template = "includes/_form_fields.html"
    helper.layout = layout
    helper.add_input(Submit(name, submit, css_class="btn-primary btn-lg"))
    return helper


class AccountNumberForm(forms.Form):
    """The company, named by its CTPAT account number: shared by registration and the request
    for the company's page."""

    account_number = TextField(
        label=_("CTPAT account number"),
        max_length=20,
        help_text=_("Your company's account number, as shown in the CTPAT portal."),
    )

    def clean_account_number(self) -> str:
        value = normalize_account_number(self.cleaned_data["account_number"])
        if not ACCOUNT_NUMBER_PATTERN.match(value):
            raise forms.ValidationError(
                _("A CTPAT account number has letters and digits only."), code="invalid"
            )
        return value


class RegistrationForm(AccountNumberForm, PersonForm, ProgramForm):
    field_order = ["account_number", "first_name", "last_name", "email", "job_title", "phone"]

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
        # The service then validates the answers against the same questions.
        self.questions = list(seminar.questions.all())
        language = get_language()
        for question in self.questions:
            self.fields[question.field_name] = question_field(question, language=language)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("subject"):
            # Deliberately vague: nothing that tells a bot which field gave it away.
            raise forms.ValidationError(
                _("We could not accept this form. Reload the page and try again."), code="refused"
            )
        return cleaned

    def offer_waitlist(self) -> None:
        self.waitlist_offered = True

    def answers(self) -> dict[int, str]:
        """The service's ``answers``: question id → the stored value, for each question answered."""
        values = ((q.pk, self.cleaned_data.get(q.field_name) or "") for q in self.questions)
        return {pk: value for pk, value in values if value}

    @cached_property
    def helper(self) -> FormHelper:
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
        return Fieldset(_t("Questions from the organizers"), *fields)

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
            widget=ChoiceRadios,
            error_messages=invalid_choice,
            **common,
        )
    return TextField(max_length=ANSWER_MAX_LENGTH, **common)


def _question_text(question: SeminarQuestion, field: str, language: str | None) -> str:
    """Staff wrote it: shown as text, never as HTML; an English fallback is marked as English."""
    text = getattr(question, field)(language)
    fallback = question.fallback_language(field, language)
    return format_html('<span lang="{}">{}</span>', fallback, text) if fallback else escape(text)

"""``events.formhtml`` writes the public forms' fields as crispy-bootstrap5's templates do.

Each form below is rendered twice from the same data, whole (``{% crispy form %}``): with its
``LayoutHelper`` and with crispy's own ``FormHelper`` holding the same settings and layout. The
two must give the same elements, attributes and text; only the whitespace between elements
(which crispy's templates leave in and the browser ignores) and the order of attributes may
differ.
"""

from html.parser import HTMLParser

import pytest
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from crispy_forms.utils import render_crispy_form
from django import forms
from django.utils import translation

from events.enums import QuestionKind
from events.formhtml import LayoutHelper
from events.forms import RegistrationForm
from events.forms_manage import RegistrationChangeForm, RegistrationSubstituteForm
from events.models import Seminar
from tests.events.test_questions import question_make, questions  # noqa: F401 (a fixture)
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

# Attributes whose value is a list of tokens: their spacing carries no meaning.
TOKEN_LISTS = {"class", "aria-describedby"}


class _Tokens(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, sorted(_attribute(name, value) for name, value in attrs)))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag))

    def handle_data(self, data):
        self._text(data)

    def handle_entityref(self, name):
        self._text(f"&{name};")

    def handle_charref(self, name):
        self._text(f"&#{name};")

    def _text(self, text):
        if self.tokens and self.tokens[-1][0] == "text":
            text = self.tokens.pop()[1] + text
        self.tokens.append(("text", text))


def _attribute(name, value):
    if name in TOKEN_LISTS and value is not None:
        value = " ".join(value.split())
    return name, value


def tokens(html: str) -> list[tuple]:
    """Elements, sorted attributes and text with its whitespace runs made one space."""
    parser = _Tokens()
    parser.feed(str(html))
    parser.close()
    result = []
    for token in parser.tokens:
        if token[0] == "text":
            text = " ".join(token[1].split())
            if text:
                result.append(("text", text))
        else:
            result.append(token)
    return result


def both(make_form) -> tuple[list, list]:
    """The layout as ``LayoutHelper`` writes it and as crispy renders it, from fresh forms."""
    ours_form, crispy_form = make_form(), make_form()
    for form in (ours_form, crispy_form):
        form.is_bound and form.is_valid()
    ours_helper, crispy_helper = ours_form.helper, crispy_form.helper
    assert type(ours_helper) is LayoutHelper
    crispy_helper.__class__ = FormHelper  # the same settings and layout, rendered by crispy
    ours = render_crispy_form(ours_form, ours_helper)
    crispy = render_crispy_form(crispy_form, crispy_helper)
    return tokens(ours), tokens(crispy)


def assert_same(make_form) -> list:
    ours, crispy = both(make_form)
    assert ours == crispy
    return ours


@pytest.fixture
def program_seminar(seminar, request) -> Seminar:
    """Days, sessions and one question of each kind (the lunch one with no Spanish wording, so
    the Spanish form marks its English fallback), plus an optional choice."""
    request.getfixturevalue("questions")
    question_make(seminar, kind=QuestionKind.CHOICE, label_en="Shirt", options_en="S\nM\nL")
    return Seminar.objects.prefetch_related("days__sessions").get(pk=seminar.pk)


def registration_data(seminar: Seminar, **changes) -> dict:
    day = seminar.days.all()[0]
    data = {
        "account_number": "ab-12 3",
        "first_name": 'Zoë "Z" <b>',
        "last_name": "O'Brien & Sons",
        "email": "zoe@example.com",
        "job_title": "Manager </label><script>x</script>",
        "phone": "+1 619 555 0100",
        "workshop_day": str(day.pk),
        "sessions": [str(day.sessions.all()[0].pk)],
        "waitlist": "on",
    }
    for question in seminar.questions.all():
        data[question.field_name] = {
            QuestionKind.TEXT: "Wheelchair & ramp",
            QuestionKind.CHOICE: "",
            QuestionKind.YES_NO: "yes",
        }[question.kind]
    return {**data, **changes}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "state", ["blank", "valid", "empty", "invalid", "refused", "waitlist", "honeypot"]
)
def test_registration_form_as_crispy_renders_it(program_seminar, language, state):
    seminar = program_seminar
    data = {
        "blank": None,
        "valid": registration_data(seminar),
        "empty": {},
        "invalid": registration_data(
            seminar,
            account_number="??",
            email="not an address",
            phone="12",
            first_name="a\x00b",
            workshop_day="999999999",
            sessions=["1", "x"],
            **{q.field_name: "nope" for q in seminar.questions.all()},
        ),
        "refused": registration_data(seminar),
        "waitlist": registration_data(seminar, waitlist=""),
        "honeypot": registration_data(seminar, subject="http://spam.example"),
    }[state]

    def make():
        form = RegistrationForm(data, seminar=seminar, offer_waitlist=state == "waitlist")
        if state == "refused":
            form.is_valid()
            form.add_error("email", "This e-mail address is already registered <here>.")
            form.add_error("waitlist", "This seminar is full.")
        return form

    with translation.override(language):
        rendered = assert_same(make)
    # What was compared is the whole form: every field, the wait-list offer when made.
    ids = {dict(t[2]).get("id") for t in rendered if t[0] == "start"}
    assert {"id_account_number", "id_email", "id_workshop_day", "id_sessions"} <= ids
    assert ("waitlist-offer" in ids) == (state == "waitlist")
    if state in ("invalid", "refused"):
        assert any("is-invalid" in dict(t[2]).get("class", "") for t in rendered if t[0] == "start")


def test_full_seminar_form_as_crispy_renders_it(program_seminar):
    Seminar.objects.filter(pk=program_seminar.pk).update(confirmed_count=1200)
    seminar = Seminar.objects.prefetch_related("days__sessions").get(pk=program_seminar.pk)
    assert_same(lambda: RegistrationForm(seminar=seminar, offer_waitlist=True))


@pytest.mark.parametrize("bound", [False, True])
def test_change_and_substitute_forms_as_crispy_renders_them(program_seminar, bound):
    registration = RegistrationFactory(
        seminar=program_seminar, workshop_day=program_seminar.days.all()[0]
    )
    change = {"workshop_day": "0", "sessions": ["x"]} if bound else None
    substitute = {"email": "bad", "first_name": "<i>"} if bound else None
    assert_same(lambda: RegistrationChangeForm(change, registration=registration))
    assert_same(lambda: RegistrationSubstituteForm(substitute))


class _Other(forms.Form):
    name = forms.CharField(help_text="Help & more", required=False)
    notes = forms.CharField(widget=forms.Textarea)
    color = forms.ChoiceField(choices=[("r", "Red")], widget=forms.RadioSelect)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)


@pytest.mark.parametrize("bound", [False, True])
def test_what_it_does_not_write_goes_to_crispy(bound):
    """Other widgets, wrapper classes, template syntax: crispy renders those parts itself."""

    class OtherForm(_Other):
        @property
        def helper(self):
            helper = LayoutHelper()
            helper.layout = Layout(
                Fieldset(
                    "{{ form.name.label }}",  # template syntax: crispy's Fieldset renders it
                    Field("name", wrapper_class="extra", data_x="1"),
                    "notes",
                    HTML("<p>{{ form.name.value }}</p>"),
                    Div("color", "hidden", css_id="d", css_class="c", title="t"),
                    HTML("<hr>"),
                ),
                "missing",
            )
            return helper

    rendered = assert_same(lambda: OtherForm({"name": "<x>"} if bound else None))
    assert ("start", "div", [("class", "mb-3 extra"), ("id", "div_id_name")]) in rendered

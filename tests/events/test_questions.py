"""The seminar's own questions: set up by staff, asked on the form, kept with the registration."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from events import selectors
from events.enums import QuestionKind, RegistrationStatus
from events.exceptions import InvalidAnswer
from events.forms import RegistrationForm
from events.models import Registration, RegistrationAnswer, SeminarQuestion
from tests.events.test_views import form_data, register_url
from tests.factories import SeminarFactory

pytestmark = pytest.mark.django_db

DIETS_EN = "None\nVegetarian\nVegan\nHalal\nKosher\nGluten-free"
DIETS_ES = "Ninguna\nVegetariana\nVegana\nHalal\nKosher\nSin gluten"


def question_make(seminar, **fields) -> SeminarQuestion:
    values = {"seminar": seminar, "kind": QuestionKind.TEXT, "label_en": "Anything else?"}
    return SeminarQuestion.objects.create(**(values | fields))


@pytest.fixture
def questions(seminar):
    """One question of each kind, all required, with English and Spanish wording."""
    return {
        "access": question_make(
            seminar,
            label_en="Do you need any accessibility accommodation?",
            label_es="¿Necesita algún ajuste de accesibilidad?",
            help_en="For example <b>large print</b>.",
            required=True,
            position=1,
        ),
        "diet": question_make(
            seminar,
            kind=QuestionKind.CHOICE,
            label_en="Dietary restriction",
            label_es="Restricción alimentaria",
            options_en=DIETS_EN,
            options_es=DIETS_ES,
            required=True,
            position=2,
        ),
        "lunch": question_make(
            seminar,
            kind=QuestionKind.YES_NO,
            label_en="Will you join the lunch?",
            required=True,
            position=3,
        ),
    }


def answered(seminar, company, questions, **overrides) -> dict:
    values = {
        f"question_{questions['access'].pk}": "Wheelchair-accessible seat",
        f"question_{questions['diet'].pk}": "Vegetarian",
        f"question_{questions['lunch'].pk}": "no",
    }
    return form_data(seminar, company, **(values | overrides))


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- The question, as staff set it up ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        pytest.param(
            {"kind": QuestionKind.CHOICE, "options_en": "Vegan\n\n"},
            {"options_en": ["A choice question needs at least two options, one per line."]},
            id="one-option",
        ),
        pytest.param(
            {"kind": QuestionKind.CHOICE, "options_en": "Vegan\n vegan "},
            {"options_en": ["Each option must be different from the others."]},
            id="duplicate-option",
        ),
        pytest.param(
            {"kind": QuestionKind.CHOICE, "options_en": DIETS_EN, "options_es": "Ninguna\nVegana"},
            {
                "options_es": [
                    "Give the Spanish options in the same number and order as the English ones "
                    "(6), or leave them empty."
                ]
            },
            id="spanish-count",
        ),
        pytest.param(
            {"kind": QuestionKind.CHOICE, "options_en": "Short\n" + "x" * 201},
            {"options_en": ["An option can have at most 200 characters."]},
            id="long-option",
        ),
        pytest.param(
            {"kind": QuestionKind.YES_NO, "options_en": "Yes\nNo"},
            {"options_en": ["Only choice questions have options; remove them."]},
            id="options-on-yes-no",
        ),
    ],
)
def test_question_clean_refuses_bad_options(seminar, fields, errors):
    question = SeminarQuestion(seminar=seminar, label_en="Dietary restriction", **fields)
    with pytest.raises(ValidationError) as caught:
        question.full_clean()
    assert caught.value.message_dict == errors


def test_question_clean_accepts_options_with_blank_lines(seminar):
    question = SeminarQuestion(
        seminar=seminar,
        kind=QuestionKind.CHOICE,
        label_en="Dietary restriction",
        options_en=f"\n{DIETS_EN}\n\n",
        options_es=DIETS_ES,
    )
    question.full_clean()
    assert question.option_keys == DIETS_EN.split("\n")
    assert question.options("es")[5] == ("Gluten-free", "Sin gluten")


# --- The public form -------------------------------------------------------------------------


def test_form_page_asks_the_questions_in_english_after_the_program(client, seminar, questions):
    body = client.get(register_url(seminar)).content.decode()
    legend = body.index("Questions from the organizers")
    assert legend > body.index('name="sessions"')
    for question in questions.values():
        assert body.index(f'name="question_{question.pk}"') > legend
    assert "Do you need any accessibility accommodation?" in body
    assert '<option value="Gluten-free">Gluten-free</option>' in body
    assert body.count(f'name="question_{questions["lunch"].pk}"') == 2  # Yes and No
    assert "For example &lt;b&gt;large print&lt;/b&gt;." in body


def test_form_page_without_questions_has_no_questions_fieldset(client, seminar):
    body = client.get(register_url(seminar)).content.decode()
    assert "Questions from the organizers" not in body
    assert 'name="question_' not in body


def test_form_asks_the_questions_in_spanish(seminar, questions):
    with translation.override("es"):
        form = RegistrationForm(seminar=selectors.seminar_get_for_form(slug=seminar.slug))
    access, diet, lunch = (form.fields[f"question_{q.pk}"] for q in questions.values())
    assert access.label == "¿Necesita algún ajuste de accesibilidad?"
    assert diet.label == "Restricción alimentaria"
    assert diet.choices[1:] == list(zip(DIETS_EN.split("\n"), DIETS_ES.split("\n"), strict=True))
    # No Spanish wording: the English one, marked as English for screen readers (WCAG 3.1.2).
    assert lunch.label == '<span lang="en">Will you join the lunch?</span>'
    assert access.help_text == '<span lang="en">For example &lt;b&gt;large print&lt;/b&gt;.</span>'


def test_form_page_in_spanish_shows_spanish_wording(client, seminar, questions):
    body = client.get(register_url(seminar), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "¿Necesita algún ajuste de accesibilidad?" in body
    assert '<option value="Gluten-free">Sin gluten</option>' in body


@pytest.mark.parametrize(
    ("question", "value", "message"),
    [
        pytest.param("access", "", "This field is required.", id="text-missing"),
        pytest.param("access", "   ", "This field is required.", id="text-blank"),
        pytest.param(
            "access",
            "Seat\x00near the door",
            "Remove the control characters (such as tabs, line breaks or NUL bytes).",
            id="text-control-character",
        ),
        pytest.param(
            "access",
            "x" * 501,
            "Ensure this value has at most 500 characters (it has 501).",
            id="text-too-long",
        ),
        pytest.param("diet", "", "This field is required.", id="choice-missing"),
        pytest.param("diet", "Pescatarian", "Choose one of the options offered.", id="choice-bad"),
        pytest.param(
            "diet", "Vegetariana", "Choose one of the options offered.", id="choice-spanish-value"
        ),
        pytest.param("lunch", "", "This field is required.", id="yes-no-missing"),
        pytest.param("lunch", "maybe", "Choose one of the options offered.", id="yes-no-bad"),
    ],
)
def test_register_bad_answer_is_form_error_and_saves_nothing(
    client, seminar, company, questions, question, value, message
):
    field = f"question_{questions[question].pk}"
    data = answered(seminar, company, questions, **{field: value})
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert response.context["form"].errors == {field: [message]}
    assert response.context["form"]["first_name"].value() == "María"
    assert response.context["form"]["email"].value() == data["email"]
    assert f'href="#id_{field}"' in response.content.decode()
    assert not Registration.objects.exists()
    assert not RegistrationAnswer.objects.exists()
    seminar.refresh_from_db()
    assert seminar.confirmed_count == 0


def test_register_keeps_the_answers_typed_when_refused(client, seminar, company, questions):
    data = answered(seminar, company, questions, account_number="NOSUCH1")
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    form = response.context["form"]
    assert form[f"question_{questions['access'].pk}"].value() == "Wheelchair-accessible seat"
    assert form[f"question_{questions['diet'].pk}"].value() == "Vegetarian"
    assert form[f"question_{questions['lunch'].pk}"].value() == "no"


def test_register_saves_the_answers_with_the_registration(client, seminar, company, questions):
    data = answered(seminar, company, questions)
    # A Spanish visitor picks "Vegetariana": the stored answer is the English option.
    response = client.post(register_url(seminar), data, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.language == "es"
    assert dict(registration.answers.values_list("question__label_en", "value")) == {
        "Do you need any accessibility accommodation?": "Wheelchair-accessible seat",
        "Dietary restriction": "Vegetarian",
        "Will you join the lunch?": "no",
    }


def test_register_optional_questions_accept_the_old_fields_only(client, seminar, company):
    question_make(seminar, label_en="Accessibility needs", required=False)
    question_make(
        seminar, kind=QuestionKind.CHOICE, label_en="Diet", options_en=DIETS_EN, required=False
    )
    response = client.post(register_url(seminar), form_data(seminar, company))
    assert response.status_code == 302
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED
    assert not RegistrationAnswer.objects.exists()


def test_register_optional_answer_left_blank_stores_no_row(client, seminar, company):
    access = question_make(seminar, label_en="Accessibility needs")
    diet = question_make(seminar, kind=QuestionKind.CHOICE, label_en="Diet", options_en=DIETS_EN)
    data = form_data(seminar, company, **{access.field_name: "  ", diet.field_name: "Vegan"})
    assert client.post(register_url(seminar), data).status_code == 302
    assert list(RegistrationAnswer.objects.values_list("question", "value")) == [(diet.pk, "Vegan")]


@pytest.mark.parametrize("count", [1, 5], ids=["1", "5"])
def test_form_page_query_count_does_not_grow_with_questions(
    client, seminar, count, django_assert_num_queries
):
    question_make(seminar)
    url = register_url(seminar)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for position in range(count - 1):
        question_make(seminar, kind=QuestionKind.CHOICE, options_en=DIETS_EN, position=position + 2)
    with django_assert_num_queries(len(one.captured_queries)):
        body = client.get(url).content.decode()
    assert body.count('name="question_') == count


# --- The service -----------------------------------------------------------------------------


def test_service_refuses_unknown_question_before_taking_a_seat(seminar, company, register):
    other = question_make(SeminarFactory(), label_en="Another seminar's question")
    with pytest.raises(InvalidAnswer) as caught:
        register(seminar, company, answers={other.pk: "yes", 999_999: "x"})
    assert caught.value.field == f"question_{other.pk}"
    seminar.refresh_from_db()
    assert seminar.confirmed_count == 0
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("question", "value", "message"),
    [
        pytest.param("access", "", "Answer this question.", id="required-missing"),
        pytest.param(
            "diet",
            "Vegetariana",
            "Answer this question with one of the options offered.",
            id="not-an-option",
        ),
        pytest.param(
            "lunch", "Yes", "Answer this question with one of the options offered.", id="yes-no"
        ),
        pytest.param(
            "access",
            "x" * 501,
            "Answer this question with one of the options offered.",
            id="too-long",
        ),
    ],
)
def test_service_refuses_bad_answer(
    seminar, company, register, seat_ledger, questions, question, value, message
):
    answers = {
        questions["access"].pk: "Ramp",
        questions["diet"].pk: "Vegan",
        questions["lunch"].pk: "yes",
    }
    answers[questions[question].pk] = value
    before = seat_ledger(seminar)
    with pytest.raises(InvalidAnswer) as caught:
        register(seminar, company, answers=answers)
    assert (caught.value.field, str(caught.value.message)) == (
        f"question_{questions[question].pk}",
        message,
    )
    assert seat_ledger(seminar) == before
    assert not RegistrationAnswer.objects.exists()


def test_service_saves_answers_and_a_waitlisted_registration_keeps_them(
    company, register, seat_ledger
):
    seminar = SeminarFactory(capacity=1)
    diet = question_make(
        seminar, kind=QuestionKind.CHOICE, label_en="Diet", options_en=DIETS_EN, required=True
    )
    register(seminar, company, day=None, answers={diet.pk: "Halal"})
    waiting = register(seminar, company, day=None, answers={diet.pk: " Kosher "}, waitlist=True)
    assert waiting.status == RegistrationStatus.WAITLISTED
    assert list(waiting.answers.values_list("value", flat=True)) == ["Kosher"]
    assert RegistrationAnswer.objects.count() == 2


# --- Staff: the admin and the roster ---------------------------------------------------------


@pytest.fixture
def answered_registration(client, seminar, company, questions):
    response = client.post(register_url(seminar), answered(seminar, company, questions))
    assert response.status_code == 302
    return Registration.objects.get()


def test_admin_registration_page_shows_the_answers(staff_client, answered_registration):
    client = staff_client("view_registration", "view_registrationanswer")
    url = reverse("admin:events_registration_change", args=[answered_registration.pk])
    body = client.get(url).content.decode()
    for text in (
        "Do you need any accessibility accommodation?",
        "Wheelchair-accessible seat",
        "Dietary restriction",
        "Vegetarian",
        "Will you join the lunch?",
    ):
        assert text in body
    assert re.search(r'<td class="field-answer">\s*<p>No</p>', body)  # yes/no as a word


def test_admin_registration_page_queries_do_not_grow_with_answers(
    admin_client, seminar, company, register, django_assert_num_queries
):
    first = question_make(seminar, label_en="Question 1")
    registration = register(seminar, company, answers={first.pk: "Answer 1"})
    url = reverse("admin:events_registration_change", args=[registration.pk])
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    for n in range(2, 6):
        question = question_make(seminar, label_en=f"Question {n}")
        RegistrationAnswer.objects.create(
            registration=registration, question=question, value=f"Answer {n}"
        )
    with django_assert_num_queries(len(one.captured_queries)):
        body = admin_client.get(url).content.decode()
    assert body.count('<td class="field-answer">') == 5


def test_admin_seminar_page_edits_the_questions(admin_client, seminar, questions):
    url = reverse("admin:events_seminar_change", args=[seminar.pk])
    body = admin_client.get(url).content.decode()
    assert "Registration questions (asked on the public form)" in body
    assert 'name="questions-TOTAL_FORMS" value="3"' in body
    assert "Restricción alimentaria" in body


def test_roster_has_a_column_per_question_with_readable_answers(
    admin_client, seminar, questions, answered_registration
):
    url = reverse("admin:events_seminar_roster", args=[seminar.pk])
    rows = csv_rows(admin_client.get(url))
    assert rows[0][-3:] == [
        "Do you need any accessibility accommodation?",
        "Dietary restriction",
        "Will you join the lunch?",
    ]
    assert rows[1][0] == answered_registration.confirmation_code
    assert rows[1][-3:] == ["Wheelchair-accessible seat", "Vegetarian", "No"]


def test_roster_leaves_an_unanswered_question_empty(admin_client, seminar, company, register):
    question_make(seminar, label_en="=cmd|' /C calc'!A0")  # staff text is neutralized too
    register(seminar, company)
    rows = csv_rows(admin_client.get(reverse("admin:events_seminar_roster", args=[seminar.pk])))
    assert rows[0][-1] == "'=cmd|' /C calc'!A0"
    assert rows[1][-1] == ""


# --- Roles and the demo ----------------------------------------------------------------------


def test_roles_migration_gives_the_groups_the_question_permissions():
    managers = set(
        Group.objects.get(name="Seminar managers").permissions.values_list("codename", flat=True)
    )
    desk = set(
        Group.objects.get(name="Check-in staff").permissions.values_list("codename", flat=True)
    )
    for model in ("seminarquestion", "registrationanswer"):
        assert {f"{action}_{model}" for action in ("add", "change", "delete", "view")} <= managers
    assert {codename for codename in desk if "question" in codename or "answer" in codename} == {
        "view_registrationanswer"
    }


def test_seed_demo_adds_two_optional_questions_once():
    call_command("seed_demo", "--companies", "1", stdout=io.StringIO())
    call_command("seed_demo", "--companies", "1", stdout=io.StringIO())
    questions = SeminarQuestion.objects.filter(seminar__slug="san-diego")
    assert [(q.kind, q.label_en, q.label_es, q.required) for q in questions] == [
        (
            QuestionKind.TEXT,
            "Do you need any accessibility accommodation?",
            "¿Necesita algún ajuste de accesibilidad?",
            False,
        ),
        (QuestionKind.CHOICE, "Dietary restriction", "Restricción alimentaria", False),
    ]
    diet = questions[1]
    diet.full_clean()
    assert diet.options("es") == list(zip(DIETS_EN.split("\n"), DIETS_ES.split("\n"), strict=True))


def _question_formset(rf, admin_user, seminar, rows: list[dict]):
    from django.contrib import admin

    from events.admin.questions import SeminarQuestionInline

    request = rf.post("/")
    request.user = admin_user
    inline = SeminarQuestionInline(type(seminar), admin.site)
    existing = list(seminar.questions.all())
    data = {
        "questions-TOTAL_FORMS": str(len(rows)),
        "questions-INITIAL_FORMS": str(len(existing)),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        values = {"kind": "text", "position": "0", "label_en": "", "seminar": str(seminar.pk)}
        if index < len(existing):
            values["id"] = str(existing[index].pk)
        data.update({f"questions-{index}-{key}": value for key, value in (values | row).items()})
    formset_class = inline.get_formset(request, seminar)
    return formset_class(data, instance=seminar, prefix="questions")


def test_admin_question_inline_runs_the_model_check(rf, admin_user, seminar):
    formset = _question_formset(
        rf,
        admin_user,
        seminar,
        [{"kind": "choice", "label_en": "Diet", "options_en": "Vegan", "required": "on"}],
    )
    assert not formset.is_valid()
    assert formset.errors == [
        {"options_en": ["A choice question needs at least two options, one per line."]}
    ]


def test_admin_question_inline_saves_a_valid_question(rf, admin_user, seminar):
    formset = _question_formset(
        rf,
        admin_user,
        seminar,
        [{"kind": "yes_no", "label_en": "Lunch?", "label_es": "¿Almuerzo?", "required": "on"}],
    )
    assert formset.is_valid(), formset.errors
    formset.save()
    assert list(seminar.questions.values_list("kind", "label_es", "required")) == [
        (QuestionKind.YES_NO, "¿Almuerzo?", True)
    ]


def test_admin_question_inline_refuses_to_delete_an_answered_question(
    rf, admin_user, seminar, answered_registration
):
    rows = [
        {"label_en": q.label_en, "kind": q.kind, "options_en": q.options_en, "DELETE": "on"}
        for q in seminar.questions.all()
    ]
    formset = _question_formset(rf, admin_user, seminar, rows)
    assert not formset.is_valid()
    assert "would require deleting the following protected related objects" in str(
        formset.non_form_errors()
    )
    assert seminar.questions.count() == 3

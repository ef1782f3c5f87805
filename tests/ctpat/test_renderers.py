"""The form renderer writes plain ``<input>`` and ``<select>`` widgets in Python: exactly what
Django's templates would write, for every kind of input, value, attribute and option."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from ctpat.renderers import INPUT_TEMPLATES, FormRenderer

WIDGETS = [
    forms.TextInput,
    forms.EmailInput,
    forms.NumberInput,
    forms.PasswordInput,
    forms.URLInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.CheckboxInput,
    forms.ClearableFileInput,
    forms.FileInput,
    forms.ColorInput,
    forms.SearchInput,
    forms.TelInput,
    forms.Select,
    forms.SelectMultiple,
    forms.NullBooleanSelect,
    forms.Textarea,  # rendered by its template, unchanged
]
ATTRS = {
    "class": 'text-uppercase "quoted" <tag> & more',
    "required": True,
    "disabled": False,
    "maxlength": 20,
    "aria-describedby": "id_x_helptext id_x_error",
    "data-empty": "",
}


CHOICES = [
    ("", "—"),
    ("a", "A & <b>"),
    ("DEMO00001", "Demo"),
    (42, "Forty-two"),
    ("Group <1>", [("g1", 'In "group"'), ("g2", "Two")]),
    ('O\'Brien & <Sons> "Ltd"', "Quoted"),
]


@pytest.mark.parametrize("widget_class", WIDGETS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("value", [None, "", 'O\'Brien & <Sons> "Ltd"', 42, "DEMO00001"], ids=repr)
def test_form_renderer_input_matches_django_templates(widget_class, value):
    widget = widget_class(attrs=ATTRS)
    if widget_class in (forms.Select, forms.SelectMultiple):
        widget.choices = CHOICES

    ours = widget.render("field", value, attrs={"id": "id_field"}, renderer=FormRenderer())
    django = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())

    assert ours == django


def test_form_renderer_knows_only_templates_that_are_a_bare_input():
    renderer = DjangoTemplates()
    for name in INPUT_TEMPLATES - {"django/forms/widgets/input.html"}:
        source = renderer.get_template(name).template.source.strip()
        assert source == '{% include "django/forms/widgets/input.html" %}', name


@pytest.mark.parametrize(
    "value", [None, "", "g1", ["a", 42, "g2"], 'O\'Brien & <Sons> "Ltd"', True], ids=repr
)
def test_form_renderer_select_matches_django_templates(value):
    for widget in (
        forms.Select(choices=CHOICES, attrs={"lang": "en"}),
        forms.SelectMultiple(choices=CHOICES),
        forms.Select(choices=[]),
    ):
        ours = widget.render("pick", value, attrs={"id": "id_pick"}, renderer=FormRenderer())
        django = widget.render("pick", value, attrs={"id": "id_pick"}, renderer=DjangoTemplates())
        assert ours == django
        assert "<option" in ours or not widget.choices


def test_form_renderer_leaves_an_option_template_of_its_own_to_django():
    class Starred(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Starred(choices=[("a", "A")])
    ours = widget.render("pick", "a", renderer=FormRenderer())
    assert ours == widget.render("pick", "a", renderer=DjangoTemplates())
    assert "<option" not in ours  # input_option.html's markup, not an <option>

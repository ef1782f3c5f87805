"""The form renderer writes plain ``<input>`` widgets in Python: exactly what Django's templates
would write, for every kind of input, value and attribute."""

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
    forms.Select,  # not an input: rendered by its template, unchanged
    forms.Textarea,
]
ATTRS = {
    "class": 'text-uppercase "quoted" <tag> & more',
    "required": True,
    "disabled": False,
    "maxlength": 20,
    "aria-describedby": "id_x_helptext id_x_error",
    "data-empty": "",
}


@pytest.mark.parametrize("widget_class", WIDGETS, ids=lambda w: w.__name__)
@pytest.mark.parametrize("value", [None, "", 'O\'Brien & <Sons> "Ltd"', 42, "DEMO00001"], ids=repr)
def test_form_renderer_input_matches_django_templates(widget_class, value):
    widget = widget_class(attrs=ATTRS)
    if widget_class is forms.Select:
        widget.choices = [("a", "A"), ("DEMO00001", "Demo")]

    ours = widget.render("field", value, attrs={"id": "id_field"}, renderer=FormRenderer())
    django = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())

    assert ours == django


def test_form_renderer_knows_only_templates_that_are_a_bare_input():
    renderer = DjangoTemplates()
    for name in INPUT_TEMPLATES - {"django/forms/widgets/input.html"}:
        source = renderer.get_template(name).template.source.strip()
        assert source == '{% include "django/forms/widgets/input.html" %}', name

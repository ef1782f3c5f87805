"""The form renderer: Django's, with its plain ``<input>`` widgets written in Python.

Every field of a form re-rendered for a refused registration goes through a widget template;
for the dozen kinds of ``<input>`` that template is one line (``django/forms/widgets/input.html``
and its ``attrs.html``), and rendering it through the template engine cost more than all the
rest of a field. ``input_html`` writes the same markup, attribute for attribute
(``tests/ctpat/test_renderers.py`` holds it to the templates' output).
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# The widget templates that are nothing but ``{% include "django/forms/widgets/input.html" %}``.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "input",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)


def input_html(widget: dict) -> SafeString:
    """``django/forms/widgets/input.html`` for a widget's template context."""
    parts = [f'<input type="{conditional_escape(widget["type"])}"']
    parts.append(f' name="{conditional_escape(widget["name"])}"')
    if widget["value"] is not None:
        parts.append(f' value="{conditional_escape(str(widget["value"]))}"')
    for name, value in widget["attrs"].items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{conditional_escape(str(value))}"')
    parts.append(">")
    return mark_safe("".join(parts))  # every part above is escaped


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return input_html(context["widget"])
        return super().render(template_name, context, request)

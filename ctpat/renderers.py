"""The form renderer: Django's, with its plain ``<input>`` and ``<select>`` widgets written in
Python.

Every field of a form re-rendered for a refused registration goes through a widget template;
for the dozen kinds of ``<input>`` that template is one line (``django/forms/widgets/input.html``
and its ``attrs.html``), and rendering it through the template engine cost more than all the
rest of a field; a ``<select>`` includes one template per option. ``input_html`` and
``select_html`` write the same markup, byte for byte (``tests/ctpat/test_renderers.py`` holds
them to the templates' output).
"""

import html

from django.forms.renderers import DjangoTemplates
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


SELECT_TEMPLATES = frozenset({"django/forms/widgets/select.html"})
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def escaped(value) -> str:
    """Django's ``conditional_escape`` without its lazy-argument wrapper (``keep_lazy``), which
    cost more than the escaping: a form shown again calls it hundreds of times. The same text:
    ``__html__`` for what is safe already, else ``html.escape``, which Django's ``escape`` runs."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def attrs_html(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``: escaped, ``True`` bare and ``False`` left out."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {escaped(name)}")
        if value is not True:
            parts.append(f'="{escaped(str(value))}"')
    return "".join(parts)


def input_html(widget: dict) -> SafeString:
    """``django/forms/widgets/input.html`` for a widget's template context."""
    parts = [f'<input type="{escaped(widget["type"])}"']
    parts.append(f' name="{escaped(widget["name"])}"')
    if widget["value"] is not None:
        parts.append(f' value="{escaped(str(widget["value"]))}"')
    parts.append(attrs_html(widget["attrs"]))
    parts.append(">")
    return mark_safe("".join(parts))  # every part above is escaped


def select_html(widget: dict) -> SafeString | None:
    """``django/forms/widgets/select.html`` and its options, whitespace included; None for an
    option with a template of its own."""
    parts = [f'<select name="{escaped(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escaped(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{escaped(str(option["value"]))}"'
                f"{attrs_html(option['attrs'])}>{escaped(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # every part above is escaped


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return input_html(context["widget"])
        if template_name in SELECT_TEMPLATES:
            html = select_html(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)

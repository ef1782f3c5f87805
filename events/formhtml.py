"""The public forms' fields written in Python: the markup of crispy-bootstrap5's templates.

crispy-forms renders every field through ``bootstrap5/field.html`` and its includes, each time
with the whole page's context flattened into a new one. On an opening-morning rush every refused
registration (a company at its limit, an e-mail already registered) shows the form again, and
that rendering was 40 % of the app servers' CPU while seats remained (``py-spy`` on
``bench/rush.py``). ``LayoutHelper`` keeps crispy's layout objects and its form template, and
writes the fields itself: the same elements, attributes and text, whitespace aside, as crispy's
templates give for the layout objects these forms use (``tests/events/test_formhtml.py`` holds
it to crispy's own output). Anything else — another layout object, widget or helper setting —
goes to crispy unchanged.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from crispy_forms.utils import TEMPLATE_PACK, render_field
from django import forms
from django.conf import settings
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from ctpat.renderers import escaped

# The field template of ``events.forms.ProgramForm`` and the yes/no questions.
CHOICE_GROUP_TEMPLATE = "includes/_field_choices.html"
_TEMPLATE_SYNTAX = ("{%", "{{", "{#")


class ChoiceLabel(str):
    """A choice label (its plain text) that keeps its parts for the template and its script."""

    day_id: int | None = None
    title: str = ""
    # "en" where the title is the English fallback of a text with no Spanish twin (WCAG 3.1.2).
    title_lang: str | None = None
    detail: str = ""
    seats: str = ""
    full: bool = False

    @classmethod
    def build(
        cls, *, day_id: int, title: str, title_lang=None, detail="", seats="", full=False
    ) -> "ChoiceLabel":
        label = cls(" — ".join(part for part in (title, detail, seats) if part))
        label.day_id, label.title, label.title_lang = day_id, title, title_lang
        label.detail, label.seats, label.full = detail, seats, full
        return label


class LayoutHelper(FormHelper):
    """A ``FormHelper`` whose layout is written by ``_html`` where it can be."""

    def render_layout(self, form, context, template_pack=TEMPLATE_PACK):
        if not self._fields_in_python(template_pack):
            return super().render_layout(form, context, template_pack=template_pack)
        form.rendered_fields = set()
        form.crispy_field_template = self.field_template
        return mark_safe(_html(self.layout, form, context, template_pack))

    def _fields_in_python(self, template_pack) -> bool:
        """Only crispy's default field settings are written here."""
        return (
            template_pack == "bootstrap5"
            and self.field_template is None
            and self.form_show_labels
            and self.form_show_errors
            and self.error_text_inline
            and not self.help_text_inline
            and not self.label_class
            and not self.field_class
            and "form-horizontal" not in (self.form_class or "")
            and not (
                self.render_unmentioned_fields
                or self.render_hidden_fields
                or self.render_required_fields
            )
        )


def _plain(text) -> bool:
    """True when crispy's ``Template(text).render()`` would give ``text`` back unchanged."""
    return not any(syntax in str(text) for syntax in _TEMPLATE_SYNTAX)


def _html(item, form, context, pack) -> str:
    """One layout object (or field name) as crispy would render it."""
    if isinstance(item, str):
        return _field_or_crispy(item, form, context, pack, attrs=None, template=None)
    kind = type(item)
    if kind is Layout:
        return _children(item, form, context, pack)
    if kind is Fieldset and item.template == Fieldset.template and _plain(item.legend or ""):
        legend = f"<legend>{item.legend}</legend>" if item.legend else ""
        children = _children(item, form, context, pack)
        return f"<fieldset{_id_class(item)} {item.flat_attrs}> {legend}{children} </fieldset>"
    if kind is Div and item.template == Div.template:
        children = _children(item, form, context, pack)
        return f"<div{_id_class(item)} {item.flat_attrs}> {children} </div>"
    if kind is HTML and _plain(item.html):
        return str(item.html)
    if kind is Field and not item.wrapper_class:
        template = None if item.template == Field.template else item.template
        return "".join(
            _field_or_crispy(name, form, context, pack, attrs=item.attrs, template=template)
            for name in item.fields
        )
    return item.render(form, context, template_pack=pack)


def _children(item, form, context, pack) -> str:
    return "".join(_html(child, form, context, pack) for child in item.fields)


def _id_class(item) -> str:
    """crispy's ``id="…"`` and ``class="…"`` of a layout object (escaped, as its template does)."""
    css_id = f' id="{escaped(item.css_id)}"' if item.css_id else ""
    css_class = f' class="{escaped(item.css_class)}"' if item.css_class else ""
    return css_id + css_class


def _field_or_crispy(name, form, context, pack, *, attrs, template) -> str:
    bound = form[name] if name in form.fields else None
    writer = None if attrs and attrs.get("type") == "hidden" else _writer(bound, template)
    if writer is None:
        return render_field(name, form, context, template=template, attrs=attrs, template_pack=pack)
    form.rendered_fields.add(name)
    if attrs:
        bound.field.widget.attrs.update(attrs)
    return writer(bound)


def _writer(bound: BoundField | None, template: str | None):
    if bound is None:
        return None
    if template == CHOICE_GROUP_TEMPLATE:
        return choice_group_html
    widget = bound.field.widget
    if template is not None or bound.is_hidden or hasattr(widget, "widgets"):
        return None
    if isinstance(widget, forms.RadioSelect | forms.FileInput):
        return None
    return field_html


def field_html(field: BoundField) -> SafeString:
    """``bootstrap5/field.html`` with crispy's default helper settings."""
    widget = field.field.widget
    checkbox = isinstance(widget, forms.CheckboxInput)
    if checkbox:
        kind = "form-check-input"
    elif isinstance(widget, forms.Select):
        kind = "form-select"
    else:
        kind = "form-control"
    _widget_classes(field, kind + (" is-invalid" if field.errors else ""))
    required = " requiredField" if field.field.required else ""
    asterisk = '<span class="asteriskField">*</span>' if field.field.required else ""
    label = escaped(field.label)
    css_classes = field.css_classes()
    wrapper = (
        f'<div id="div_{escaped(field.auto_id)}" class="{"form-check" if checkbox else "mb-3"}'
        f'{escaped(f" {css_classes}") if css_classes else ""}">'
    )
    if checkbox:
        parts = [
            '<div class="mb-3">',
            wrapper,
            str(field),
            f'<label for="{escaped(field.id_for_label)}" class="form-check-label{required}">',
            f" {label}{asterisk} </label>",
            _errors_and_help(field),
            "</div></div>",
        ]
    else:
        label_for = f' for="{escaped(field.id_for_label)}"' if field.id_for_label else ""
        parts = [wrapper]
        if field.label:
            parts.append(
                f'<label{label_for} class="form-label{required}"> {label}{asterisk} </label>'
            )
        parts += [str(field), _errors_and_help(field), "</div>"]
    return mark_safe("".join(parts))  # every value above is escaped or was safe already


def _widget_classes(field: BoundField, wanted: str) -> None:
    """What crispy's ``{% crispy_field field 'class' wanted %}`` does to the widget's classes."""
    widget = field.field.widget
    inner = getattr(widget, "widget", widget)
    class_name = inner.__class__.__name__.lower()
    class_name = getattr(settings, "CRISPY_CLASS_CONVERTERS", {}).get(class_name, class_name)
    css_class = inner.attrs.get("class", "")
    if not css_class:
        css_class = class_name
    elif css_class.find(class_name) == -1:
        css_class += f" {class_name}"
    for name in wanted.split():
        if name not in css_class.split():
            css_class += f" {name}"
    inner.attrs["class"] = css_class


def _errors_and_help(field: BoundField) -> str:
    """``bootstrap5/layout/help_text_and_errors.html``: inline errors, then the help text."""
    parts = []
    errors = field.errors
    if errors:
        parts.append(f'<div id="{escaped(errors.field_id)}_error" class="invalid-feedback">')
        parts += [
            f'<span id="error_{n}_{escaped(field.auto_id)}"><strong>{escaped(e)}</strong></span>'
            for n, e in enumerate(errors, start=1)
        ]
        parts.append("</div>")
    if field.help_text:
        help_id = f'id="{escaped(field.auto_id)}_helptext" ' if field.auto_id else ""
        # crispy marks help text safe (``|safe``): it is the form's own text, never a visitor's.
        parts.append(f'<div {help_id}class="form-text">{field.help_text}</div>')
    return "".join(parts)


def error_summary_html(form: forms.BaseForm) -> SafeString:
    """The box that lists every error of the form, each field's linked to the field; empty when
    the form has none. Written in Python: every refused registration shows it."""
    if not form.errors:
        return mark_safe("")
    items = [f'<li data-error-field="">{escaped(error)}</li>' for error in form.non_field_errors()]
    items += [
        f'<li data-error-field="{escaped(field.name)}"><a href="#{escaped(field.auto_id)}" '
        f'class="alert-link">{escaped(field.label)}: {escaped(error)}</a></li>'
        for field in form
        for error in field.errors
    ]
    title = gettext("There is a problem")
    return mark_safe(  # every value in it is escaped
        '<div class="alert alert-danger error-summary" role="alert" '
        'aria-labelledby="error-summary-title" tabindex="-1" id="error-summary">'
        f'<h2 class="h5 alert-heading" id="error-summary-title">{escaped(title)}</h2>'
        f'<ul class="mb-0">{"".join(items)}</ul></div>'
    )


def choice_group_html(field: BoundField) -> SafeString:
    """Radio buttons or checkboxes in a fieldset; optgroups become nested fieldsets."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_helptext")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
    error = " choice-group--error" if field.errors else ""
    described = f' aria-describedby="{escaped(" ".join(described_by))}"' if described_by else ""
    asterisk = (
        '<span class="asteriskField" aria-hidden="true">*</span>' if field.field.required else ""
    )
    parts = [
        f'<fieldset id="{escaped(field.auto_id)}" tabindex="-1" class="choice-group mb-4{error}"'
        f"{described}>",
        '<legend class="form-label fw-semibold fs-6 mb-1">'
        f"{escaped(field.label)}{asterisk}</legend>",
    ]
    if field.help_text:
        parts.append(
            f'<div id="{escaped(field.auto_id)}_helptext" class="form-text mt-0 mb-2">'
            f"{escaped(field.help_text)}</div>"
        )
    if field.errors:
        errors = "".join(f'<p class="mb-1"><strong>{escaped(e)}</strong></p>' for e in field.errors)
        parts.append(
            f'<div id="{escaped(field.auto_id)}_error" class="invalid-feedback d-block mb-2">'
            f"{errors}</div>"
        )
    parts += [choice_options(field), "</fieldset>"]
    return mark_safe("".join(parts))  # every part above is escaped


def choice_options(field) -> SafeString:
    """The radio buttons or checkboxes of a bound choice field, optgroups as nested fieldsets."""
    widget = field.field.widget
    input_type = "checkbox" if widget.allow_multiple_selected else "radio"
    chosen = {str(value) for value in widget.format_value(field.value())}
    invalid = " is-invalid" if field.errors else ""
    base_id = field.auto_id
    parts = []
    for index, (group, options) in enumerate(_grouped(field.field.choices)):
        rows = []
        for subindex, (value, label) in enumerate(options):
            option_id = f"{base_id}_{index}" if group is None else f"{base_id}_{index}_{subindex}"
            rows.append(
                _option(
                    input_type=input_type,
                    invalid=invalid,
                    name=field.html_name,
                    value=str(value),
                    option_id=option_id,
                    label=label,
                    checked=str(value) in chosen,
                )
            )
        if group is None:
            parts.extend(rows)
        else:
            parts.append(
                '<fieldset class="choice-subgroup" '
                f'data-day-group="{escaped(getattr(group, "day_id", ""))}"><legend class="mb-1"'
                f"{_lang(group)}>{escaped(group)}</legend>{''.join(rows)}</fieldset>"
            )
    return mark_safe("".join(parts))  # every value in it is escaped


def _grouped(choices):
    """``(group, options)`` pairs: one per optgroup, or ``(None, [option])`` for each flat one."""
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield value, label
        else:
            yield None, [(value, label)]


def _lang(label) -> str:
    language = getattr(label, "title_lang", "")
    return f' lang="{escaped(language)}"' if language else ""


def _option(*, input_type, invalid, name, value, option_id, label, checked) -> str:
    day_id = getattr(label, "day_id", None)
    if isinstance(label, ChoiceLabel) and label.title:
        text = f'<span class="choice__title"{_lang(label)}>{escaped(label.title)}</span>'
        if label.detail:
            text += f'<span class="choice__detail">{escaped(label.detail)}</span>'
        if label.seats:
            full = " seats--full" if label.full else ""
            text += f'<span class="choice__seats{full}">{escaped(label.seats)}</span>'
    else:
        text = escaped(label)
    option_id = escaped(option_id)
    day = f' data-day="{escaped(day_id)}"' if day_id else ""
    return (
        f'<div class="form-check choice"><input type="{input_type}" '
        f'class="form-check-input{invalid}" name="{escaped(name)}" value="{escaped(value)}" '
        f'id="{option_id}"{day}{" checked" if checked else ""}><label for="{option_id}" '
        f'class="form-check-label">{text}</label></div>'
    )

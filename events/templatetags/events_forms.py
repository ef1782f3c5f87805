"""Form pieces rendered in Python: the options of the registration form's choice fields.

The registration form is rendered again for every refusal of an opening-morning rush, and a
template loop over its days and sessions (Django's ``optgroups`` and a dozen lookups an option)
was the largest part of it. ``choice_options`` writes the same markup from the field's choices.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from events.forms import ChoiceLabel

register = template.Library()


@register.simple_tag
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
                format_html(
                    '<fieldset class="choice-subgroup" data-day-group="{}"><legend class="mb-1"'
                    "{}>{}</legend>{}</fieldset>",
                    getattr(group, "day_id", ""),
                    _lang(group),
                    group,
                    SafeString("".join(rows)),
                )
            )
    return SafeString("".join(parts))


def _grouped(choices):
    """``(group, options)`` pairs: one per optgroup, or ``(None, [option])`` for each flat one."""
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield value, label
        else:
            yield None, [(value, label)]


def _lang(label) -> SafeString:
    language = getattr(label, "title_lang", "")
    return format_html(' lang="{}"', language) if language else SafeString("")


def _option(*, input_type, invalid, name, value, option_id, label, checked) -> SafeString:
    day_id = getattr(label, "day_id", None)
    if isinstance(label, ChoiceLabel) and label.title:
        text = format_html('<span class="choice__title"{}>{}</span>', _lang(label), label.title)
        if label.detail:
            text += format_html('<span class="choice__detail">{}</span>', label.detail)
        if label.seats:
            text += format_html(
                '<span class="choice__seats{}">{}</span>',
                " seats--full" if label.full else "",
                label.seats,
            )
    else:
        text = format_html("{}", label)
    return format_html(
        '<div class="form-check choice"><input type="{}" class="form-check-input{}" name="{}" '
        'value="{}" id="{}"{}{}><label for="{}" class="form-check-label">{}</label></div>',
        input_type,
        invalid,
        name,
        value,
        option_id,
        format_html(' data-day="{}"', day_id) if day_id else "",
        SafeString(" checked") if checked else "",
        option_id,
        text,
    )

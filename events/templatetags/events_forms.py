"""The Python-written pieces of the public forms, for the templates that crispy falls back to."""

from django import template

from events.formhtml import choice_group_html, error_summary_html

register = template.Library()

register.simple_tag(choice_group_html, name="choice_group")
register.simple_tag(error_summary_html, name="error_summary")

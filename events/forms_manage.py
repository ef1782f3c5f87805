"""The forms behind the private link: change the program, hand the seat to a colleague.

They reuse the registration form's fields and layout pieces, so both read and check alike.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from events.enums import RegistrationStatus
from events.formhtml import ChoiceLabel
from events.forms import PersonForm, ProgramForm, form_helper


def _held(label: ChoiceLabel) -> ChoiceLabel:
    return ChoiceLabel.build(
        day_id=label.day_id,
        title=label.title,
        title_lang=label.title_lang,
        detail=label.detail,
        seats=_t("your seat now"),
    )


def _no_waitlist(label: ChoiceLabel) -> ChoiceLabel:
    """A confirmed registrant's move to a full day is refused, not wait-listed."""
    if not label.full:
        return label
    return ChoiceLabel.build(
        day_id=label.day_id,
        title=label.title,
        title_lang=label.title_lang,
        detail=label.detail,
        seats=_t("full"),
        full=True,
    )


class RegistrationChangeForm(ProgramForm):
    """Another workshop day and/or other sessions, through the private link."""

    def __init__(self, *args, registration, **kwargs):
        picked = {pick.session_id for pick in registration.picks.all()}
        kwargs.setdefault(
            "initial", {"workshop_day": registration.workshop_day_id, "sessions": sorted(picked)}
        )
        super().__init__(*args, seminar=registration.seminar, **kwargs)
        if registration.status == RegistrationStatus.CONFIRMED:
            self._mark_held(day_id=registration.workshop_day_id, picked=picked)

    def _mark_held(self, *, day_id: int | None, picked: set[int]) -> None:
        """A full day or session the registrant already sits in is no refusal: say so."""
        day_field = self.fields.get("workshop_day")
        if day_field is not None:
            day_field.choices = [
                (pk, _held(label) if pk == day_id else _no_waitlist(label))
                for pk, label in day_field.choices
            ]
        session_field = self.fields.get("sessions")
        if session_field is not None:
            session_field.choices = [
                (group, [(pk, _held(label) if pk in picked else label) for pk, label in options])
                for group, options in session_field.choices
            ]

    @property
    def helper(self) -> FormHelper:
        return form_helper(
            form_id="change-form",
            layout=Layout(self.program_fieldset(_t("Your new program"))),
            submit=_t("Save my new choice"),
        )


class RegistrationSubstituteForm(PersonForm):
    """The colleague who takes over the seat; the company stays the same (R9)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _(
            "Your colleague's work address. Their confirmation and their own private link go here."
        )

    @property
    def helper(self) -> FormHelper:
        return form_helper(
            form_id="substitute-form",
            layout=Layout(self.person_fieldset(_t("Your colleague"))),
            submit=_t("Hand over my seat"),
        )

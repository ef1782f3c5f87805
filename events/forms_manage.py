"""The forms behind the private links: change the program, hand the seat to a colleague, ask
for the link to the company's page.

They reuse the registration form's fields and layout pieces, so both read and check alike.
"""

from functools import cached_property

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from events.enums import RegistrationStatus
from events.forms import AccountNumberForm, PersonForm, ProgramForm, SafeEmailField, form_helper


class RegistrationChangeForm(ProgramForm):
    """Another workshop day and/or other sessions, through the private link."""

    def __init__(self, *args, registration, **kwargs):
        picked = {pick.session_id for pick in registration.picks.all()}
        kwargs.setdefault(
            "initial", {"workshop_day": registration.workshop_day_id, "sessions": sorted(picked)}
        )
        super().__init__(*args, seminar=registration.seminar, **kwargs)
        if registration.status == RegistrationStatus.CONFIRMED:
            # A full day or session the registrant sits in already is no refusal: the options
            # say "your seat now"; a move to another full day is refused, not wait-listed.
            held = {"workshop_day": {registration.workshop_day_id}, "sessions": picked}
            for name, field in self.fields.items():
                field.widget.held = frozenset(held[name])
                field.widget.waitlist = False

    @cached_property
    def helper(self) -> FormHelper:
        return form_helper(
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

    @cached_property
    def helper(self) -> FormHelper:
        return form_helper(
            layout=Layout(self.person_fieldset(_t("Your colleague"))),
            submit=_t("Hand over my seat"),
        )


class CompanyLinkRequestForm(AccountNumberForm):
    """The company's point of contact asks for the link to the company's page."""

    email = SafeEmailField(
        label=_("Your e-mail"),
        max_length=254,
        help_text=_(
            "The point-of-contact address on your company's CTPAT partner record. The link is "
            "sent there, and only there."
        ),
    )

    @cached_property
    def helper(self) -> FormHelper:
        return form_helper(
            layout=Layout(
                Field("account_number", autocomplete="off", css_class="text-uppercase"),
                Field("email", autocomplete="email", spellcheck="false"),
            ),
            submit=_t("Send me the link"),
        )


class CompanySubstituteForm(RegistrationSubstituteForm):
    """The colleague who takes over a seat, named by the company's point of contact."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _(
            "The colleague's work address. Their confirmation and their own private link go here."
        )

    @cached_property
    def helper(self) -> FormHelper:
        return form_helper(
            layout=Layout(self.person_fieldset(_t("The colleague who takes the place"))),
            submit=_t("Hand over the place"),
        )

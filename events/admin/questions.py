"""The seminar's own questions, edited on the seminar, and the answers, read on the registration."""

import nested_admin
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from events.admin.common import ReadOnlyInline
from events.models import RegistrationAnswer, SeminarQuestion


class SeminarQuestionForm(forms.ModelForm):
    class Meta:
        model = SeminarQuestion
        fields = [
            "kind",
            "required",
            "position",
            "label_en",
            "label_es",
            "help_en",
            "help_es",
            "options_en",
            "options_es",
        ]
        widgets = {
            "options_en": forms.Textarea(attrs={"rows": 6, "cols": 40}),
            "options_es": forms.Textarea(attrs={"rows": 6, "cols": 40}),
        }


class SeminarQuestionInline(nested_admin.NestedStackedInline):
    """Asked on the public registration form, in the visitor's language."""

    model = SeminarQuestion
    form = SeminarQuestionForm
    extra = 0
    is_sortable = False
    verbose_name_plural = _("registration questions (asked on the public form)")
    fields = [
        ("kind", "required", "position"),
        ("label_en", "label_es"),
        ("help_en", "help_es"),
        ("options_en", "options_es"),
    ]


class RegistrationAnswerInline(ReadOnlyInline):
    model = RegistrationAnswer
    fields = ["question_label", "answer"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("question")
            .order_by("question__position", "question_id")
        )

    @admin.display(description=_("question"))
    def question_label(self, obj: RegistrationAnswer) -> str:
        return obj.question.label_en

    @admin.display(description=_("answer"))
    def answer(self, obj: RegistrationAnswer) -> str:
        return obj.display

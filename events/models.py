"""Seminars, their workshop days and break-out sessions, and registrations.

Every capacity has a ``confirmed_count`` beside it on the same row. The service layer moves the
counters with conditional UPDATEs inside the registration's transaction; the check constraints
here are the last line should any code path ever get that wrong.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ctpat.emailaddress import email_normalized, validate_deliverable_email
from ctpat.models import Company
from events.enums import (
    ACTIVE_STATUSES,
    CompanyLinkOrigin,
    EmailKind,
    QuestionKind,
    RegistrationAction,
    RegistrationStatus,
    YesNo,
)


def _counter_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(confirmed_count__gte=0), name=f"events_{prefix}_confirmed_not_negative"
        ),
        models.CheckConstraint(
            condition=Q(confirmed_count__lte=F("capacity")),
            name=f"events_{prefix}_confirmed_within_capacity",
        ),
    ]


class CountedModel(models.Model):
    """A row with a guarded ``confirmed_count``.

    Only the conditional UPDATEs of ``events.seats`` move the counter. A plain ``save()`` of an
    existing row (the admin's, a command's) writes every other field but never the counter it
    read earlier, which could undo a registration committed in between.
    """

    class Meta:
        abstract = True

    def save(self, *args, force_insert=False, update_fields=None, **kwargs):
        # A row with an id is a saved one: new rows are created without one (``create()``).
        if update_fields is None and self.pk is not None and not force_insert:
            update_fields = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "confirmed_count"
            ]
        super().save(*args, force_insert=force_insert, update_fields=update_fields, **kwargs)


def _is_spanish(language: str | None) -> bool:
    return (language or "").lower().startswith("es")


SPANISH_BLANK_HELP = _("Empty: Spanish speakers see the English text.")


class LocalizedTextsMixin:
    """Texts staff enter in English, each with an optional Spanish twin named ``<field>_es``."""

    def localized(self, field: str, language: str | None = None) -> str:
        """``field`` in ``language`` (default: the active one), falling back to English."""
        english = getattr(self, field)
        if _is_spanish(language or get_language()):
            return getattr(self, f"{field}_es") or english
        return english

    def fallback_language(self, field: str, language: str | None = None) -> str | None:
        """``"en"`` where ``localized`` shows the English text to a Spanish reader, else None."""
        spanish_missing = not getattr(self, f"{field}_es") and getattr(self, field)
        return "en" if spanish_missing and _is_spanish(language or get_language()) else None

    def localized_html(self, field: str) -> SafeString:
        """``localized`` as page text: escaped, and an English fallback on a Spanish page marked
        as English (``<span lang="en">``, WCAG 3.1.2 language of parts)."""
        text = self.localized(field)
        language = self.fallback_language(field)
        if language:
            return format_html('<span lang="{}">{}</span>', language, text)
        return conditional_escape(text)


def text_naming(message: str, **names: tuple[LocalizedTextsMixin, str]) -> SafeString:
    """A translated ``message`` with ``%(name)s`` placeholders, as page text: the message escaped,
    each name (an object and its field, such as ``(session, "topic")``) put in by
    ``localized_html``. For refusals that quote a day or session staff named."""
    html = {key: obj.localized_html(field) for key, (obj, field) in names.items()}
    return mark_safe(conditional_escape(message) % html)  # the message and each name escaped


class Seminar(LocalizedTextsMixin, CountedModel):
    title = models.CharField(_("title"), max_length=200)
    title_es = models.CharField(
        _("title (Spanish)"), max_length=200, blank=True, help_text=SPANISH_BLANK_HELP
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    summary_es = models.CharField(
        _("summary (Spanish)"), max_length=300, blank=True, help_text=SPANISH_BLANK_HELP
    )
    program = models.TextField(_("plenary program"), blank=True)
    program_es = models.TextField(
        _("plenary program (Spanish)"), blank=True, help_text=SPANISH_BLANK_HELP
    )
    venue = models.CharField(_("venue"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    registration_opens_at = models.DateTimeField(_("registration opens"))
    registration_closes_at = models.DateTimeField(_("registration closes"))
    is_published = models.BooleanField(_("published"), default=False)
    capacity = models.PositiveIntegerField(_("seats"), default=1200)
    per_company_limit = models.PositiveSmallIntegerField(_("seats per company"), default=2)
    confirmed_count = models.PositiveIntegerField(_("confirmed"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("seminar")
        verbose_name_plural = _("seminars")
        ordering = ["starts_at"]
        # Beyond seeing a seminar: the people's contact details, and the figures of a seminar.
        permissions = [
            ("export_roster", _("Can download rosters and print badges")),
            ("view_reports", _("Can see the dashboard and the attendance report")),
        ]
        constraints = [
            *_counter_constraints("seminar"),
            models.CheckConstraint(
                condition=Q(per_company_limit__gte=1),
                name="events_seminar_per_company_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="events_seminar_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(registration_closes_at__gt=F("registration_opens_at")),
                name="events_seminar_registration_window_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)

    def registration_is_open(self, *, now=None) -> bool:
        """R7: published and between its opening and closing times."""
        now = now or timezone.now()
        return self.is_published and self.registration_opens_at <= now < self.registration_closes_at


class WorkshopDay(LocalizedTextsMixin, CountedModel):
    seminar = models.ForeignKey(
        Seminar, on_delete=models.CASCADE, related_name="days", verbose_name=_("seminar")
    )
    label = models.CharField(_("label"), max_length=100)
    label_es = models.CharField(
        _("label (Spanish)"), max_length=100, blank=True, help_text=SPANISH_BLANK_HELP
    )
    date = models.DateField(_("date"))
    capacity = models.PositiveIntegerField(_("seats"))
    confirmed_count = models.PositiveIntegerField(_("confirmed"), default=0, editable=False)

    class Meta:
        verbose_name = _("workshop day")
        verbose_name_plural = _("workshop days")
        ordering = ["seminar", "date", "id"]
        constraints = [
            *_counter_constraints("workshopday"),
            models.UniqueConstraint(
                fields=["seminar", "date"], name="events_workshopday_one_per_date"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)


class BreakoutSession(LocalizedTextsMixin, CountedModel):
    day = models.ForeignKey(
        WorkshopDay,
        on_delete=models.CASCADE,
        related_name="sessions",
        verbose_name=_("workshop day"),
    )
    topic = models.CharField(_("topic"), max_length=200)
    topic_es = models.CharField(
        _("topic (Spanish)"), max_length=200, blank=True, help_text=SPANISH_BLANK_HELP
    )
    description = models.TextField(_("description"), blank=True)
    description_es = models.TextField(
        _("description (Spanish)"), blank=True, help_text=SPANISH_BLANK_HELP
    )
    room = models.CharField(_("room"), max_length=100)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("seats"))
    confirmed_count = models.PositiveIntegerField(_("confirmed"), default=0, editable=False)

    class Meta:
        verbose_name = _("break-out session")
        verbose_name_plural = _("break-out sessions")
        ordering = ["day", "starts_at", "topic"]
        constraints = [
            *_counter_constraints("breakoutsession"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="events_breakoutsession_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} ({self.day.label})"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)

    def overlaps(self, other: "BreakoutSession") -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


class CompanyAllocation(CountedModel):
    """R3: how many confirmed seats one company holds in one seminar (the row that guards it).

    It carries the seminar's per-company limit, kept in step by ``events.capacity``, so that a
    check constraint can hold the count to it.
    """

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="allocations")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="allocations")
    confirmed_count = models.PositiveIntegerField(_("confirmed"), default=0)
    per_company_limit = models.PositiveSmallIntegerField(_("seats per company"))

    class Meta:
        verbose_name = _("company allocation")
        verbose_name_plural = _("company allocations")
        constraints = [
            models.UniqueConstraint(
                fields=["seminar", "company"], name="events_companyallocation_one_per_company"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_count__gte=0),
                name="events_companyallocation_confirmed_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_count__lte=F("per_company_limit")),
                name="events_companyallocation_confirmed_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} in {self.seminar}: {self.confirmed_count}"


class Registration(models.Model):
    seminar = models.ForeignKey(
        Seminar, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("seminar")
    )
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("company")
    )
    workshop_day = models.ForeignKey(
        WorkshopDay,
        on_delete=models.PROTECT,
        related_name="registrations",
        null=True,
        blank=True,
        verbose_name=_("workshop day"),
    )
    sessions = models.ManyToManyField(
        BreakoutSession,
        through="RegistrationSession",
        related_name="registrations",
        blank=True,
        verbose_name=_("break-out sessions"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    # As the person typed it: shown and written to. R6 compares ``email_normalized``.
    email = models.EmailField(_("e-mail"), validators=[validate_deliverable_email])
    email_normalized = models.CharField(_("e-mail, normalized"), max_length=320, editable=False)
    job_title = models.CharField(_("job title"), max_length=150)
    phone = models.CharField(_("phone"), max_length=40)
    status = models.CharField(_("status"), max_length=20, choices=RegistrationStatus.choices)
    confirmation_code = models.CharField(_("confirmation code"), max_length=12, unique=True)
    manage_token = models.CharField(
        _("management token"), max_length=64, unique=True, editable=False
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    waitlisted_at = models.DateTimeField(_("wait-listed"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    substituted_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="substitute_for",
        verbose_name=_("handed to"),
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-created_at"]
        constraints = [
            # R6: one active registration per e-mail and seminar, compared normalized (NFKC,
            # case folded, the domain in IDNA): look-alike spellings of one address collide.
            models.UniqueConstraint(
                fields=["email_normalized", "seminar"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="events_registration_one_active_email",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RegistrationStatus.values),
                name="events_registration_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=RegistrationStatus.SUBSTITUTED) | Q(substituted_by__isnull=True),
                name="events_registration_substitute_only_when_handed_over",
            ),
        ]
        indexes = [
            models.Index(
                fields=["seminar", "status", "waitlisted_at"], name="events_reg_seminar_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.confirmation_code})"

    def save(self, *args, update_fields=None, **kwargs):
        # Whichever path saves the address (a service, the admin, a factory), R6's form follows.
        self.email_normalized = email_normalized(self.email)
        if update_fields is not None and "email" in update_fields:
            update_fields = [*update_fields, "email_normalized"]
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class RegistrationSession(models.Model):
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="picks")
    session = models.ForeignKey(BreakoutSession, on_delete=models.PROTECT, related_name="picks")

    class Meta:
        verbose_name = _("session pick")
        verbose_name_plural = _("session picks")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session"], name="events_registrationsession_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} → {self.session_id}"


class RegistrationChange(models.Model):
    """One entry in a registration's history: what happened, when and, for staff, by whom."""

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("registration"),
    )
    action = models.CharField(_("action"), max_length=20, choices=RegistrationAction.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("staff member"),
        help_text=_("Empty when the registrant acted through their private link."),
    )
    by_company_contact = models.BooleanField(
        _("by the company's point of contact"),
        default=False,
        help_text=_("The company's CTPAT point of contact acted through the company's page."),
    )
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("registration change")
        verbose_name_plural = _("registration history")
        ordering = ["registration", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"


class OutboundEmail(models.Model):
    """The outbox: a message written in the same transaction as the change it reports.

    It is delivered after commit and retried by ``manage.py send_outbox`` until it goes out, so a
    mail server that is down can neither undo a registration nor lose its message. The message is
    rendered when delivered, from the registration and ``context``.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=EmailKind.choices)
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="emails",
        null=True,
        blank=True,
        verbose_name=_("registration"),
    )
    # A message about the company rather than one registration: the link to its page.
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        related_name="emails",
        null=True,
        blank=True,
        verbose_name=_("company"),
    )
    to = models.EmailField(_("to"))
    context = models.JSONField(_("context"), default=dict, blank=True)
    dedupe_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True),
                name="events_outbox_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(registration__isnull=False) | Q(company__isnull=False),
                name="events_outboundemail_about_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to}"


class CompanyLink(models.Model):
    """A link to a company's private page, for its CTPAT point of contact.

    Only the SHA-256 digest of the token is kept: the link itself exists in the e-mail (or the
    command's output) that carried it. It works until ``expires_at`` unless staff revoke it.
    """

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="links", verbose_name=_("company")
    )
    token_digest = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    origin = models.CharField(_("issued"), max_length=20, choices=CompanyLinkOrigin.choices)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("company page link")
        verbose_name_plural = _("company page links")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(origin__in=CompanyLinkOrigin.values),
                name="events_companylink_origin_valid",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("issued_at")),
                name="events_companylink_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company.account_number} ({self.issued_at:%Y-%m-%d %H:%M})"

    def is_valid(self, *, now=None) -> bool:
        return self.revoked_at is None and (now or timezone.now()) < self.expires_at


class CheckIn(models.Model):
    """One person at the door on one seminar day."""

    registration = models.ForeignKey(
        Registration,
        on_delete=models.PROTECT,
        related_name="check_ins",
        verbose_name=_("registration"),
    )
    date = models.DateField(_("seminar day"))
    at = models.DateTimeField(_("checked in at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "date"], name="events_checkin_once_per_day"
            ),
        ]
        indexes = [models.Index(fields=["date", "at"], name="events_checkin_date_idx")]

    def __str__(self) -> str:
        return f"{self.registration_id} @ {self.date}"


class Certificate(models.Model):
    """Evidence that a person attended a seminar that has ended (CTPAT's training criteria).

    The verification code is drawn at random and stored, never derived from a secret, so every
    printed certificate stays verifiable whatever keys are rotated later.
    """

    registration = models.OneToOneField(
        Registration,
        on_delete=models.PROTECT,
        related_name="certificate",
        verbose_name=_("registration"),
    )
    code = models.CharField(_("verification code"), max_length=32, unique=True, editable=False)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        verbose_name = _("certificate of attendance")
        verbose_name_plural = _("certificates of attendance")
        ordering = ["-issued_at", "pk"]

    def __str__(self) -> str:
        return self.code


# The longest answer a registrant may type, and the longest option staff may offer.
ANSWER_MAX_LENGTH = 500
OPTION_MAX_LENGTH = 200


def option_lines(text: str) -> list[str]:
    """Options are typed one per line; blank lines and surrounding spaces do not count."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class SeminarQuestion(models.Model):
    """A question of the seminar's own, asked on its registration form in English or Spanish.

    A choice answer is stored as the English option, so the answer a Spanish speaker gave reads
    the same in the English roster, and reordering the options later changes no answer.
    """

    seminar = models.ForeignKey(
        Seminar, on_delete=models.CASCADE, related_name="questions", verbose_name=_("seminar")
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.TEXT
    )
    label_en = models.CharField(_("question (English)"), max_length=200)
    label_es = models.CharField(
        _("question (Spanish)"),
        max_length=200,
        blank=True,
        help_text=_("Empty: Spanish speakers see the English question."),
    )
    help_en = models.CharField(_("help text (English)"), max_length=300, blank=True)
    help_es = models.CharField(_("help text (Spanish)"), max_length=300, blank=True)
    options_en = models.TextField(
        _("options (English)"),
        blank=True,
        help_text=_(
            "Choice questions only: one option per line. Answers are kept as the English option, "
            "so renaming an option later does not change the answers already given."
        ),
    )
    options_es = models.TextField(
        _("options (Spanish)"),
        blank=True,
        help_text=_("The same options in the same order, one per line; empty: shown in English."),
    )
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("registration question")
        verbose_name_plural = _("registration questions")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="events_seminarquestion_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label_en

    @property
    def field_name(self) -> str:
        return f"question_{self.pk}"

    def label(self, language: str | None = None) -> str:
        return self.label_es if _is_spanish(language) and self.label_es else self.label_en

    def help(self, language: str | None = None) -> str:
        return self.help_es if _is_spanish(language) and self.help_es else self.help_en

    def fallback_language(self, field: str, language: str | None = None) -> str | None:
        """``"en"`` where ``field`` (label, help, options) shows its English to a Spanish reader."""
        english, spanish = getattr(self, f"{field}_en"), getattr(self, f"{field}_es")
        if field == "options" and len(option_lines(spanish)) != len(option_lines(english)):
            spanish = ""
        return "en" if english and not spanish and _is_spanish(language) else None

    @property
    def option_keys(self) -> list[str]:
        """The English options: the values stored as answers."""
        return option_lines(self.options_en)

    def options(self, language: str | None = None) -> list[tuple[str, str]]:
        """(stored value, label in ``language``) for each option of a choice question."""
        keys = self.option_keys
        spanish = option_lines(self.options_es)
        labels = spanish if _is_spanish(language) and len(spanish) == len(keys) else keys
        return list(zip(keys, labels, strict=True))

    def answer_display(self, value: str) -> str:
        """An answer as staff read it: a yes/no answer as Yes or No, anything else as given."""
        if self.kind == QuestionKind.YES_NO and value in YesNo.values:
            return str(YesNo(value).label)
        return value

    def clean(self):
        super().clean()
        english, spanish = self.option_keys, option_lines(self.options_es)
        errors = {}
        if self.kind != QuestionKind.CHOICE:
            if english or spanish:
                errors["options_en"] = _("Only choice questions have options; remove them.")
        elif len(english) < 2:
            errors["options_en"] = _("A choice question needs at least two options, one per line.")
        elif len({option.casefold() for option in english}) != len(english):
            errors["options_en"] = _("Each option must be different from the others.")
        elif any(len(option) > OPTION_MAX_LENGTH for option in english + spanish):
            errors["options_en"] = _("An option can have at most %(max)d characters.") % {
                "max": OPTION_MAX_LENGTH
            }
        elif spanish and len(spanish) != len(english):
            errors["options_es"] = _(
                "Give the Spanish options in the same number and order as the English ones "
                "(%(count)d), or leave them empty."
            ) % {"count": len(english)}
        if errors:
            raise ValidationError(errors)


class RegistrationAnswer(models.Model):
    """A registrant's answer to one of the seminar's questions (an unanswered one has no row)."""

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("registration"),
    )
    question = models.ForeignKey(
        SeminarQuestion,
        on_delete=models.PROTECT,
        related_name="answers",
        verbose_name=_("question"),
    )
    value = models.TextField(_("answer"))

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers to the seminar's questions")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "question"], name="events_registrationanswer_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.display}"

    @property
    def display(self) -> str:
        return self.question.answer_display(self.value)

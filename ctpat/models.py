from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ctpat.enums import ELIGIBLE_STATUSES, BusinessType, CertificationStatus, ImporterTier

account_number_validator = RegexValidator(
    r"^[A-Z0-9]{4,20}$", _("A CTPAT account number is 4 to 20 letters and digits.")
)
country_validator = RegexValidator(r"^[A-Z]{2}$", _("Use the two-letter ISO country code."))


class User(AbstractUser):
    """Staff accounts. Registrants do not log in: they hold a private link instead."""


class Company(models.Model):
    """A CTPAT partner. The certification fields mirror its latest ``Certification`` row."""

    account_number = models.CharField(
        _("CTPAT account number"), max_length=20, unique=True, validators=[account_number_validator]
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    business_type = models.CharField(
        _("business type"), max_length=40, choices=BusinessType.choices
    )
    country = models.CharField(_("country"), max_length=2, validators=[country_validator])
    importer_tier = models.PositiveSmallIntegerField(
        _("importer tier"), choices=ImporterTier.choices, null=True, blank=True
    )
    status = models.CharField(
        _("certification status"), max_length=20, choices=CertificationStatus.choices
    )
    certified_on = models.DateField(_("certified on"), null=True, blank=True)
    expires_on = models.DateField(_("certification expires on"), null=True, blank=True)

    ior_number = models.CharField(_("IOR number"), max_length=20, blank=True)
    mid = models.CharField(_("MID"), max_length=20, blank=True)
    scac = models.CharField(_("SCAC"), max_length=4, blank=True)
    dot_number = models.CharField(_("DOT number"), max_length=12, blank=True)
    fmc_number = models.CharField(_("FMC number"), max_length=20, blank=True)
    iata_code = models.CharField(_("IATA code"), max_length=10, blank=True)
    sct_permit = models.CharField(_("SCT permit"), max_length=30, blank=True)

    poc_name = models.CharField(_("point of contact name"), max_length=200, blank=True)
    poc_email = models.EmailField(_("point of contact e-mail"), blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["legal_name"]
        indexes = [models.Index(fields=["legal_name"], name="ctpat_company_legal_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(importer_tier__isnull=True) | Q(business_type=BusinessType.US_IMPORTER),
                name="%(app_label)s_%(class)s_tier_only_for_importers",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(certified_on__isnull=True)
                | Q(expires_on__gte=models.F("certified_on")),
                name="%(app_label)s_%(class)s_expiry_after_certification",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.account_number})"

    def is_eligible(self, *, on=None) -> bool:
        """R1: certified or validated, and the certification has not expired."""
        today = on or timezone.localdate()
        return self.status in ELIGIBLE_STATUSES and (
            self.expires_on is None or self.expires_on >= today
        )


class Certification(models.Model):
    """One step in a company's CTPAT history: the record is kept, never overwritten."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="certifications", verbose_name=_("company")
    )
    status = models.CharField(_("status"), max_length=20, choices=CertificationStatus.choices)
    effective_on = models.DateField(_("effective on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("certification status change")
        verbose_name_plural = _("certification history")
        ordering = ["company", "-effective_on", "-recorded_at"]
        get_latest_by = ["effective_on", "recorded_at"]

    def __str__(self) -> str:
        return f"{self.company.account_number}: {self.get_status_display()} ({self.effective_on})"


class RateLimitHit(models.Model):
    """How many requests one rate-limit key made in one fixed time window (ctpat.ratelimit).

    The key is a keyed hash, never the raw e-mail, account number or address. Rows live in the
    database so every app server sees the same counts; expired windows are pruned.
    """

    key = models.CharField(max_length=80)
    bucket = models.BigIntegerField(help_text="Start of the window, in seconds since the epoch.")
    hits = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "bucket"], name="ctpat_ratelimithit_key_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.bucket}: {self.hits}"

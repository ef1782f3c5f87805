"""Use cases of the partner registry: eligibility, status changes, partner-list import."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ctpat.enums import ELIGIBLE_STATUSES, BusinessType, CertificationStatus
from ctpat.exceptions import CompanyNotEligible, CompanyNotFound, PartnerListError
from ctpat.models import Certification, Company, account_number_validator, country_validator

INELIGIBLE_REASONS = {
    CertificationStatus.APPLICANT: _(
        "This company's CTPAT application is still pending. Seminars are open to certified or "
        "validated partners only."
    ),
    CertificationStatus.SUSPENDED: _(
        "This company's CTPAT benefits are suspended, so it cannot register for seminars until "
        "the suspension is lifted."
    ),
    CertificationStatus.REMOVED: _(
        "This company has been removed from CTPAT, so it cannot register for seminars."
    ),
    CertificationStatus.WITHDRAWN: _(
        "This company has withdrawn from CTPAT, so it cannot register for seminars."
    ),
    CertificationStatus.REJECTED: _(
        "This company's CTPAT application was rejected, so it cannot register for seminars."
    ),
}
EXPIRED_REASON = _(
    "This company's CTPAT certification has expired. Contact your CTPAT supply chain security "
    "specialist to renew it before registering."
)


def normalize_account_number(value: str) -> str:
    return "".join(value.split()).upper()


def company_get_eligible(
    *, account_number: str, on: date | None = None, companies: QuerySet[Company] | None = None
) -> Company:
    """R1: the company behind an account number, or the reason it may not register.

    ``companies`` is where to look (all companies by default): a caller may annotate what else
    it needs, read in the same query.
    """
    number = normalize_account_number(account_number)
    companies = Company.objects.all() if companies is None else companies
    company = companies.filter(account_number=number).first()
    if company is None:
        raise CompanyNotFound()
    company_eligibility_check(company=company, on=on)
    return company


def company_eligibility_check(*, company: Company, on: date | None = None) -> None:
    """R1: refuse, with the reason, a company that may not hold a seminar seat on ``on``."""
    if not company.is_eligible(on=on):
        raise CompanyNotEligible(INELIGIBLE_REASONS.get(company.status, EXPIRED_REASON))


@transaction.atomic
def company_set_status(
    *,
    company: Company,
    status: str,
    effective_on: date,
    expires_on: date | None = None,
    note: str = "",
) -> Certification:
    """Record a certification step in the history and make it the company's current status."""
    certification = Certification.objects.create(
        company=company, status=status, effective_on=effective_on, expires_on=expires_on, note=note
    )
    company.status = status
    company.expires_on = expires_on
    if status in (CertificationStatus.CERTIFIED, CertificationStatus.VALIDATED):
        company.certified_on = company.certified_on or effective_on
    company.save(update_fields=["status", "expires_on", "certified_on", "updated_at"])
    return certification


# --- Partner-list import -------------------------------------------------------------------------

REQUIRED_COLUMNS = (
    "account_number",
    "legal_name",
    "business_type",
    "country",
    "status",
    "certified_on",
    "expires_on",
)
OPTIONAL_COLUMNS = (
    "importer_tier",
    "poc_name",
    "poc_email",
    "ior_number",
    "mid",
    "scac",
    "dot_number",
    "fmc_number",
    "iata_code",
    "sct_permit",
)
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _choice_lookup(choices) -> dict[str, str]:
    """Accept a choice by its code or its English label, in any case."""
    lookup = {}
    for value, label in choices:
        lookup[str(value).lower()] = value
        lookup[str(label).lower()] = value
    return lookup


class _UpperField(forms.CharField):
    """Normalized before validation, so that the validators see what will be stored."""

    def to_python(self, value):
        return normalize_account_number(super().to_python(value))


class CompanyRowForm(forms.Form):
    """The shape of one partner-list row; the import decides what it changes."""

    account_number = _UpperField(max_length=20, validators=[account_number_validator])
    legal_name = forms.CharField(max_length=200)
    business_type = forms.CharField(max_length=80)
    country = _UpperField(max_length=2, validators=[country_validator])
    status = forms.CharField(max_length=40)
    certified_on = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    expires_on = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    importer_tier = forms.CharField(required=False, max_length=10)
    poc_name = forms.CharField(required=False, max_length=200)
    poc_email = forms.EmailField(required=False)
    ior_number = forms.CharField(required=False, max_length=20)
    mid = forms.CharField(required=False, max_length=20)
    scac = forms.CharField(required=False, max_length=4)
    dot_number = forms.CharField(required=False, max_length=12)
    fmc_number = forms.CharField(required=False, max_length=20)
    iata_code = forms.CharField(required=False, max_length=10)
    sct_permit = forms.CharField(required=False, max_length=30)

    BUSINESS_TYPES = _choice_lookup(BusinessType.choices)
    STATUSES = _choice_lookup(CertificationStatus.choices)
    TIERS = {"": None, "1": 1, "i": 1, "2": 2, "ii": 2, "3": 3, "iii": 3}

    def clean_business_type(self):
        return self._lookup("business_type", self.BUSINESS_TYPES)

    def clean_status(self):
        return self._lookup("status", self.STATUSES)

    def clean_importer_tier(self):
        return self._lookup("importer_tier", self.TIERS)

    def _lookup(self, name, table):
        raw = self.cleaned_data[name].strip()
        try:
            return table[raw.lower()]
        except KeyError:
            raise forms.ValidationError(_t("unknown value %(value)r.") % {"value": raw}) from None

    def clean(self):
        data = super().clean()
        certified_on, expires_on = data.get("certified_on"), data.get("expires_on")
        if certified_on and expires_on and expires_on < certified_on:
            raise forms.ValidationError(_t("expires_on is before certified_on."))
        if data.get("importer_tier") and data.get("business_type") != BusinessType.US_IMPORTER:
            raise forms.ValidationError(_t("only U.S. importers carry a tier."))
        return data


@dataclass
class ImportResult:
    """What an import did, or would do: account numbers, and what changes for each."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    status_changes: list[tuple[str, str, str]] = field(default_factory=list)
    # Account number → legal name in the file, for the created and updated companies.
    names: dict[str, str] = field(default_factory=dict)
    # Account number → (field, old value, new value) of each field an update changes.
    changes: dict[str, list[tuple[str, object, object]]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)


def _read_rows(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if len(data) > MAX_IMPORT_BYTES:
        raise PartnerListError(_t("The file is larger than 20 MB."), line=None)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PartnerListError(
            _t("Line %(line)d: the file is not UTF-8 text.") % {"line": line}, line=line
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise PartnerListError(
            _t("Line 1: the header lacks the column(s) %(columns)s.")
            % {"columns": ", ".join(missing)},
            line=1,
        )
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if not any((value or "").strip() for key, value in row.items() if key is not None):
                continue
            if any((value or "").strip() for value in row.pop(None, [])):
                raise PartnerListError(
                    _t("Line %(line)d: more values than header columns.")
                    % {"line": reader.line_num},
                    line=reader.line_num,
                )
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    except csv.Error as exc:
        raise PartnerListError(
            _t("Line %(line)d: %(error)s.") % {"line": reader.line_num, "error": exc},
            line=reader.line_num,
        ) from None
    return header, rows


def _validate_rows(rows) -> list[tuple[int, dict]]:
    valid, seen = [], {}
    for line, row in rows:
        form = CompanyRowForm(data=row)
        if not form.is_valid():
            # Each problem is a sentence of its own (Django's messages end with a full stop).
            problems = " ".join(
                f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
                for name, errors in form.errors.items()
            )
            raise PartnerListError(
                _t("Line %(line)d: %(problems)s") % {"line": line, "problems": problems}, line=line
            )
        account_number = form.cleaned_data["account_number"]
        if account_number in seen:
            raise PartnerListError(
                _t("Line %(line)d: account number %(number)s already appears on line %(first)d.")
                % {"line": line, "number": account_number, "first": seen[account_number]},
                line=line,
            )
        seen[account_number] = line
        valid.append((line, form.cleaned_data))
    return valid


COMPANY_FIELDS = (
    "legal_name",
    "business_type",
    "country",
    "certified_on",
    *OPTIONAL_COLUMNS,
)


def companies_import(*, data: bytes, dry_run: bool = False) -> ImportResult:
    """Load or update the partner list from CSV bytes: every row or none.

    A status or expiry that differs from the company's current one is recorded as a new step in
    its certification history. With ``dry_run`` nothing is written: the result is a preview.
    """
    header, raw_rows = _read_rows(data)
    rows = _validate_rows(raw_rows)
    # An optional column the file lacks leaves that field alone rather than blanking it.
    fields = [name for name in COMPANY_FIELDS if name in header or name in REQUIRED_COLUMNS]
    result = ImportResult()
    today = timezone.localdate()
    with transaction.atomic():
        existing = {
            company.account_number: company
            for company in Company.objects.select_for_update().filter(
                account_number__in=[row["account_number"] for _line, row in rows]
            )
        }
        to_create, to_update, history = [], [], []
        for _line, row in rows:
            number = row["account_number"]
            values = {name: row[name] for name in fields}
            if row["business_type"] != BusinessType.US_IMPORTER:
                values["importer_tier"] = None  # also when the file has no tier column
            company = existing.get(number)
            status_changed = company is None or (
                (company.status, company.expires_on) != (row["status"], row["expires_on"])
            )
            if company is None:
                company = Company(
                    account_number=number,
                    status=row["status"],
                    expires_on=row["expires_on"],
                    **values,
                )
                to_create.append(company)
                result.created.append(number)
                result.names[number] = company.legal_name
            else:
                if status_changed:
                    result.status_changes.append((number, company.status, row["status"]))
                wanted = {**values, "status": row["status"], "expires_on": row["expires_on"]}
                changes = [
                    (name, getattr(company, name), value)
                    for name, value in wanted.items()
                    if getattr(company, name) != value
                ]
                if changes:
                    for name, value in wanted.items():
                        setattr(company, name, value)
                    company.updated_at = timezone.now()
                    to_update.append(company)
                    result.updated.append(number)
                    result.names[number] = company.legal_name
                    result.changes[number] = changes
                else:
                    result.unchanged.append(number)
            if status_changed:
                effective_on = today
                if company.pk is None and row["status"] in ELIGIBLE_STATUSES:
                    effective_on = row["certified_on"] or today
                history.append((company, row["status"], effective_on, row["expires_on"]))
        if dry_run:
            transaction.set_rollback(True)
            return result
        Company.objects.bulk_create(to_create, batch_size=500)
        Company.objects.bulk_update(
            to_update,
            [*{*fields, "importer_tier"}, "status", "expires_on", "updated_at"],
            batch_size=500,
        )
        Certification.objects.bulk_create(
            [
                Certification(
                    company=company,
                    status=status,
                    effective_on=effective_on,
                    expires_on=expires_on,
                    note=_t("Imported from the partner list"),
                )
                for company, status, effective_on, expires_on in history
            ],
            batch_size=500,
        )
    return result

"""The partner-list import in the admin: the upload, the file kept for its confirmation, and the
preview of what would change.

The previewed file waits for "Import" in the staff member's session, compressed, so that nothing
is chosen twice; the signed preview carries the file's digest, so what is imported is exactly
what the preview showed, and only within the hour. A file too large to keep that way (a list of
10,000 partners compresses to a few hundred KB) is chosen again for the confirmation, checked
against the same digest.
"""

import base64
import hashlib
import zlib
from dataclasses import dataclass
from datetime import date

from django import forms
from django.core import signing
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ctpat.enums import CertificationStatus
from ctpat.models import Company
from ctpat.services import MAX_IMPORT_BYTES, REQUIRED_COLUMNS, ImportResult

# How long a preview stays good for its confirmation.
PREVIEW_MAX_AGE = 60 * 60
_PREVIEW_SALT = "ctpat.admin.partner-list-preview"
# The most a previewed file may take in the session, compressed.
KEPT_MAX_BYTES = 2 * 1024 * 1024
_KEPT_KEY = "ctpat.partner_list"
# How many accounts the preview names in each list; the rest are counted.
PREVIEW_LIST_MAX = 50


class PartnerListForm(forms.Form):
    """The upload; on confirmation, the signed ``preview`` (and the file, if it was not kept)."""

    file = forms.FileField(
        label=_("Partner list (CSV)"),
        help_text=_("UTF-8 CSV with the header row: %(columns)s. At most 20 MB.")
        % {"columns": ", ".join(REQUIRED_COLUMNS)},
        required=False,
    )
    preview = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # One byte over the limit is enough for the service to refuse the file.
        self.data_bytes = upload.read(MAX_IMPORT_BYTES + 1) if upload else None
        return upload


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload_keep(session, data: bytes) -> tuple[str, bool]:
    """Keep the previewed file for its confirmation if it is small enough.

    Returns the signed preview, and whether the file was kept.
    """
    packed = zlib.compress(data)
    kept = len(packed) <= KEPT_MAX_BYTES
    if kept:
        session[_KEPT_KEY] = {"digest": _digest(data), "data": base64.b64encode(packed).decode()}
    else:
        session.pop(_KEPT_KEY, None)
    return signing.dumps({"digest": _digest(data), "kept": kept}, salt=_PREVIEW_SALT), kept


def upload_previewed(session, *, preview: str, sent: bytes | None) -> bytes | None:
    """The file the signed ``preview`` was made of: the one ``sent`` again, or the kept one.

    None when the preview is forged or more than an hour old, or the file is another one.
    """
    try:
        signed = signing.loads(preview, salt=_PREVIEW_SALT, max_age=PREVIEW_MAX_AGE)
    except signing.BadSignature:  # also an expired one
        return None
    data = sent
    if data is None and signed["kept"]:
        kept = session.get(_KEPT_KEY) or {}
        if kept.get("digest") == signed["digest"]:
            inflate = zlib.decompressobj()
            data = inflate.decompress(base64.b64decode(kept["data"]), MAX_IMPORT_BYTES + 1)
    if data is None or _digest(data) != signed["digest"]:
        return None
    return data


def upload_forget(session) -> None:
    session.pop(_KEPT_KEY, None)


@dataclass(frozen=True)
class PreviewList:
    """The first ``PREVIEW_LIST_MAX`` rows of a list, and how many more there are."""

    rows: list
    more: int


def _capped(rows: list) -> PreviewList:
    return PreviewList(rows=rows[:PREVIEW_LIST_MAX], more=max(len(rows) - PREVIEW_LIST_MAX, 0))


def _shown(name: str, value) -> str:
    """A company field's value as staff read it: choices by their label, dates in ISO form."""
    if value is None or value == "":
        return "—"
    field = Company._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return value.isoformat() if isinstance(value, date) else str(value)


def preview_lists(result: ImportResult) -> dict[str, PreviewList]:
    """The accounts a preview names: created, updated with each change, and status changes."""
    status = CertificationStatus
    return {
        "created": _capped([(number, result.names[number]) for number in result.created]),
        "updated": _capped(
            [
                (
                    number,
                    result.names[number],
                    [
                        (
                            capfirst(Company._meta.get_field(name).verbose_name),
                            _shown(name, old),
                            _shown(name, new),
                        )
                        for name, old, new in result.changes[number]
                    ],
                )
                for number in result.updated
            ]
        ),
        "status_changes": _capped(
            [
                (number, status(old).label, status(new).label)
                for number, old, new in result.status_changes
            ]
        ),
    }

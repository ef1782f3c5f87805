"""Load or update the CTPAT partner list from a CSV file: every row or none."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ctpat.exceptions import PartnerListError
from ctpat.services import MAX_IMPORT_BYTES, REQUIRED_COLUMNS, companies_import


class Command(BaseCommand):
    help = (
        "Load or update the CTPAT partner list. Header row: "
        + ",".join(REQUIRED_COLUMNS)
        + " (more columns may follow). A bad row aborts the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the partner list, a UTF-8 CSV file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, but save nothing"
        )

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            with file.open("rb") as stream:
                # One byte over the limit is enough for the service to refuse the file.
                data = stream.read(MAX_IMPORT_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from None
        try:
            result = companies_import(data=data, dry_run=dry_run)
        except PartnerListError as exc:
            raise CommandError(
                f"{file}: {str(exc.message).rstrip('.')}. Nothing was saved."
            ) from None
        if options["verbosity"] >= 2:
            for number, old, new in result.status_changes:
                self.stdout.write(f"  {number}: {old} → {new}")
        counts = (
            f"created {len(result.created)}, updated {len(result.updated)}, "
            f"unchanged {len(result.unchanged)}; "
            f"{len(result.created) + len(result.status_changes)} certification history entries"
        )
        if dry_run:
            self.stdout.write(f"Dry run, nothing saved. The file would have {counts}.")
        else:
            self.stdout.write(f"Partner list imported: {counts}.")

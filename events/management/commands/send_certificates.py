from django.core.management.base import BaseCommand, CommandError, CommandParser

from events.certificates import certificates_send
from events.exceptions import SeminarNotEnded
from events.models import Certificate, Seminar
from events.outbox import outbox_send_due


class Command(BaseCommand):
    help = (
        "E-mail everyone who attended a seminar that has ended the link to their certificate of "
        "attendance. Safe to run again: nobody gets the same certificate twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the seminar's slug, e.g. san-diego")

    def handle(self, *args, slug: str, **options) -> None:
        seminar = Seminar.objects.filter(slug=slug).first()
        if seminar is None:
            raise CommandError(f"No seminar has the slug {slug!r}.")
        try:
            written = certificates_send(seminar=seminar)
        except SeminarNotEnded as exc:
            raise CommandError(f"{seminar.slug}: {exc.message}") from exc
        # The messages go out now, whether or not a send_outbox worker runs.
        outbox_send_due()
        issued = Certificate.objects.filter(registration__seminar=seminar).count()
        self.stdout.write(f"Certificates issued: {issued}; e-mails written now: {written}.")

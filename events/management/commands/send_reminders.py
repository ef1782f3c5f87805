from django.core.management.base import BaseCommand, CommandParser

from events.outbox import outbox_send_due
from events.reminders import reminders_send


class Command(BaseCommand):
    help = (
        "Remind everyone confirmed for a seminar starting in N days, with their program. "
        "Safe to run repeatedly: nobody is reminded twice for the same N."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, required=True, help="days until the seminar starts (local date)"
        )

    def handle(self, *args, days: int, **options) -> None:
        written = reminders_send(days=days)
        # A cron job's reminders go out now, whether or not a send_outbox worker runs.
        outbox_send_due()
        self.stdout.write(f"Reminders written: {written}.")

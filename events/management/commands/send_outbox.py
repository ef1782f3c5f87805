import signal
import threading

from django.core.management.base import BaseCommand, CommandParser

from events.models import OutboundEmail
from events.outbox import MAX_ATTEMPTS, outbox_send_due


class Command(BaseCommand):
    help = (
        "Deliver due outbox e-mails, including retries of earlier failures. "
        "With --loop, keep delivering until interrupted (a worker)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running until stopped")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            # One indexed query on the outbox's due rows per round: cheap enough to poll often.
            help="seconds between rounds with --loop (default 1)",
        )

    def handle(self, *args, loop: bool, interval: float, **options) -> None:
        stop = threading.Event()
        if loop and threading.current_thread() is threading.main_thread():
            # A worker stopped by its supervisor (SIGTERM) finishes the message in hand first.
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while True:
                sent, failed = outbox_send_due(wait=stop.wait)
                if sent or failed or not loop:
                    self.stdout.write(f"Sent {sent}, failed {failed}.")
                if not loop or stop.wait(interval):
                    break
        except KeyboardInterrupt:
            pass
        given_up = OutboundEmail.objects.filter(
            sent_at__isnull=True, attempts__gte=MAX_ATTEMPTS
        ).count()
        if given_up:
            self.stderr.write(
                f"{given_up} e-mail(s) gave up after {MAX_ATTEMPTS} attempts; see the admin."
            )

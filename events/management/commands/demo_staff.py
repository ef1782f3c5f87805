"""A staff superuser for a local demo of the admin, with a new random password each run.

Staff need a TOTP code as well as the password (``STAFF_OTP_REQUIRED``, on by default), so the
demo account also gets a new TOTP device: the command prints its key, its ``otpauth://`` URI and
a QR code to scan with an authenticator app. ``--code`` prints the current six-digit code instead,
for a local demo without a phone.
"""

import base64
import io
import secrets
import time

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

USERNAME = "demo-admin"
LOCAL_FLAG = "--i-know-this-is-local"
DEVICE_NAME = "demo authenticator"


class Command(BaseCommand):
    help = (
        f"Create or reset the local demo superuser {USERNAME!r} with a fresh random password and "
        f"TOTP key. For local demos only: refuses unless DEBUG is on or {LOCAL_FLAG} is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            LOCAL_FLAG,
            action="store_true",
            dest="local",
            help="run even with DEBUG off (a local demo served with production settings)",
        )
        parser.add_argument(
            "--code",
            action="store_true",
            help="print the demo account's current two-factor code and change nothing",
        )

    def handle(self, *args, local, code, **options):
        if not (settings.DEBUG or local):
            raise CommandError(
                f"demo_staff creates a superuser with a printed password, for local demos only. "
                f"Set DEBUG=1, or pass {LOCAL_FLAG} if this really is a local machine."
            )
        if code:
            self._print_code()
            return
        password = secrets.token_urlsafe(18)
        with transaction.atomic():
            user, created = get_user_model().objects.get_or_create(username=USERNAME)
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
        self.stdout.write(
            "LOCAL DEMO ONLY: never create this account on a shared or public server."
        )
        self.stdout.write(f"{'Created' if created else 'Reset'} the demo staff superuser.")
        if settings.STAFF_OTP_REQUIRED:
            self._print_device(device)
        # Last, so that scripts can read the password from the final line.
        self.stdout.write(f"  username: {USERNAME}")
        self.stdout.write(f"  password: {password}")

    def _print_device(self, device: TOTPDevice) -> None:
        self.stdout.write(
            "  two-factor: add this key to an authenticator app (TOTP, 6 digits, 30 s),"
        )
        self.stdout.write("  or run `manage.py demo_staff --code` for the current code:")
        self.stdout.write(f"    key: {base64.b32encode(device.bin_key).decode()}")
        self.stdout.write(f"    URI: {device.config_url}")
        qr = io.StringIO()
        segno.make(device.config_url, error="m").terminal(out=qr, compact=True)
        self.stdout.write(qr.getvalue(), ending="")

    def _print_code(self) -> None:
        device = TOTPDevice.objects.filter(user__username=USERNAME, confirmed=True).first()
        if device is None:
            raise CommandError(f"No demo account yet: run demo_staff {LOCAL_FLAG} first.")
        now = int(time.time())
        token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        remaining = device.step - (now - device.t0) % device.step
        self.stdout.write(f"{token:0{device.digits}d} (valid for {remaining} more seconds)")

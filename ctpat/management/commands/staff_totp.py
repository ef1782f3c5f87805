"""Give a staff account a new TOTP device and print its key once (two-factor for the admin)."""

import base64

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Replace the TOTP devices of a staff account by a new one and print its key and "
        "otpauth:// URI, to add to the person's authenticator app. The first superuser of a new "
        "site gets its device this way; later, staff with the right can add devices in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        with transaction.atomic():
            user = get_user_model().objects.filter(username=username, is_staff=True).first()
            if user is None:
                raise CommandError(f"No staff account named {username!r}.")
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        self.stdout.write(f"New TOTP device for {username}; its earlier devices no longer work.")
        self.stdout.write(f"  key: {base64.b32encode(device.bin_key).decode()}")
        self.stdout.write(f"  URI: {device.config_url}")

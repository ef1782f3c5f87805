"""A staff superuser for a local demo of the admin, with a new random password each run."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

USERNAME = "demo-admin"
LOCAL_FLAG = "--i-know-this-is-local"


class Command(BaseCommand):
    help = (
        f"Create or reset the local demo superuser {USERNAME!r} with a fresh random password. "
        f"For local demos only: refuses unless DEBUG is on or {LOCAL_FLAG} is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            LOCAL_FLAG,
            action="store_true",
            dest="local",
            help="run even with DEBUG off (a local demo served with production settings)",
        )

    def handle(self, *args, local, **options):
        if not (settings.DEBUG or local):
            raise CommandError(
                f"demo_staff creates a superuser with a printed password, for local demos only. "
                f"Set DEBUG=1, or pass {LOCAL_FLAG} if this really is a local machine."
            )
        password = secrets.token_urlsafe(18)
        with transaction.atomic():
            user, created = get_user_model().objects.get_or_create(username=USERNAME)
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
        self.stdout.write(
            "LOCAL DEMO ONLY: never create this account on a shared or public server."
        )
        self.stdout.write(f"{'Created' if created else 'Reset'} the demo staff superuser.")
        self.stdout.write(f"  username: {USERNAME}")
        self.stdout.write(f"  password: {password}")

"""Django's makemessages, knowing this project's conventions.

The code imports ``gettext`` as ``_t`` (``_`` is ``gettext_lazy``): xgettext must look for both.
Only our own code is scanned: not the tests, the benchmark or collected static files. Locations
are written per file, not per line, so that moving code does not rewrite the catalogue.
``tests/test_i18n.py`` runs this same command to prove the catalogue is complete.
"""

from django.core.management.commands import makemessages

IGNORED = ["tests", "bench", "staticfiles", "var", "htmlcov", "node_modules"]


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_t"]

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        if not options.get("add_location") and not options.get("no_location"):
            options["add_location"] = "file"
        return super().handle(*args, **options)

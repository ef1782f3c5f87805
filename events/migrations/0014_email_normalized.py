"""R6 compares e-mail addresses normalized (NFKC, case folded, the domain in IDNA), and an
address our mail cannot reach is refused (``ctpat.emailaddress``)."""

from django.db import migrations, models

import ctpat.emailaddress


def fill_email_normalized(apps, schema_editor):
    Registration = apps.get_model("events", "Registration")
    rows = list(Registration.objects.only("pk", "email"))
    for row in rows:
        row.email_normalized = ctpat.emailaddress.email_normalized(row.email)
    Registration.objects.bulk_update(rows, ["email_normalized"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("ctpat", "0002_ratelimit"),
        ("events", "0013_companyallocation_limit_seats_in_python"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="registration",
            name="events_registration_one_active_email",
        ),
        migrations.AddField(
            model_name="registration",
            name="email_normalized",
            field=models.CharField(
                default="", editable=False, max_length=320, verbose_name="e-mail, normalized"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_email_normalized, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="registration",
            name="email",
            field=models.EmailField(
                max_length=254,
                validators=[ctpat.emailaddress.validate_deliverable_email],
                verbose_name="e-mail",
            ),
        ),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("confirmed", "waitlisted"))),
                fields=("email_normalized", "seminar"),
                name="events_registration_one_active_email",
            ),
        ),
    ]

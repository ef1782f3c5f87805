"""R3 in the database: the allocation row carries the seminar's per-company limit, and a check
constraint holds the company's confirmed count to it. The PL/pgSQL seat function of 0012 goes:
the seat rules live once, in Python (``events.seats``), and run the same on every database."""

import importlib

from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery


def limits_copy(apps, schema_editor):
    CompanyAllocation = apps.get_model("events", "CompanyAllocation")
    Seminar = apps.get_model("events", "Seminar")
    CompanyAllocation.objects.update(
        per_company_limit=Subquery(
            Seminar.objects.filter(pk=OuterRef("seminar_id")).values("per_company_limit")[:1]
        )
    )


# 0012 created the function on PostgreSQL only; its own operations drop and recreate it.
_SEATS_TAKE = importlib.import_module("events.migrations.0012_seats_take_function")


class Migration(migrations.Migration):
    dependencies = [("events", "0012_seats_take_function")]

    operations = [
        migrations.RunPython(_SEATS_TAKE.drop, _SEATS_TAKE.create, elidable=False),
        migrations.AddField(
            model_name="companyallocation",
            name="per_company_limit",
            field=models.PositiveSmallIntegerField(default=2, verbose_name="seats per company"),
            preserve_default=False,
        ),
        migrations.RunPython(limits_copy, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="companyallocation",
            constraint=models.CheckConstraint(
                condition=Q(confirmed_count__lte=F("per_company_limit")),
                name="events_companyallocation_confirmed_within_limit",
            ),
        ),
    ]

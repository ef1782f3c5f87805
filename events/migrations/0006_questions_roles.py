"""The staff roles of 0004 on the seminar questions: managers run them, the desk reads answers."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS = "Seminar managers"
CHECK_IN_STAFF = "Check-in staff"
MODELS = ("seminarquestion", "registrationanswer")
CHECK_IN_CODENAMES = ("view_registrationanswer",)


def _permissions_ensure(apps):
    """Permissions are created after the last migration; this one needs them now."""
    app_config = apps.get_app_config("events")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def roles_extend(apps, schema_editor):
    _permissions_ensure(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    new = Permission.objects.filter(
        content_type__app_label="events", content_type__model__in=MODELS
    )
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*new)
    desk, _ = Group.objects.get_or_create(name=CHECK_IN_STAFF)
    desk.permissions.add(*new.filter(codename__in=CHECK_IN_CODENAMES))


def roles_shrink(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    new = Permission.objects.filter(
        content_type__app_label="events", content_type__model__in=MODELS
    )
    for group in Group.objects.filter(name__in=(MANAGERS, CHECK_IN_STAFF)):
        group.permissions.remove(*new)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0005_questions"),
    ]

    operations = [migrations.RunPython(roles_extend, roles_shrink)]

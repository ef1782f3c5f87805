"""Check-in staff only view registrations and check people in: the seminar pages, the reports and
the roster (e-mail, phone) and badges become the managers' (``export_roster``, ``view_reports``).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS = "Seminar managers"
CHECK_IN_STAFF = "Check-in staff"
MANAGER_CODENAMES = ("export_roster", "view_reports")
DESK_DROPPED = ("view_seminar",)


def _permissions_ensure(apps):
    """Permissions are created after the last migration; this one needs them now."""
    app_config = apps.get_app_config("events")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def _seminar_permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="events",
        content_type__model="seminar",
        codename__in=codenames,
    )


def roles_narrow(apps, schema_editor):
    _permissions_ensure(apps)
    Group = apps.get_model("auth", "Group")
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*_seminar_permissions(apps, MANAGER_CODENAMES))
    desk, _ = Group.objects.get_or_create(name=CHECK_IN_STAFF)
    desk.permissions.remove(*_seminar_permissions(apps, DESK_DROPPED))


def roles_widen(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=MANAGERS):
        group.permissions.remove(*_seminar_permissions(apps, MANAGER_CODENAMES))
    for group in Group.objects.filter(name=CHECK_IN_STAFF):
        group.permissions.add(*_seminar_permissions(apps, DESK_DROPPED))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0010_seminar_permissions"),
    ]

    operations = [migrations.RunPython(roles_narrow, roles_widen)]

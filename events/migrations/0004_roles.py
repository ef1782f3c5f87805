"""The two staff roles of issue 4, as groups an administrator only has to add people to."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS = "Seminar managers"
CHECK_IN_STAFF = "Check-in staff"
CHECK_IN_PERMISSIONS = [
    ("events", "view_registration"),
    ("events", "view_seminar"),
    ("events", "add_checkin"),
    ("events", "view_checkin"),
]


def _permissions_ensure(apps):
    """Permissions are created after the last migration; this one needs them now."""
    for label in ("ctpat", "events"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def roles_create(apps, schema_editor):
    _permissions_ensure(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Staff accounts (ctpat.User) stay with the superusers, or a manager could make themselves one.
    managed = Permission.objects.filter(content_type__app_label__in=("ctpat", "events")).exclude(
        content_type__app_label="ctpat", content_type__model="user"
    )
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*managed)
    desk, _ = Group.objects.get_or_create(name=CHECK_IN_STAFF)
    desk.permissions.set(
        [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in CHECK_IN_PERMISSIONS
        ]
    )


def roles_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=(MANAGERS, CHECK_IN_STAFF)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("ctpat", "0001_initial"),
        ("events", "0003_checkin_roles"),
    ]

    operations = [migrations.RunPython(roles_create, roles_delete)]

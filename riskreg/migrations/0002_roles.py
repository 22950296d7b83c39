"""Create the Viewer, Analyst and Administrator groups (see riskreg/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from riskreg.roles import ROLES, sync_roles


def create_roles(apps, schema_editor):
    # Permissions are normally created after the last migration; create them now so the
    # groups can be given them in this same run.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("riskreg", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]

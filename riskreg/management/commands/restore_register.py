from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings


class Command(BaseCommand):
    help = "Replace the register (history, users and groups included) with a backup made by backup_register."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a file written by backup_register")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="wipe the current database first; without it, restoring into a non-empty register is refused",
        )

    def handle(self, *args, file: str, replace: bool, **options) -> None:
        # Role groups exist in every migrated database; users or register rows mean real data.
        occupied = get_user_model().objects.exists() or any(
            model.objects.exists() for model in apps.get_app_config("riskreg").get_models()
        )
        if occupied and not replace:
            raise CommandError("The database already holds data; pass --replace to wipe it and restore the backup.")
        if occupied:
            # flush empties every table, then migrate's post-migrate steps rebuild permissions and role groups.
            call_command("flush", interactive=False, verbosity=0)
        # loaddata runs in one transaction: a broken file leaves the database as flush left it.
        # History is restored from the backup itself; recording the restore as new history
        # (simple-history reacts to the many-to-many rows being set) would add rows.
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("loaddata", file, verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Restored the register from {file}."))

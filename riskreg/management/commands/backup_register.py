from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

from riskreg.backup import BACKUP_LABELS


class Command(BaseCommand):
    help = "Write the whole register, history, users and groups included, to a file (.json or .json.gz)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="where to write, e.g. backups/riskreg.json.gz (compressed by suffix)")

    def handle(self, *args, file: str, **options) -> None:
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        call_command(
            "dumpdata",
            *BACKUP_LABELS,
            natural_foreign=True,
            natural_primary=True,
            indent=None,
            output=str(path),
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Backed up the register to {path} ({path.stat().st_size:,} bytes)."))

from django.core.management.base import BaseCommand

from riskreg.seeds import load_seeds


class Command(BaseCommand):
    help = "Load the facts in seeds/ into the register. Safe to run again: unchanged records stay as they are."

    def handle(self, *args, **options) -> None:
        for name, written in load_seeds().items():
            self.stdout.write(f"{name}: {written} records created or updated")

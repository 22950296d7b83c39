import datetime
import time

from django.core.management.base import BaseCommand, CommandParser

from riskreg.demo import Counts, generate


class Command(BaseCommand):
    help = (
        "Fill the database with realistic synthetic demo data (enterprises, sites, engagements, concerns, "
        "measures). Deterministic: the same --seed, counts and --today give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Counts()
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--enterprises", type=int, default=defaults.enterprises)
        parser.add_argument("--sites", type=int, default=defaults.sites)
        parser.add_argument("--concerns", type=int, default=defaults.concerns)
        parser.add_argument("--measures", type=int, default=None, help="Default: one for every 20 concerns.")
        parser.add_argument("--engagements", type=int, default=None, help="Default: one for every 50 concerns.")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Reference date (YYYY-MM-DD) that raised dates and reviews are placed around; default today.",
        )

    def handle(self, *args, **options) -> None:
        counts = Counts(
            enterprises=options["enterprises"],
            sites=options["sites"],
            concerns=options["concerns"],
            measures=options["measures"],
            engagements=options["engagements"],
        )
        started = time.monotonic()
        log = self.stdout.write if options["verbosity"] > 1 else None
        result = generate(counts, seed=options["seed"], today=options["today"], log=log)
        summary = ", ".join(f"{n} {name}" for name, n in result.created.items())
        self.stdout.write(f"Created {summary} in {time.monotonic() - started:.1f} s.")

"""`manage.py discord_sync [--dry-run]`: converge Discord to the database (contract decision 7).

Compares Discord with the games (2 Discord calls + one per announced game), records the repairs
as outbox effects (see `games.sync`), then applies every due effect at once so the operator sees
the outcome. Idempotent: a second run finds nothing left to do; work already queued is not
recorded twice; two runs at once apply each effect once (the outbox claims effects atomically).
"""

from django.core.management.base import BaseCommand

from games.sync import sync_discord
from questmaster.discord.management import bot_client
from questmaster.discord.models import DiscordEffect
from questmaster.discord.outbox import run_pending


class Command(BaseCommand):
    help = "Compare Discord with the database and repair what differs."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what differs and what would be done; record and change nothing.",
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        with bot_client() as client:
            self.stdout.write("Comparing Discord with the database…")
            lines = sync_discord(client, dry_run=dry_run)
            for line in lines:
                self.stdout.write(f"  {line}")
            if not lines:
                self.stdout.write("  Discord matches the database.")
            if dry_run:
                self.stdout.write("Dry run: nothing was recorded or changed.")
                return
            self.stdout.write("Applying the queued Discord effects…")
            summary = run_pending(client=client)
        self.stdout.write(
            f"{len(summary.done)} done, {len(summary.retried)} to retry later, "
            f"{len(summary.failed)} failed."
        )
        for effect in DiscordEffect.objects.filter(pk__in=summary.failed + summary.retried):
            self.stdout.write(
                self.style.WARNING(f"  #{effect.pk} {effect.kind}: {effect.last_error}")
            )
        if summary.failed:
            self.stdout.write("See them with `manage.py discord_effects`.")

"""`manage.py discord_categories [--dry-run]`: the daily category job (original-domain §7, §10).

Recounts the game channels of every tracked Discord category (one Discord call), then creates a
category for each game type whose categories are all at or above the auto-creation threshold.
Idempotent and safe when two run at once (see `catalog.services`).
"""

from django.core.management.base import BaseCommand

from catalog.models import ClubSettings, GameType
from catalog.services import provision_categories, reconcile_categories
from questmaster.discord.management import bot_client


class Command(BaseCommand):
    help = (
        "Recount the channels of the Discord categories, then create a category for each game "
        "type whose categories are all nearly full."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        with bot_client() as client:
            self.stdout.write("Counting the channels of each category on Discord…")
            corrections = reconcile_categories(client, dry_run=dry_run)
            self._report_corrections(corrections, dry_run=dry_run)

            threshold = ClubSettings.load().discord_category_auto_threshold
            self.stdout.write(f"Checking each game type has a category under {threshold}…")
            if dry_run and corrections:
                self.stdout.write("  (judged on the stored sizes: a dry run corrects none)")
            created = provision_categories(client, dry_run=dry_run)
            for category in created:
                label = GameType(category.type).label
                if dry_run:
                    self.stdout.write(f"  Would create “{category.name}” ({label}).")
                else:
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"  Created “{category.name}” ({category.discord_id}, {label})."
                        )
                    )
            if not created:
                self.stdout.write("  Every game type has a category with room.")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")

    def _report_corrections(self, corrections: list[dict], *, dry_run: bool) -> None:
        verb = "would be" if dry_run else "were"
        for item in corrections:
            if item["missing"]:
                self.stdout.write(
                    self.style.WARNING(
                        f"  “{item['name']}” ({item['id']}) is tracked but no longer exists on "
                        "Discord: delete it in the admin (Discord categories)."
                    )
                )
                continue
            line = f"  “{item['name']}” ({item['id']}): {item['old']} → {item['new']} channels"
            if "old_name" in item:
                line += f" (renamed from “{item['old_name']}”)"
            self.stdout.write(line)
        fixed = [item for item in corrections if not item["missing"]]
        if fixed:
            self.stdout.write(f"{len(fixed)} category(ies) {verb} corrected.")
        else:
            self.stdout.write("All categories were up to date.")

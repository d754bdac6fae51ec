"""`manage.py discord_roles [--dry-run]`: the role budget job (original-domain §10).

Counts the guild's roles (one Discord call) against Discord's cap of 250 and, once the count
reaches the club's threshold, switches new games to direct permissions (no game role). Never
switches back: staff do, in the admin. Idempotent and safe when two run at once.
"""

from django.core.management.base import BaseCommand

from catalog.models import GUILD_ROLE_CAP, ClubSettings
from catalog.services import update_direct_permission_mode
from questmaster.discord.management import bot_client


class Command(BaseCommand):
    help = (
        "Count the Discord roles and switch new games to direct permissions (no game role) "
        "when the count reaches the threshold."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        with bot_client() as client:
            self.stdout.write("Counting the roles of the Discord server…")
            count, switched = update_direct_permission_mode(client, dry_run=dry_run)
        club = ClubSettings.load()
        threshold = club.discord_role_auto_threshold
        self.stdout.write(
            f"Roles: {count} / {GUILD_ROLE_CAP} (Discord's cap); automatic switch at {threshold}."
        )
        if switched and dry_run:
            self.stdout.write("Would switch new games to direct permissions (no game role).")
        elif switched:
            self.stdout.write(
                self.style.WARNING(
                    "Switched new games to direct permissions (no game role). "
                    "Games already published keep their role."
                )
            )
        elif club.discord_use_direct_permissions:
            self.stdout.write("Direct permissions are on: new games get no role.")
        else:
            self.stdout.write(
                f"Direct permissions are off: {threshold - count} role(s) left before the switch."
            )
        if count >= GUILD_ROLE_CAP:
            self.stdout.write(
                self.style.ERROR("The server is at Discord's role cap: creating a role fails.")
            )
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")

"""Refresh members' Discord profiles and roles through the bot (run by cron, e.g. every 5 min)."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F

from accounts.models import User
from accounts.services import RoleIds, refresh_member
from catalog.models import ClubSettings
from questmaster.discord.client import DiscordClient, DiscordError


class Command(BaseCommand):
    help = (
        "Re-read a batch of members from Discord (name, avatar, roles, staff flags). Members "
        "who left the server are deactivated (signed out, removed from live games, the waiting "
        "lists move up); with --inactive, inactive members who came back are reactivated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, help="Members per run (default: the club settings' batch size)."
        )
        parser.add_argument(
            "--inactive", action="store_true", help="Re-check inactive members instead."
        )

    def handle(self, *args, batch=None, inactive=False, verbosity=1, **options):
        club = ClubSettings.load()
        size = batch or club.profile_refresh_batch_size
        if size < 1:
            raise CommandError("--batch must be at least 1.")
        if not club.guild_id:
            raise CommandError("No Discord server id: set DISCORD_GUILD_ID.")
        members = User.objects.filter(not_player_as_of__isnull=not inactive)
        # Least recently refreshed first, so every member comes round in turn.
        batch_users = list(
            members.order_by(F("roles_synced_at").asc(nulls_first=True), "pk")[:size]
        )
        try:
            client = DiscordClient.for_bot()
        except DiscordError as exc:
            raise CommandError(str(exc)) from exc
        counts = {"updated": 0, "left": 0, "skipped": 0}
        roles = RoleIds.current(club)
        with client:
            for index, user in enumerate(batch_users, start=1):
                outcome = refresh_member(user, client, guild_id=club.guild_id, roles=roles)
                counts[outcome] += 1
                if verbosity >= 2:
                    self.stdout.write(f"[{index}/{len(batch_users)}] {user.discord_id} {outcome}")
        if verbosity >= 1:
            self.stdout.write(
                f"{len(batch_users)} member(s) checked: {counts['updated']} updated, "
                f"{counts['left']} gone from the server, "
                f"{counts['skipped']} skipped (Discord error)."
            )

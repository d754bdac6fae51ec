"""Converge Discord to the database: what `manage.py discord_sync` does (contract decision 7).

The database is the source of truth. Sync reads Discord with as few calls as it can — the
guild's channels, its roles, then one GET per announced game — compares, and records the
repairs as outbox effects, which the worker (or the command, at once) applies with the same
idempotent handlers as the game workflow:

- live game (open or closed) whose channel was deleted → forget the channel and its briefing,
  record SETUP_GAME (re-created in the same category, which kept its seat), and give direct-mode
  players their access again; if its category is gone too, only say so (staff delete the
  category row first, or set-up would fail re-creating the channel there);
- live game whose role was deleted (role mode) → forget it, record SETUP_GAME, and give the
  registered players the new role;
- live game never set up (its set-up effect lost) → record SETUP_GAME;
- announcement deleted or out of date → record REFRESH_ANNOUNCEMENT (re-posts or edits it);
  announced game without announcement → record ANNOUNCE; silently opened games have none;
- archived game still holding channel, role or announcement ids → record CLEANUP_GAME with
  them (and clear them on the game, so two runs at once record it once);
- text channels in tracked categories, and `PJ_` roles, that no game owns → reported only:
  they may hold history or belong to staff, so nothing deletes them automatically.

Which games are looked at follows the rules on `Game` (`GameQuerySet.live()`, `is_live`,
`is_archived`, `has_announcement`). Work already owed for a game (an unfinished effect of the
same kind, failed ones included) is not recorded twice; a failed effect is reported for
`discord_effects --retry-failed`. Effects recorded offline are not owed: they never run.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Q

from catalog.models import Channel, ClubSettings
from games import discord as game_discord
from games.models import Game
from games.services import cleanup_payload
from questmaster.discord.client import CATEGORY, TEXT_CHANNEL, DiscordClient, DiscordError
from questmaster.discord.models import DiscordEffect, EffectKind, EffectStatus
from questmaster.discord.outbox import record

ROLE_PREFIX = "PJ_"
DELETED = object()  # an announcement Discord answered 404 for


def _has_leftovers() -> Q:
    return ~Q(discord_channel_id="") | ~Q(discord_role_id="") | ~Q(discord_message_id="")


def _fetch_message(client: DiscordClient, channel_id: str, message_id: str):
    """The message, or DELETED. (The client has no method for this read: sync is its only user.)"""
    try:
        return client.request("GET", f"/channels/{channel_id}/messages/{message_id}")
    except DiscordError as exc:
        if exc.is_not_found:
            return DELETED
        raise


def _embed_view(embed: dict) -> dict:
    # What QuestMaster sets; Discord adds its own keys (type, proxy URLs, sizes) to what it returns.
    return {
        "title": embed.get("title") or "",
        "description": embed.get("description") or "",
        "url": embed.get("url") or "",
        "color": embed.get("color") or 0,
        "image": (embed.get("image") or {}).get("url") or "",
        "fields": [
            (item.get("name"), item.get("value"), bool(item.get("inline")))
            for item in embed.get("fields") or ()
        ],
    }


def _buttons(components: list[dict]) -> list[tuple]:
    return [
        (button.get("type"), button.get("style"), button.get("label"), button.get("url"))
        for row in components or ()
        for button in row.get("components") or ()
    ]


def announcement_is_current(message: dict, game: Game) -> bool:
    """Whether the posted announcement shows the game as it is now."""
    wanted = game_discord.announcement(game)
    return [_embed_view(e) for e in message.get("embeds") or ()] == [
        _embed_view(e) for e in wanted["embeds"]
    ] and _buttons(message.get("components")) == _buttons(wanted["components"])


class _Sync:
    """One run: the Discord state read up front, then the repairs decided game by game."""

    def __init__(self, *, channels: list[dict], roles: list[dict], dry_run: bool) -> None:
        self.dry_run = dry_run
        self.channels = {c["id"]: c for c in channels}
        self.role_ids = {r["id"] for r in roles}
        self.roles = roles
        self.lines: list[str] = []
        self.queued: dict[int, dict[str, DiscordEffect]] = defaultdict(dict)
        self.failed: dict[int, list[DiscordEffect]] = defaultdict(list)

    # --- helpers -------------------------------------------------------------------------------

    def load_queue(self, game_ids: list[int]) -> None:
        for effect in DiscordEffect.objects.unfinished().filter(game_id__in=game_ids):
            self.queued[effect.game_id].setdefault(effect.kind, effect)
            if effect.status == EffectStatus.FAILED:
                self.failed[effect.game_id].append(effect)

    def say(self, game: Game, finding: str, action: str, would: str) -> None:
        self.lines.append(f"{game.slug}: {finding}; {would if self.dry_run else action}.")

    def report_failures(self, game: Game) -> None:
        # A failed effect holds nothing back, but its work is not done: a repair of the same
        # kind is not recorded on top of it; staff retry it.
        for effect in self.failed[game.pk]:
            self.lines.append(
                f"{game.slug}: effect #{effect.pk} ({effect.kind}) failed: {effect.last_error}"
                " — retry it with `manage.py discord_effects --retry-failed`."
            )

    def is_queued(self, game: Game, kind: EffectKind) -> bool:
        return kind in self.queued[game.pk]

    def record(self, game: Game, kind: EffectKind, **payload) -> None:
        if not self.dry_run:
            self.queued[game.pk][kind] = record(kind, game=game, **payload)

    def clear(self, game: Game, expected: dict, **fields) -> bool:
        """Forget Discord ids, unless the row changed since it was read (then say so).

        This compare-and-set is also what keeps two runs at once from recording the same
        repair twice: only one of them wins the UPDATE.
        """
        if self.dry_run:
            return True
        # Still in the state it was read in: live (open or closed alike), or archived.
        rows = Game.objects.live() if game.is_live else Game.objects.filter(status=game.status)
        changed = rows.filter(pk=game.pk, **expected).update(**fields)
        if not changed:
            self.lines.append(f"{game.slug}: changed while syncing; left for the next run.")
        return bool(changed)

    # --- live games ----------------------------------------------------------------------------

    def live_game(self, game: Game, message) -> None:
        self.report_failures(game)
        setup = grant = False
        channel_id = game.discord_channel_id
        category = game.discord_category
        if channel_id and channel_id not in self.channels:
            if category is not None and category.discord_id not in self.channels:
                # Set-up would re-create the channel in its category, which Discord refuses now.
                self.lines.append(
                    f"{game.slug}: channel {channel_id} is gone with its category “{category}”;"
                    " delete that category in the admin (Discord categories), then run"
                    " discord_sync again."
                )
            else:
                # The category keeps the game's seat: set-up re-creates the channel there.
                if not self.clear(
                    game,
                    {"discord_channel_id": channel_id},
                    discord_channel_id="",
                    discord_briefing_id="",
                ):
                    return
                self.say(
                    game,
                    f"channel {channel_id} is gone from Discord",
                    "re-creating it",
                    "would re-create it",
                )
                setup = True
                # Role mode: the new channel lets the game role in. Direct mode: each player.
                grant = game.discord_direct_permissions
        elif not channel_id and not self.is_queued(game, EffectKind.SETUP_GAME):
            self.say(game, "no channel and no set-up queued", "setting it up", "would set it up")
            setup = True

        role_id = game.discord_role_id
        if not game.discord_direct_permissions and role_id and role_id not in self.role_ids:
            if not self.clear(game, {"discord_role_id": role_id}, discord_role_id=""):
                return
            self.say(
                game,
                f"role {role_id} is gone from Discord",
                "re-creating it and giving it to the players",
                "would re-create it and give it to the players",
            )
            setup = grant = True

        if setup and not self.is_queued(game, EffectKind.SETUP_GAME):
            self.record(game, EffectKind.SETUP_GAME)
        if grant:
            for user_id in game.registrations.registered().values_list(
                "player__discord_id", flat=True
            ):
                self.record(game, EffectKind.GRANT_ACCESS, user_id=user_id)
        self.announcement(game, message)

    def announcement(self, game: Game, message) -> None:
        if game.discord_message_id:
            if message is None:
                return  # no announcements channel configured: said once for the run
            if message is DELETED:
                finding = f"announcement {game.discord_message_id} was deleted"
                action, would = "posting it again", "would post it again"
            elif not announcement_is_current(message, game):
                finding = "announcement out of date"
                action, would = "updating it", "would update it"
            else:
                return
            if not self.is_queued(game, EffectKind.REFRESH_ANNOUNCEMENT):
                self.say(game, finding, action, would)
                self.record(game, EffectKind.REFRESH_ANNOUNCEMENT)
        elif game.has_announcement and not self.is_queued(game, EffectKind.ANNOUNCE):
            self.say(game, "published without announcement", "posting it", "would post it")
            self.record(game, EffectKind.ANNOUNCE)

    # --- archived games ------------------------------------------------------------------------

    def archived_game(self, game: Game) -> None:
        self.report_failures(game)
        if self.is_queued(game, EffectKind.CLEANUP_GAME):
            return
        leftovers = ", ".join(
            f"{what} {value}"
            for what, value in (
                ("channel", game.discord_channel_id),
                ("role", game.discord_role_id),
                ("announcement", game.discord_message_id),
            )
            if value
        )
        payload = cleanup_payload(game)
        # The ids move from the game to the clean-up effect (which releases the category seat
        # once): a second run at once finds them gone and records nothing.
        if not self.clear(
            game,
            {
                "discord_channel_id": game.discord_channel_id,
                "discord_role_id": game.discord_role_id,
                "discord_message_id": game.discord_message_id,
                "discord_category": game.discord_category_id,
            },
            discord_channel_id="",
            discord_role_id="",
            discord_message_id="",
            discord_briefing_id="",
            discord_category=None,
        ):
            return
        self.say(game, f"archived, still has {leftovers}", "cleaning up", "would clean up")
        self.record(game, EffectKind.CLEANUP_GAME, **payload)

    # --- what nobody owns ----------------------------------------------------------------------

    def orphans(self) -> None:
        tracked = dict(Channel.objects.values_list("discord_id", "name"))
        for discord_id, name in tracked.items():
            if self.channels.get(discord_id, {}).get("type") != CATEGORY:
                self.lines.append(
                    f"category “{name}” ({discord_id}) is tracked but gone from Discord: "
                    "delete it in the admin (Discord categories)."
                )
        # Read after Discord: a game set up meanwhile is not taken for an orphan.
        owned = Game.objects.filter(_has_leftovers())
        owned_channels = set(owned.values_list("discord_channel_id", flat=True))
        owned_roles = set(owned.values_list("discord_role_id", flat=True))
        # What a queued clean-up is about to delete is not an orphan either.
        for payload in (
            DiscordEffect.objects.unfinished()
            .filter(kind=EffectKind.CLEANUP_GAME)
            .values_list("payload", flat=True)
        ):
            owned_channels.add(payload.get("channel_id"))
            owned_roles.add(payload.get("role_id"))
        for channel in self.channels.values():
            parent = str(channel.get("parent_id") or "")
            if (
                channel.get("type") == TEXT_CHANNEL
                and parent in tracked
                and channel["id"] not in owned_channels
            ):
                self.lines.append(
                    f"orphan channel #{channel.get('name')} ({channel['id']}) in "
                    f"“{tracked[parent]}”: no game owns it; not deleted."
                )
        for role in self.roles:
            if role.get("name", "").startswith(ROLE_PREFIX) and role["id"] not in owned_roles:
                self.lines.append(
                    f"orphan role {role['name']} ({role['id']}): no game owns it; not deleted."
                )


def sync_discord(client: DiscordClient, *, dry_run: bool = False) -> list[str]:
    """Compare Discord with the database and record the repairs; human-readable lines.

    Discord calls: 2 + one per announced live game. Side effects (unless `dry_run`), all in one
    transaction after every Discord read (a Discord failure records nothing): clears the ids of
    deleted channels and roles on live games, moves an archived game's leftover ids into its
    clean-up effect, and records outbox effects. Nothing is deleted on Discord here: the
    recorded effects do that, through the worker.
    """
    club = ClubSettings.load()
    guild_id, posts_id = club.guild_id, club.posts_channel_id
    # Read the games before Discord: a channel created after this read is not judged missing.
    # Live games, and archived ones still holding Discord ids (a draft never holds any).
    games = list(
        (Game.objects.live() | Game.objects.filter(_has_leftovers()))
        .select_related("gm", "system", "special_event", "discord_category")
        .order_by("pk")
    )
    sync = _Sync(
        channels=client.list_channels(guild_id),
        roles=client.list_roles(guild_id),
        dry_run=dry_run,
    )
    announced = [g for g in games if g.is_live and g.is_announced]
    posted = {}
    if posts_id:
        posted = {g.pk: _fetch_message(client, posts_id, g.discord_message_id) for g in announced}
    elif announced:
        sync.lines.append("No announcements channel is configured: announcements not checked.")

    with transaction.atomic():
        sync.load_queue([g.pk for g in games])
        for game in games:
            if game.is_archived:
                sync.archived_game(game)
            elif game.is_live:
                sync.live_game(game, posted.get(game.pk))
        sync.orphans()
    return sync.lines

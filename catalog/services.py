"""Discord categories and the guild's role budget: the jobs `discord_categories` and
`discord_roles` run (original-domain §7 and §10, contract decisions 9 and 10).

These call Discord directly (they are operator jobs, not a request's side effects), so each one
takes the bot client it should use. Every write is a conditional UPDATE or happens under a row
lock, so two runs at once converge to the same state instead of fighting.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from catalog.models import CATEGORY_CAPACITY, Channel, ClubSettings, GameType
from games.models import Game
from questmaster.discord import naming
from questmaster.discord.client import CATEGORY, TEXT_CHANNEL, DiscordClient
from questmaster.discord.models import DiscordEffect, EffectKind

logger = logging.getLogger(__name__)


# --- category sizes -----------------------------------------------------------------------------


def _seats_held_in_database() -> dict[int, dict[str, str]]:
    """Seats the database holds in each category (by pk): seat key → expected channel name.

    A game points at its category from the moment `setup_game` reserves a seat until its
    clean-up runs; an unfinished clean-up holds the seat it will release. A seat's key is its
    channel id when there is one, so a channel Discord lists, or a game and its clean-up, are
    not counted twice; the name finds a channel created but not stored yet.
    """
    held: dict[int, dict[str, str]] = defaultdict(dict)
    rows = Game.objects.filter(discord_category__isnull=False).values_list(
        "pk", "discord_category_id", "discord_channel_id", "slug"
    )
    for pk, category_id, channel_id, slug in rows:
        held[category_id][channel_id or f"game {pk}"] = naming.channel_name(slug)
    cleanups = DiscordEffect.objects.unfinished().filter(kind=EffectKind.CLEANUP_GAME)
    for pk, game_id, payload in cleanups.values_list("pk", "game_id", "payload"):
        if payload.get("category_id") and not payload.get("category_released"):
            key = payload.get("channel_id") or (f"game {game_id}" if game_id else f"effect {pk}")
            held[payload["category_id"]].setdefault(key, "")
    return held


def reconcile_categories(client: DiscordClient, *, dry_run: bool = False) -> list[dict]:
    """Set each tracked category's size to the channels it really holds; one Discord call.

    The real count is the text channels Discord lists under the category, plus the seats
    games hold there whose channel is not (yet) on Discord: a set-up between its reservation
    and its channel, or a channel deleted by hand that `discord_sync` will re-create in place.

    Side effects (unless `dry_run`): updates `Channel.size` and `Channel.name` (renamed on
    Discord). Returns one dict per correction: ``{"id", "name", "old", "new", "missing"}``
    (+ ``"old_name"`` when renamed). A tracked category deleted on Discord is reported with
    ``"missing": True`` and left as it is: staff decide whether to delete the row.
    """
    guild_id = ClubSettings.load().guild_id
    # Read the database before Discord: a seat taken after this read changes `size`, and the
    # conditional UPDATE below then leaves that category to the next run instead of erasing it.
    tracked = list(Channel.objects.order_by("type", "pk"))
    held = _seats_held_in_database()
    listing = client.list_channels(guild_id)

    categories = {c["id"]: c for c in listing if c.get("type") == CATEGORY}
    children: dict[str, dict[str, str]] = defaultdict(dict)  # parent → channel id → name
    for channel in listing:
        if channel.get("type") == TEXT_CHANNEL and channel.get("parent_id"):
            children[str(channel["parent_id"])][channel["id"]] = channel.get("name", "")

    corrections = []
    for category in tracked:
        found = categories.get(category.discord_id)
        if found is None:
            corrections.append(
                {
                    "id": category.discord_id,
                    "name": category.name,
                    "old": category.size,
                    "new": None,
                    "missing": True,
                }
            )
            continue
        inside = children[category.discord_id]
        names = set(inside.values())
        extra = sum(
            1
            for key, name in held.get(category.pk, {}).items()
            # Not listed already, nor created just now and not stored yet (found by its name).
            if key not in inside and not (name and name in names)
        )
        new = min(len(inside) + extra, CATEGORY_CAPACITY)
        name = naming.truncate(found.get("name") or category.name, naming.NAME_MAX)
        resized, renamed = new != category.size, name != category.name
        if not (resized or renamed):
            continue
        correction = {
            "id": category.discord_id,
            "name": name,
            "old": category.size,
            "new": new,
            "missing": False,
        }
        if renamed:
            correction["old_name"] = category.name
        if not dry_run:
            if renamed:
                Channel.objects.filter(pk=category.pk).update(name=name)
            # Compare-and-set: a seat taken or released since the read above wins; the next
            # run counts again.
            if resized and not Channel.objects.filter(pk=category.pk, size=category.size).update(
                size=new
            ):
                logger.info("Category %s changed while counting: size left as is", category)
                if not renamed:
                    continue
                correction["new"] = category.size
        corrections.append(correction)
    return corrections


# --- provisioning ----------------------------------------------------------------------------


def _needs_category(game_type: str, threshold: int) -> bool:
    """All categories of the type are at or above the threshold, or there is none."""
    return not Channel.objects.of_type(game_type).filter(size__lt=threshold).exists()


def _create_or_adopt(client: DiscordClient, guild_id: str, name: str) -> tuple[str, int]:
    """The id and channel count of a new category named `name`.

    An untracked category of that exact name is adopted instead: an earlier run created it,
    then failed before storing it (Discord answered after a timeout, the database went away).
    """
    tracked = set(Channel.objects.values_list("discord_id", flat=True))
    listing = client.list_channels(guild_id)
    for channel in listing:
        if (
            channel.get("type") == CATEGORY
            and channel.get("name") == name
            and channel["id"] not in tracked
        ):
            inside = sum(
                1
                for c in listing
                if c.get("type") == TEXT_CHANNEL and str(c.get("parent_id")) == channel["id"]
            )
            return channel["id"], min(inside, CATEGORY_CAPACITY)
    return client.create_category(guild_id, name)["id"], 0


def provision_categories(client: DiscordClient, *, dry_run: bool = False) -> list[Channel]:
    """Create a category for each game type whose categories are all (nearly) full.

    A type needs one when no tracked category of it has fewer channels than
    `ClubSettings.discord_category_auto_threshold` (or none exists). The name comes from the
    type's template with n = number of tracked categories of the type + 1.

    Side effects (unless `dry_run`): creates the category on Discord (type 4) and stores it
    with size 0. Two runs at once are serialised on the club settings row (a row lock on
    PostgreSQL), and the second re-checks after the first committed, so it creates nothing.
    The Discord call happens under that lock on purpose: it is what makes the check and the
    creation one step; no request path takes this lock. Returns the categories created (in a
    dry run: unsaved, without Discord id).
    """
    ClubSettings.load()  # the row the lock below needs
    created = []
    for game_type in GameType.values:
        if not _needs_category(game_type, ClubSettings.load().discord_category_auto_threshold):
            continue  # the common case, decided without a lock
        with transaction.atomic():
            club = ClubSettings.objects.select_for_update().get(pk=ClubSettings.SINGLETON_ID)
            if not _needs_category(game_type, club.discord_category_auto_threshold):
                continue  # another run provisioned it while we waited for the lock
            number = Channel.objects.of_type(game_type).count() + 1
            name = naming.category_name(club.category_name_template(game_type), number)
            if dry_run:
                created.append(Channel(discord_id="", name=name, type=game_type, size=0))
                continue
            discord_id, size = _create_or_adopt(client, club.guild_id, name)
            category = Channel(discord_id=discord_id, name=name, type=game_type, size=size)
            category.full_clean()
            category.save()
            created.append(category)
    return created


# --- roles --------------------------------------------------------------------------------------


def guild_role_count(client: DiscordClient) -> int:
    """How many roles the guild has (Discord caps it at `GUILD_ROLE_CAP`); one Discord call."""
    return len(client.list_roles(ClubSettings.load().guild_id))


def update_direct_permission_mode(
    client: DiscordClient, *, dry_run: bool = False
) -> tuple[int, bool]:
    """Switch new games to direct permissions (no game role) once the guild has many roles.

    Returns (role count, switched). Switches only when the mode is off and the count reached
    `ClubSettings.discord_role_auto_threshold`; never switches back (staff do, in the admin).

    Side effects (unless `dry_run`): sets `ClubSettings.discord_use_direct_permissions`. The
    UPDATE is conditional on the mode being off, so two runs at once switch it once.
    """
    count = guild_role_count(client)
    club = ClubSettings.load()
    if club.discord_use_direct_permissions or count < club.discord_role_auto_threshold:
        return count, False
    if dry_run:
        return count, True
    switched = ClubSettings.objects.filter(
        pk=ClubSettings.SINGLETON_ID, discord_use_direct_permissions=False
    ).update(discord_use_direct_permissions=True, updated_at=timezone.now(), updated_by=None)
    if switched:
        logger.warning(
            "%d Discord roles (threshold %d): new games now use direct permissions",
            count,
            club.discord_role_auto_threshold,
        )
    return count, bool(switched)

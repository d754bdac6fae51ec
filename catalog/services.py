"""Discord categories and the guild's role budget: the jobs `discord_categories` and
`discord_roles` run (original-domain §7 and §10, contract decisions 9 and 10), and
`create_category`, the one way a category is made (by those jobs and by a game's set-up when
every category of its type is full).

These call Discord directly (operator jobs and outbox handlers, never a request), so each one
takes the bot client it should use, and none calls Discord inside a transaction. Every write is
a conditional UPDATE, or happens under the provisioning lock, so two runs at once converge to the
same state instead of fighting.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
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

# The provisioning lock: one category creation at a time, whoever asks (the worker setting up a
# game in a full category, `discord_categories`). A PostgreSQL session-level advisory lock, not a
# row lock: it is held across a Discord call, and no Discord call runs inside a transaction. A
# process that dies releases it with its connection. Any number fits; this one is ours.
PROVISIONING_LOCK_ID = 0x516D_6361_7473  # "Qmcats"


@contextmanager
def provisioning_lock() -> Iterator[None]:
    """Hold the provisioning lock (PostgreSQL); elsewhere (SQLite, one worker) it is a no-op."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [PROVISIONING_LOCK_ID])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [PROVISIONING_LOCK_ID])


def _needs_category(game_type: str, threshold: int) -> bool:
    """All categories of the type are at or above the threshold, or there is none."""
    return not Channel.objects.of_type(game_type).filter(size__lt=threshold).exists()


def _next_category_name(club: ClubSettings, game_type: str) -> str:
    number = Channel.objects.of_type(game_type).count() + 1
    return naming.category_name(club.category_name_template(game_type), number)


def _create_or_adopt(client: DiscordClient, guild_id: str, name: str) -> tuple[str, int]:
    """The id and channel count of a new category named `name`; one or two Discord calls.

    An untracked category of that exact name is adopted instead: an earlier attempt created it,
    then failed before storing it (the worker died after Discord answered, the database went
    away).
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


def create_category(
    client: DiscordClient, game_type: str, *, threshold: int = CATEGORY_CAPACITY
) -> Channel | None:
    """Create the next category of `game_type` on Discord and track it: the one way to make one.

    Runs under the provisioning lock and re-checks there that every category of the type holds
    `threshold` channels or more (default: all full), so concurrent callers create one category
    between them: the later ones find the first one's row and return None. The name comes from
    the type's template with n = tracked categories of the type + 1; a Discord category of that
    name that no row tracks is adopted (with the channels it holds) instead of created twice.

    Side effects: Discord calls (list the channels, then create, unless adopted) outside any
    transaction; a new `Channel` row. Never call it inside `transaction.atomic()`.
    """
    with provisioning_lock():
        if not _needs_category(game_type, threshold):
            return None
        club = ClubSettings.load()
        name = _next_category_name(club, game_type)
        discord_id, size = _create_or_adopt(client, club.guild_id, name)
        category = Channel(discord_id=discord_id, name=name, type=game_type, size=size)
        category.full_clean()
        category.save()
    logger.info("Discord category %s (%s) ready for %s games", name, discord_id, game_type)
    return category


def provision_categories(client: DiscordClient, *, dry_run: bool = False) -> list[Channel]:
    """Create a category for each game type whose categories are all (nearly) full.

    A type needs one when no tracked category of it has fewer channels than
    `ClubSettings.discord_category_auto_threshold` (or none exists); `create_category` makes it
    (under the provisioning lock, so two runs at once, or a run and a game set-up, create one).

    Side effects (unless `dry_run`): see `create_category`. Returns the categories created (in a
    dry run: unsaved, without Discord id).
    """
    created = []
    for game_type in GameType.values:
        club = ClubSettings.load()
        threshold = club.discord_category_auto_threshold
        if not _needs_category(game_type, threshold):
            continue  # the common case, decided without the lock
        if dry_run:
            name = _next_category_name(club, game_type)
            created.append(Channel(discord_id="", name=name, type=game_type, size=0))
            continue
        category = create_category(client, game_type, threshold=threshold)
        if category is not None:
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

"""What the game workflow posts on Discord, and the outbox handlers that post it.

Renderers build Discord payloads (texts of original-domain §2.12, Discord timestamps for dates,
mentions in `content` so they ping). Handlers apply one recorded effect; each is idempotent:
ids are stored as soon as Discord returns them, lookups by name recover an object created just
before a crash, messages carry a nonce, and deleting what is already gone counts as done.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from catalog.models import CATEGORY_CAPACITY, Channel, ClubSettings, GameType
from games.models import Game, GameStatus, Restriction
from questmaster.discord import naming
from questmaster.discord.client import (
    MEMBER_OVERWRITE,
    ROLE_OVERWRITE,
    TEXT_CHANNEL,
    DiscordClient,
    DiscordError,
)
from questmaster.discord.models import DiscordEffect, EffectKind
from questmaster.discord.outbox import handler

logger = logging.getLogger(__name__)

BRIEFING_COLOR = 0x2196F3
NEW_SESSION_COLOR = 0x4CB944
CHANGED_SESSION_COLOR = 0xFFCF48
CANCELLED_SESSION_COLOR = 0xF34242
REGISTRATION_COLOR = 0x2196F3
REPORT_COLOR = 0xF34242
NO_MENTIONS = {"parse": []}


def game_url(game: Game) -> str:
    return f"{settings.SITE_URL}{game.get_absolute_url()}"


def timestamp(value, style: str = "F") -> str:
    """A Discord timestamp: each member sees it in their own time zone."""
    return f"<t:{int(value.timestamp())}:{style}>"


def type_color(game: Game) -> int:
    if game.special_event_id and game.special_event.color:
        return game.special_event.color_int
    return naming.CAMPAIGN_COLOR if game.type == GameType.CAMPAIGN else naming.ONESHOT_COLOR


def mentions(game: Game, player_ids: list[str] | None = None) -> str:
    """Who a game notice pings: the game role, or each player in direct-permission mode."""
    if game.discord_role_id and not game.discord_direct_permissions:
        return f"<@&{game.discord_role_id}>"
    return " ".join(f"<@{pid}>" for pid in player_ids or [])


def allowed_mentions_for(game: Game) -> dict:
    # Only the game's own role and players may be pinged; never @everyone/@here.
    allowed: dict = {"parse": ["users"]}
    if game.discord_role_id:
        allowed["roles"] = [game.discord_role_id]
    return allowed


def _restriction_text(game: Game) -> str:
    icons = {
        Restriction.ALL: ":green_circle:",
        Restriction.SIXTEEN: ":yellow_circle:",
        Restriction.EIGHTEEN: ":red_circle:",
    }
    label = {
        Restriction.ALL: _("All audiences"),
        Restriction.SIXTEEN: "16+",
        Restriction.EIGHTEEN: "18+",
    }[game.restriction]
    text = f"{icons[game.restriction]} {label}"
    if game.restriction_tags:
        text += f" ({game.restriction_tags})"
    return text


def announcement(game: Game) -> dict:
    """The public announcement: embed + one link button (original-domain §2.12)."""
    closed = game.status == GameStatus.CLOSED
    title = game.name + (_(" (full)") if closed else "")
    event = game.special_event if game.special_event_id else None
    if event and event.emoji:
        title = f"{event.emoji} {title} {event.emoji}"
    if event:
        kind = _("Special event: %(name)s") % {"name": event.name}
    else:
        kind = _("One-shot") if game.type == GameType.ONESHOT else _("Campaign")
    values = [
        (_("GM"), game.gm.display_name),
        (_("System"), game.system.name),
        (_("Session type"), kind),
        (_("Date"), timestamp(game.date)),
        (_("Length"), game.get_length_display()),
        (_("Warning"), _restriction_text(game)),
    ]
    fields = []
    for index, (name, value) in enumerate(values):
        value = naming.truncate(value, naming.EMBED_FIELD_VALUE_MAX - 4)
        fields.append(
            {
                "name": name,
                "value": f"~~{value}~~" if closed else value,
                "inline": index < len(values) - 1,
            }
        )
    embed = {
        "title": naming.truncate(title, naming.EMBED_TITLE_MAX),
        "url": game_url(game),
        "color": type_color(game),
        "fields": fields,
    }
    if game.img.startswith(("http://", "https://")):
        embed["image"] = {"url": game.img}
    button = {
        "type": 2,
        "style": 5,
        "label": _("View") if closed else _("Sign up"),
        "url": game_url(game),
    }
    return {
        "embeds": [embed],
        "components": [{"type": 1, "components": [button]}],
        "allowed_mentions": NO_MENTIONS,
    }


def briefing(game: Game) -> dict:
    """The pinned "all set" message in a new game channel."""
    lines = [
        _(
            "<@%(gm)s> here is the channel for your game %(name)s, "
            "and the link [to the announcement](%(url)s)."
        )
        % {"gm": game.gm.discord_id, "name": game.name, "url": game_url(game)},
    ]
    if game.discord_role_id and not game.discord_direct_permissions:
        lines.append(_("The game role is <@&%(role)s>.") % {"role": game.discord_role_id})
    lines += [
        "",
        _("Reminders:"),
        _("- Play on the %(club)s server (see the rules).") % {"club": settings.CLUB_NAME},
        _(
            "- Ping your players with the **Notify** button, "
            "not with @everyone, @here or the player role."
        ),
        _("- Add every session you **play** to QuestMaster."),
        _("- Use **Report** to reach the staff."),
    ]
    return {
        "embeds": [
            {
                "title": _("All set."),
                "description": "\n".join(lines),
                "color": BRIEFING_COLOR,
            }
        ],
        "allowed_mentions": {"users": [game.gm.discord_id]},
    }


def _notice(title: str, text: str, color: int) -> dict:
    # The mention of the players is added when the notice is sent (see `send_message`).
    return {"embeds": [{"title": title, "description": text, "color": color}]}


def session_added(session) -> dict:
    text = _(
        "Your GM added a new session: from **%(start)s** to **%(end)s**.\n"
        "Add it to your calendar from the announcement page, and tell your GM in advance if "
        "you cannot come."
    ) % {"start": timestamp(session.start), "end": timestamp(session.end, "t")}
    return _notice(_("New session scheduled"), text, NEW_SESSION_COLOR)


def session_changed(old_start, session) -> dict:
    text = _(
        "Your GM changed the session ~~of %(old)s~~.\n"
        "The session moved to **%(start)s** (until %(end)s).\n"
        "Remember to update your calendar."
    ) % {
        "old": timestamp(old_start),
        "start": timestamp(session.start),
        "end": timestamp(session.end, "t"),
    }
    return _notice(_("Session changed"), text, CHANGED_SESSION_COLOR)


def session_cancelled(start, end) -> dict:
    text = _(
        "Your GM cancelled the session from **%(start)s** to **%(end)s**.\n"
        "Remember to remove it from your calendar."
    ) % {"start": timestamp(start), "end": timestamp(end, "t")}
    return _notice(_("Session cancelled"), text, CANCELLED_SESSION_COLOR)


def player_joined(game: Game, player) -> dict:
    return {
        "content": f"<@{player.discord_id}>",
        "embeds": [
            {
                "title": _("New registration"),
                "description": _("<@%(id)s> signed up. Welcome :wave:") % {"id": player.discord_id},
                "color": REGISTRATION_COLOR,
            }
        ],
        "allowed_mentions": {"users": [player.discord_id]},
    }


def player_promoted(game: Game, player) -> dict:
    return {
        "content": f"<@{player.discord_id}>",
        "embeds": [
            {
                "title": _("A seat freed up"),
                "description": _(
                    "<@%(id)s> moves up from the waiting list and joins the game. Welcome :wave:"
                )
                % {"id": player.discord_id},
                "color": REGISTRATION_COLOR,
            }
        ],
        "allowed_mentions": {"users": [player.discord_id]},
    }


def player_left(game: Game, player) -> dict:
    return {
        "content": f"<@{game.gm.discord_id}>",
        "embeds": [
            {
                "title": _("A player left"),
                "description": _("%(name)s left the game.") % {"name": player.display_name},
                "color": CHANGED_SESSION_COLOR,
            }
        ],
        "allowed_mentions": {"users": [game.gm.discord_id]},
    }


def notification(game: Game, text: str) -> dict:
    content = "\n".join(
        [
            _("📣 **%(name)s** — a message from your GM:") % {"name": game.name},
            "",
            text,
            "",
            _("🔗 The announcement on QuestMaster: %(url)s") % {"url": game_url(game)},
        ]
    )
    return {"content": content}


def report(game: Game, reporter, text: str) -> dict:
    lines = [
        _("Report from <@%(id)s>") % {"id": reporter.discord_id},
        "",
        text or _("(no message)"),
        "",
    ]
    if game.discord_channel_id:
        lines.append(_("Channel: <#%(id)s>") % {"id": game.discord_channel_id})
    lines.append(_("Game: %(url)s") % {"url": game_url(game)})
    return {
        "embeds": [
            {
                "title": _("Staff report"),
                "description": naming.truncate("\n".join(lines), naming.EMBED_DESCRIPTION_MAX),
                "color": REPORT_COLOR,
            }
        ],
        "allowed_mentions": NO_MENTIONS,
    }


# --- handlers ---------------------------------------------------------------------------------


def _game(effect: DiscordEffect) -> Game | None:
    if effect.game_id is None:
        return None
    return Game.objects.select_related("gm", "system", "special_event", "discord_category").get(
        pk=effect.game_id
    )


def _save(game: Game, **fields) -> None:
    for name, value in fields.items():
        setattr(game, name, value)
    Game.objects.filter(pk=game.pk).update(**fields)


def _ignore_missing(call, *args, **kwargs) -> None:
    try:
        call(*args, **kwargs)
    except DiscordError as exc:
        if not exc.is_not_found:
            raise


def _reserve_category(client: DiscordClient, game: Game, guild_id: str) -> Channel:
    """Take a seat in a category of the game's type with room, creating one when all are full.

    The size is taken with a conditional UPDATE (size < 50), so two games published at once
    can never both take the last seat.
    """
    game_type = GameType.ONESHOT if game.special_event_id else game.type
    for category in Channel.objects.of_type(game_type).with_room().order_by("size", "pk"):
        taken = Channel.objects.filter(pk=category.pk, size__lt=CATEGORY_CAPACITY).update(
            size=F("size") + 1
        )
        if taken:
            return category
    club = ClubSettings.load()
    number = Channel.objects.of_type(game_type).count() + 1
    name = naming.category_name(club.category_name_template(game_type), number)
    created = client.create_category(guild_id, name)
    return Channel.objects.create(discord_id=created["id"], name=name, type=game_type, size=1)


def _find_channel(client: DiscordClient, guild_id: str, name: str, parent_id: str) -> str | None:
    for channel in client.list_channels(guild_id):
        if channel.get("name") == name and str(channel.get("parent_id")) == parent_id:
            return channel["id"]
    return None


@handler(EffectKind.SETUP_GAME)
def setup_game(effect: DiscordEffect, client: DiscordClient) -> None:
    """Role (unless direct mode), channel in a category with room, pinned briefing."""
    game = _game(effect)
    if game is None or game.status in (GameStatus.DRAFT, GameStatus.ARCHIVED):
        return
    guild_id = ClubSettings.load().guild_id
    retrying = effect.attempts > 1

    if not game.discord_direct_permissions and not game.discord_role_id:
        name = naming.role_name(game.slug)
        role_id = None
        if retrying:
            role_id = next(
                (r["id"] for r in client.list_roles(guild_id) if r.get("name") == name), None
            )
        if role_id is None:
            role_id = client.create_role(
                guild_id,
                name=name,
                permissions=naming.PLAYER,
                color=type_color(game),
                mentionable=True,
            )["id"]
        _save(game, discord_role_id=role_id)
        if game.discord_channel_id:
            # A role re-created for an existing channel (repair) must be let into it.
            client.set_permission(
                game.discord_channel_id, role_id, type=ROLE_OVERWRITE, allow=naming.PLAYER
            )

    if not game.discord_channel_id:
        with transaction.atomic():
            category = game.discord_category or _reserve_category(client, game, guild_id)
            _save(game, discord_category=category)
        name = naming.channel_name(game.slug)
        channel_id = (
            _find_channel(client, guild_id, name, category.discord_id) if retrying else None
        )
        if channel_id is None:
            overwrites = [
                {
                    "id": guild_id,
                    "type": ROLE_OVERWRITE,
                    "deny": str(naming.VIEW_CHANNEL),
                    "allow": "0",
                },
                {
                    "id": game.gm.discord_id,
                    "type": MEMBER_OVERWRITE,
                    "allow": str(naming.GM),
                    "deny": "0",
                },
            ]
            if game.discord_role_id:
                overwrites.append(
                    {
                        "id": game.discord_role_id,
                        "type": ROLE_OVERWRITE,
                        "allow": str(naming.PLAYER),
                        "deny": "0",
                    }
                )
            channel_id = client.create_channel(
                guild_id,
                name=name,
                type=TEXT_CHANNEL,
                parent_id=category.discord_id,
                permission_overwrites=overwrites,
            )["id"]
        _save(game, discord_channel_id=channel_id)

    if not game.discord_briefing_id:
        message = client.send_message(
            game.discord_channel_id, nonce=f"{effect.nonce}b", **briefing(game)
        )
        client.pin_message(game.discord_channel_id, message["id"])
        _save(game, discord_briefing_id=message["id"])


@handler(EffectKind.ANNOUNCE)
def announce(effect: DiscordEffect, client: DiscordClient) -> None:
    game = _game(effect)
    if (
        game is None
        or game.discord_message_id
        or game.status
        in (
            GameStatus.DRAFT,
            GameStatus.ARCHIVED,
        )
    ):
        return
    channel_id = ClubSettings.load().posts_channel_id
    message = client.send_message(channel_id, nonce=effect.nonce, **announcement(game))
    _save(game, discord_message_id=message["id"])


@handler(EffectKind.REFRESH_ANNOUNCEMENT)
def refresh_announcement(effect: DiscordEffect, client: DiscordClient) -> None:
    """Re-render the announcement from the game as it is now (so running twice is harmless)."""
    game = _game(effect)
    if game is None or not game.discord_message_id or game.status == GameStatus.ARCHIVED:
        return
    channel_id = ClubSettings.load().posts_channel_id
    payload = announcement(game)
    try:
        client.edit_message(channel_id, game.discord_message_id, **payload)
    except DiscordError as exc:
        if not exc.is_not_found:
            raise
        # Deleted by hand: post it again.
        message = client.send_message(channel_id, nonce=effect.nonce, **payload)
        _save(game, discord_message_id=message["id"])


@handler(EffectKind.GRANT_ACCESS)
def grant_access(effect: DiscordEffect, client: DiscordClient) -> None:
    game = _game(effect)
    if game is None or game.status == GameStatus.ARCHIVED:
        return
    user_id = effect.payload["user_id"]
    if game.discord_direct_permissions:
        client.set_permission(
            game.discord_channel_id, user_id, type=MEMBER_OVERWRITE, allow=naming.PLAYER
        )
    else:
        client.add_member_role(ClubSettings.load().guild_id, user_id, game.discord_role_id)


@handler(EffectKind.REVOKE_ACCESS)
def revoke_access(effect: DiscordEffect, client: DiscordClient) -> None:
    game = _game(effect)
    if game is None or game.status == GameStatus.ARCHIVED:
        return
    user_id = effect.payload["user_id"]
    if game.discord_direct_permissions:
        _ignore_missing(client.delete_permission, game.discord_channel_id, user_id)
    elif game.discord_role_id:
        _ignore_missing(
            client.remove_member_role,
            ClubSettings.load().guild_id,
            user_id,
            game.discord_role_id,
        )


@handler(EffectKind.SEND_MESSAGE)
def send_message(effect: DiscordEffect, client: DiscordClient) -> None:
    """A notice frozen at record time, posted in the game channel or the staff channel."""
    target = effect.payload["target"]
    if target == "staff":
        channel_id = ClubSettings.load().admin_channel_id
    else:
        game = _game(effect)
        if game is None or not game.discord_channel_id:
            return  # nothing to tell: the game has no channel (any more)
        channel_id = game.discord_channel_id
    message = dict(effect.payload["message"])
    if effect.payload.get("ping_players"):
        # Mentions are resolved now: the game role may not have existed when this was recorded.
        player_ids = list(
            game.registrations.registered()
            .order_by("created_at", "pk")
            .values_list("player__discord_id", flat=True)
        )
        content = "\n".join(filter(None, [mentions(game, player_ids), message.get("content")]))
        message["content"] = naming.truncate(content, naming.CONTENT_MAX)
        message["allowed_mentions"] = allowed_mentions_for(game)
    client.send_message(channel_id, nonce=effect.nonce, **message)


@handler(EffectKind.CLEANUP_GAME)
def cleanup_game(effect: DiscordEffect, client: DiscordClient) -> None:
    """Delete channel, role and announcement; give the category its seat back."""
    payload = effect.payload
    club = ClubSettings.load()
    if payload.get("channel_id"):
        _ignore_missing(client.delete_channel, payload["channel_id"])
    if payload.get("category_id") and not payload.get("category_released"):
        Channel.objects.filter(pk=payload["category_id"], size__gt=0).update(size=F("size") - 1)
        payload["category_released"] = True
        DiscordEffect.objects.filter(pk=effect.pk).update(payload=payload)
    if payload.get("role_id"):
        _ignore_missing(client.delete_role, club.guild_id, payload["role_id"])
    if payload.get("message_id"):
        _ignore_missing(client.delete_message, club.posts_channel_id, payload["message_id"])
    if effect.game_id:
        Game.objects.filter(pk=effect.game_id).update(
            discord_channel_id="",
            discord_role_id="",
            discord_message_id="",
            discord_briefing_id="",
            discord_category=None,
        )

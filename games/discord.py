"""What the game workflow posts on Discord, and the outbox handlers that post it.

Renderers build Discord payloads (texts of original-domain §2.12, Discord timestamps for dates,
mentions in `content` so they ping). A notice to the players pings exactly the game role and the
registered players (explicit `allowed_mentions`): nothing a GM types pings anyone else. The staff
report names its reporter (staff see who reported; the GM's timeline does not).

Handlers apply one recorded effect, outside any transaction (a seat in a category is taken in a
short one of its own, with no Discord call inside); each is idempotent: every creation (role,
channel, category) looks up by name first, on the first attempt too, so an object created just
before a crash is adopted, never made twice; ids are stored as soon as Discord returns them;
messages carry a nonce; deleting what is already gone, and granting or revoking the access of a
member who left the server, count as done. Categories are made only by
`catalog.services.create_category`, under the provisioning lock. Which games get what follows
the rules on `Game` (`is_live`, `is_archived`, `is_announced`, …), never a status spelled out.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from catalog.models import CATEGORY_CAPACITY, Channel, ClubSettings, GameType
from catalog.services import create_category
from games.models import Game, Restriction
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
MENTIONS_MAX = 100  # ids per allowed_mentions list (Discord's limit)
UNKNOWN_MEMBER_CODES = {10007, 10013}  # "Unknown Member", "Unknown User"


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


def allowed_mentions_for(game: Game, player_ids: list[str]) -> dict:
    """Who a game notice may ping: exactly the game role and the registered players.

    Explicit lists and no "parse": a mention typed in the text (another member, another role,
    @everyone, @here) pings nobody.
    """
    return {
        "users": list(dict.fromkeys(player_ids))[:MENTIONS_MAX],
        "roles": [game.discord_role_id] if game.discord_role_id else [],
    }


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
    # Rendered for live games only: not open means closed, by hand or because full.
    closed = not game.is_open
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


def _take_seat(game: Game, game_type: str) -> Channel | None:
    """A seat in a category of `game_type` with room, held by the game; None when all are full.

    The seat is taken with a conditional UPDATE (size < 50), so two games set up at once never
    both take the last one, in a short transaction with the game's pointer to it, so a seat is
    never taken without a game holding it. No Discord call in there.
    """
    for category in Channel.objects.of_type(game_type).with_room().order_by("size", "pk"):
        with transaction.atomic():
            taken = Channel.objects.filter(pk=category.pk, size__lt=CATEGORY_CAPACITY).update(
                size=F("size") + 1
            )
            if taken:
                _save(game, discord_category=category)
                return category
    return None


def _reserve_category(client: DiscordClient, game: Game) -> Channel:
    """A seat for the game's channel, in a new category when every one of its type is full.

    The new category comes from `catalog.services.create_category`, outside any transaction and
    under the provisioning lock: games set up at once in full categories share one new category.
    """
    game_type = GameType.ONESHOT if game.special_event_id else game.type
    for _attempt in range(3):
        category = _take_seat(game, game_type)
        if category is not None:
            return category
        # None: another set-up (or `discord_categories`) made room meanwhile; take a seat there.
        create_category(client, game_type)
    # Only if other set-ups fill each new category before this one gets a seat: try later.
    raise RuntimeError(f"No category with room for {game.slug} yet; it is tried again.")


def _find_role(client: DiscordClient, guild_id: str, name: str) -> str | None:
    return next((r["id"] for r in client.list_roles(guild_id) if r.get("name") == name), None)


def _find_channel(client: DiscordClient, guild_id: str, name: str, parent_id: str) -> str | None:
    for channel in client.list_channels(guild_id):
        if channel.get("name") == name and str(channel.get("parent_id")) == parent_id:
            return channel["id"]
    return None


@handler(EffectKind.SETUP_GAME)
def setup_game(effect: DiscordEffect, client: DiscordClient) -> None:
    """Role (unless direct mode), channel in a category with room, pinned briefing.

    Each creation looks up by name first, on every attempt: a worker that died after Discord
    answered and before the id was saved left the object there, and it is adopted, never made
    twice (one list call per creation). No Discord call runs inside a transaction.
    """
    game = _game(effect)
    if game is None or not game.is_live:
        return
    guild_id = ClubSettings.load().guild_id

    if not game.discord_direct_permissions and not game.discord_role_id:
        name = naming.role_name(game.slug)
        role_id = _find_role(client, guild_id, name)
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
        category = game.discord_category or _reserve_category(client, game)
        name = naming.channel_name(game.slug)
        channel_id = _find_channel(client, guild_id, name, category.discord_id)
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
    if game is None or game.is_announced or not game.is_live:
        return
    channel_id = ClubSettings.load().posts_channel_id
    message = client.send_message(channel_id, nonce=effect.nonce, **announcement(game))
    _save(game, discord_message_id=message["id"])


@handler(EffectKind.REFRESH_ANNOUNCEMENT)
def refresh_announcement(effect: DiscordEffect, client: DiscordClient) -> None:
    """Re-render the announcement from the game as it is now (so running twice is harmless)."""
    game = _game(effect)
    if game is None or not game.is_announced or game.is_archived:
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


def _is_unknown_member(exc: DiscordError) -> bool:
    # Discord's JSON error codes: the user left the server, or the account is gone.
    return exc.status == 404 and exc.code in UNKNOWN_MEMBER_CODES


@handler(EffectKind.GRANT_ACCESS)
def grant_access(effect: DiscordEffect, client: DiscordClient) -> None:
    """Let a player into the game channel (the role, or a member overwrite in direct mode).

    A player who is not on the Discord server (left it, or deleted their account) cannot be let
    in: that is done, with a log line, not a failure that would be retried for nothing.
    """
    game = _game(effect)
    if game is None or game.is_archived:
        return
    user_id = effect.payload["user_id"]
    if not game.registrations.registered().filter(player__discord_id=user_id).exists():
        # Left or removed since: a revoke may already have run ahead of this grant.
        return
    try:
        if game.discord_direct_permissions:
            client.set_permission(
                game.discord_channel_id, user_id, type=MEMBER_OVERWRITE, allow=naming.PLAYER
            )
        else:
            client.add_member_role(ClubSettings.load().guild_id, user_id, game.discord_role_id)
    except DiscordError as exc:
        if not _is_unknown_member(exc):
            raise
        logger.warning(
            "Game %s: Discord user %s is not on the server (%s); channel access not granted",
            game.slug,
            user_id,
            exc,
        )


@handler(EffectKind.REVOKE_ACCESS)
def revoke_access(effect: DiscordEffect, client: DiscordClient) -> None:
    """Take a player's access away. A member gone from the server, a role or an overwrite
    already gone: nothing left to take away, so done (with a log line)."""
    game = _game(effect)
    if game is None or game.is_archived:
        return
    user_id = effect.payload["user_id"]
    try:
        if game.discord_direct_permissions:
            client.delete_permission(game.discord_channel_id, user_id)
        elif game.discord_role_id:
            client.remove_member_role(ClubSettings.load().guild_id, user_id, game.discord_role_id)
    except DiscordError as exc:
        if _is_unknown_member(exc):
            logger.info(
                "Game %s: Discord user %s left the server; no access to revoke", game.slug, user_id
            )
        elif exc.is_not_found:
            logger.info(
                "Game %s: access of Discord user %s already gone (%s)", game.slug, user_id, exc
            )
        else:
            raise


@handler(EffectKind.SEND_MESSAGE)
def send_message(effect: DiscordEffect, client: DiscordClient) -> None:
    """A notice frozen at record time, posted in the game channel or the staff channel.

    With `ping_players`, the mentions are resolved now (the game role may not have existed when
    the notice was recorded) and only they may ping: whatever a GM typed in the text
    (`<@someone>`, `@everyone`, another role) pings nobody.
    """
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
        player_ids = list(
            game.registrations.registered()
            .order_by("created_at", "pk")
            .values_list("player__discord_id", flat=True)
        )
        content = "\n".join(filter(None, [mentions(game, player_ids), message.get("content")]))
        message["content"] = naming.truncate(content, naming.CONTENT_MAX)
        message["allowed_mentions"] = allowed_mentions_for(game, player_ids)
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

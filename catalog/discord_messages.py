"""Messages staff write in the admin and the bot posts: send, edit and delete them on Discord.

Unlike the game workflow (recorded in the outbox, applied later by the worker), these call Discord
synchronously: the author is waiting on the page and needs to know at once whether the message
went out. Online, Discord always comes first, so a row exists only for a message Discord accepted.

Offline (`questmaster.discord.is_offline()`: no bot token), nothing is sent and nothing is
refused: the message is saved as written, without a Discord id (an edit changes the row only),
and the caller tells the author so. Once online, saving it again from the admin posts it.

Failures reach the caller as `ValidationError` — a message it can show next to the form: the
message is invalid, or Discord refused ("Discord error: …").
"""

from __future__ import annotations

import logging
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import DiscordMessage, PostChannel
from questmaster.discord import is_offline
from questmaster.discord.client import DiscordClient, DiscordError
from questmaster.discord.validators import color_to_int

logger = logging.getLogger(__name__)

DEFAULT_EMBED_COLOR = "#5865f2"  # Discord's "blurple"

# Mentions written in the text: <@123…> or <@!123…> for a member, <@&123…> for a role.
USER_MENTION = re.compile(r"<@!?([0-9]{17,21})>")
ROLE_MENTION = re.compile(r"<@&([0-9]{17,21})>")
MENTIONS_MAX = 100  # per list, Discord's limit
# What an edit writes (besides the Discord id and the time of the edit).
EDITABLE_FIELDS = ("channel", "channel_discord_id", "channel_label", "content", "embeds", "buttons")


# --- payloads -----------------------------------------------------------------------------------


def embed_payload(embed: dict) -> dict:
    """A stored embed ({title, description, color, footer, image_url}) as Discord wants it."""
    payload: dict = {}
    if title := embed.get("title"):
        payload["title"] = title
    if description := embed.get("description"):
        payload["description"] = description
    payload["color"] = color_to_int(embed.get("color") or DEFAULT_EMBED_COLOR)
    if footer := embed.get("footer"):
        payload["footer"] = {"text": footer}
    if image_url := embed.get("image_url"):
        payload["image"] = {"url": image_url}
    return payload


def components_payload(buttons: list[dict]) -> list[dict]:
    """Link buttons, all in one action row (style 5: a link, no interaction to answer)."""
    if not buttons:
        return []
    row = [{"type": 2, "style": 5, "label": b["label"], "url": b["url"]} for b in buttons]
    return [{"type": 1, "components": row}]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))[:MENTIONS_MAX]


def allowed_mentions(content: str) -> dict:
    """Only the members and roles mentioned explicitly are pinged; never @everyone or @here."""
    mentions: dict = {"parse": []}
    if users := _unique(USER_MENTION.findall(content)):
        mentions["users"] = users
    if roles := _unique(ROLE_MENTION.findall(content)):
        mentions["roles"] = roles
    return mentions


def _payload(message: DiscordMessage) -> dict:
    return {
        "content": message.content,
        "embeds": [embed_payload(embed) for embed in message.embeds],
        "components": components_payload(message.buttons),
        "allowed_mentions": allowed_mentions(message.content),
    }


def _new_message_payload(message: DiscordMessage) -> dict:
    # A new message leaves out what it does not have; an edit sends everything, "" and [] clear.
    payload = _payload(message)
    return {name: value for name, value in payload.items() if value}


# --- Discord calls ------------------------------------------------------------------------------


def _discord_error(exc: DiscordError) -> ValidationError:
    # Formatted when shown, so a "%" in Discord's answer is not taken for a placeholder.
    return ValidationError(
        _("Discord error: %(error)s"), code="discord", params={"error": str(exc)}
    )


def _post(client: DiscordClient, message: DiscordMessage, nonce: str | None) -> str:
    try:
        answer = client.send_message(
            message.channel_discord_id, nonce=nonce or None, **_new_message_payload(message)
        )
    except DiscordError as exc:
        raise _discord_error(exc) from exc
    return answer["id"]


def _delete_quietly(client: DiscordClient, channel_id: str, message_id: str) -> bool:
    """Delete a message on Discord if possible; True when it is gone from Discord."""
    try:
        client.delete_message(channel_id, message_id)
    except DiscordError as exc:
        if exc.is_not_found:
            return True
        logger.warning("Could not delete Discord message %s in %s: %s", message_id, channel_id, exc)
        return False
    return True


def _point_at(message: DiscordMessage, channel: PostChannel) -> None:
    message.channel = channel
    message.channel_discord_id = channel.discord_id
    message.channel_label = channel.label


# --- use cases ----------------------------------------------------------------------------------


def send_message(
    *,
    channel: PostChannel,
    content: str,
    embeds: list[dict],
    buttons: list[dict],
    sent_by,
    nonce: str | None = None,
) -> DiscordMessage:
    """Post a new message in `channel`, then store it (with a snapshot of the channel's label).

    `nonce` (≤ 25 characters, one per rendered form) makes a double submit come back as the
    message Discord already created instead of a second post. Offline: stored only, without a
    Discord id (`is_offline()` tells the caller).
    """
    message = DiscordMessage(content=content, embeds=embeds, buttons=buttons, sent_by=sent_by)
    _point_at(message, channel)
    message.full_clean(exclude=["discord_message_id"])
    if is_offline():
        message.save()
        return message
    with DiscordClient.for_bot() as client:
        message.discord_message_id = _post(client, message, nonce)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # Discord answered a repeated nonce with the message a first submit already stored.
        existing = DiscordMessage.objects.filter(
            discord_message_id=message.discord_message_id
        ).first()
        if existing is None:
            raise
        return existing
    return message


def edit_message(
    message: DiscordMessage,
    *,
    channel: PostChannel,
    content: str,
    embeds: list[dict],
    buttons: list[dict],
    nonce: str | None = None,
) -> DiscordMessage:
    """Change a sent message on Discord, then in the database.

    In the same channel the message is edited in place (empty content or no embeds clear them).
    In another channel it is posted anew there and the old one deleted (best effort: a failure
    is logged, the new message stands). A message deleted on Discord by hand, or saved while
    offline, is posted (again). Offline: the row changes, Discord does not.
    """
    old_channel_id, old_message_id = message.channel_discord_id, message.discord_message_id
    message.content, message.embeds, message.buttons = content, embeds, buttons
    _point_at(message, channel)
    message.full_clean(exclude=["discord_message_id"])
    if is_offline():
        message.edited_at = timezone.now()
        message.save(update_fields=[*EDITABLE_FIELDS, "edited_at"])
        return message
    with DiscordClient.for_bot() as client:
        if old_message_id and old_channel_id == channel.discord_id:
            try:
                client.edit_message(channel.discord_id, old_message_id, **_payload(message))
            except DiscordError as exc:
                if not exc.is_not_found:
                    raise _discord_error(exc) from exc
                message.discord_message_id = _post(client, message, nonce)
        else:
            message.discord_message_id = _post(client, message, nonce)
            if old_message_id:
                _delete_quietly(client, old_channel_id, old_message_id)
    message.edited_at = timezone.now()
    message.save(update_fields=[*EDITABLE_FIELDS, "discord_message_id", "edited_at"])
    return message


def delete_message(message: DiscordMessage) -> bool:
    """Delete a message on Discord (best effort), then its row, always.

    Returns False when the message may still be on Discord (offline mode, Discord error).
    """
    removed = not message.discord_message_id
    if not removed and not is_offline():
        with DiscordClient.for_bot() as client:
            removed = _delete_quietly(
                client, message.channel_discord_id, message.discord_message_id
            )
    message.delete()
    return removed

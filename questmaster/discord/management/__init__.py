"""The bot client the operator commands that talk to Discord share: `discord_effects` (here, next
to the outbox it drives), `discord_sync` (games) and `discord_categories` / `discord_roles`
(catalog). Each command lives next to the code it calls; this package imports no app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError

from questmaster.discord import is_offline
from questmaster.discord.client import DiscordClient, DiscordError


@contextmanager
def bot_client() -> Iterator[DiscordClient]:
    """The bot's client, with the worker's retries; a Discord failure ends the command with a
    `CommandError` (one line for the operator, no traceback)."""
    if is_offline():
        raise CommandError(
            "Offline mode: no Discord bot token is configured (DISCORD_BOT_TOKEN), "
            "so nothing can be read from or sent to Discord."
        )
    client = DiscordClient.for_bot(max_attempts=3)
    try:
        yield client
    except DiscordError as exc:
        raise CommandError(
            f"Discord failed: {exc}. Run the command again once Discord answers "
            "(it is safe to repeat)."
        ) from exc
    finally:
        client.close()

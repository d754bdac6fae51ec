"""Project-wide Discord infrastructure: the bot client, the fake server and the generic outbox.

Nothing here imports an app: what a game says on Discord lives with the game."""

from django.conf import settings


def is_offline() -> bool:
    """Offline mode: no bot token, so Discord work is recorded and shown, never sent.

    The one predicate for it: the settings derive `DISCORD_OFFLINE` from the token, and tests
    switch it on and off through the settings."""
    return settings.DISCORD_OFFLINE or not settings.DISCORD_BOT_TOKEN

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest

from questmaster.discord import is_offline


def site(request: HttpRequest) -> dict:
    return {
        "CLUB_NAME": settings.CLUB_NAME,
        "DISCORD_OFFLINE": is_offline(),
        "failed_discord_effects": _failed_discord_effects(request),
    }


def _failed_discord_effects(request: HttpRequest) -> Callable[[], int | None]:
    """How many Discord effects failed, for those who may see them (None for the others).

    Lazy: the count query runs only on a page that shows it (the admin index)."""

    @cache
    def count() -> int | None:
        from questmaster.discord.models import DiscordEffect

        user = getattr(request, "user", None)
        if user is None or not user.has_perm("bot.view_discordeffect"):
            return None
        return DiscordEffect.objects.failed().count()

    return count

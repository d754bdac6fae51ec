from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from catalog.models import SpecialEvent

NAV_EVENTS_CACHE_KEY = "games:nav-special-events"
NAV_EVENTS_TTL = 60  # seconds: an event switched on in the admin shows up within a minute


def _active_events() -> list[dict]:
    return cache.get_or_set(
        NAV_EVENTS_CACHE_KEY,
        lambda: list(SpecialEvent.objects.active().values("pk", "emoji", "name")),
        NAV_EVENTS_TTL,
    )


def navigation(request: HttpRequest) -> dict:
    """The active special events of the menu.

    One query a minute at most (Django's cache), and none for pages that do not draw the menu.
    """
    return {"nav_events": SimpleLazyObject(_active_events)}

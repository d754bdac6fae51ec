"""System checks of the games app."""

from django.conf import settings
from django.core.checks import Warning, register

LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(deploy=True)
def shared_cache_for_statistics(app_configs, **kwargs):
    """The statistics are cached under version numbers that every change bumps: each web worker
    must see the same bump, so production needs a cache shared by all processes."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in LOCAL_CACHES:
        return [
            Warning(
                "The default cache is local to each process: with several web workers, one "
                "worker's cached statistics would not see another's changes.",
                hint="Set CACHE_URL to a shared cache (e.g. redis://127.0.0.1:6379/0).",
                id="games.W001",
            )
        ]
    return []

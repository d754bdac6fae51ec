from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GamesConfig(AppConfig):
    name = "games"
    verbose_name = _("Games")

    def ready(self) -> None:
        # Registers the outbox handlers of the game workflow.
        from games import (
            checks,  # noqa: F401 (registers the system checks)
            discord,  # noqa: F401
        )

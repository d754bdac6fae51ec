from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrophiesConfig(AppConfig):
    name = "trophies"
    verbose_name = _("Badges")

    def ready(self) -> None:
        from trophies import signals  # noqa: F401 (connects the cache bookkeeping)

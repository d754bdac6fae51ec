from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscordConfig(AppConfig):
    name = "questmaster.discord"
    label = "bot"
    verbose_name = _("Discord")

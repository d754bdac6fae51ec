"""The demo members offered by the development sign-in (DEBUG without a Discord application)."""

from django.utils.translation import gettext_lazy as _

DEMO_PERSONAS = {
    "player": {
        "discord_id": "100000000000000001",
        "label": _("Player"),
    },
    "gm": {
        "discord_id": "100000000000000002",
        "label": _("GM"),
    },
    "admin": {
        "discord_id": "100000000000000003",
        "label": _("Administrator"),
    },
}

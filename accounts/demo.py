"""The demo members: created by `manage.py demo_data`, offered by the development sign-in
(DEBUG on, no Discord application configured). Their Discord ids are fixed and documented."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DemoPersona:
    key: str
    discord_id: str
    display_name: str
    username: str
    label: str | Promise  # shown next to the name on the sign-in page
    is_gm: bool = False
    is_staff: bool = False
    is_superuser: bool = False


DEMO_PERSONAS: dict[str, DemoPersona] = {
    "player": DemoPersona(
        "player", "100000000000000001", "Camille Joueuse", "camille", _("Player")
    ),
    "gm": DemoPersona("gm", "100000000000000002", "Gaspard MJ", "gaspard", _("GM"), is_gm=True),
    "admin": DemoPersona(
        "admin",
        "100000000000000003",
        "Alix Admin",
        "alix",
        _("Administrator"),
        is_gm=True,
        is_staff=True,
        is_superuser=True,
    ),
}

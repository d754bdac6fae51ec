"""Delegated staff capabilities of the original (original-domain §8.3) as Django groups.

Each capability becomes one auth Group holding Django model permissions; Discord roles are
mapped to these groups in the admin (DiscordRoleGroup), and a single member can be given a group
or a permission directly. `manage.py seed` creates the groups and completes their permissions.

Two capabilities of the original are deliberately not carried over:
- ``permissions.manage``: granting permissions stays with superusers. In the original a holder
  could grant itself every capability; here no delegated staff member can widen their own rights.
- ``app_log.view``: there is no application-log table; logs go to the process output.
"""

from dataclasses import dataclass

_CRUD = ("add", "change", "delete", "view")


def _all(app_label: str, model: str) -> tuple[str, ...]:
    return tuple(f"{app_label}.{action}_{model}" for action in _CRUD)


@dataclass(frozen=True)
class Capability:
    key: str
    group_name: str
    # "app_label.codename", the form User.has_perm() takes.
    permissions: tuple[str, ...]


CAPABILITIES: tuple[Capability, ...] = (
    Capability("users.view", "Consulter les membres", ("accounts.view_user",)),
    Capability("vtt.manage", "Gérer les VTTs", _all("catalog", "vtt")),
    Capability("system.manage", "Gérer les systèmes", _all("catalog", "system")),
    Capability(
        "trophy.manage",
        "Gérer les badges",
        # Awarding badges means picking members, hence viewing them.
        (*_all("trophies", "trophy"), *_all("trophies", "usertrophy"), "accounts.view_user"),
    ),
    Capability("channel.manage", "Gérer les catégories de salons", _all("catalog", "channel")),
    Capability("special_event.manage", "Gérer les événements", _all("catalog", "specialevent")),
    Capability(
        "game_event.view",
        "Consulter l'audit des annonces",
        ("games.view_gameevent", "games.view_game"),
    ),
    Capability(
        "discord.send",
        "Envoyer des messages Discord",
        (*_all("catalog", "discordmessage"), *_all("catalog", "postchannel")),
    ),
)

CAPABILITIES_BY_KEY: dict[str, Capability] = {cap.key: cap for cap in CAPABILITIES}

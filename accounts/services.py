"""Keeping members in step with Discord: profile, roles, staff flags and groups."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import UNKNOWN_NAME, DiscordRoleGroup, User
from catalog.models import ClubSettings
from questmaster.discord.client import DiscordClient, DiscordError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleIds:
    player: str
    gm: str
    admin: str

    @classmethod
    def current(cls, club: ClubSettings | None = None) -> RoleIds:
        club = club or ClubSettings.load()
        return cls(club.player_role_id, club.gm_role_id, club.admin_role_id)


def member_roles(member: dict | None) -> set[str]:
    if not member:
        return set()
    return {str(role) for role in member.get("roles") or []}


def may_sign_in(member: dict | None, roles: RoleIds) -> bool:
    """The guild gate: in the server, with the player role or the admin role."""
    held = member_roles(member)
    return bool(({roles.player, roles.admin} - {""}) & held)


def display_name_of(member: dict) -> str:
    user = member.get("user") or {}
    return (member.get("nick") or user.get("global_name") or user.get("username") or UNKNOWN_NAME)[
        :100
    ]


def is_operator_account(user: User) -> bool:
    """Accounts made with `createsuperuser` keep their flags whatever Discord says."""
    return user.has_usable_password()


@transaction.atomic
def apply_member(user: User, member: dict | None, *, roles: RoleIds | None = None) -> User:
    """Copy a Discord member record onto a saved user.

    `member` None means Discord says the person left the server: they are marked inactive and
    lose every Discord-granted flag and group. Otherwise profile, flags (player, GM, admin →
    superuser) and the groups mapped to their roles are refreshed. Groups staff added by hand
    (not mapped to any Discord role) are kept.
    """
    roles = roles or RoleIds.current()
    now = timezone.now()
    held = member_roles(member)
    if member is None:
        user.not_player_as_of = user.not_player_as_of or now
    else:
        user.not_player_as_of = None
        profile = member.get("user") or {}
        user.display_name = display_name_of(member)
        user.username = (profile.get("username") or user.username or "")[:32]
        user.avatar = (member.get("avatar") or profile.get("avatar") or "")[:64]
    user.is_player = bool(roles.player) and roles.player in held
    user.is_gm = bool(roles.gm) and roles.gm in held
    user.roles_synced_at = now

    mappings = DiscordRoleGroup.objects.all()
    mapped_group_ids = {m.group_id for m in mappings}
    wanted = {m.group_id for m in mappings if m.role_id in held}
    current = set(user.groups.values_list("id", flat=True))
    if to_remove := (current & mapped_group_ids) - wanted:
        user.groups.remove(*to_remove)
    if to_add := wanted - current:
        user.groups.add(*to_add)

    if not is_operator_account(user):
        is_admin = bool(roles.admin) and roles.admin in held
        user.is_superuser = is_admin
        user.is_staff = is_admin or user.groups.exists() or user.user_permissions.exists()
    user.save()
    return user


def refresh_member(user: User, client: DiscordClient, *, guild_id: str, roles: RoleIds) -> str:
    """Re-read one member through the bot. Returns "updated", "left" or "skipped"."""
    try:
        member = client.get_member(guild_id, user.discord_id)
    except DiscordError as exc:
        if exc.is_not_found:
            apply_member(user, None, roles=roles)
            return "left"
        logger.warning("Could not refresh member %s: %s", user.discord_id, exc)
        return "skipped"
    apply_member(user, member, roles=roles)
    return "updated"

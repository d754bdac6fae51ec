"""Members and the club: keeping them in step with Discord (profile, roles, staff flags, groups),
deactivating them when they leave, deleting the accounts that hold no history."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import UNKNOWN_NAME, DiscordRoleGroup, User
from catalog.models import ClubSettings
from games.models import Game, Registration
from games.services import unregister_player
from games.statistics import forget_club_stats
from questmaster.discord import is_offline
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

    `member` None means Discord says the person left the server: they lose every
    Discord-granted flag and group, then are deactivated (`deactivate_member`, which frees their
    seats in live games). Otherwise profile, flags (player, GM, admin → superuser) and the groups
    mapped to their roles are refreshed, and a deactivated member who is back on the server is
    active again. Groups staff added by hand (not mapped to any Discord role) are kept.
    """
    roles = roles or RoleIds.current()
    now = timezone.now()
    held = member_roles(member)
    if member is not None:
        if user.not_player_as_of is not None:
            # Back on the server: Discord decides who belongs to the club, so a deactivation
            # (by hand or automatic) ends here. Keeping someone out means removing their role.
            user.not_player_as_of = None
            user.is_active = True
        profile = member.get("user") or {}
        shown = (user.display_name, user.avatar)
        user.display_name = display_name_of(member)
        user.username = (profile.get("username") or user.username or "")[:32]
        user.avatar = (member.get("avatar") or profile.get("avatar") or "")[:64]
        if (user.display_name, user.avatar) != shown:
            # Names and avatars appear in cached statistics and leaderboards.
            transaction.on_commit(forget_club_stats)
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
    if member is None:
        deactivate_member(user, actor=None)
    return user


def refresh_member(user: User, client: DiscordClient, *, guild_id: str, roles: RoleIds) -> str:
    """Re-read one member through the bot. Returns "updated", "left" or "skipped"."""
    try:
        member = client.get_member(guild_id, user.discord_id)
    except DiscordError as exc:
        if not exc.is_not_found:
            logger.warning("Could not refresh member %s: %s", user.discord_id, exc)
            return "skipped"
        member = None
    try:
        apply_member(user, member, roles=roles)
    except ValidationError as exc:
        # A game refused to let the member go: nothing was saved, the next run tries again.
        logger.warning("Could not deactivate member %s: %s", user.discord_id, exc)
        return "skipped"
    return "left" if member is None else "updated"


def member_from_guild(discord_id: str) -> User:
    """A member who never signed in, looked up on the Discord server through the bot (a GM
    adds them to a game by id, as the original allows) and created when they hold the player
    role. Refuses with a French message otherwise; offline, only known members can be added."""
    if is_offline():
        raise ValidationError(
            _("Unknown member: they must have signed in at least once."), code="unknown"
        )
    roles = RoleIds.current()
    try:
        with DiscordClient.for_bot() as client:
            member = client.get_member(ClubSettings.load().guild_id, discord_id)
    except DiscordError as exc:
        if exc.is_not_found:
            raise ValidationError(
                _("Nobody on the Discord server has this id."), code="unknown"
            ) from exc
        logger.warning("Could not look up member %s: %s", discord_id, exc)
        raise ValidationError(
            _("Discord did not answer: try again in a moment."), code="discord_down"
        ) from exc
    if not roles.player or roles.player not in member_roles(member):
        raise ValidationError(
            _("This person does not have the player role on the Discord server."),
            code="not_player",
        )
    user = User.objects.filter(discord_id=discord_id).first()
    if user is None:
        user = User.objects.create_user(discord_id, display_name=display_name_of(member))
    return apply_member(user, member, roles=roles)


# --- leaving the club ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Deactivation:
    member: User
    # False when the member was already marked inactive (their leftover seats are still freed).
    newly_inactive: bool
    # Registrations (seats, waiting-list places, applications) removed from live games.
    registrations_removed: int
    # Live games the member still runs as GM: they stay as they are, staff decide.
    live_games_run: int


@transaction.atomic
def deactivate_member(member: User, *, actor: User | None) -> Deactivation:
    """Mark a member as gone from the club and take them out of every live game.

    `actor` None means automatic (Discord says they left the server). The member gets
    `not_player_as_of` (the first date is kept), loses the player flag and is made inactive
    (`is_active=False`): Django then refuses their session at the next request and allauth
    refuses their sign-in, until Discord shows them back (`apply_member`) or staff reactivate
    them. Operator accounts (password sign-in, not Discord) keep their sign-in when the
    deactivation is automatic, as they keep their flags whatever Discord says.

    Each registration in a live game (registered, waiting list, candidate) goes through
    `games.services.unregister_player`: the first of the waiting list is promoted, Discord access
    revoked and granted (outbox effects), audit lines written. Archived games keep theirs
    (history, badges); games the member runs as GM are left alone and counted.
    Side effects: those of `unregister_player`, in this one transaction.
    """
    if actor is not None and actor.pk == member.pk:
        raise ValidationError(_("You cannot deactivate your own account."), code="self")
    # Serialises two deactivations of the same member (admin action and refresh job).
    inactive_since = (
        User.objects.select_for_update()
        .values_list("not_player_as_of", flat=True)
        .get(pk=member.pk)
    )
    member.not_player_as_of = inactive_since or timezone.now()
    member.is_player = False
    if actor is not None or not is_operator_account(member):
        member.is_active = False
    # Saved first, so `register_player` refuses the member from now on.
    member.save(update_fields=["not_player_as_of", "is_player", "is_active"])

    registrations = (
        Registration.objects.filter(player=member, game__in=Game.objects.live())
        .select_related("game")
        # Games locked in a fixed order: two deactivations sharing games cannot deadlock.
        .order_by("game_id")
    )
    removed = 0
    for registration in registrations:
        try:
            unregister_player(registration.game, member, actor=actor)
        except ValidationError:
            # Gone meanwhile (the player left, the game was archived): nothing to free.
            # Any other refusal keeps the seat: stop, so nothing is freed silently.
            still_there = Registration.objects.filter(
                pk=registration.pk, game__in=Game.objects.live()
            ).exists()
            if still_there:
                raise
        else:
            removed += 1
    return Deactivation(
        member=member,
        newly_inactive=inactive_since is None,
        registrations_removed=removed,
        live_games_run=Game.objects.live().filter(gm=member).count(),
    )


def reactivate_member(member: User) -> User:
    """Undo a deactivation by hand. Registrations removed then are not restored; the player flag
    comes back with the next Discord refresh or sign-in."""
    member.not_player_as_of = None
    member.is_active = True
    member.save(update_fields=["not_player_as_of", "is_active"])
    return member


def deletion_blockers(member: User) -> tuple[list[Game], list[Registration]]:
    """What keeps a member from being deleted: the games they run (`Game.gm` is protected) and
    their registrations, live (a seat) or archived (the club's history)."""
    games = list(Game.objects.filter(gm=member).order_by("pk"))
    registrations = list(member.registrations.select_related("game").order_by("pk"))
    return games, registrations


@transaction.atomic
def delete_member(member: User, *, actor: User) -> None:
    """Delete an account that holds no history (e.g. one created by mistake).

    A member who runs a game or holds a registration is refused: deactivate them instead. The
    member row is locked before the check, so no registration can be added in between and the
    delete never cascades one.
    """
    if actor.pk == member.pk:
        raise ValidationError(_("You cannot delete your own account."), code="self")
    User.objects.select_for_update().get(pk=member.pk)
    games, registrations = deletion_blockers(member)
    if games or registrations:
        raise ValidationError(
            _(
                "%(name)s cannot be deleted: they run %(games)d game(s) and hold "
                "%(registrations)d registration(s). Deactivate them instead."
            )
            % {"name": member, "games": len(games), "registrations": len(registrations)},
            code="has_history",
        )
    member.delete()

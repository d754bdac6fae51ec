"""Use cases of the game aggregate: content, lifecycle, registrations, sessions, messages.

Each one locks the game row, checks the rule on the model (`Game`), then writes the change, its
audit line and the Discord work to do (outbox effects) in one transaction. Nothing here calls
Discord: the worker applies the recorded effects after the commit. Who may act on which game is
decided by `games.access` before a service is called; the rules about the game itself live on
`Game`, and the status only ever changes through `Game._set_state`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import ClubSettings, GameType
from games import discord as game_discord
from games.models import (
    CONTENT_FIELDS,
    IDENTITY_FIELDS,
    Attendance,
    Game,
    GameEvent,
    GameEventAction,
    GameSession,
    Registration,
    RegistrationMode,
    RegistrationState,
)
from games.statistics import forget_club_stats, forget_member_stats
from questmaster.discord.models import EffectKind
from questmaster.discord.outbox import record
from trophies.models import TROPHY_CAMPAIGN, TROPHY_CAMPAIGN_GM, TROPHY_OS, TROPHY_OS_GM
from trophies.services import award_for_game

MAX_MESSAGE_LENGTH = 1500


def short_date(value: datetime.datetime) -> str:
    """French short format of the original, e.g. "sam. 10/09 - 20h30"."""
    return date_format(timezone.localtime(value), r"D d/m - H\hi")


def _lock(game: Game) -> Game:
    """Re-read the game under a row lock: every mutation of a game is serialised on it."""
    return (
        Game.objects.select_for_update(of=("self",))
        .select_related("gm", "system", "special_event")
        .get(pk=game.pk)
    )


def _log(game: Game, action: str, description: str, *, actor=None, subject=None) -> GameEvent:
    """The one writer of the audit trail; automatic changes have no actor.

    Every change of a game writes one, so this is also where the statistics of the people it
    concerns (its GM, its players, the subject) are made stale, once the change commits."""
    _forget_stats_on_commit(game, [subject.pk] if subject is not None else [])
    return GameEvent.objects.create(
        game=game,
        action=action,
        description=description,
        actor=actor if actor is not None and actor.is_authenticated else None,
        subject=subject,
    )


def _forget_stats_on_commit(game: Game, user_ids: list[int]) -> None:
    def forget() -> None:
        players = Registration.objects.filter(game_id=game.pk).values_list("player_id", flat=True)
        forget_member_stats([game.gm_id, *user_ids, *players])
        forget_club_stats()

    transaction.on_commit(forget)


def _refresh_announcement(game: Game, actor=None) -> None:
    if game.has_announcement:
        record(EffectKind.REFRESH_ANNOUNCEMENT, game=game, actor=actor)


def _game_message(game: Game, message: dict, actor=None, *, ping_players: bool = False) -> None:
    record(
        EffectKind.SEND_MESSAGE,
        game=game,
        actor=actor,
        target="game",
        message=message,
        ping_players=ping_players,
    )


# --- content ------------------------------------------------------------------------------------


@transaction.atomic
def create_game(game: Game, *, actor, gm=None) -> Game:
    """Insert `game` (unsaved, filled by a form) as a draft of `gm` (the actor by default),
    under the first free slug of its name. Side effect: the `create` audit line."""
    game.gm = gm or actor
    if not game.is_draft or game.closed_reason:
        raise ValueError("a new game starts as a draft")
    game.save_with_unique_slug()
    _log(
        game,
        GameEventAction.CREATE,
        _("Announcement created with the status %(status)s.") % {"status": game.status},
        actor=actor,
    )
    return game


@dataclass
class Rebalance:
    """What a change of the party size or of the selection mode did to the players."""

    promoted: list[Registration] = field(default_factory=list)
    now_candidates: int = 0


@transaction.atomic
def update_game(edited: Game, *, actor, extra_fields: tuple[str, ...] = ()) -> Game:
    """Save the content of `edited` (a form's instance) over the game.

    The row is locked and re-read, and only the editable fields (+ `extra_fields`, which staff
    edit in the admin) are copied onto it: the status a concurrent registration just changed
    is never overwritten by the stale instance. Name, type and event change only while the game
    is a draft; renaming a draft gives it a new slug. A party size below the players already
    seated is refused; a larger one, or leaving "sur sélection", seats the waiting list.
    Side effects: the `edit` audit line; promotions (access + notice); the announcement is
    refreshed when there is one.
    """
    game = _lock(edited)
    if game.is_archived:
        raise ValidationError(
            _("An archived announcement can no longer be edited."), code="archived"
        )
    seated = game.registered_count
    if edited.party_size < seated:
        raise ValidationError(
            {
                "party_size": _(
                    "%(count)d players are already registered: remove some before lowering "
                    "the number of players."
                )
                % {"count": seated}
            },
            code="below_roster",
        )
    was_selection = game.party_selection
    for name in (*CONTENT_FIELDS, *extra_fields):
        setattr(game, name, getattr(edited, name))
    if game.is_draft:
        renamed = edited.name != game.name
        for name in IDENTITY_FIELDS:
            setattr(game, name, getattr(edited, name))
        if renamed:
            game.save_with_unique_slug()
        else:
            game.save(
                update_fields=[*CONTENT_FIELDS, *IDENTITY_FIELDS, *extra_fields, "updated_at"]
            )
    else:
        game.save(update_fields=[*CONTENT_FIELDS, *extra_fields, "updated_at"])
    _log(game, GameEventAction.EDIT, _("The content of the announcement was edited."), actor=actor)
    _rebalance(game, actor=actor, was_selection=was_selection)
    _refresh_announcement(game, actor)
    return game


def _rebalance(game: Game, *, actor, was_selection: bool) -> Rebalance:
    """After a change of size or mode, under the row lock: nobody stranded, no seat idle."""
    result = Rebalance()
    registrations = game.registrations.select_related("player")
    if game.party_selection and not was_selection:
        # The GM now picks: the waiting list becomes the candidates, in their order.
        result.now_candidates = registrations.filter(state=RegistrationState.WAITLISTED).update(
            state=RegistrationState.CANDIDATE
        )
    elif was_selection and not game.party_selection:
        # First come, first served again: candidates queue in the order they applied.
        registrations.filter(state=RegistrationState.CANDIDATE).update(
            state=RegistrationState.WAITLISTED
        )
    if not game.party_selection and game.is_live:
        for registration in game.registrations.waitlisted().select_related("player")[
            : game.seats_left
        ]:
            _promote(game, registration, actor=actor)
            result.promoted.append(registration)
    _settle_full_status(game)
    return result


def _settle_full_status(game: Game) -> None:
    """Close a game that just filled up; reopen one closed because full that has room."""
    if game.is_open and game.is_full:
        game._set_state("fill")
        _log(
            game,
            GameEventAction.EDIT,
            _(
                "Announcement closed automatically after reaching the maximum number of "
                "players (%(size)d)."
            )
            % {"size": game.party_size},
        )
        _refresh_announcement(game)
    elif game.is_closed_because_full and not game.is_full:
        game._set_state("free")
        _log(game, GameEventAction.EDIT, _("Announcement reopened automatically: seats are free."))
        _refresh_announcement(game)


# --- lifecycle ----------------------------------------------------------------------------------


@transaction.atomic
def publish_game(game: Game, *, actor, silent: bool = False, allow_past_date: bool = False) -> Game:
    """Publish a draft (announced, or silently: open to the GM's invitations only), or announce
    a silently opened game.

    Side effects: first publication creates the first session and records the Discord set-up
    (role, channel, pinned briefing); announcing records the public announcement.
    """
    game = _lock(game)
    action = "open-silent" if silent else "publish"
    game.check_transition(action)
    if game.is_announced:
        raise ValidationError(_("This game is already published."), code="already_published")
    if game.is_full:
        raise ValidationError(_("A full game cannot be published."), code="full")
    first_time = game.published_at is None
    if first_time and not allow_past_date and game.date < timezone.now():
        raise ValidationError(
            _(
                "The date of the game is in the past: its first session would be created in "
                "the past. Change the date or confirm the publication."
            ),
            code="past_date",
        )
    if first_time:
        session = GameSession(game=game, start=game.date, end=game.date + game.session_duration)
        session.full_clean()
        session.save()
        game.published_at = timezone.now()
        game.discord_direct_permissions = ClubSettings.load().discord_use_direct_permissions
        record(EffectKind.SETUP_GAME, game=game, actor=actor)
    game._set_state(action, extra_fields=("published_at", "discord_direct_permissions"))
    if silent:
        description = _("The announcement was opened silently.")
    else:
        record(EffectKind.ANNOUNCE, game=game, actor=actor)
        description = _("The announcement was published and opened.")
    _log(game, GameEventAction.EDIT, description, actor=actor)
    return game


@transaction.atomic
def close_game(game: Game, *, actor) -> Game:
    game = _lock(game)
    game._set_state("closed")
    _log(
        game, GameEventAction.EDIT, _("The announcement was closed to registrations."), actor=actor
    )
    _refresh_announcement(game, actor)
    return game


@transaction.atomic
def reopen_game(game: Game, *, actor) -> Game:
    game = _lock(game)
    if game.is_silently_open:
        raise ValidationError(
            _("This game was opened without announcement: publish it to open it."),
            code="silent",
        )
    if game.may("open") and game.is_full:
        raise ValidationError(_("The game is full."), code="full")
    game._set_state("open")
    _log(
        game, GameEventAction.EDIT, _("The announcement was opened to registrations."), actor=actor
    )
    _refresh_announcement(game, actor)
    return game


def cleanup_payload(game: Game) -> dict:
    """The Discord objects a game holds, for the clean-up effect (they outlive the row)."""
    return {
        "channel_id": game.discord_channel_id,
        "role_id": game.discord_role_id,
        "message_id": game.discord_message_id,
        "category_id": game.discord_category_id,
    }


@transaction.atomic
def archive_game(game: Game, *, actor, award_trophies: bool) -> Game:
    """Archive a finished game, awarding badges when asked.

    Badges go only to a game that had a session that has ended: to its GM, and to the players
    seated before the last such session ended (a player added afterwards played nothing), once
    per (game, member, badge) — the award rows make a second archive or a double submit give
    nothing more.
    Side effects: records the Discord clean-up (channel, role, announcement).
    """
    game = _lock(game)
    game._set_state("archived")
    _log(game, GameEventAction.EDIT, _("The announcement was archived."), actor=actor)
    description = _("Announcement archived. Badges not awarded.")
    if award_trophies:
        awarded = _award_badges(game)
        if awarded is None:
            description = _("Announcement archived. No badges: no session of this game has ended.")
        else:
            _log(
                game,
                GameEventAction.TROPHY,
                _("Badges awarded to the GM and %(count)d player(s).") % {"count": awarded},
                actor=actor,
            )
            description = _("Announcement archived. Badges awarded.")
    record(EffectKind.CLEANUP_GAME, game=game, actor=actor, **cleanup_payload(game))
    _log(game, GameEventAction.DELETE, description, actor=actor)
    return game


def _award_badges(game: Game) -> int | None:
    """The number of players given a badge, or None when no session has ended."""
    last_end = (
        game.sessions.filter(end__lte=timezone.now()).order_by("-end").values_list("end", flat=True)
    ).first()
    if last_end is None:
        return None
    oneshot = game.type == GameType.ONESHOT
    award_for_game(game, game.gm, TROPHY_OS_GM if oneshot else TROPHY_CAMPAIGN_GM)
    players = [
        registration.player
        for registration in game.registrations.registered()
        .filter(created_at__lt=last_end)
        .select_related("player")
    ]
    for player in players:
        award_for_game(game, player, TROPHY_OS if oneshot else TROPHY_CAMPAIGN)
    return len(players)


@transaction.atomic
def delete_game(game: Game, *, actor, any_status: bool = False) -> None:
    """Delete a draft; with `any_status` (staff, decided by the caller), a game in any status,
    whose Discord leftovers are then cleaned up."""
    game = _lock(game)
    if not any_status:
        game.check_transition("deleted")
    if any(cleanup_payload(game).values()):
        record(EffectKind.CLEANUP_GAME, actor=actor, **cleanup_payload(game))
    _forget_stats_on_commit(game, list(game.registrations.values_list("player_id", flat=True)))
    game.delete()


# --- registrations ------------------------------------------------------------------------------


# What registering does for each mode a player may be in (`Game.registration_mode`).
SELF_SERVICE = {
    RegistrationMode.REGISTER: (
        RegistrationState.REGISTERED,
        gettext_lazy("The player registered for the announcement."),
    ),
    RegistrationMode.WAITLIST: (
        RegistrationState.WAITLISTED,
        gettext_lazy("The player joined the waiting list."),
    ),
    RegistrationMode.APPLY: (
        RegistrationState.CANDIDATE,
        gettext_lazy("The player applied for the game."),
    ),
}
# …and why it is refused in the others.
SELF_SERVICE_REFUSALS = {
    RegistrationMode.GM: (gettext_lazy("You cannot register for your own game."), "own_game"),
    RegistrationMode.NOT_PLAYER: (
        gettext_lazy("This person is not a player on the Discord server."),
        "not_player",
    ),
    RegistrationMode.REGISTERED: (
        gettext_lazy("You are already registered for this game."),
        "duplicate",
    ),
    RegistrationMode.CANDIDATE: (
        gettext_lazy("You are already registered for this game."),
        "duplicate",
    ),
    RegistrationMode.WAITLISTED: (
        gettext_lazy("You are already on the waiting list."),
        "duplicate",
    ),
}


@transaction.atomic
def register_player(game: Game, player, *, actor=None) -> Registration:
    """Register a player: by themselves (`actor` None or the player) as their registration mode
    says — a seat, the waiting list of a full game, or an application to a "sur sélection"
    game —, or added by the GM or staff to a live game with a free seat.

    Seat booking: the game row is locked and the mode decided again under the lock, so a burst
    of registrations can never overbook a game — late-comers join the waiting list.
    Side effects: channel access and a welcome notice; a game that becomes full closes itself.
    """
    self_service = actor is None or actor == player
    game = _lock(game)
    if self_service:
        mode = game.registration_mode(player)
        if mode not in SELF_SERVICE:
            message, code = SELF_SERVICE_REFUSALS.get(
                mode, (gettext_lazy("The game is closed to registrations."), "closed")
            )
            raise ValidationError(str(message), code=code)
        state, description = SELF_SERVICE[mode]
        description = str(description)
    else:
        _check_can_be_added(game, player)
        state, description = (
            RegistrationState.REGISTERED,
            _("The player was added to the game by the GM."),
        )
    registration = Registration.objects.create(
        game=game, player=player, state=state, added_by=None if self_service else actor
    )
    _log(
        game,
        GameEventAction.WAITLIST
        if state == RegistrationState.WAITLISTED
        else GameEventAction.REGISTER,
        description,
        actor=actor or player,
        subject=player,
    )
    if registration.is_seated:
        _welcome(game, player, actor=actor or player, promoted=False)
        _settle_full_status(game)
    return registration


def _check_can_be_added(game: Game, player) -> None:
    """The GM (or staff) seats someone: a player of the server, once, on a live game with a
    free seat — never past the party size, whoever asks."""
    if not player.is_player:
        raise ValidationError(
            _("This person is not a player on the Discord server."), code="not_player"
        )
    if player.pk == game.gm_id:
        raise ValidationError(_("You cannot register for your own game."), code="own_game")
    if game.registrations.filter(player=player).exists():
        raise ValidationError(
            _("This player is already registered for this game."), code="duplicate"
        )
    if not game.is_live:
        raise ValidationError(_("The game is closed to registrations."), code="closed")
    if game.seats_left == 0:
        raise ValidationError(
            _("The game is full: raise the number of players or remove someone first."),
            code="full",
        )


@transaction.atomic
def select_candidate(game: Game, player, *, actor) -> Registration:
    """The GM of a "sur sélection" game takes a candidate into the party.

    Seat booking as in `register_player`: under the game row lock, a candidate is only taken
    while seats are left. Such a game never closes or reopens by itself.
    Side effects: channel access and a welcome notice.
    """
    game = _lock(game)
    if not game.is_live:
        raise ValidationError(_("The game is closed to registrations."), code="closed")
    registration = game.registrations.filter(
        player=player, state=RegistrationState.CANDIDATE
    ).first()
    if registration is None:
        raise ValidationError(
            _("This person is not a candidate for this game."), code="not_candidate"
        )
    if game.seats_left == 0:
        raise ValidationError(
            _("The game is full: raise the number of players or remove someone first."),
            code="full",
        )
    registration.state = RegistrationState.REGISTERED
    registration.added_by = actor
    registration.save(update_fields=["state", "added_by"])
    _log(
        game,
        GameEventAction.REGISTER,
        _("The GM selected the player for the game."),
        actor=actor,
        subject=player,
    )
    _welcome(game, player, actor=actor, promoted=False)
    return registration


def _welcome(game: Game, player, *, actor, promoted: bool) -> None:
    record(EffectKind.GRANT_ACCESS, game=game, actor=actor, user_id=player.discord_id)
    message = (
        game_discord.player_promoted(game, player)
        if promoted
        else game_discord.player_joined(game, player)
    )
    _game_message(game, message, actor)


def _promote(game: Game, registration: Registration, *, actor) -> None:
    registration.state = RegistrationState.REGISTERED
    registration.save(update_fields=["state"])
    _log(
        game,
        GameEventAction.PROMOTE,
        _("The first player of the waiting list got the freed seat."),
        subject=registration.player,
    )
    _welcome(game, registration.player, actor=actor, promoted=True)


@dataclass
class Departure:
    """What `unregister_player` changed: the registration removed, and who got the seat."""

    registration: Registration
    promoted: Registration | None = None


@transaction.atomic
def unregister_player(game: Game, player, *, actor) -> Departure:
    """A player leaves (actor == player) or the GM/staff removes them.

    A freed seat goes to the first of the waiting list in this same transaction; a game closed
    because it was full reopens when nobody was waiting.
    Side effects: access revoked; the GM is told when a player leaves by themselves; the
    promoted player gets access and a notice.
    """
    game = _lock(game)
    self_service = actor == player
    registration = game.registrations.filter(player=player).first()
    if registration is None:
        raise ValidationError(_("This player is not registered for this game."), code="missing")
    if game.is_archived:
        raise ValidationError(_("The players of an archived game cannot change."), code="archived")
    if self_service and not game.may_leave():
        raise ValidationError(_("The game has started: ask your GM to remove you."), code="started")
    freed_seat = registration.state == RegistrationState.REGISTERED
    registration.delete()
    departure = Departure(registration)
    _log(
        game,
        GameEventAction.UNREGISTER,
        _("The player left the game.")
        if self_service
        else _("The player was removed from the announcement."),
        actor=actor,
        subject=player,
    )
    if not freed_seat:
        return departure
    record(EffectKind.REVOKE_ACCESS, game=game, actor=actor, user_id=player.discord_id)
    if self_service:
        _game_message(game, game_discord.player_left(game, player), actor)
    if game.party_selection:
        return departure
    departure.promoted = game.registrations.waitlisted().select_related("player").first()
    if departure.promoted is not None:
        _promote(game, departure.promoted, actor=actor)
    _settle_full_status(game)
    return departure


@transaction.atomic
def remove_players(game: Game, players, *, actor) -> list[Departure]:
    """The GM takes several people off the game at once: all or nothing.

    The waiting list and candidates go first: a seated player leaving promotes the first in
    line, who must not be someone about to be removed as well."""
    game = _lock(game)
    leaving = list(
        game.registrations.filter(player__in=players)
        .select_related("player")
        .order_by("created_at", "pk")
    )
    leaving.sort(key=lambda r: r.state == RegistrationState.REGISTERED)
    return [unregister_player(game, r.player, actor=actor) for r in leaving]


# --- sessions -----------------------------------------------------------------------------------


def _check_sessions_open(game: Game, *, adding: bool = True) -> None:
    # An archived game's channel is gone and its sessions feed the statistics as they are.
    if game.is_archived:
        raise ValidationError(_("The sessions of an archived game cannot change."), code="archived")
    if adding and game.is_draft:
        raise ValidationError(
            _("Sessions cannot be added to a draft. Publish the announcement first."),
            code="draft",
        )


@transaction.atomic
def add_session(game: Game, *, actor, start, end) -> GameSession:
    game = _lock(game)
    _check_sessions_open(game)
    session = GameSession(game=game, start=start, end=end)
    session.full_clean()
    session.save()
    _log(
        game,
        GameEventAction.CREATE_SESSION,
        _("A session was created from %(start)s to %(end)s.")
        % {"start": short_date(start), "end": short_date(end)},
        actor=actor,
    )
    _game_message(game, game_discord.session_added(session), actor, ping_players=True)
    return session


@transaction.atomic
def edit_session(session: GameSession, *, actor, start, end) -> GameSession:
    game = _lock(session.game)
    _check_sessions_open(game)
    old_start, old_end = session.start, session.end
    session.start, session.end = start, end
    session.full_clean()
    session.save(update_fields=["start", "end"])
    _log(
        game,
        GameEventAction.EDIT_SESSION,
        _("A session was changed: %(old_start)s → %(old_end)s, replaced by %(start)s → %(end)s.")
        % {
            "old_start": short_date(old_start),
            "old_end": short_date(old_end),
            "start": short_date(start),
            "end": short_date(end),
        },
        actor=actor,
    )
    _game_message(game, game_discord.session_changed(old_start, session), actor, ping_players=True)
    return session


@transaction.atomic
def delete_session(session: GameSession, *, actor) -> None:
    game = _lock(session.game)
    _check_sessions_open(game, adding=False)
    start, end = session.start, session.end
    session.delete()
    _log(
        game,
        GameEventAction.DELETE_SESSION,
        _("A session was deleted, from %(start)s to %(end)s.")
        % {"start": short_date(start), "end": short_date(end)},
        actor=actor,
    )
    _game_message(game, game_discord.session_cancelled(start, end), actor, ping_players=True)


# --- attendance ---------------------------------------------------------------------------------


def attendance_roll(session: GameSession) -> list[tuple]:
    """Who a session's attendance is about, with what is marked: (player, present or None).

    The seated players, and anyone marked for it already (they may have left the game since).
    Uses the session's prefetched `attendances` and the game's prefetched registrations when
    the caller loaded them."""
    marked = {a.player_id: a for a in session.attendances.all()}
    seated = [r.player for r in session.game.registrations.all() if r.is_seated]
    players = {player.pk: player for player in seated}
    players.update({a.player_id: a.player for a in marked.values()})
    return sorted(
        ((player, marked[pk].present if pk in marked else None) for pk, player in players.items()),
        key=lambda row: (row[0].display_name.lower(), row[0].pk),
    )


@transaction.atomic
def mark_attendance(session: GameSession, *, actor, present: set[str]) -> list[Attendance]:
    """The GM (or staff) marks who came to a session that is over: the players whose Discord
    id is in `present` came, the others on the roll did not. Statistics use it instead of the
    registration from now on. Side effect: the audit line."""
    game = _lock(session.game)
    if game.is_draft:
        raise ValidationError(_("A draft has no sessions to mark."), code="draft")
    if session.end > timezone.now():
        raise ValidationError(_("Attendance is marked once the session is over."), code="not_over")
    session = GameSession.objects.prefetch_related("attendances__player").get(pk=session.pk)
    session.game = game
    prefetch_related_objects(
        [game], Prefetch("registrations", queryset=Registration.objects.select_related("player"))
    )
    roll = [player for player, _marked in attendance_roll(session)]
    unknown = present - {player.discord_id for player in roll}
    if unknown:
        raise ValidationError(
            _("Only the players of the game can be marked present."), code="not_player"
        )
    now = timezone.now()
    marks = []
    for player in roll:
        mark, _created = Attendance.objects.update_or_create(
            session=session,
            player=player,
            defaults={
                "present": player.discord_id in present,
                "marked_by": actor,
                "marked_at": now,
            },
        )
        marks.append(mark)
    came = sum(1 for mark in marks if mark.present)
    _log(
        game,
        GameEventAction.ATTENDANCE,
        _("Attendance of the session of %(start)s: %(came)d present, %(missed)d absent.")
        % {"start": short_date(session.start), "came": came, "missed": len(marks) - came},
        actor=actor,
    )
    _forget_stats_on_commit(game, [player.pk for player in roll])
    return marks


# --- messages -----------------------------------------------------------------------------------


def _clean_text(text: str, *, empty_message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(empty_message, code="empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            _("The message is too long (%(max)d characters at most).")
            % {"max": MAX_MESSAGE_LENGTH},
            code="too_long",
        )
    return text


@transaction.atomic
def notify_players(game: Game, *, actor, text: str) -> None:
    """Ping the players in the game channel. Side effect: the notice (mentions resolved when
    it is sent: the game role, or each player in direct-permission mode)."""
    text = _clean_text(text, empty_message=_("The notification message is empty."))
    game = _lock(game)
    if not game.has_channel:
        raise ValidationError(
            _("This game has no Discord channel: there is nowhere to notify the players."),
            code="no_channel",
        )
    _game_message(game, game_discord.notification(game, text), actor, ping_players=True)
    _log(game, GameEventAction.EDIT, _("The GM notified the players in the channel."), actor=actor)


@transaction.atomic
def report_game(game: Game, *, reporter, text: str) -> None:
    """Report the game to the staff channel. The audit line keeps the reporter for staff; the
    GM's timeline shows only that a report was made (`GameEvent.is_report`)."""
    text = _clean_text(text, empty_message=_("Say what the problem is."))
    game = _lock(game)
    if not game.is_live:
        raise ValidationError(_("This game cannot be reported any more."), code="closed")
    record(
        EffectKind.SEND_MESSAGE,
        game=game,
        actor=reporter,
        target="staff",
        message=game_discord.report(game, reporter, text),
    )
    _log(game, GameEventAction.ALERT, _("A report was made."), actor=reporter)

"""Use cases of the game workflow.

Each one locks the game row, checks the transition, then writes the change, its audit line and
the Discord work to do (outbox effects) in one transaction. Nothing here calls Discord: the
worker applies the recorded effects after the commit. Authorisation (who may act on which game)
is the views' job; the rules about the game itself live here.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from catalog.models import ClubSettings, GameType
from games import discord as game_discord
from games.models import (
    ClosedReason,
    Game,
    GameEvent,
    GameEventAction,
    GameSession,
    GameStatus,
    Registration,
    RegistrationState,
)
from questmaster.discord.models import EffectKind
from questmaster.discord.outbox import record
from trophies.models import TROPHY_CAMPAIGN, TROPHY_CAMPAIGN_GM, TROPHY_OS, TROPHY_OS_GM
from trophies.services import award_trophy

MAX_MESSAGE_LENGTH = 1500

# The transition table (contract decision 3): action → statuses it may start from.
TRANSITIONS: dict[str, set[str]] = {
    "publish": {GameStatus.DRAFT, GameStatus.CLOSED},
    "open-silent": {GameStatus.DRAFT},
    "open": {GameStatus.CLOSED},
    "closed": {GameStatus.OPEN},
    "archived": {GameStatus.OPEN, GameStatus.CLOSED},
    "deleted": {GameStatus.DRAFT},
}


def check_transition(game: Game, action: str) -> None:
    if game.status not in TRANSITIONS.get(action, set()):
        raise ValidationError(
            _("This action is not possible on a game that is “%(status)s”.")
            % {"status": game.get_status_display().lower()},
            code="invalid_transition",
        )


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
    return GameEvent.objects.create(
        game=game,
        action=action,
        description=description,
        actor=actor if actor is not None and actor.is_authenticated else None,
        subject=subject,
    )


def _registered_count(game: Game) -> int:
    return game.registrations.filter(state=RegistrationState.REGISTERED).count()


def _is_full(game: Game) -> bool:
    return not game.party_selection and _registered_count(game) >= game.party_size


def _refresh_announcement(game: Game, actor=None) -> None:
    if game.is_announced or game.status in (GameStatus.OPEN, GameStatus.CLOSED):
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
    check_transition(game, action)
    if game.status == GameStatus.CLOSED and game.closed_reason != ClosedReason.SILENT:
        raise ValidationError(_("This game is already published."), code="already_published")
    if game.is_announced:
        raise ValidationError(_("This game is already published."), code="already_published")
    if _is_full(game):
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
    now = timezone.now()
    if first_time:
        session = GameSession(game=game, start=game.date, end=game.date + game.session_duration)
        session.full_clean()
        session.save()
        game.published_at = now
        game.discord_direct_permissions = ClubSettings.load().discord_use_direct_permissions
        record(EffectKind.SETUP_GAME, game=game, actor=actor)
    if silent:
        game.status, game.closed_reason = GameStatus.CLOSED, ClosedReason.SILENT
        description = _("The announcement was opened silently.")
    else:
        game.status, game.closed_reason = GameStatus.OPEN, ""
        record(EffectKind.ANNOUNCE, game=game, actor=actor)
        description = _("The announcement was published and opened.")
    game.save(
        update_fields=[
            "status",
            "closed_reason",
            "published_at",
            "discord_direct_permissions",
            "updated_at",
        ]
    )
    _log(game, GameEventAction.EDIT, description, actor=actor)
    return game


@transaction.atomic
def close_game(game: Game, *, actor) -> Game:
    game = _lock(game)
    check_transition(game, "closed")
    game.status, game.closed_reason = GameStatus.CLOSED, ClosedReason.MANUAL
    game.save(update_fields=["status", "closed_reason", "updated_at"])
    _log(
        game, GameEventAction.EDIT, _("The announcement was closed to registrations."), actor=actor
    )
    _refresh_announcement(game, actor)
    return game


@transaction.atomic
def reopen_game(game: Game, *, actor) -> Game:
    game = _lock(game)
    check_transition(game, "open")
    if game.closed_reason == ClosedReason.SILENT:
        raise ValidationError(
            _("This game was opened without announcement: publish it to open it."),
            code="silent",
        )
    if _is_full(game):
        raise ValidationError(_("The game is full."), code="full")
    game.status, game.closed_reason = GameStatus.OPEN, ""
    game.save(update_fields=["status", "closed_reason", "updated_at"])
    _log(
        game, GameEventAction.EDIT, _("The announcement was opened to registrations."), actor=actor
    )
    _refresh_announcement(game, actor)
    return game


def cleanup_payload(game: Game) -> dict:
    return {
        "channel_id": game.discord_channel_id,
        "role_id": game.discord_role_id,
        "message_id": game.discord_message_id,
        "category_id": game.discord_category_id,
    }


@transaction.atomic
def archive_game(game: Game, *, actor, award_trophies: bool) -> Game:
    """Archive a finished game, awarding badges at most once (the row lock and the transition
    guard make a double submit a refused second transition, not a second award).

    Side effects: records the Discord clean-up (channel, role, announcement).
    """
    game = _lock(game)
    check_transition(game, "archived")
    game.status, game.closed_reason = GameStatus.ARCHIVED, ""
    game.save(update_fields=["status", "closed_reason", "updated_at"])
    _log(game, GameEventAction.EDIT, _("The announcement was archived."), actor=actor)
    if award_trophies:
        oneshot = game.type == GameType.ONESHOT
        award_trophy(game.gm, TROPHY_OS_GM if oneshot else TROPHY_CAMPAIGN_GM)
        players = [r.player for r in game.registrations.registered().select_related("player")]
        for player in players:
            award_trophy(player, TROPHY_OS if oneshot else TROPHY_CAMPAIGN)
        _log(
            game,
            GameEventAction.TROPHY,
            _("Badges awarded to the GM and %(count)d player(s).") % {"count": len(players)},
            actor=actor,
        )
        description = _("Announcement archived. Badges awarded.")
    else:
        description = _("Announcement archived. Badges not awarded.")
    record(EffectKind.CLEANUP_GAME, game=game, actor=actor, **cleanup_payload(game))
    _log(game, GameEventAction.DELETE, description, actor=actor)
    return game


@transaction.atomic
def delete_game(game: Game, *, actor) -> None:
    """Delete a draft; staff may delete any game, and its Discord leftovers are cleaned up."""
    game = _lock(game)
    if game.status != GameStatus.DRAFT and not actor.has_perm("games.delete_game"):
        check_transition(game, "deleted")
    if any(cleanup_payload(game).values()):
        record(EffectKind.CLEANUP_GAME, actor=actor, **cleanup_payload(game))
    game.delete()


# --- registrations ------------------------------------------------------------------------------


@transaction.atomic
def register_player(game: Game, player, *, actor=None) -> Registration:
    """Register a player (self-registration when `actor` is None or the player).

    Seat booking: the game row is locked and capacity re-checked in this transaction, so a
    burst of registrations can never overbook a game — late-comers join the waiting list.
    Side effects: channel access and a welcome notice; a game that becomes full closes itself.
    """
    self_service = actor is None or actor == player
    if not player.is_player:
        raise ValidationError(
            _("This person is not a player on the Discord server."), code="not_player"
        )
    game = _lock(game)
    if player.pk == game.gm_id:
        raise ValidationError(_("You cannot register for your own game."), code="own_game")
    existing = game.registrations.filter(player=player).first()
    if existing:
        if not self_service:
            raise ValidationError(
                _("This player is already registered for this game."), code="duplicate"
            )
        if existing.state == RegistrationState.WAITLISTED:
            raise ValidationError(_("You are already on the waiting list."), code="duplicate")
        raise ValidationError(_("You are already registered for this game."), code="duplicate")
    # A game closed because it is full still takes names for its waiting list.
    waitlist_open = game.status == GameStatus.CLOSED and game.closed_reason == ClosedReason.FULL
    if self_service and game.status != GameStatus.OPEN and not waitlist_open:
        raise ValidationError(_("The game is closed to registrations."), code="closed")
    if game.status in (GameStatus.DRAFT, GameStatus.ARCHIVED):
        raise ValidationError(_("The game is closed to registrations."), code="closed")

    if game.party_selection and self_service:
        state = RegistrationState.CANDIDATE
        description = _("The player applied for the game.")
    elif _is_full(game):
        if not self_service:
            raise ValidationError(
                _("The game is full: raise the number of players or remove someone first."),
                code="full",
            )
        state = RegistrationState.WAITLISTED
        description = _("The player joined the waiting list.")
    else:
        state = RegistrationState.REGISTERED
        description = (
            _("The player registered for the announcement.")
            if self_service
            else _("The player was added to the game by the GM.")
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
    if state == RegistrationState.REGISTERED:
        _welcome(game, player, actor=actor or player, promoted=False)
        if game.status == GameStatus.OPEN and _is_full(game):
            game.status, game.closed_reason = GameStatus.CLOSED, ClosedReason.FULL
            game.save(update_fields=["status", "closed_reason", "updated_at"])
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
    return registration


@transaction.atomic
def select_candidate(game: Game, player, *, actor) -> Registration:
    """The GM of a "sur sélection" game takes a candidate into the party.

    Seat booking as in `register_player`: under the game row lock, a candidate is only taken
    while seats are left. Such a game never closes or reopens by itself.
    Side effects: channel access and a welcome notice.
    """
    game = _lock(game)
    if game.status in (GameStatus.DRAFT, GameStatus.ARCHIVED):
        raise ValidationError(_("The game is closed to registrations."), code="closed")
    registration = game.registrations.filter(
        player=player, state=RegistrationState.CANDIDATE
    ).first()
    if registration is None:
        raise ValidationError(
            _("This person is not a candidate for this game."), code="not_candidate"
        )
    if _registered_count(game) >= game.party_size:
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
        game_discord.player_promoted(game, player) if promoted else game_discord.player_joined(game, player)
    )
    _game_message(game, message, actor)


def can_leave(game: Game, now: datetime.datetime | None = None) -> bool:
    """Players may leave until the game has started: no session under way, and a one-shot
    whose session has begun is played already."""
    now = now or timezone.now()
    if game.status in (GameStatus.DRAFT, GameStatus.ARCHIVED):
        return False
    started = game.sessions.filter(start__lte=now)
    if started.filter(end__gt=now).exists():
        return False
    return not (game.type == GameType.ONESHOT and started.exists())


@transaction.atomic
def unregister_player(game: Game, player, *, actor) -> None:
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
    if self_service and not can_leave(game):
        raise ValidationError(_("The game has started: ask your GM to remove you."), code="started")
    if game.status == GameStatus.ARCHIVED:
        raise ValidationError(_("The players of an archived game cannot change."), code="archived")
    freed_seat = registration.state == RegistrationState.REGISTERED
    registration.delete()
    _log(
        game,
        GameEventAction.UNREGISTER,
        _("The player left the game.")
        if self_service
        else _("The player was removed from the announcement."),
        actor=actor,
        subject=player,
    )
    if freed_seat:
        record(EffectKind.REVOKE_ACCESS, game=game, actor=actor, user_id=player.discord_id)
        if self_service:
            _game_message(game, game_discord.player_left(game, player), actor)
    if not freed_seat or game.party_selection:
        return
    next_in_line = game.registrations.waitlisted().select_related("player").first()
    if next_in_line is not None:
        next_in_line.state = RegistrationState.REGISTERED
        next_in_line.save(update_fields=["state"])
        _log(
            game,
            GameEventAction.PROMOTE,
            _("The first player of the waiting list got the freed seat."),
            subject=next_in_line.player,
        )
        _welcome(game, next_in_line.player, actor=actor, promoted=True)
    elif game.status == GameStatus.CLOSED and game.closed_reason == ClosedReason.FULL:
        game.status, game.closed_reason = GameStatus.OPEN, ""
        game.save(update_fields=["status", "closed_reason", "updated_at"])
        _log(
            game,
            GameEventAction.EDIT,
            _("Announcement reopened automatically after a player left."),
        )
        _refresh_announcement(game)


# --- sessions -----------------------------------------------------------------------------------


def _check_session_allowed(game: Game) -> None:
    if game.status == GameStatus.DRAFT:
        raise ValidationError(
            _("Sessions cannot be added to a draft. Publish the announcement first."),
            code="draft",
        )
    _check_sessions_open(game)


def _check_sessions_open(game: Game) -> None:
    # An archived game's channel is gone and its sessions feed the statistics as they are.
    if game.status == GameStatus.ARCHIVED:
        raise ValidationError(_("The sessions of an archived game cannot change."), code="archived")


@transaction.atomic
def add_session(game: Game, *, actor, start, end) -> GameSession:
    game = _lock(game)
    _check_session_allowed(game)
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
    _check_session_allowed(game)
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
    _check_sessions_open(game)
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


# --- messages -----------------------------------------------------------------------------------


def _clean_text(text: str, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError(_("The notification message is empty."), code="empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            _("The message is too long (%(max)d characters at most).")
            % {"max": MAX_MESSAGE_LENGTH},
            code="too_long",
        )
    return text


@transaction.atomic
def notify_players(game: Game, *, actor, text: str) -> None:
    text = _clean_text(text, required=True)
    game = _lock(game)
    if game.status in (GameStatus.DRAFT, GameStatus.ARCHIVED) or game.published_at is None:
        raise ValidationError(_("This game has no Discord channel."), code="no_channel")
    _game_message(game, game_discord.notification(game, text), actor, ping_players=True)
    _log(game, GameEventAction.EDIT, _("The GM notified the players in the channel."), actor=actor)


@transaction.atomic
def report_game(game: Game, *, reporter, text: str) -> None:
    text = _clean_text(text, required=False)
    game = _lock(game)
    if game.status in (GameStatus.DRAFT, GameStatus.ARCHIVED):
        raise ValidationError(_("This game cannot be reported any more."), code="closed")
    record(
        EffectKind.SEND_MESSAGE,
        game=game,
        actor=reporter,
        target="staff",
        message=game_discord.report(game, reporter, text),
    )
    _log(game, GameEventAction.ALERT, _("A report was made."), actor=reporter)

"""Writing a game's content: a new draft, an edit. The lifecycle (publish, close, archive…)
lives in `games.services`; these two only ever touch what the game form edits."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from games.models import ClosedReason, Game, GameEvent, GameEventAction, GameStatus
from questmaster.discord.models import EffectKind
from questmaster.discord.outbox import record

# Editable as long as the game is not archived.
CONTENT_FIELDS = (
    "system",
    "vtt",
    "date",
    "length",
    "session_length",
    "frequency",
    "party_size",
    "party_selection",
    "xp",
    "characters",
    "description",
    "complement",
    "restriction",
    "restriction_tags",
    "classification",
    "ambience",
    "img",
)
# Frozen once published: the Discord channel and role are named after them.
IDENTITY_FIELDS = ("name", "type", "special_event")


@transaction.atomic
def create_game(game: Game, *, actor) -> Game:
    """Insert `game` (unsaved, filled by the form) as a draft of `actor`, under the first free
    slug of its name. Side effect: the `create` audit line."""
    game.gm = actor
    game.status, game.closed_reason = GameStatus.DRAFT, ""
    game.save_with_unique_slug()
    GameEvent.objects.create(
        game=game,
        action=GameEventAction.CREATE,
        description=_("Announcement created with the status %(status)s.") % {"status": game.status},
        actor=actor,
    )
    return game


def _has_announcement(game: Game) -> bool:
    # Posted, or recorded and on its way: every publication but a silent one announces.
    if game.is_announced or game.status == GameStatus.OPEN:
        return True
    return game.status == GameStatus.CLOSED and game.closed_reason != ClosedReason.SILENT


@transaction.atomic
def update_game(edited: Game, *, actor) -> Game:
    """Save the content of `edited` (the form's instance) over the game.

    The row is locked and re-read, and only the form's fields are copied onto it: the status a
    concurrent registration just changed is never overwritten by the stale instance. Name, type
    and event change only while the game is a draft; renaming a draft gives it a new slug.
    Side effects: the `edit` audit line; the announcement is refreshed when there is one.
    """
    game = Game.objects.select_for_update(of=("self",)).select_related("gm").get(pk=edited.pk)
    if game.status == GameStatus.ARCHIVED:
        raise ValidationError(
            _("An archived announcement can no longer be edited."), code="archived"
        )
    for field in CONTENT_FIELDS:
        setattr(game, field, getattr(edited, field))
    if game.is_draft:
        renamed = edited.name != game.name
        for field in IDENTITY_FIELDS:
            setattr(game, field, getattr(edited, field))
        if renamed:
            game.save_with_unique_slug()
        else:
            game.save(update_fields=[*CONTENT_FIELDS, *IDENTITY_FIELDS, "updated_at"])
    else:
        game.save(update_fields=[*CONTENT_FIELDS, "updated_at"])
    GameEvent.objects.create(
        game=game,
        action=GameEventAction.EDIT,
        description=_("The content of the announcement was edited."),
        actor=actor,
    )
    if _has_announcement(game):
        record(EffectKind.REFRESH_ANNOUNCEMENT, game=game, actor=actor)
    return game

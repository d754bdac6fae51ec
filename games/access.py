"""Who may see and act on games: every game view, the listing and the admin ask here.

Each `get_*` helper returns the object or refuses with a 404 (the viewer may not even know it
exists) or a 403 (they see it but may not do this) — never a page that says no with a 200.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from games.models import Game, GameSession


def can_post(user) -> bool:
    """GMs post games; so does staff allowed to add games (admins ⊇ GMs)."""
    return user.is_authenticated and (user.is_gm or user.has_perm("games.add_game"))


def can_manage(user, game: Game) -> bool:
    """The game's GM, or staff allowed to change games."""
    return user.is_authenticated and (user.pk == game.gm_id or user.has_perm("games.change_game"))


def can_delete_any(user) -> bool:
    """Staff allowed to delete games delete them in any status (Discord is cleaned up)."""
    return user.is_authenticated and user.has_perm("games.delete_game")


def can_see_reporters(user) -> bool:
    """Reports are anonymous to the GM; staff who read the audit trail see who made them."""
    return user.is_authenticated and user.has_perm("games.view_gameevent")


def may_have_drafts(user) -> bool:
    """Who is offered the "drafts" filter of the lists (their own, or every draft for staff)."""
    return can_post(user) or (user.is_authenticated and user.has_perm("games.change_game"))


def check_can_post(user) -> None:
    if not can_post(user):
        raise PermissionDenied(_("You must be a GM to post an announcement."))


def check_can_search_members(user) -> None:
    """The member typeahead serves the GMs' "add a player" field, and staff."""
    if not (user.is_authenticated and (user.is_gm or user.has_perm("games.change_game"))):
        raise PermissionDenied


def get_visible_game(request: HttpRequest, slug: str) -> Game:
    """The game if the viewer may see it: drafts are 404 for anyone but their GM and staff."""
    queryset = Game.objects.visible_to(request.user).select_related(
        "gm", "system", "vtt", "special_event"
    )
    return get_object_or_404(queryset, slug=slug)


def get_managed_game(request: HttpRequest, slug: str) -> Game:
    """The game if the viewer runs it (or is staff); 404 if they cannot even see it, else 403."""
    game = get_visible_game(request, slug)
    if not can_manage(request.user, game):
        raise PermissionDenied
    return game


def get_reportable_game(request: HttpRequest, slug: str) -> Game:
    """The game if the viewer may report it: its GM, staff, or one of its seated players."""
    game = get_visible_game(request, slug)
    user = request.user
    seated = game.registrations.registered().filter(player_id=user.pk).exists()
    if not (can_manage(user, game) or seated):
        raise PermissionDenied
    return game


def get_session_of(game: Game, session_id: int) -> GameSession:
    """A session of this game only (never another game's, whatever the URL says)."""
    session = game.sessions.filter(pk=session_id).first()
    if session is None:
        raise Http404
    return session

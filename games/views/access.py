"""Who may see and act on a game: one helper per level, used by every game view."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from games.models import Game


def can_post(user) -> bool:
    """GMs post games; so does staff allowed to add games (admins ⊇ GMs)."""
    return user.is_authenticated and (user.is_gm or user.has_perm("games.add_game"))


def can_manage(user, game: Game) -> bool:
    """The game's GM, or staff allowed to change games."""
    return user.is_authenticated and (user.pk == game.gm_id or user.has_perm("games.change_game"))


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


def get_session_of(game: Game, session_id: int):
    """A session of this game only (never another game's, whatever the URL says)."""
    session = game.sessions.filter(pk=session_id).first()
    if session is None:
        raise Http404
    return session

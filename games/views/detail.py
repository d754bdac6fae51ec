from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from games.views.access import can_manage, get_visible_game


# Placeholders replaced as the game page grows (registration, players, sessions, messages).
def _todo(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    raise Http404


register = leave = manage_players = session_add = session_edit = session_delete = _todo
notify = report = member_search = _todo


def game_detail(request: HttpRequest, slug: str) -> HttpResponse:
    game = get_visible_game(request, slug)
    registrations = game.registrations.select_related("player")
    sessions = game.sessions.all()
    is_manager = can_manage(request.user, game)
    # The GM and staff see the Discord work of their game: pending, failed, or (offline) unsent.
    effects = game.discord_effects.order_by("-pk")[:10] if is_manager else []
    return render(
        request,
        "games/game_detail.html",
        {
            "game": game,
            "registrations": registrations,
            "sessions": sessions,
            "discord_effects": effects,
        },
    )

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from catalog.models import ClubSettings
from games.models import Game


def home(request: HttpRequest) -> HttpResponse:
    limit = ClubSettings.load().dashboard_open_limit
    open_games = (
        Game.objects.open()
        .select_related("gm", "system", "vtt", "special_event")
        .with_player_count()
        .in_listing_order()
    )
    games = list(open_games[: limit + 1])
    return render(
        request,
        "games/home.html",
        {"games": games[:limit], "has_more": len(games) > limit},
    )


def game_detail(request: HttpRequest, slug: str) -> HttpResponse:
    game = get_object_or_404(
        Game.objects.visible_to(request.user).select_related(
            "gm", "system", "vtt", "special_event"
        ),
        slug=slug,
    )
    registrations = game.registrations.select_related("player")
    sessions = game.sessions.all()
    is_manager = request.user.is_authenticated and (
        request.user.pk == game.gm_id or request.user.has_perm("games.change_game")
    )
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

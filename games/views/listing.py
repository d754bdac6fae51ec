from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

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



# Placeholders replaced by the listing pages.
def _todo(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    raise Http404


game_list = event_games = my_games = my_parties = _todo

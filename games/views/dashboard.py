"""The dashboard (`/`): the open games for everyone; for members, their agenda and, loaded
after the page with htmx, their statistics ("Mes statistiques")."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from catalog.models import ClubSettings
from games.models import Game
from games.statistics import member_stats_key
from games.statistics.member import cached_member_agenda, member_dashboard_stats
from games.views.listing import cards


def _page_context(request: HttpRequest) -> dict:
    club = ClubSettings.load()
    limit = club.dashboard_open_limit
    games = cards(Game.objects.open(), 0, limit + 1)
    context = {"games": games[:limit], "has_more": len(games) > limit}
    if request.user.is_authenticated:
        context["agenda"] = cached_member_agenda(request.user, limit=club.dashboard_agenda_limit)
    return context


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "games/home.html", _page_context(request))


@require_safe
@login_required
def stats_panel(request: HttpRequest) -> HttpResponse:
    """The "Mes statistiques" fragment for htmx; without JavaScript, the whole dashboard with
    the statistics in place."""
    stats = member_dashboard_stats(request.user)
    # The rendered panel is cached under the figures' own key (see games/home.html#stats).
    context = {"stats": stats, "stats_key": member_stats_key(request.user.pk, "dashboard")}
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        response = render(request, "games/home.html#stats", context)
    else:
        response = render(request, "games/home.html", {**_page_context(request), **context})
    patch_vary_headers(response, ["HX-Request"])
    return response

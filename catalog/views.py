"""Reference pages: the systems and the virtual tabletops of the club, with their games."""

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from catalog.models import System, Vtt
from games.models import GameStatus

# The game list's status filter for "every published game", so that the count on a card and
# the list it links to agree.
PUBLISHED_STATUSES = (GameStatus.OPEN, GameStatus.CLOSED, GameStatus.ARCHIVED)


def _reference_page(request: HttpRequest, model, *, parameter: str, title: str) -> HttpResponse:
    """One query: every row with its number of non-draft games, sorted by name."""
    items = model.objects.annotate(
        game_count=Count("games", filter=~Q(games__status=GameStatus.DRAFT))
    ).order_by("name", "pk")
    return render(
        request,
        "catalog/reference_list.html",
        {
            "items": items,
            "title": title,
            "parameter": parameter,
            "statuses": PUBLISHED_STATUSES,
        },
    )


@require_safe
def system_list(request: HttpRequest) -> HttpResponse:
    return _reference_page(request, System, parameter="system", title=_("Systems"))


@require_safe
def vtt_list(request: HttpRequest) -> HttpResponse:
    return _reference_page(request, Vtt, parameter="vtt", title=_("Virtual tabletops"))

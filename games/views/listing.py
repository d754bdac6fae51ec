"""The game lists: all games, a special event's, mine as GM, mine as player.

Every list is the same page (`games/game_list.html`) with its own base set and filter defaults;
an htmx request (live filtering, pager) gets only the `results` partial of the same URL.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from catalog.models import ClubSettings, GameType, SpecialEvent
from games.access import can_post, may_have_drafts
from games.filters import ALL_STATUSES, GameFilterForm
from games.models import Game, GameQuerySet, GameStatus, Registration


def cards(games: GameQuerySet, start: int, stop: int) -> list[Game]:
    """Games [start:stop] of the listing order, with their card data.

    Two queries whatever the number of games that match: the slice is chosen on the bare rows
    (order + limit), then only the games kept get the grouped seat counts and session lookups.
    """
    chosen = list(games.in_listing_order().values_list("pk", flat=True)[start:stop])
    if not chosen:
        return []
    found = {game.pk: game for game in games.filter(pk__in=chosen).with_card_data()}
    return [found[pk] for pk in chosen if pk in found]


class CardPaginator(Paginator):
    """Django's paginator (count, page numbers, out-of-range pages) over a queryset of games,
    whose pages are built by cards()."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        return self._get_page(cards(self.object_list, bottom, top), number, self)


def _game_list(
    request: HttpRequest,
    games: GameQuerySet,
    *,
    title: str,
    defaults: dict[str, list[str]],
    intro: str = "",
    event: SpecialEvent | None = None,
    show_my_state: bool = False,
) -> HttpResponse:
    """Filter, order and paginate a base set of games, then render the page or its results."""
    form = GameFilterForm(request.GET, defaults=defaults, drafts=may_have_drafts(request.user))
    games = form.filter_games(games.visible_to(request.user))
    paginator = CardPaginator(games, ClubSettings.load().games_per_page)
    page = paginator.get_page(form.page_number)
    context = {
        "title": title,
        "intro": intro,
        "event": event,
        "form": form,
        "page_obj": page,
        "games": page.object_list,
        "show_my_state": show_my_state,
    }
    # Boosted navigation and htmx's history restoration need the whole page.
    partial = request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    template = "games/game_list.html#results" if partial else "games/game_list.html"
    response = render(request, template, context)
    # The same URL answers a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def game_list(request: HttpRequest) -> HttpResponse:
    return _game_list(
        request,
        Game.objects.all(),
        title=_("Games"),
        defaults={"status": [GameStatus.OPEN]},
    )


@require_safe
def event_games(request: HttpRequest, event_id: int) -> HttpResponse:
    event = SpecialEvent.objects.active().filter(pk=event_id).first()
    if event is None:
        # A link to a finished event still gets a page that says so and where to go.
        return render(request, "games/game_list.html", {"missing_event": True}, status=404)
    return _game_list(
        request,
        Game.objects.filter(special_event=event),
        title=_("Games – %(event)s") % {"event": event},
        defaults={"status": [GameStatus.OPEN], "type": [GameType.ONESHOT]},
        event=event,
    )


@require_safe
@login_required
def my_games(request: HttpRequest) -> HttpResponse:
    if not can_post(request.user):
        raise PermissionDenied(_("Only GMs have announcements."))
    return _game_list(
        request,
        Game.objects.filter(gm=request.user),
        title=_("My announcements"),
        intro=_("The games I run as GM."),
        defaults={"status": ALL_STATUSES},
    )


@require_safe
@login_required
def my_parties(request: HttpRequest) -> HttpResponse:
    mine = Registration.objects.filter(game=OuterRef("pk"), player=request.user)
    # Filtering through a subquery keeps the join of the seat count free of the filter.
    games = Game.objects.filter(Exists(mine)).annotate(my_state=Subquery(mine.values("state")[:1]))
    return _game_list(
        request,
        games,
        title=_("My games"),
        intro=_("The games I play in."),
        defaults={"status": ALL_STATUSES},
        show_my_state=True,
    )

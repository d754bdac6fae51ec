"""Badge pages: a member's badges (`/badges/`) and the four leaderboards."""

from django.contrib.auth.decorators import login_required
from django.db.models import F, Window
from django.db.models.functions import Rank, RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.models import User
from games.statistics import club_stats_key
from trophies.forms import (
    MEMBER_SEARCH_LIMIT,
    MEMBER_SEARCH_MIN_LENGTH,
    BadgeOwnerForm,
    MemberSearchForm,
)
from trophies.models import (
    TROPHY_CAMPAIGN,
    TROPHY_CAMPAIGN_GM,
    TROPHY_OS,
    TROPHY_OS_GM,
    UserTrophy,
)

BADGES_TEMPLATE = "trophies/badge_list.html"
LEADERBOARD_SIZE = 10
# The four tables of the original, in its order.
LEADERBOARDS = (
    (TROPHY_OS, gettext_lazy("Top 10 players — one-shots")),
    (TROPHY_CAMPAIGN, gettext_lazy("Top 10 players — campaigns")),
    (TROPHY_OS_GM, gettext_lazy("Top 10 GMs — one-shots")),
    (TROPHY_CAMPAIGN_GM, gettext_lazy("Top 10 GMs — campaigns")),
)


def _find_members(term: str):
    """Members whose name or Discord id matches, members who left included (their badges stay)."""
    return User.objects.search(term).order_by("display_name", "pk")[:MEMBER_SEARCH_LIMIT]


@require_safe
@login_required
def badge_list(request: HttpRequest) -> HttpResponse:
    """My badges, or another member's (`?user_id=<Discord id>` or a searched name).

    A wrong member never fails the page: it says so and shows the viewer's own badges."""
    form = BadgeOwnerForm(request.GET)
    member = request.user
    notice = ""
    candidates: list[User] = []
    if not form.is_valid():
        notice = _("Member not found: enter a valid Discord id.")
    elif form.cleaned_data["user_id"]:
        found = User.objects.filter(discord_id=form.cleaned_data["user_id"]).first()
        if found is None:
            notice = _("Member not found: enter a valid Discord id.")
        else:
            member = found
    elif form.cleaned_data["q"]:
        candidates = list(_find_members(form.cleaned_data["q"]))
        if len(candidates) == 1:
            member, candidates = candidates[0], []
        elif not candidates:
            notice = _("No member matches “%(term)s”.") % {"term": form.cleaned_data["q"]}
    badges = UserTrophy.objects.held_by(member)
    return render(
        request,
        BADGES_TEMPLATE,
        {
            "member": member,
            "badges": badges,
            "notice": notice,
            "members": candidates,
            "several": bool(candidates),
            "is_me": member.pk == request.user.pk,
        },
    )


@require_safe
@login_required
def member_search(request: HttpRequest) -> HttpResponse:
    """Typeahead of `/badges/`: up to ten members by name or Discord id."""
    form = MemberSearchForm(request.GET)
    term = form.cleaned_data["q"] if form.is_valid() else ""
    searched = len(term) >= MEMBER_SEARCH_MIN_LENGTH
    members = list(_find_members(term)) if searched else []
    return render(
        request,
        f"{BADGES_TEMPLATE}#member_results",
        {"members": members, "searched": searched},
    )


@require_safe
def leaderboard(request: HttpRequest) -> HttpResponse:
    """The four top 10s. Their HTML is cached under the club's statistics version, which every
    badge change (`trophies.signals`) and every change of a member's name bumps: the boards are
    only computed (one query) when that version moved."""
    return render(
        request,
        "trophies/leaderboard.html",
        {"boards": _boards, "cache_key": club_stats_key("leaderboard")},
    )


def _boards() -> list[dict]:
    """Ties are ordered by name; missing rows are placeholders."""
    trophies = [trophy for trophy, _title in LEADERBOARDS]
    # Two windows in one statement: RANK() on the quantity alone (an integer sort over every
    # holder) keeps the top ten and their ties, then only those are sorted by name (a collated
    # text sort, the costly part) to break the ties.
    contenders = (
        UserTrophy.objects.filter(trophy_id__in=trophies)
        .annotate(rank=Window(Rank(), partition_by=[F("trophy_id")], order_by=F("quantity").desc()))
        .filter(rank__lte=LEADERBOARD_SIZE)
        .values("pk")
    )
    ranked = (
        UserTrophy.objects.filter(pk__in=contenders)
        .annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("trophy_id")],
                order_by=[F("quantity").desc(), F("user__display_name").asc(), F("user_id").asc()],
            )
        )
        .filter(position__lte=LEADERBOARD_SIZE)
        .values("trophy_id", "position", "quantity", "user_id", "user__display_name")
        .order_by("trophy_id", "position")
    )
    rows: dict[int, list[dict]] = {trophy: [] for trophy, _title in LEADERBOARDS}
    for row in ranked:
        rows[row["trophy_id"]].append(row)
    boards = [
        {
            "trophy": trophy,
            "title": title,
            "rows": rows[trophy],
            "placeholders": range(len(rows[trophy]) + 1, LEADERBOARD_SIZE + 1),
        }
        for trophy, title in LEADERBOARDS
    ]
    return boards

"""The game page and what players and GMs do on it.

Every action is a POST through a form. HTMX gets the refreshed fragment of
games/game_detail.html, plus out-of-band fragments that depend on it and the toasts; a plain
browser is redirected back to the page (post/redirect/get), or — when a form keeps what was typed
(sessions, messages) and has errors — shown the page again with them.
"""

from __future__ import annotations

import calendar
import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from catalog.models import ClubSettings
from games import services
from games.models import (
    CLASSIFICATION_KEYS,
    CLASSIFICATION_LABELS,
    CLASSIFICATION_LEVELS,
    Ambience,
    ClosedReason,
    Frequency,
    Game,
    GameSession,
    GameStatus,
    Length,
    Registration,
    RegistrationState,
)
from games.participation_forms import (
    DeleteSessionForm,
    DiscordIdForm,
    KeepPlayersForm,
    LeaveForm,
    ManageActionForm,
    MemberSearchForm,
    NotifyForm,
    RegisterForm,
    ReportForm,
    SessionForm,
)
from games.views.access import can_manage, get_managed_game, get_session_of, get_visible_game

TEMPLATE = "games/game_detail.html"
MEMBER_SEARCH_LIMIT = 10
MEMBER_SEARCH_MIN_LENGTH = 2

# §3.6: the number of sessions a length announces; open-ended lengths always get a nudge.
PLANNED_SESSIONS = {Length.TWO: 2, Length.THREE: 3, Length.ABOUT_FIVE: 5, Length.ABOUT_TEN: 10}
OPEN_ENDED_LENGTHS = {Length.TEN_PLUS, Length.TWENTY_PLUS}
FREQUENCY_STEP_DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14}


# --- the page -----------------------------------------------------------------------------------


def game_detail(request: HttpRequest, slug: str) -> HttpResponse:
    game = get_visible_game(request, slug)
    return render(request, TEMPLATE, _page_context(request, game))


def _page_context(request: HttpRequest, game: Game, **forms) -> dict:
    """Everything the page shows, in a fixed number of queries whatever the number of players,
    sessions and events."""
    user = request.user
    now = timezone.now()
    is_manager = can_manage(user, game)
    registrations = list(game.registrations.select_related("player"))
    registered = [r for r in registrations if r.state == RegistrationState.REGISTERED]
    waitlisted = sorted(
        (r for r in registrations if r.state == RegistrationState.WAITLISTED),
        key=lambda r: (r.created_at, r.pk),
    )
    candidates = [r for r in registrations if r.state == RegistrationState.CANDIDATE]
    mine = next((r for r in registrations if r.player_id == user.pk), None)
    sessions = list(game.sessions.all())
    live = game.status in (GameStatus.OPEN, GameStatus.CLOSED)
    is_participant = mine is not None and mine.state == RegistrationState.REGISTERED
    seats_left = max(game.party_size - len(registered), 0)

    context = {
        "game": game,
        "is_manager": is_manager,
        "status_label": _status_label(game),
        "ambience_labels": [Ambience(value).label for value in game.ambience],
        "classification": _classification(game),
        "registrations": registrations,
        "registered": registered,
        "waitlisted": waitlisted,
        "candidates": candidates if is_manager else [],
        "seats_left": seats_left,
        "free_slots": [None] * _free_slots(game, len(registered)),
        "overbooked": max(len(registered) - game.party_size, 0) if is_manager else 0,
        "panel": _registration_panel(user, game, mine, waitlisted, seats_left, now),
        "sessions": _session_rows(request, game, sessions, now, is_manager, forms),
        "can_edit_sessions": is_manager and game.status != GameStatus.ARCHIVED,
        "nudge": _nudge(game, len(sessions)) if is_manager else "",
        "can_manage_players": is_manager and live,
        "manage_open": forms.get("manage_open", False),
        "show_chat": bool((is_manager or is_participant) and live and game.discord_channel_id),
        "can_notify": is_manager and live and game.published_at is not None,
        "can_report": (is_manager or is_participant) and live,
        "events": (list(game.events.select_related("actor", "subject")) if is_manager else []),
        # The GM and staff see the Discord work of their game: pending, failed, or unsent.
        "discord_effects": game.discord_effects.order_by("-pk")[:10] if is_manager else [],
    }
    if context["can_edit_sessions"]:
        start, end = _next_session(game, sessions, now)
        context["add_session_form"] = forms.get("add_session_form") or SessionForm(
            initial={"date_start": start, "date_end": end}, auto_id="session-new-%s"
        )
    if context["show_chat"]:
        guild_id = ClubSettings.load().guild_id
        context["discord_url"] = (
            f"https://discord.com/channels/{guild_id}/{game.discord_channel_id}" if guild_id else ""
        )
    if context["can_notify"]:
        context["notify_form"] = forms.get("notify_form") or NotifyForm(auto_id="notify-%s")
    if context["can_report"]:
        context["report_form"] = forms.get("report_form") or ReportForm(auto_id="report-%s")
    return context


def _status_label(game: Game) -> str:
    if game.status == GameStatus.CLOSED and game.closed_reason == ClosedReason.FULL:
        return game.get_closed_reason_display()
    return game.get_status_display()


def _classification(game: Game) -> list[dict]:
    if not game.classification:
        return []
    return [
        {
            "key": key,
            "label": CLASSIFICATION_LABELS[key],
            "level": game.classification[key],
            "level_label": CLASSIFICATION_LEVELS[game.classification[key]],
        }
        for key in CLASSIFICATION_KEYS
    ]


def _free_slots(game: Game, count: int) -> int:
    """Empty seats drawn on the roster; a "sur sélection" game that is open always shows one."""
    if not game.party_selection:
        return max(game.party_size - count, 0)
    if game.status == GameStatus.OPEN:
        return 1 if count >= game.party_size else game.party_size - count
    return max(game.party_size - count, 0)


def _registration_panel(user, game: Game, mine, waitlisted, seats_left: int, now) -> dict:
    """What the registration panel offers the viewer (the services decide on submission)."""
    if not user.is_authenticated:
        return {"mode": "anonymous"}
    if user.pk == game.gm_id:
        return {"mode": "gm"}
    if mine is not None:
        panel = {"mode": mine.state, "can_leave": services.can_leave(game, now)}
        if mine.state == RegistrationState.WAITLISTED:
            panel["position"] = next(i for i, r in enumerate(waitlisted, 1) if r.pk == mine.pk)
        return panel
    if game.status in (GameStatus.DRAFT, GameStatus.ARCHIVED):
        return {"mode": game.status}
    if not user.is_player:
        return {"mode": "not_player"}
    full_waitlist = game.status == GameStatus.CLOSED and game.closed_reason == ClosedReason.FULL
    if game.status == GameStatus.OPEN and game.party_selection:
        mode = "apply"
    elif game.status == GameStatus.OPEN and seats_left:
        mode = "register"
    elif game.status == GameStatus.OPEN or full_waitlist:
        mode = "waitlist"
    else:
        return {"mode": "closed"}
    return {"mode": mode, "clashes": _clashes(user, game, now)}


def _clashes(user, game: Game, now) -> list[GameSession]:
    """Upcoming sessions the viewer plays or runs elsewhere that overlap one of this game's:
    a warning, not a block (beyond.md item 6)."""
    plays = Registration.objects.filter(
        game=OuterRef("game"), player=user, state=RegistrationState.REGISTERED
    )
    overlaps_here = GameSession.objects.filter(
        game=game, start__lt=OuterRef("end"), end__gt=OuterRef("start")
    )
    return list(
        GameSession.objects.filter(Q(game__gm=user) | Q(Exists(plays)), Exists(overlaps_here))
        .filter(end__gt=now)
        .exclude(game=game)
        .exclude(game__status__in=(GameStatus.DRAFT, GameStatus.ARCHIVED))
        .select_related("game")
        .order_by("start")[:5]
    )


def _session_rows(request, game: Game, sessions, now, is_manager: bool, forms) -> list:
    """Sessions newest first, numbered from the oldest (#1), with their badge and links."""
    page_url = request.build_absolute_uri(game.get_absolute_url())
    bound, bound_id = forms.get("edit_session_form"), forms.get("edit_session_id")
    for number, session in enumerate(sessions, 1):
        session.number = number
        session.badge = _relative_badge(session, now)
        session.hours = round(session.duration.total_seconds() / 1800) / 2
        session.google_url = _google_calendar_url(game, session, number, page_url)
        if is_manager:
            session.edit_form = (
                bound
                if bound is not None and bound_id == session.pk
                else SessionForm(
                    initial={"date_start": session.start, "date_end": session.end},
                    auto_id=f"session-{session.pk}-%s",
                )
            )
    return sessions[::-1]


def _relative_badge(session: GameSession, now) -> tuple[str, str] | None:
    """The original computed these in the browser; here, in the club time zone."""
    if session.end <= now:
        return "past", _("Past")
    if session.start <= now:
        return "now", _("Under way")
    days = (timezone.localdate(session.start) - timezone.localdate(now)).days
    if days == 0:
        return "soon", _("Today")
    if days == 1:
        return "soon", _("Tomorrow")
    if days <= 7:
        return "later", _("In %(days)d d") % {"days": days}
    if days <= 30:
        return "later", _("In %(weeks)d wk") % {"weeks": days // 7}
    return None


def _google_calendar_url(game: Game, session: GameSession, number: int, page_url: str) -> str:
    utc = "%Y%m%dT%H%M%SZ"
    start = session.start.astimezone(datetime.UTC)
    end = session.end.astimezone(datetime.UTC)
    params = {
        "action": "TEMPLATE",
        "text": _("%(game)s by %(gm)s #%(number)d")
        % {"game": game.name, "gm": game.gm.display_name, "number": number},
        "dates": f"{start:{utc}}/{end:{utc}}",
        "details": page_url,
        "ctz": settings.TIME_ZONE,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params)


def _nudge(game: Game, count: int) -> str:
    if game.status in (GameStatus.DRAFT, GameStatus.ARCHIVED) or count == 0:
        return ""
    if game.length in OPEN_ENDED_LENGTHS:
        return _("Remember to plan the next session!")
    planned = PLANNED_SESSIONS.get(game.length)
    if planned and count < planned:
        return _("%(count)d/%(planned)d sessions recorded — remember to plan the rest!") % {
            "count": count,
            "planned": planned,
        }
    return ""


def _next_session(game: Game, sessions, now) -> tuple[datetime.datetime, datetime.datetime]:
    """Prefill of the add form (§3.1): the last session + the game's frequency; else the game's
    date if still ahead; else today at the game's time. Wall-clock times in the club time zone,
    so a weekly 20:30 stays 20:30 across a daylight-saving change."""
    last = timezone.localtime(sessions[-1].start) if sessions else None
    if last is not None and game.frequency in FREQUENCY_STEP_DAYS:
        start = last + datetime.timedelta(days=FREQUENCY_STEP_DAYS[game.frequency])
    elif last is not None and game.frequency == Frequency.MONTHLY:
        start = _add_month(last)
    elif game.date > now:
        start = timezone.localtime(game.date)
    else:
        at = timezone.localtime(game.date)
        start = timezone.localtime(now).replace(
            hour=at.hour, minute=at.minute, second=0, microsecond=0
        )
    return start, start + game.session_duration


def _add_month(value: datetime.datetime) -> datetime.datetime:
    year, month = (value.year + 1, 1) if value.month == 12 else (value.year, value.month + 1)
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


# --- responses ----------------------------------------------------------------------------------


def _respond(
    request: HttpRequest, game: Game, fragment: str, *, oob: tuple[str, ...] = (), **forms
) -> HttpResponse:
    """HTMX: the fragment, its out-of-band companions and the toasts; else the whole page."""
    game.refresh_from_db()
    context = _page_context(request, game, **forms)
    if not request.htmx:
        return render(request, TEMPLATE, context)
    parts = [render_to_string(f"{TEMPLATE}#{fragment}", context, request)]
    parts += [
        render_to_string(f"{TEMPLATE}#{name}", {**context, "oob": True}, request) for name in oob
    ]
    # Last, so that it shows the messages added while handling this request.
    parts.append(render_to_string(f"{TEMPLATE}#toasts", context, request))
    return HttpResponse("".join(parts))


def _done(request: HttpRequest, game: Game, fragment: str, *, oob=()) -> HttpResponse:
    """After an action whose outcome is a flash: the fragment for HTMX, else post/redirect/get."""
    if request.htmx:
        return _respond(request, game, fragment, oob=oob)
    return redirect(game)


def _text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- registration -------------------------------------------------------------------------------

REGISTERED_MESSAGES = {
    RegistrationState.REGISTERED: gettext_lazy("You are registered."),
    RegistrationState.WAITLISTED: gettext_lazy("You are on the waiting list."),
    RegistrationState.CANDIDATE: gettext_lazy("Your application was sent to the GM."),
}
LEFT_MESSAGES = {
    RegistrationState.REGISTERED: gettext_lazy("You left the game."),
    RegistrationState.WAITLISTED: gettext_lazy("You left the waiting list."),
    RegistrationState.CANDIDATE: gettext_lazy("Your application was withdrawn."),
}


@require_POST
@login_required
def register(request: HttpRequest, slug: str) -> HttpResponse:
    """Register, join the waiting list of a full game, or apply to a "sur sélection" game."""
    game = get_visible_game(request, slug)
    form = RegisterForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.error_text())
    else:
        try:
            registration = services.register_player(game, request.user)
        except ValidationError as error:
            messages.error(request, _text(error))
        else:
            messages.success(request, REGISTERED_MESSAGES[registration.state])
    return _done(request, game, "registration", oob=("roster",))


@require_POST
@login_required
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    """Leave the game, the waiting list or withdraw an application (until the game starts)."""
    game = get_visible_game(request, slug)
    LeaveForm(request.POST).full_clean()
    state = game.registrations.filter(player=request.user).values_list("state", flat=True).first()
    try:
        services.unregister_player(game, request.user, actor=request.user)
    except ValidationError as error:
        messages.error(request, _text(error))
    else:
        messages.success(request, LEFT_MESSAGES[state])
    return _done(request, game, "registration", oob=("roster",))


# --- player management (GM and staff) -----------------------------------------------------------


@require_POST
@login_required
def manage_players(request: HttpRequest, slug: str) -> HttpResponse:
    """`action=manage`: keep the ticked players, remove the others; `action=add`: add a member
    by Discord id; `action=select`: take a candidate of a "sur sélection" game."""
    game = get_managed_game(request, slug)
    form = ManageActionForm(request.POST)
    if game.status == GameStatus.ARCHIVED:
        messages.error(request, _("The players of an archived game cannot change."))
    elif not form.is_valid():
        messages.error(request, form.error_text())
    else:
        action = {"manage": _keep_players, "add": _add_player, "select": _select_candidate}
        try:
            action[form.cleaned_data["action"]](request, game)
        except ValidationError as error:
            messages.error(request, _text(error))
        else:
            messages.success(request, _("Player list updated."))
    if request.htmx:
        return _respond(request, game, "roster", oob=("registration", "activity"), manage_open=True)
    return redirect(game)


def _keep_players(request: HttpRequest, game: Game) -> None:
    form = KeepPlayersForm(request.POST)
    if not form.is_valid():
        raise ValidationError(form.error_text())
    keep, listed = set(form.cleaned_data["players"]), set(form.cleaned_data["listed"])
    leaving = [
        r
        for r in game.registrations.select_related("player")
        if r.player.discord_id not in keep and (not listed or r.player.discord_id in listed)
    ]
    # The waiting list and candidates go first: a seated player leaving promotes the first in
    # line, who must not be someone about to be removed as well.
    leaving.sort(key=lambda r: (r.state == RegistrationState.REGISTERED, r.created_at, r.pk))
    with transaction.atomic():  # all or nothing
        for registration in leaving:
            services.unregister_player(game, registration.player, actor=request.user)


def _add_player(request: HttpRequest, game: Game) -> None:
    form = DiscordIdForm(request.POST)
    if not form.is_valid():
        raise ValidationError(form.error_text())
    member = User.objects.filter(discord_id=form.cleaned_data["discord_id"]).first()
    if member is None:
        raise ValidationError(_("Unknown member: they must have signed in at least once."))
    services.register_player(game, member, actor=request.user)


def _select_candidate(request: HttpRequest, game: Game) -> None:
    form = DiscordIdForm(request.POST)
    if not form.is_valid():
        raise ValidationError(form.error_text())
    member = User.objects.filter(discord_id=form.cleaned_data["discord_id"]).first()
    if member is None:
        raise ValidationError(_("This person is not a candidate for this game."))
    services.select_candidate(game, member, actor=request.user)


@require_GET
@login_required
def member_search(request: HttpRequest) -> HttpResponse:
    """Typeahead of the "add a player" field: up to ten active players by name or id.

    The field is the add form's `discord_id` itself (so it works without JavaScript), which
    htmx sends under that name: it stands for `q` when `q` is absent."""
    if not (request.user.is_gm or request.user.has_perm("games.change_game")):
        raise PermissionDenied
    data = request.GET.copy()
    if "q" not in data and "discord_id" in data:
        data["q"] = data["discord_id"]
    form = MemberSearchForm(data)
    term = form.cleaned_data["q"] if form.is_valid() else ""
    members = []
    if len(term) >= MEMBER_SEARCH_MIN_LENGTH:
        members = list(
            User.objects.active_members()
            .filter(is_player=True)
            .search(term)
            .order_by("display_name", "pk")[:MEMBER_SEARCH_LIMIT]
        )
    return render(
        request,
        f"{TEMPLATE}#member_results",
        {"members": members, "searched": len(term) >= MEMBER_SEARCH_MIN_LENGTH},
    )


# --- sessions (GM and staff) --------------------------------------------------------------------


# Refusals of the action itself (not of the dates typed): a flash, as the form is not shown.
SESSION_REFUSALS = {"draft", "archived"}


def _save_session(form: SessionForm, save) -> bool:
    """Save through the service; errors about the dates go to the form (it keeps what was
    typed), a refusal of the action is raised."""
    if not form.is_valid():
        return False
    try:
        save(start=form.cleaned_data["date_start"], end=form.cleaned_data["date_end"])
    except ValidationError as error:
        if not hasattr(error, "error_dict") and getattr(error, "code", None) in SESSION_REFUSALS:
            raise
        form.add_error(None, error.messages)
        return False
    return True


@require_POST
@login_required
def session_add(request: HttpRequest, slug: str) -> HttpResponse:
    game = get_managed_game(request, slug)
    form = SessionForm(request.POST, auto_id="session-new-%s")
    try:
        saved = _save_session(
            form, lambda **dates: services.add_session(game, actor=request.user, **dates)
        )
    except ValidationError as error:
        messages.error(request, _text(error))
        return _done(request, game, "sessions")
    if saved:
        messages.success(request, _("Session added."))
        return _done(request, game, "sessions", oob=("activity",))
    return _respond(request, game, "sessions", add_session_form=form)


@require_POST
@login_required
def session_edit(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    game = get_managed_game(request, slug)
    session = get_session_of(game, session_id)
    form = SessionForm(request.POST, auto_id=f"session-{session.pk}-%s")
    try:
        saved = _save_session(
            form, lambda **dates: services.edit_session(session, actor=request.user, **dates)
        )
    except ValidationError as error:
        messages.error(request, _text(error))
        return _done(request, game, "sessions")
    if saved:
        messages.success(request, _("Session changed."))
        return _done(request, game, "sessions", oob=("activity",))
    return _respond(
        request,
        game,
        "sessions",
        edit_session_form=form,
        edit_session_id=session.pk,
    )


@require_POST
@login_required
def session_delete(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    game = get_managed_game(request, slug)
    session = get_session_of(game, session_id)
    DeleteSessionForm(request.POST).full_clean()
    try:
        services.delete_session(session, actor=request.user)
    except ValidationError as error:
        messages.error(request, _text(error))
    else:
        messages.success(request, _("Session deleted."))
    return _done(request, game, "sessions", oob=("activity",))


# --- messages -----------------------------------------------------------------------------------

# Errors about the text typed (kept in the form); any other refusal is a flash.
MESSAGE_ERRORS = {"empty", "too_long"}


@require_POST
@login_required
def notify(request: HttpRequest, slug: str) -> HttpResponse:
    """The GM pings the players in the game channel."""
    game = get_managed_game(request, slug)
    form = NotifyForm(request.POST, auto_id="notify-%s")
    if form.is_valid():
        try:
            services.notify_players(game, actor=request.user, text=form.cleaned_data["message"])
        except ValidationError as error:
            if error.code not in MESSAGE_ERRORS:
                messages.error(request, _text(error))
                return _done(request, game, "notify")
            form.add_error("message", error.messages)
        else:
            messages.success(request, _("Players notified."))
            return _done(request, game, "notify", oob=("activity",))
    return _respond(request, game, "notify", notify_form=form)


@require_POST
@login_required
def report(request: HttpRequest, slug: str) -> HttpResponse:
    """A report to the staff channel, by the GM, staff or a registered player."""
    game = get_visible_game(request, slug)
    allowed = can_manage(request.user, game) or (
        game.registrations.registered().filter(player=request.user).exists()
    )
    if not allowed:
        messages.error(request, _("You are not allowed to do this for this game."))
        return _done(request, game, "report")
    form = ReportForm(request.POST, auto_id="report-%s")
    if form.is_valid():
        try:
            services.report_game(game, reporter=request.user, text=form.cleaned_data["message"])
        except ValidationError as error:
            if error.code not in MESSAGE_ERRORS:
                messages.error(request, _text(error))
                return _done(request, game, "report")
            form.add_error("message", error.messages)
        else:
            messages.success(request, _("Report sent."))
            return _done(request, game, "report", oob=("activity",))
    return _respond(request, game, "report", report_form=form)

"""The game page and what players and GMs do on it.

Every action is a POST through a form. HTMX gets the refreshed fragment of
games/game_detail.html, plus out-of-band fragments that depend on it and the toasts; a plain
browser is redirected back to the page (post/redirect/get), or — when a form keeps what was typed
(sessions, messages) and has errors — shown the page again with them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.services import member_from_guild
from catalog.models import ClubSettings
from games import services
from games.access import (
    can_manage,
    can_see_reporters,
    check_can_search_members,
    get_managed_game,
    get_reportable_game,
    get_session_of,
    get_visible_game,
)
from games.forms import (
    AttendanceForm,
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
from games.models import (
    Attendance,
    Game,
    GameSession,
    Registration,
    RegistrationMode,
    RegistrationState,
)
from questmaster.discord import is_offline

TEMPLATE = "games/game_detail.html"
MEMBER_SEARCH_LIMIT = 10
MEMBER_SEARCH_MIN_LENGTH = 2


# --- the page -----------------------------------------------------------------------------------


def game_detail(request: HttpRequest, slug: str) -> HttpResponse:
    game = get_visible_game(request, slug)
    return render(request, TEMPLATE, _page_context(request, game))


def _page_context(request: HttpRequest, game: Game, **forms) -> dict:
    """Everything the page shows, in a fixed number of queries whatever the number of players,
    sessions and events. The rules come from `Game` (prefetched registrations and sessions feed
    its seat count and start checks); the view only decides what the viewer may see."""
    user = request.user
    is_manager = can_manage(user, game)
    session_queryset = GameSession.objects.all()
    if is_manager:  # the attendance rolls of past sessions
        session_queryset = session_queryset.prefetch_related(
            Prefetch("attendances", queryset=Attendance.objects.select_related("player"))
        )
    prefetch_related_objects(
        [game],
        Prefetch("registrations", queryset=Registration.objects.select_related("player")),
        Prefetch("sessions", queryset=session_queryset),
    )
    registrations = list(game.registrations.all())
    registered = [r for r in registrations if r.state == RegistrationState.REGISTERED]
    waitlisted = sorted(
        (r for r in registrations if r.state == RegistrationState.WAITLISTED),
        key=lambda r: (r.created_at, r.pk),
    )
    candidates = [r for r in registrations if r.state == RegistrationState.CANDIDATE]
    mine = next((r for r in registrations if r.player_id == user.pk), None)
    sessions = list(game.sessions.all())
    is_participant = mine is not None and mine.state == RegistrationState.REGISTERED

    context = {
        "game": game,
        "is_manager": is_manager,
        "registrations": registrations,
        "registered": registered,
        "waitlisted": waitlisted,
        "candidates": candidates if is_manager else [],
        "overbooked": max(len(registered) - game.party_size, 0) if is_manager else 0,
        "panel": _registration_panel(user, game, mine, waitlisted),
        "sessions": _session_rows(game, sessions, is_manager, forms),
        "can_edit_sessions": is_manager and not game.is_archived,
        "can_add_sessions": is_manager and game.is_live,
        "can_manage_players": is_manager and game.is_live,
        "manage_open": forms.get("manage_open", False),
        "show_chat": bool((is_manager or is_participant) and game.has_channel),
        "can_notify": is_manager and game.has_channel,
        "can_report": (is_manager or is_participant) and game.is_live,
        "status_actions": game.allowed_actions() if is_manager else [],
        "events": (list(game.events.select_related("actor", "subject")) if is_manager else []),
        "reveal_reporters": can_see_reporters(user),
        # The GM and staff see the Discord work of their game: pending, failed, or unsent.
        "discord_effects": game.discord_effects.order_by("-pk")[:10] if is_manager else [],
    }
    if context["can_add_sessions"]:
        start, end = game.next_session_slot()
        context["add_session_form"] = forms.get("add_session_form") or SessionForm(
            initial={"date_start": start, "date_end": end}, auto_id="session-new-%s"
        )
    if context["show_chat"] and game.discord_channel_id:
        guild_id = ClubSettings.load().guild_id
        context["discord_url"] = (
            f"https://discord.com/channels/{guild_id}/{game.discord_channel_id}" if guild_id else ""
        )
    if context["can_notify"]:
        context["notify_form"] = forms.get("notify_form") or NotifyForm(auto_id="notify-%s")
    if context["can_report"]:
        context["report_form"] = forms.get("report_form") or ReportForm(auto_id="report-%s")
    return context


def _registration_panel(user, game: Game, mine, waitlisted) -> dict:
    """What the registration panel offers the viewer (the services decide on submission)."""
    mode = game.registration_mode(user, mine)
    panel = {"mode": mode}
    if mine is not None:
        panel["can_leave"] = game.may_leave()
        if mine.state == RegistrationState.WAITLISTED:
            panel["position"] = next(i for i, r in enumerate(waitlisted, 1) if r.pk == mine.pk)
    elif mode in (RegistrationMode.REGISTER, RegistrationMode.WAITLIST, RegistrationMode.APPLY):
        panel["clashes"] = list(GameSession.objects.clashing_with(game, user)[:5])
    return panel


def _session_rows(game: Game, sessions, is_manager: bool, forms) -> list[tuple]:
    """Sessions newest first, each with its edit form for the GM (the bound one keeps what
    was typed) and, once over, its attendance roll; the template numbers them from the oldest."""
    bound, bound_id = forms.get("edit_session_form"), forms.get("edit_session_id")
    now = timezone.now()
    rows = []
    for session in sessions:
        form, roll = None, None
        if is_manager and not game.is_draft and session.end <= now:
            roll = services.attendance_roll(session)
        if is_manager:
            form = (
                bound
                if bound is not None and bound_id == session.pk
                else SessionForm(
                    initial={"date_start": session.start, "date_end": session.end},
                    auto_id=f"session-{session.pk}-%s",
                )
            )
        rows.append((session, form, roll))
    return rows[::-1]


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
    try:
        departure = services.unregister_player(game, request.user, actor=request.user)
    except ValidationError as error:
        messages.error(request, _text(error))
    else:
        messages.success(request, LEFT_MESSAGES[departure.registration.state])
    return _done(request, game, "registration", oob=("roster",))


# --- player management (GM and staff) -----------------------------------------------------------


@require_POST
@login_required
def manage_players(request: HttpRequest, slug: str) -> HttpResponse:
    """`action=manage`: keep the ticked players, remove the others; `action=add`: add a member
    by Discord id; `action=select`: take a candidate of a "sur sélection" game."""
    game = get_managed_game(request, slug)
    form = ManageActionForm(request.POST)
    if game.is_archived:
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
        r.player
        for r in game.registrations.select_related("player")
        if r.player.discord_id not in keep and (not listed or r.player.discord_id in listed)
    ]
    services.remove_players(game, leaving, actor=request.user)


def _add_player(request: HttpRequest, game: Game) -> None:
    """Add a member by Discord id; someone who never signed in is looked up on the server."""
    form = DiscordIdForm(request.POST)
    if not form.is_valid():
        raise ValidationError(form.error_text())
    discord_id = form.cleaned_data["discord_id"]
    member = User.objects.filter(discord_id=discord_id).first() or member_from_guild(discord_id)
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
    check_can_search_members(request.user)
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


@require_POST
@login_required
def session_attendance(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    """The GM (or staff) marks who came to a past session."""
    game = get_managed_game(request, slug)
    session = get_session_of(game, session_id)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.error_text())
    else:
        try:
            services.mark_attendance(
                session, actor=request.user, present=set(form.cleaned_data["present"])
            )
        except ValidationError as error:
            messages.error(request, _text(error))
        else:
            messages.success(request, _("Attendance saved."))
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
            messages.success(
                request,
                _("Notification recorded: offline mode, nothing was sent to Discord.")
                if is_offline()
                else _("Players notified."),
            )
            return _done(request, game, "notify", oob=("activity",))
    return _respond(request, game, "notify", notify_form=form)


@require_POST
@login_required
def report(request: HttpRequest, slug: str) -> HttpResponse:
    """A report to the staff channel, by the GM, staff or a registered player."""
    game = get_reportable_game(request, slug)
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
            messages.success(
                request,
                _("Report recorded: offline mode, nothing was sent to Discord.")
                if is_offline()
                else _("Report sent."),
            )
            return _done(request, game, "report", oob=("activity",))
    return _respond(request, game, "report", report_form=form)

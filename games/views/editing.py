"""The GM workflow: new game, edit, clone, and the status changes of the game page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from games import services
from games.access import can_delete_any, check_can_post, get_managed_game
from games.forms import (
    OPEN_SILENT,
    PUBLISH_ACTIONS,
    PUBLISH_STATUSES,
    GameForm,
    GameStatusForm,
    PublishIntentForm,
    clone_initial,
)
from games.models import Game
from questmaster.discord import is_offline


def _posted(online: str, offline: str) -> str:
    """Offline, nothing is posted on Discord: the publication is recorded, and the GM is told."""
    return offline if is_offline() else online


def _edit_url(game: Game, publish_action: str | None = None) -> str:
    url = reverse("games:edit", kwargs={"slug": game.slug})
    return f"{url}?{urlencode({'action': publish_action})}" if publish_action else url


def _publish(request: HttpRequest, game: Game, action: str, *, confirmed: bool) -> str | None:
    """Publish a just-saved draft; on refusal, flash why and return where to go instead."""
    try:
        services.publish_game(
            game, actor=request.user, silent=action == OPEN_SILENT, allow_past_date=confirmed
        )
    except ValidationError as error:
        if getattr(error, "code", None) == "past_date":
            # The draft is kept; its edit page asks for the confirmation.
            messages.warning(request, " ".join(error.messages))
            return _edit_url(game, action)
        messages.error(request, " ".join(error.messages))
        return game.get_absolute_url()
    return None


def _render_form(
    request: HttpRequest,
    form: GameForm,
    *,
    mode: str,
    game: Game | None = None,
    past_date_action: str | None = None,
) -> HttpResponse:
    titles = {
        "create": _("New announcement"),
        "edit": _("Edit the announcement"),
        "clone": _("Clone the announcement"),
    }
    form_action = (
        reverse("games:edit", kwargs={"slug": game.slug})
        if mode == "edit"
        else reverse("games:create")
    )
    return render(
        request,
        "games/game_form.html",
        {
            "form": form,
            "game": game,
            "mode": mode,
            "page_title": titles[mode],
            "form_action": form_action,
            "past_date_action": past_date_action,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def game_create(request: HttpRequest) -> HttpResponse:
    check_can_post(request.user)
    if request.method != "POST":
        return _render_form(request, GameForm(), mode="create")
    form = GameForm(request.POST)
    if not form.is_valid():
        return _render_form(request, form, mode="create")
    game = services.create_game(form.save(commit=False), actor=request.user)
    action = form.cleaned_data["action"]
    if action in PUBLISH_ACTIONS:
        elsewhere = _publish(
            request, game, action, confirmed=form.cleaned_data["confirm_past_date"]
        )
        if elsewhere:
            return redirect(elsewhere)
        messages.success(
            request,
            _posted(
                _("Announcement %(name)s posted.") % {"name": game.name},
                _(
                    "Announcement %(name)s recorded and published: offline mode, nothing was "
                    "sent to Discord."
                )
                % {"name": game.name},
            ),
        )
    else:
        messages.success(request, _("Announcement %(name)s saved.") % {"name": game.name})
    return redirect(game)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def game_edit(request: HttpRequest, slug: str) -> HttpResponse:
    game = get_managed_game(request, slug)
    if game.is_archived:
        messages.error(request, _("An archived announcement can no longer be edited."))
        return redirect(game)

    if request.method != "POST":
        intent = PublishIntentForm(request.GET)
        past_date_action = None
        if intent.is_valid() and game.is_draft and game.date < timezone.now():
            past_date_action = intent.cleaned_data["action"]
        else:
            messages.info(request, _("You are editing an announcement."))
        return _render_form(
            request,
            GameForm(instance=game),
            mode="edit",
            game=game,
            past_date_action=past_date_action,
        )

    form = GameForm(request.POST, instance=game)
    if not form.is_valid():
        return _render_form(request, form, mode="edit", game=game)
    was_draft = game.is_draft
    try:
        game = services.update_game(form.save(commit=False), actor=request.user)
    except ValidationError as error:
        if hasattr(error, "error_dict"):  # about what was typed: the form shows it
            form.add_error(None, error)
            return _render_form(request, form, mode="edit", game=game)
        messages.error(request, " ".join(error.messages))  # archived in the meantime
        return redirect(game)
    action = form.cleaned_data["action"]
    if was_draft and game.is_draft and action in PUBLISH_ACTIONS:
        elsewhere = _publish(
            request, game, action, confirmed=form.cleaned_data["confirm_past_date"]
        )
        if elsewhere:
            return redirect(elsewhere)
        messages.success(
            request,
            _("Announcement edited and opened.")
            if action == OPEN_SILENT
            else _posted(
                _("Announcement edited and posted."),
                _("Announcement edited and published: offline mode, nothing was sent to Discord."),
            ),
        )
    else:
        messages.success(request, _("Announcement edited."))
    return redirect(game)


@login_required
@require_safe
def game_clone(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_managed_game(request, slug)
    check_can_post(request.user)
    messages.info(request, _("You are cloning an announcement."))
    return _render_form(request, GameForm(initial=clone_initial(source)), mode="clone")


def _change_status(request: HttpRequest, game: Game, form: GameStatusForm) -> str:
    """Apply the requested transition; return where to go next. Refusals are flashed."""
    status = form.cleaned_data["status"]
    actor = request.user
    name = game.name
    try:
        if status in PUBLISH_STATUSES:
            services.publish_game(
                game,
                actor=actor,
                silent=status == OPEN_SILENT,
                allow_past_date=form.cleaned_data["confirm_past_date"],
            )
            messages.success(
                request,
                _("Announcement opened without announcement.")
                if status == OPEN_SILENT
                else _posted(
                    _("Announcement published successfully."),
                    _("Announcement published: offline mode, nothing was sent to Discord."),
                ),
            )
        elif status == "open":
            services.reopen_game(game, actor=actor)
            messages.success(request, _("Announcement %(name)s opened.") % {"name": name})
        elif status == "closed":
            services.close_game(game, actor=actor)
            messages.success(request, _("Announcement %(name)s closed.") % {"name": name})
        elif status == "archived":
            services.archive_game(
                game, actor=actor, award_trophies=form.cleaned_data["award_trophies"]
            )
            messages.success(request, _("Announcement %(name)s archived.") % {"name": name})
        else:
            services.delete_game(game, actor=actor, any_status=can_delete_any(actor))
            # The game's audit trail goes with it: the deletion itself is kept in the admin log.
            LogEntry.objects.log_actions(actor.pk, [game], DELETION, single_object=True)
            messages.success(request, _("Announcement deleted successfully."))
            return reverse("games:mine")
    except ValidationError as error:
        if getattr(error, "code", None) == "past_date":
            messages.warning(request, " ".join(error.messages))
            return _edit_url(game, OPEN_SILENT if status == OPEN_SILENT else "open")
        messages.error(request, " ".join(error.messages))
    return game.get_absolute_url()


@login_required
@require_POST
def game_status(request: HttpRequest, slug: str) -> HttpResponse:
    game = get_managed_game(request, slug)
    form = GameStatusForm(request.POST)
    if form.is_valid():
        target = _change_status(request, game, form)
    else:
        messages.error(request, _("Requested status not handled."))
        target = game.get_absolute_url()
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)

"""Back office for games: announcements, sessions, registrations and the audit trail.

The admin is a client of the services, like the site: the form edits the content through
`update_game`/`create_game`, the status changes only through the lifecycle actions, and
registrations and sessions are read-only here (they change on the game's page or through the
registration actions, which send the Discord notices).
"""

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from games import services
from games.models import (
    CLASSIFICATION_KEYS,
    CLASSIFICATION_LABELS,
    CLASSIFICATION_LEVELS,
    CONTENT_FIELDS,
    IDENTITY_FIELDS,
    TRANSITIONS,
    Ambience,
    Game,
    GameEvent,
    GameSession,
    Registration,
)
from questmaster.discord.models import EffectKind
from questmaster.discord.outbox import record

# The site's game form fields; the classification is edited as four levels instead of JSON.
GAME_FORM_FIELDS = tuple(
    name for name in (*IDENTITY_FIELDS, *CONTENT_FIELDS) if name != "classification"
)
DISCORD_ID_FIELDS = ("discord_channel_id", "discord_role_id", "discord_message_id")
# What staff edit besides the site's fields. `update_game` copies them only when the form
# changed them: a stale form never overwrites ids the Discord worker wrote in the meantime.
STAFF_FIELDS = ("gm", *DISCORD_ID_FIELDS)
# Shown, never edited here: the status has one door (the services), the slug is the address
# announcements link to, the rest is written by the services and the Discord worker.
READONLY_FIELDS = (
    "slug",
    "status",
    "closed_reason",
    "published_at",
    "created_at",
    "updated_at",
    "discord_briefing_id",
    "discord_category",
    "discord_direct_permissions",
)
# The actions that carry out each lifecycle transition (`games.models.TRANSITIONS`); a game's
# change page offers those its status allows. Deleting has Django's own button.
TRANSITION_ACTIONS = {
    "publish": ("publish_announcement",),
    "open-silent": ("open_silently",),
    "open": ("reopen_registrations",),
    "closed": ("close_registrations",),
    "archived": ("archive_with_badges", "archive_without_badges"),
}
BOTH_PAGES = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def classification_field_name(key: str) -> str:
    return f"classification_{key}"


def classification_level_field(key: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=CLASSIFICATION_LABELS[key],
        choices=[("", "—"), *CLASSIFICATION_LEVELS.items()],
        coerce=int,
        empty_value=None,
        required=False,
    )


def may_republish(game: Game) -> bool:
    return game.is_announced and not game.is_archived


def apply_one_by_one(
    model_admin: admin.ModelAdmin,
    request,
    items: Iterable,
    use_case: Callable,
    done: str | None,
) -> None:
    """Run `use_case` on each item; a refusal is reported and the others go on."""
    count = 0
    for item in items:
        try:
            use_case(item)
        except ValidationError as exc:
            reason = " ".join(exc.messages)
            model_admin.message_user(
                request,
                gettext("%(game)s: %(reason)s") % {"game": item, "reason": reason},
                messages.WARNING,
            )
        else:
            count += 1
    if count and done:
        model_admin.message_user(request, done % {"count": count}, messages.SUCCESS)


class GameAdminForm(forms.ModelForm):
    """Edits the classification as four 0–2 levels and the ambience as checkboxes, not JSON."""

    classification_action = classification_level_field("action")
    classification_investigation = classification_level_field("investigation")
    classification_interaction = classification_level_field("interaction")
    classification_horror = classification_level_field("horror")
    ambience = forms.MultipleChoiceField(
        label=_("ambience"),
        choices=Ambience.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    # The service's refusal of the previous submission (see `GameAdmin.changeform_view`).
    refusal: ValidationError | None = None

    class Meta:
        model = Game
        fields = (*GAME_FORM_FIELDS, *STAFF_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        levels = self.instance.classification or {}
        for key in CLASSIFICATION_KEYS:
            # A new game starts with every axis absent, like the site's form.
            default = 0 if self.instance._state.adding else None
            self.fields[classification_field_name(key)].initial = levels.get(key, default)
        for name in STAFF_FIELDS:
            if name in self.fields:
                # "Changed" must mean changed from what the page showed, not from the row as
                # it is now: the worker may have written an id since.
                self.fields[name].show_hidden_initial = True

    def clean_ambience(self) -> list[str]:
        chosen = set(self.cleaned_data["ambience"])
        return [value for value in Ambience.values if value in chosen]

    def clean(self):
        cleaned_data = super().clean()
        if self.refusal is not None:
            for field, errors in self.refusal.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        names = [classification_field_name(key) for key in CLASSIFICATION_KEYS]
        if any(name in self.errors for name in names):
            return cleaned_data
        levels = {
            key: cleaned_data.get(classification_field_name(key)) for key in CLASSIFICATION_KEYS
        }
        given = [level is not None for level in levels.values()]
        if all(given):
            self.instance.classification = levels
        elif not any(given):
            self.instance.classification = {}
        else:
            for key, level in levels.items():
                if level is None:
                    self.add_error(
                        classification_field_name(key),
                        _("Give this level too, or leave the four levels empty."),
                    )
        return cleaned_data


class ReadOnlyInline(admin.TabularInline):
    """Children shown on the game's page; they change through the services only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GameSessionInline(ReadOnlyInline):
    # Adding or moving a session pings the players on Discord: that is done on the game's page
    # on the site, which goes through the services.
    model = GameSession
    fields = ("start", "end")


class RegistrationInline(ReadOnlyInline):
    model = Registration
    fields = ("player", "state", "created_at", "added_by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("player", "added_by")


class GameEventInline(ReadOnlyInline):
    model = GameEvent
    fields = ("timestamp", "action", "actor", "subject", "description")
    ordering = ("-timestamp", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "subject")


class MemberFilter(admin.SimpleListFilter):
    """Filters on one member, reached from the member's page; shown only while active."""

    lookup: str

    def lookups(self, request, model_admin):
        value = self.value()
        if not value or not value.isdigit():
            return []
        member = User.objects.filter(pk=value).first()
        return [(value, str(member))] if member else []

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{self.lookup: value})


class GmFilter(MemberFilter):
    title = _("GM")
    parameter_name = "gm"
    lookup = "gm"


class PlayerFilter(MemberFilter):
    title = _("player")
    parameter_name = "player"
    lookup = "registrations__player"


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    form = GameAdminForm
    list_display = ("name", "gm", "type", "status", "date", "special_event", "players")
    list_select_related = ("gm", "special_event")
    list_filter = (
        "status",
        "type",
        "restriction",
        "system",
        "vtt",
        "special_event",
        "party_selection",
        GmFilter,
        PlayerFilter,
    )
    date_hierarchy = "date"
    search_fields = ("name", "slug", "gm__display_name", "gm__username")
    autocomplete_fields = ("gm", "system", "vtt", "special_event")
    fieldsets = (
        (
            _("Announcement"),
            {"fields": ("name", "slug", "type", "special_event", "gm", "system", "vtt", "img")},
        ),
        (_("Dates"), {"fields": ("date", "length", "session_length", "frequency")}),
        (_("Players"), {"fields": ("party_size", "party_selection", "xp", "characters")}),
        (_("Content"), {"fields": ("description", "complement")}),
        (
            _("Classification & ambience"),
            {
                "fields": (
                    "restriction",
                    "restriction_tags",
                    tuple(classification_field_name(key) for key in CLASSIFICATION_KEYS),
                    "ambience",
                )
            },
        ),
        (
            _("Status"),
            {
                "fields": (
                    "status",
                    "closed_reason",
                    "published_at",
                    "created_at",
                    "updated_at",
                ),
                "description": _(
                    "The status changes through the actions (on this page or on the list of "
                    "games): they do the work on Discord and award the badges."
                ),
            },
        ),
        (
            _("Discord resources"),
            {
                "classes": ("collapse",),
                "fields": (
                    *DISCORD_ID_FIELDS,
                    "discord_briefing_id",
                    "discord_category",
                    "discord_direct_permissions",
                ),
                "description": _(
                    "Editing these ids changes the database only: nothing is created, moved or "
                    "deleted on Discord."
                ),
            },
        ),
    )
    inlines = [GameSessionInline, RegistrationInline, GameEventInline]
    actions = [
        "publish_announcement",
        "open_silently",
        "close_registrations",
        "reopen_registrations",
        "archive_with_badges",
        "archive_without_badges",
        "republish_announcement",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_player_count()

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            # A new game is a draft with nothing on Discord yet; its slug comes from its name.
            return (*READONLY_FIELDS, *DISCORD_ID_FIELDS)
        if not obj.is_draft:
            # Frozen once published: the Discord channel and role are named after them.
            return (*READONLY_FIELDS, *IDENTITY_FIELDS)
        return READONLY_FIELDS

    def has_change_permission(self, request, obj=None):
        # An archived game is over: the services refuse to edit it, so its page is read-only.
        if obj is not None and obj.is_archived:
            return False
        return super().has_change_permission(request, obj)

    # --- saving: the site's use cases --------------------------------------------------------

    def save_model(self, request, obj: Game, form, change):
        if change:
            changed = tuple(name for name in STAFF_FIELDS if name in form.changed_data)
            services.update_game(obj, actor=request.user, extra_fields=changed)
        else:
            services.create_game(obj, actor=request.user, gm=obj.gm)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "game_refusal", None)
        if refusal is None:
            return form
        return type(form.__name__, (form,), {"refusal": refusal})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:
            # The service refused under the row lock (e.g. fewer seats than players already
            # seated, or archived in the meantime); the transaction is rolled back.
            if not hasattr(refusal, "error_dict"):
                self.message_user(request, " ".join(refusal.messages), messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
            # A refusal about a field: the form again, with what was typed and the reason.
            request.game_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        action_form = context.get("action_form")
        if action_form is not None and obj is not None:
            offered = self.offered_actions(obj)
            choices = [
                (name, label)
                for name, label in action_form.fields["action"].choices
                if not name or name in offered
            ]
            action_form.fields["action"].choices = choices
            if len(choices) == 1:  # only the blank choice
                context["action_form"] = None
        return super().render_change_form(request, context, add, change, form_url, obj)

    def offered_actions(self, game: Game) -> set[str]:
        """The actions the change page offers for `game`: its allowed transitions, and the
        republication of its announcement."""
        offered = {
            name
            for transition in game.allowed_actions()
            for name in TRANSITION_ACTIONS.get(transition.action, ())
        }
        if may_republish(game):
            offered.add("republish_announcement")
        return offered

    # --- actions: the site's use cases, one game at a time --------------------------------------

    @admin.action(
        description=TRANSITIONS["publish"].label, permissions=["change"], location=BOTH_PAGES
    )
    def publish_announcement(self, request, queryset):
        apply_one_by_one(
            self,
            request,
            queryset,
            lambda game: services.publish_game(game, actor=request.user),
            gettext("%(count)d game(s) published on Discord."),
        )

    @admin.action(
        description=TRANSITIONS["open-silent"].label, permissions=["change"], location=BOTH_PAGES
    )
    def open_silently(self, request, queryset):
        apply_one_by_one(
            self,
            request,
            queryset,
            lambda game: services.publish_game(game, actor=request.user, silent=True),
            gettext("%(count)d game(s) opened without announcement."),
        )

    @admin.action(description=_("Close registrations"), permissions=["change"], location=BOTH_PAGES)
    def close_registrations(self, request, queryset):
        apply_one_by_one(
            self,
            request,
            queryset,
            lambda game: services.close_game(game, actor=request.user),
            gettext("%(count)d game(s) closed to registrations."),
        )

    @admin.action(
        description=_("Reopen registrations"), permissions=["change"], location=BOTH_PAGES
    )
    def reopen_registrations(self, request, queryset):
        apply_one_by_one(
            self,
            request,
            queryset,
            lambda game: services.reopen_game(game, actor=request.user),
            gettext("%(count)d game(s) reopened to registrations."),
        )

    @admin.action(
        description=_("Archive (with badges)"), permissions=["change"], location=BOTH_PAGES
    )
    def archive_with_badges(self, request, queryset):
        apply_one_by_one(
            self,
            request,
            queryset,
            lambda game: services.archive_game(game, actor=request.user, award_trophies=True),
            gettext("%(count)d game(s) archived, badges awarded."),
        )

    @admin.action(
        description=_("Archive (without badges)"), permissions=["change"], location=BOTH_PAGES
    )
    def archive_without_badges(self, request, queryset):
        apply_one_by_one(
            self,
            request,
            queryset,
            lambda game: services.archive_game(game, actor=request.user, award_trophies=False),
            gettext("%(count)d game(s) archived, no badges awarded."),
        )

    @admin.action(description=_("Republish the embed"), permissions=["change"], location=BOTH_PAGES)
    def republish_announcement(self, request, queryset):
        def republish(game: Game) -> None:
            if not may_republish(game):
                raise ValidationError(
                    _("This game has no announcement on Discord to republish."),
                    code="not_announced",
                )
            record(EffectKind.REFRESH_ANNOUNCEMENT, game=game, actor=request.user)

        apply_one_by_one(
            self,
            request,
            queryset,
            republish,
            gettext("%(count)d announcement(s) will be republished on Discord."),
        )

    # --- deleting: through the service, which records the Discord clean-up ---------------------

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A game's sessions, registrations and audit trail go with it: their admins being
        # read-only must not stop the game's deletion.
        children = {
            str(model._meta.verbose_name) for model in (GameSession, Registration, GameEvent)
        }
        perms_needed = {name for name in perms_needed if str(name) not in children}
        return deleted, model_count, perms_needed, protected

    def log_deletions(self, request, queryset):
        """Django logs before deleting; `_delete_game` does, with the deletion itself, so that
        a deletion the service refuses leaves no log entry."""

    @transaction.atomic
    def _delete_game(self, request, game: Game) -> None:
        super().log_deletions(request, [game])
        services.delete_game(game, actor=request.user, any_status=True)

    def delete_model(self, request, obj: Game):
        self._delete_game(request, obj)

    def delete_queryset(self, request, queryset):
        # Django's bulk delete reports the count itself.
        apply_one_by_one(
            self, request, queryset, lambda game: self._delete_game(request, game), None
        )

    @admin.display(description=_("players"), ordering="player_count")
    def players(self, obj: Game) -> str:
        return f"{obj.player_count}/{obj.party_size}"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GameSession)
class GameSessionAdmin(ReadOnlyAdmin):
    """Sessions change on the game's page, which notifies the players on Discord."""

    list_display = ("game", "start", "end", "duration")
    list_select_related = ("game",)
    date_hierarchy = "start"
    search_fields = ("game__name", "game__slug")

    @admin.display(description=_("duration"))
    def duration(self, obj: GameSession):
        return obj.duration


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    """Registrations change through the services only: the actions below, or the game's page."""

    list_display = ("game", "player", "state", "created_at", "added_by")
    list_select_related = ("game", "player", "added_by")
    list_filter = ("state",)
    date_hierarchy = "created_at"
    search_fields = ("game__name", "game__slug", "player__display_name", "player__username")
    actions = ["remove_from_game", "select_candidates"]

    def has_manage_permission(self, request) -> bool:
        # As on the site: whoever may change games manages their players.
        return request.user.has_perm("games.change_game")

    @admin.action(description=_("Remove from the game"), permissions=["manage"])
    def remove_from_game(self, request, queryset):
        apply_one_by_one(
            self,
            request,
            queryset.select_related("game", "player"),
            lambda reg: services.unregister_player(reg.game, reg.player, actor=request.user),
            gettext("%(count)d player(s) removed from their game."),
        )

    @admin.action(description=_("Take the candidates into the party"), permissions=["manage"])
    def select_candidates(self, request, queryset):
        apply_one_by_one(
            self,
            request,
            queryset.select_related("game", "player"),
            lambda reg: services.select_candidate(reg.game, reg.player, actor=request.user),
            gettext("%(count)d candidate(s) taken into the party."),
        )


@admin.register(GameEvent)
class GameEventAdmin(ReadOnlyAdmin):
    """The audit trail: written by the site, never edited."""

    list_display = ("timestamp", "action", "actor", "subject", "game_link", "short_description")
    list_select_related = ("game", "actor", "subject")
    list_filter = ("action",)
    date_hierarchy = "timestamp"
    search_fields = (
        "description",
        "game__slug",
        "game__name",
        "actor__display_name",
        "subject__display_name",
    )

    @admin.display(description=_("game"), ordering="game__slug")
    def game_link(self, obj: GameEvent):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:games_game_change", args=[obj.game_id]),
            obj.game.slug,
        )

    @admin.display(description=_("details"))
    def short_description(self, obj: GameEvent) -> str:
        return Truncator(obj.description).chars(100)

"""Back office for games: announcements, sessions, registrations and the audit trail."""

from itertools import pairwise

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
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
    Ambience,
    Game,
    GameEvent,
    GameSession,
    GameStatus,
    Registration,
)
from questmaster.discord.models import EffectKind
from questmaster.discord.outbox import record


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

    class Meta:
        model = Game
        fields = (
            "name",
            "slug",
            "type",
            "special_event",
            "gm",
            "system",
            "vtt",
            "img",
            "date",
            "length",
            "session_length",
            "frequency",
            "party_size",
            "party_selection",
            "xp",
            "characters",
            "description",
            "complement",
            "restriction",
            "restriction_tags",
            "ambience",
            "status",
            "closed_reason",
            "discord_channel_id",
            "discord_role_id",
            "discord_message_id",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        levels = self.instance.classification or {}
        for key in CLASSIFICATION_KEYS:
            # A new game starts with every axis absent, like the site's form.
            default = 0 if self.instance._state.adding else None
            self.fields[classification_field_name(key)].initial = levels.get(key, default)
        # A new game gets its slug like on the site; an existing one keeps the address that
        # announcements already posted on Discord link to.
        if "slug" in self.fields and self.instance._state.adding:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "Leave empty to build it from the name and the GM's username."
            )

    def clean_ambience(self) -> list[str]:
        chosen = set(self.cleaned_data["ambience"])
        return [value for value in Ambience.values if value in chosen]

    def clean(self):
        cleaned_data = super().clean()
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


class GameSessionFormSet(BaseInlineFormSet):
    def clean(self):
        # Each session's clean() compares it with the saved sessions; sessions typed in the same
        # form (all of them when the game is new) must also not overlap one another.
        super().clean()
        spans = sorted(
            (form.cleaned_data["start"], form.cleaned_data["end"])
            for form in self.forms
            if form.is_valid()
            and not self._should_delete_form(form)
            and form.cleaned_data.get("start")
            and form.cleaned_data.get("end")
        )
        for (_start, end), (next_start, _end) in pairwise(spans):
            if next_start < end:
                raise ValidationError(
                    _("This session overlaps another session of the game."), code="overlap"
                )


class GameSessionInline(admin.TabularInline):
    model = GameSession
    formset = GameSessionFormSet
    fields = ("start", "end")
    extra = 0


class RegistrationInline(admin.TabularInline):
    model = Registration
    fields = ("player", "state", "created_at", "added_by")
    autocomplete_fields = ("player", "added_by")
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("player", "added_by")


class GameEventInline(admin.TabularInline):
    model = GameEvent
    fields = ("timestamp", "action", "actor", "subject", "description")
    readonly_fields = fields
    ordering = ("-timestamp", "-pk")
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "subject")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    readonly_fields = ("created_at", "updated_at")
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
        (_("Status"), {"fields": ("status", "closed_reason", "created_at", "updated_at")}),
        (
            _("Discord resources"),
            {
                "classes": ("collapse",),
                "fields": ("discord_channel_id", "discord_role_id", "discord_message_id"),
                "description": _(
                    "Editing these ids changes the database only: nothing is created, moved or "
                    "deleted on Discord."
                ),
            },
        ),
    )
    inlines = [GameSessionInline, RegistrationInline, GameEventInline]
    actions = [
        "close_registrations",
        "reopen_registrations",
        "archive_with_badges",
        "archive_without_badges",
        "republish_announcement",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_player_count()

    # --- actions: the site's use cases, one game at a time --------------------------------------

    def _apply(self, request, queryset, use_case, done: str | None) -> None:
        """Run `use_case` on each game; a refusal is reported and the others go on."""
        count = 0
        for game in queryset:
            try:
                use_case(game)
            except ValidationError as exc:
                reason = " ".join(exc.messages)
                self.message_user(
                    request,
                    gettext("%(game)s: %(reason)s") % {"game": game, "reason": reason},
                    messages.WARNING,
                )
            else:
                count += 1
        if count and done:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Close registrations"), permissions=["change"])
    def close_registrations(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda game: services.close_game(game, actor=request.user),
            gettext("%(count)d game(s) closed to registrations."),
        )

    @admin.action(description=_("Reopen registrations"), permissions=["change"])
    def reopen_registrations(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda game: services.reopen_game(game, actor=request.user),
            gettext("%(count)d game(s) reopened to registrations."),
        )

    @admin.action(description=_("Archive (with badges)"), permissions=["change"])
    def archive_with_badges(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda game: services.archive_game(game, actor=request.user, award_trophies=True),
            gettext("%(count)d game(s) archived, badges awarded."),
        )

    @admin.action(description=_("Archive (without badges)"), permissions=["change"])
    def archive_without_badges(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda game: services.archive_game(game, actor=request.user, award_trophies=False),
            gettext("%(count)d game(s) archived, no badges awarded."),
        )

    @admin.action(description=_("Republish the embed"), permissions=["change"])
    def republish_announcement(self, request, queryset):
        def republish(game: Game) -> None:
            if game.status == GameStatus.ARCHIVED or not game.is_announced:
                raise ValidationError(
                    _("This game has no announcement on Discord to republish."),
                    code="not_announced",
                )
            record(EffectKind.REFRESH_ANNOUNCEMENT, game=game, actor=request.user)

        self._apply(
            request,
            queryset,
            republish,
            gettext("%(count)d announcement(s) will be republished on Discord."),
        )

    # Deleting goes through the service, which records the clean-up of the game's Discord
    # channel, role and announcement.

    def delete_model(self, request, obj: Game):
        services.delete_game(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        # Django's bulk delete reports the count itself.
        self._apply(
            request, queryset, lambda game: services.delete_game(game, actor=request.user), None
        )

    @admin.display(description=_("players"), ordering="player_count")
    def players(self, obj: Game) -> str:
        return f"{obj.player_count}/{obj.party_size}"

    def save_model(self, request, obj, form, change):
        if obj.slug:
            super().save_model(request, obj, form, change)
        else:
            obj.save_with_unique_slug()


@admin.register(GameSession)
class GameSessionAdmin(admin.ModelAdmin):
    list_display = ("game", "start", "end", "duration")
    list_select_related = ("game",)
    date_hierarchy = "start"
    search_fields = ("game__name", "game__slug")
    autocomplete_fields = ("game",)

    @admin.display(description=_("duration"))
    def duration(self, obj: GameSession):
        return obj.duration


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("game", "player", "state", "created_at", "added_by")
    list_select_related = ("game", "player", "added_by")
    list_filter = ("state",)
    date_hierarchy = "created_at"
    search_fields = ("game__name", "game__slug", "player__display_name", "player__username")
    autocomplete_fields = ("game", "player", "added_by")


@admin.register(GameEvent)
class GameEventAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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

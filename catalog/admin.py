"""Back office for the club's reference data, Discord categories and messages, and settings."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    CATEGORY_CAPACITY,
    Channel,
    ClubSettings,
    DiscordMessage,
    PostChannel,
    SpecialEvent,
    System,
    Vtt,
)


def icon_preview(icon: str):
    """A small image for an icon stored as a static path or an absolute URL."""
    if not icon:
        return None
    if icon.startswith(("https://", "http://", "/")):
        url = icon
    else:
        try:
            url = static(icon)
        except ValueError:  # missing from the collected static files
            return icon
    return format_html('<img src="{}" alt="" width="24" height="24" loading="lazy">', url)


def game_changelist_link(count: int, **filters) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html(
        '<a href="{}?{}">{}</a>', reverse("admin:games_game_changelist"), query, count
    )


class GamesCountMixin:
    """A "games" column counting through an annotation and linking to the filtered games."""

    games_filter: str

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(games_count=Count("games"))

    @admin.display(description=_("games"), ordering="games_count")
    def games(self, obj):
        return game_changelist_link(obj.games_count, **{self.games_filter: obj.pk})


@admin.register(System)
class SystemAdmin(GamesCountMixin, admin.ModelAdmin):
    list_display = ("id", "name", "icon_preview", "games")
    list_display_links = ("id", "name")
    search_fields = ("name",)
    games_filter = "system__id__exact"

    @admin.display(description=_("icon"))
    def icon_preview(self, obj: System):
        return icon_preview(obj.icon)


@admin.register(Vtt)
class VttAdmin(GamesCountMixin, admin.ModelAdmin):
    list_display = ("id", "name", "icon_preview", "games")
    list_display_links = ("id", "name")
    search_fields = ("name",)
    games_filter = "vtt__id__exact"

    @admin.display(description=_("icon"))
    def icon_preview(self, obj: Vtt):
        return icon_preview(obj.icon)


@admin.register(SpecialEvent)
class SpecialEventAdmin(GamesCountMixin, admin.ModelAdmin):
    list_display = ("name", "emoji", "color_swatch", "active", "games")
    list_editable = ("active",)
    list_filter = ("active",)
    search_fields = ("name",)
    games_filter = "special_event__id__exact"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "color":
            kwargs["widget"] = forms.TextInput(attrs={"placeholder": "#rrggbb", "size": 8})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("colour"), ordering="color")
    def color_swatch(self, obj: SpecialEvent):
        if not obj.color:
            return None
        return format_html(
            '<span style="display: inline-block; width: 1em; height: 1em; '
            'vertical-align: middle; border: 1px solid var(--border-color); background: {}">'
            "</span> {}",
            obj.color,
            obj.color,
        )


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("discord_id", "name", "type", "size", "almost_full")
    list_display_links = ("discord_id", "name")
    list_filter = ("type",)
    search_fields = ("discord_id", "name")
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        # The threshold is read by the same query as the rows, never once per row.
        threshold = Coalesce(
            Subquery(
                ClubSettings.objects.filter(pk=ClubSettings.SINGLETON_ID).values(
                    "discord_category_auto_threshold"
                )[:1]
            ),
            Value(ClubSettings._meta.get_field("discord_category_auto_threshold").default),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                is_almost_full=ExpressionWrapper(
                    Q(size__gte=threshold), output_field=BooleanField()
                )
            )
        )

    @admin.display(description=_("almost full"), ordering="size")
    def almost_full(self, obj: Channel):
        if not obj.is_almost_full:
            return None
        return format_html(
            '<span title="{}">⚠ {}</span>',
            gettext("Close to the Discord limit (%(capacity)d)") % {"capacity": CATEGORY_CAPACITY},
            gettext("Almost full"),
        )


@admin.register(PostChannel)
class PostChannelAdmin(admin.ModelAdmin):
    list_display = ("label", "discord_id", "messages_count")
    search_fields = ("label", "discord_id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(messages_count=Count("messages"))

    @admin.display(description=_("messages sent"), ordering="messages_count")
    def messages_count(self, obj: PostChannel) -> int:
        return obj.messages_count


@admin.register(DiscordMessage)
class DiscordMessageAdmin(admin.ModelAdmin):
    """Read-only until the composer (which posts on Discord first) exists.

    Deleting here removes the record only, not the message on Discord.
    """

    list_display = ("sent_at", "channel_label", "kind", "preview", "sent_by")
    list_display_links = ("sent_at", "preview")
    list_filter = ("channel_label",)
    list_select_related = ("sent_by",)
    search_fields = ("content", "embeds", "channel_label")
    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("type"))
    def kind(self, obj: DiscordMessage) -> str:
        return gettext("Embed") if obj.is_embed else gettext("Text")

    @admin.display(description=_("preview"))
    def preview(self, obj: DiscordMessage) -> str:
        return obj.preview


# Club settings fields that override an environment variable when filled.
ENVIRONMENT_OVERRIDES = {
    "discord_guild_id": "DISCORD_GUILD_ID",
    "discord_gm_role_id": "DISCORD_GM_ROLE_ID",
    "discord_admin_role_id": "DISCORD_ADMIN_ROLE_ID",
    "discord_player_role_id": "DISCORD_PLAYER_ROLE_ID",
    "discord_posts_channel_id": "DISCORD_POSTS_CHANNEL_ID",
    "discord_admin_channel_id": "DISCORD_ADMIN_CHANNEL_ID",
}


@admin.register(ClubSettings)
class ClubSettingsAdmin(admin.ModelAdmin):
    """The single settings row: the changelist goes straight to it; only superusers edit it."""

    fieldsets = (
        (
            _("Discord server"),
            {
                "fields": ("discord_guild_id", "discord_guild_name"),
                "description": _(
                    "Warning: changing the Discord settings can stop the application from "
                    "working. Leave an id empty to use the value of the environment."
                ),
            },
        ),
        (
            _("Discord roles"),
            {"fields": ("discord_gm_role_id", "discord_admin_role_id", "discord_player_role_id")},
        ),
        (
            _("Discord channels"),
            {"fields": ("discord_posts_channel_id", "discord_admin_channel_id")},
        ),
        (
            _("Display"),
            {"fields": ("games_per_page", "dashboard_agenda_limit", "dashboard_open_limit")},
        ),
        (
            _("Game channel permissions"),
            {"fields": ("discord_use_direct_permissions", "discord_role_auto_threshold")},
        ),
        (
            _("Discord profile sync"),
            {
                "fields": ("profile_refresh_batch_size",),
                "description": _("Refreshing many profiles per run may hit Discord's rate limits."),
            },
        ),
        (
            _("Categories"),
            {
                "fields": (
                    "discord_category_auto_threshold",
                    "category_name_template_oneshot",
                    "category_name_template_campaign",
                ),
            },
        ),
        (_("Last change"), {"fields": ("updated_at", "updated_by")}),
    )
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request):
        return request.user.is_superuser and not ClubSettings.objects.exists()

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        club_settings = ClubSettings.load()
        return redirect("admin:catalog_clubsettings_change", club_settings.pk)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        setting = ENVIRONMENT_OVERRIDES.get(db_field.name)
        if formfield is not None and setting:
            formfield.help_text = format_html(
                gettext("Environment ({setting}): {value}. Leave empty to use it."),
                setting=setting,
                value=getattr(settings, setting) or gettext("not set"),
            )
        return formfield

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

"""Back office for the club's reference data, Discord categories and messages, and settings."""

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from catalog import discord_messages
from catalog.forms import MessageComposer, with_extra_row
from catalog.models import (
    CATEGORY_CAPACITY,
    GUILD_ROLE_CAP,
    MAX_BUTTONS,
    MAX_EMBEDS,
    Channel,
    ClubSettings,
    DiscordMessage,
    PostChannel,
    SpecialEvent,
    System,
    Vtt,
)
from catalog.services import guild_role_count, reconcile_categories
from questmaster.discord import is_offline
from questmaster.discord.client import DiscordClient, DiscordError

logger = logging.getLogger(__name__)


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
    list_display = ("discord_id", "name", "type", "fill_level", "almost_full")
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

    @admin.display(description=_("fill level"), ordering="size")
    def fill_level(self, obj: Channel) -> str:
        return f"{obj.size} / {CATEGORY_CAPACITY}"

    def get_urls(self):
        reconcile = self.admin_site.admin_view(self.reconcile_view)
        return [
            path("reconcile/", reconcile, name="catalog_channel_reconcile"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_reconcile": self.has_change_permission(request),
        }
        return super().changelist_view(request, extra_context)

    @method_decorator(require_POST)
    def reconcile_view(self, request):
        """Set each category's size to what Discord really holds ("Recompter les salons")."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        failed = gettext("Synchronisation with Discord failed.")
        if is_offline():
            messages.error(
                request, f"{failed} {gettext('Discord offline mode: no bot token is configured.')}"
            )
            return redirect("admin:catalog_channel_changelist")
        try:
            with DiscordClient.for_bot() as client:
                corrections = reconcile_categories(client)
        except DiscordError as exc:
            logger.warning("Category reconciliation failed: %s", exc)
            messages.error(request, failed)
            return redirect("admin:catalog_channel_changelist")
        missing = [c for c in corrections if c.get("missing")]
        corrected = len(corrections) - len(missing)
        if corrected:
            messages.success(
                request, gettext("%(count)d category(ies) corrected.") % {"count": corrected}
            )
        elif not missing:
            messages.info(request, gettext("All categories were already up to date."))
        for category in missing:
            messages.warning(
                request,
                gettext(
                    "The category “%(name)s” (%(id)s) is no longer on Discord: delete it here "
                    "if it is gone for good."
                )
                % {"name": category["name"] or category["id"], "id": category["id"]},
            )
        return redirect("admin:catalog_channel_changelist")


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
    """Messages staff compose here and the bot posts at once.

    The add and change views are a composer (the message form, embed and button formsets, a
    preview), not a model form: Discord is called first and the row is written only if Discord
    accepted the message; a refusal re-renders the form as typed, with Discord's reason. Offline,
    the message is saved without being sent, and the flash message says so. Deleting removes the
    message on Discord (best effort), then the row.
    """

    list_display = ("sent_at", "channel_label", "kind", "preview", "sent_by")
    list_display_links = ("sent_at", "preview")
    list_filter = ("channel_label",)
    list_select_related = ("sent_by",)
    search_fields = ("content", "embeds", "channel_label")
    date_hierarchy = "sent_at"

    @admin.display(description=_("type"))
    def kind(self, obj: DiscordMessage) -> str:
        return gettext("Embed") if obj.is_embed else gettext("Text")

    @admin.display(description=_("preview"))
    def preview(self, obj: DiscordMessage) -> str:
        return obj.preview

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_add_post_channel": request.user.has_perm("catalog.add_postchannel"),
        }
        return super().changelist_view(request, extra_context)

    # --- composer ---------------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self.composer_view(request, None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        message = self.get_object(request, unquote(object_id))
        if message is None:
            self.message_user(request, gettext("Message not found."), messages.WARNING)
            return redirect("admin:catalog_discordmessage_changelist")
        if not self.has_change_permission(request, message):
            # Staff who may only look at messages get the read-only page.
            return super().change_view(request, object_id, form_url, extra_context)
        return self.composer_view(request, message)

    def composer_view(self, request, message: DiscordMessage | None):
        """Compose (message None) or edit a message. Buttons: "_save" sends; "_preview" and
        "_add_embed" / "_add_button" (one more row) only re-render, with the preview."""
        if request.method == "POST":
            data = request.POST
            if "_add_embed" in data:
                data = with_extra_row(
                    data,
                    "embeds",
                    max_num=MAX_EMBEDS,
                    row={"color": discord_messages.DEFAULT_EMBED_COLOR},
                )
            elif "_add_button" in data:
                data = with_extra_row(data, "buttons", max_num=MAX_BUTTONS)
            composer = MessageComposer(data, message=message)
            is_valid = composer.is_valid()  # shown on every re-render, not only on "_save"
            if is_valid and "_save" in data:
                try:
                    return self._send(request, composer, message)
                except ValidationError as exc:
                    composer.form.add_error(None, exc.messages)
                    if message is not None:
                        message.refresh_from_db()  # nothing was saved: show it as it is
        else:
            composer = MessageComposer(message=message)
        return self._render_composer(request, composer, message)

    def _send(self, request, composer: MessageComposer, message: DiscordMessage | None):
        fields = composer.cleaned_message()
        offline = is_offline()  # then the message is saved only: say so
        if message is None:
            sent = discord_messages.send_message(sent_by=request.user, **fields)
            self.log_addition(request, sent, [{"added": {}}])
            self._say_saved(request, gettext("Message sent."), offline=offline)
            return self.response_post_save_add(request, sent)
        before = _message_state(message)
        discord_messages.edit_message(message, **fields)
        after = _message_state(message)
        changed = [label for label, value in before.items() if after[label] != value]
        self.log_change(request, message, [{"changed": {"fields": changed}}])
        self._say_saved(request, gettext("Message updated."), offline=offline)
        return self.response_post_save_change(request, message)

    def _say_saved(self, request, done: str, *, offline: bool) -> None:
        if offline:
            self.message_user(
                request,
                gettext("Message saved: the site is offline, nothing was sent to Discord."),
                messages.WARNING,
            )
        else:
            self.message_user(request, done, messages.SUCCESS)

    def _render_composer(self, request, composer: MessageComposer, message: DiscordMessage | None):
        add = message is None
        embed_fields = ["title", "description", "color", "footer", "image_url", "DELETE"]
        button_fields = [("label", "url"), "DELETE"]

        def admin_forms(formset, title: str, fields: list):
            return [
                helpers.AdminForm(
                    form,
                    [(title % {"number": number}, {"fields": fields})],
                    {},
                    model_admin=self,
                )
                for number, form in enumerate(formset.forms, start=1)
            ]

        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Compose a message") if add else gettext("Edit the message"),
            "subtitle": None,
            "adminform": helpers.AdminForm(
                composer.form, [(None, {"fields": ["channel", "content", "nonce"]})], {}
            ),
            "composer": composer,
            "embed_forms": admin_forms(composer.embeds, gettext("Embed %(number)d"), embed_fields),
            "button_forms": admin_forms(
                composer.buttons, gettext("Button %(number)d"), button_fields
            ),
            "max_embeds": MAX_EMBEDS,
            "max_buttons": MAX_BUTTONS,
            "preview": composer.preview(),
            "has_post_channels": PostChannel.objects.exists(),
            "can_add_post_channel": request.user.has_perm("catalog.add_postchannel"),
            "discord_offline": is_offline(),
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(composer.form, composer.formsets),
            "media": self.media + composer.media,
            "object_id": None if add else message.pk,
            "original": message,
            "is_popup": False,
            "to_field": None,
            "preserved_filters": self.get_preserved_filters(request),
        }
        return self.render_change_form(request, context, add=add, change=not add, obj=message)

    # --- delete -----------------------------------------------------------------------------

    def delete_model(self, request, obj: DiscordMessage):
        if not discord_messages.delete_message(obj):
            self.message_user(request, _not_deleted_on_discord(1), messages.WARNING)

    def delete_queryset(self, request, queryset):
        left = sum(not discord_messages.delete_message(message) for message in queryset)
        if left:
            self.message_user(request, _not_deleted_on_discord(left), messages.WARNING)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, gettext("Message deleted."), messages.SUCCESS)
        if not self.has_view_or_change_permission(request):
            return redirect("admin:index")
        url = reverse("admin:catalog_discordmessage_changelist")
        preserved = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return HttpResponseRedirect(add_preserved_filters(preserved, url))


def _message_state(message: DiscordMessage) -> dict:
    """What an edit may change, keyed by the label the change history shows."""
    field = DiscordMessage._meta.get_field
    return {
        str(field("channel").verbose_name): message.channel_discord_id,
        str(field("content").verbose_name): message.content,
        str(field("embeds").verbose_name): message.embeds,
        str(field("buttons").verbose_name): message.buttons,
    }


def _not_deleted_on_discord(count: int) -> str:
    return gettext(
        "%(count)d message(s) could not be deleted on Discord (offline mode or Discord error): "
        "delete them there by hand."
    ) % {"count": count}


# Club settings fields that override an environment variable when filled.
ENVIRONMENT_OVERRIDES = {
    "discord_guild_id": "DISCORD_GUILD_ID",
    "discord_gm_role_id": "DISCORD_GM_ROLE_ID",
    "discord_admin_role_id": "DISCORD_ADMIN_ROLE_ID",
    "discord_player_role_id": "DISCORD_PLAYER_ROLE_ID",
    "discord_posts_channel_id": "DISCORD_POSTS_CHANNEL_ID",
    "discord_admin_channel_id": "DISCORD_ADMIN_CHANNEL_ID",
}


ROLE_COUNT_CACHE_KEY = "catalog:guild-role-count"
ROLE_COUNT_CACHE_SECONDS = 60 * 60


def current_role_count() -> int | None:
    """The guild's number of roles, cached for an hour; None when Discord cannot tell."""
    if is_offline():
        return None
    count = cache.get(ROLE_COUNT_CACHE_KEY)
    if count is None:
        try:
            with DiscordClient.for_bot() as client:
                count = guild_role_count(client)
        except DiscordError as exc:
            logger.warning("Could not count the Discord roles: %s", exc)
            return None  # not cached: the next page asks again
        cache.set(ROLE_COUNT_CACHE_KEY, count, ROLE_COUNT_CACHE_SECONDS)
    return count


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
            {
                "fields": (
                    "role_count",
                    "discord_use_direct_permissions",
                    "discord_role_auto_threshold",
                )
            },
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
    readonly_fields = ("role_count", "updated_at", "updated_by")

    def has_add_permission(self, request):
        return request.user.is_superuser and not ClubSettings.objects.exists()

    @admin.display(description=_("current role count"))
    def role_count(self, obj: ClubSettings) -> str:
        count = current_role_count()
        if count is None:
            return gettext("unknown")
        return f"{count} / {GUILD_ROLE_CAP}"

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

"""Back office for the Discord outbox: what the bot did, is doing and failed to do."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from questmaster.discord import is_offline, outbox
from questmaster.discord.models import DiscordEffect, EffectStatus

STATUS_COLORS = {
    EffectStatus.PENDING: "#6c757d",
    EffectStatus.RUNNING: "#0d6efd",
    EffectStatus.DONE: "#198754",
    EffectStatus.FAILED: "#dc3545",
    EffectStatus.CANCELLED: "#adb5bd",
    EffectStatus.OFFLINE: "#8a6d3b",
}


@admin.register(DiscordEffect)
class DiscordEffectAdmin(admin.ModelAdmin):
    """Read-only: effects are recorded by the site and applied by the worker. Staff with the
    change permission may retry failed effects, cancel those not applied yet, and send by hand
    effects recorded offline (never sent on their own: they may be stale by now)."""

    list_display = (
        "id",
        "created_at",
        "kind",
        "game_link",
        "status_badge",
        "attempts",
        "short_error",
        "created_by",
    )
    list_display_links = ("id", "created_at")
    list_filter = ("status", "kind")
    list_select_related = ("game", "created_by")
    search_fields = ("game__name", "game__slug", "last_error")
    date_hierarchy = "created_at"
    ordering = ("-pk",)
    actions = ["retry_effects", "cancel_effects", "send_offline_effects"]
    fields = (
        "kind",
        "status",
        "game",
        "payload",
        "attempts",
        "last_error",
        "run_after",
        "created_at",
        "claimed_at",
        "done_at",
        "created_by",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting would hide what happened; cancelling keeps the trace.
        return False

    def has_manage_permission(self, request) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "discord_offline": is_offline()}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("game"), ordering="game__name")
    def game_link(self, obj: DiscordEffect):
        if obj.game is None:
            return None
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:games_game_change", args=[obj.game_id]), obj.game
        )

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: DiscordEffect):
        return format_html(
            '<span style="display: inline-block; padding: 0 .5em; border-radius: .5em; '
            'color: #fff; background: {}">{}</span>',
            STATUS_COLORS.get(obj.status, "#6c757d"),
            obj.get_status_display(),
        )

    @admin.display(description=_("last error"))
    def short_error(self, obj: DiscordEffect) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.action(description=_("Retry"), permissions=["manage"])
    def retry_effects(self, request, queryset):
        count = outbox.retry(queryset)
        if count:
            self.message_user(
                request,
                gettext("%(count)d failed effect(s) will be tried again.") % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, gettext("No failed effect in the selection."), messages.WARNING
            )

    @admin.action(description=_("Cancel"), permissions=["manage"])
    def cancel_effects(self, request, queryset):
        count = outbox.cancel(queryset)
        if count:
            self.message_user(
                request,
                gettext("%(count)d effect(s) cancelled.") % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, gettext("No pending or failed effect in the selection."), messages.WARNING
            )

    @admin.action(description=_("Send now (recorded offline)"), permissions=["manage"])
    def send_offline_effects(self, request, queryset):
        if is_offline():
            self.message_user(
                request,
                gettext("Discord is offline (no bot token): nothing can be sent."),
                messages.ERROR,
            )
            return
        count = outbox.send_offline(queryset)
        if count:
            self.message_user(
                request,
                gettext("%(count)d effect(s) recorded offline will be sent.") % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                gettext("No effect recorded offline in the selection."),
                messages.WARNING,
            )

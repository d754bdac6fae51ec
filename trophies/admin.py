"""Back office for badges and the badges members hold."""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.admin import icon_preview
from trophies.models import RESERVED_TROPHIES, Trophy, UserTrophy
from trophies.signals import badges_changed


@admin.register(Trophy)
class TrophyAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "unique", "icon_preview", "holders")
    list_display_links = ("id", "name")
    list_filter = ("unique",)
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(holders_count=Count("holders"))

    def has_delete_permission(self, request, obj=None):
        # Badges 1–4 are awarded by the archive and ranked by the leaderboards. Refusing them
        # here also makes the "delete selected" action refuse any selection that contains one.
        if obj is not None and obj.is_reserved:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.exclude(pk__in=RESERVED_TROPHIES))

    @admin.display(description=_("icon"))
    def icon_preview(self, obj: Trophy):
        return icon_preview(obj.icon)

    @admin.display(description=_("holders"), ordering="holders_count")
    def holders(self, obj: Trophy):
        return format_html(
            '<a href="{}?trophy__id__exact={}">{}</a>',
            reverse("admin:trophies_usertrophy_changelist"),
            obj.pk,
            obj.holders_count,
        )


@admin.register(UserTrophy)
class UserTrophyAdmin(admin.ModelAdmin):
    list_display = ("user", "trophy", "quantity")
    list_select_related = ("user", "trophy")
    list_filter = ("trophy", "trophy__unique")
    search_fields = ("user__display_name", "user__username", "trophy__name")
    autocomplete_fields = ("user", "trophy")
    actions = ["increment", "decrement"]

    @admin.action(description=_("+1 to the selected badges"), permissions=["change"])
    def increment(self, request: HttpRequest, queryset: QuerySet[UserTrophy]) -> None:
        incremented = unique = 0
        for held in queryset.select_related("trophy"):
            if held.trophy.unique:
                unique += 1
            else:
                held.increment()
                incremented += 1
        self.message_user(
            request,
            gettext("%(count)d badge(s) incremented.") % {"count": incremented},
            messages.SUCCESS,
        )
        if unique:
            self.message_user(
                request,
                gettext("%(count)d unique badge(s) left at 1.") % {"count": unique},
                messages.WARNING,
            )

    @admin.action(
        description=_("−1 to the selected badges (a badge held once is removed)"),
        permissions=["change", "delete"],
    )
    def decrement(self, request: HttpRequest, queryset: QuerySet[UserTrophy]) -> None:
        selected = UserTrophy.objects.filter(pk__in=list(queryset.values_list("pk", flat=True)))
        with transaction.atomic():
            badges_changed(selected.values_list("user_id", flat=True))
            removed, _per_model = selected.filter(quantity__lte=1).delete()
            decremented = selected.filter(quantity__gt=1).update(quantity=F("quantity") - 1)
        if decremented:
            self.message_user(
                request,
                gettext("%(count)d badge(s) decremented.") % {"count": decremented},
                messages.SUCCESS,
            )
        if removed:
            self.message_user(
                request,
                gettext("%(count)d badge(s) removed.") % {"count": removed},
                messages.SUCCESS,
            )

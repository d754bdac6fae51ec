"""Back office for members, their Discord status and the Discord role → group mapping."""

from collections import Counter

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import DiscordRoleGroup, User
from accounts.services import RoleIds, refresh_member
from catalog.models import ClubSettings
from games.models import Game
from questmaster.discord.client import DiscordClient
from trophies.models import UserTrophy

PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

# The refresh action calls Discord once per member during the request.
MAX_REFRESH_SELECTION = 100

BADGE_STYLE = "padding: 1px 6px; border-radius: 4px; white-space: nowrap; "
ACTIVE_STYLE = BADGE_STYLE + "background: var(--message-success-bg); color: var(--body-fg)"
INACTIVE_STYLE = BADGE_STYLE + "background: var(--message-warning-bg); color: var(--body-fg)"


class UserCreationForm(auth_forms.SetUnusablePasswordMixin, auth_forms.BaseUserCreationForm):
    """Members sign in through Discord: a password is only for operator accounts.

    Django's `AdminUserCreationForm` also refuses usernames differing only by case; our
    `username` is a Discord username mirrored from Discord, not the login key, so that check
    does not apply.
    """

    usable_password = auth_forms.SetUnusablePasswordMixin.create_usable_password_field()

    class Meta:
        model = User
        fields = ("discord_id", "display_name", "username")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["usable_password"].initial = "false"
        self.fields["password1"].required = False
        self.fields["password2"].required = False


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class ActivityFilter(admin.SimpleListFilter):
    title = _("activity")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Active")), ("no", _("Inactive"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(not_player_as_of__isnull=True)
        if self.value() == "no":
            return queryset.filter(not_player_as_of__isnull=False)
        return queryset


class UserTrophyInline(admin.TabularInline):
    model = UserTrophy
    fields = ("trophy", "quantity")
    autocomplete_fields = ("trophy",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("trophy")


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (
            _("Identity"),
            {
                "fields": (
                    "discord_id",
                    "display_name",
                    "username",
                    "avatar",
                    "avatar_preview",
                    "password",
                )
            },
        ),
        (
            _("Discord status"),
            {"fields": ("is_player", "is_gm", "not_player_as_of", "roles_synced_at")},
        ),
        (_("Games"), {"fields": ("games_panel",)}),
        (
            _("Permissions"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": _(
                    "For members who sign in with Discord, superuser status follows the Discord "
                    "admin role and staff status follows their groups and permissions: both are "
                    "recomputed at each Discord refresh. Give rights through groups mapped to "
                    "Discord roles. Operator accounts (with a password) keep what is set here."
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "discord_id",
                    "display_name",
                    "username",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    # The roles mirror Discord and are overwritten at the next profile refresh.
    readonly_fields = ("avatar_preview", "is_player", "is_gm", "roles_synced_at", "games_panel")
    list_display = (
        "discord_id",
        "display_name",
        "username",
        "activity",
        "is_gm",
        "is_staff",
    )
    list_display_links = ("discord_id", "display_name")
    list_filter = (ActivityFilter, "is_gm", "is_player", "is_staff", "is_superuser", "groups")
    search_fields = ("discord_id", "display_name", "username")
    ordering = ("display_name",)
    inlines = [UserTrophyInline]
    actions = ["mark_inactive", "reactivate", "refresh_from_discord"]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj:
            # The Discord id is the sign-in key: it never changes once the member exists.
            readonly = (*readonly, "discord_id")
        if not request.user.is_superuser:
            # Granting rights stays with superusers: delegated staff cannot widen their own.
            readonly = (*readonly, *PRIVILEGE_FIELDS)
        return readonly

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    @admin.display(description=_("activity"), ordering="not_player_as_of")
    def activity(self, obj: User):
        if obj.not_player_as_of is None:
            return format_html('<span style="{}">{}</span>', ACTIVE_STYLE, gettext("Active"))
        since = date_format(timezone.localtime(obj.not_player_as_of), "SHORT_DATE_FORMAT")
        return format_html(
            '<span style="{}">{}</span>',
            INACTIVE_STYLE,
            gettext("Inactive since %(date)s") % {"date": since},
        )

    @admin.display(description=_("avatar"))
    def avatar_preview(self, obj: User):
        return format_html(
            '<img src="{}" alt="" width="64" height="64" loading="lazy">', obj.avatar_url
        )

    @admin.display(description=_("games"))
    def games_panel(self, obj: User):
        if obj.pk is None:
            return None
        changelist = reverse("admin:games_game_changelist")
        as_gm = Game.objects.filter(gm=obj).count()
        as_player = Game.objects.filter(registrations__player=obj).count()
        return format_html(
            '<a href="{}?gm={}">{}</a> · <a href="{}?player={}">{}</a>',
            changelist,
            obj.pk,
            gettext("As GM (%(count)d)") % {"count": as_gm},
            changelist,
            obj.pk,
            gettext("As player (%(count)d)") % {"count": as_player},
        )

    @admin.action(description=_("Mark inactive"), permissions=["change"])
    def mark_inactive(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        # Keep the original date of members already marked inactive.
        count = queryset.filter(not_player_as_of__isnull=True).update(
            not_player_as_of=timezone.now()
        )
        self.message_user(
            request,
            gettext("%(count)d member(s) marked inactive.") % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reactivate"), permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.filter(not_player_as_of__isnull=False).update(not_player_as_of=None)
        self.message_user(
            request,
            gettext("%(count)d member(s) reactivated.") % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Refresh from Discord"), permissions=["change"])
    def refresh_from_discord(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        if settings.DISCORD_OFFLINE:
            self.message_user(
                request,
                gettext("Discord offline mode: profiles cannot be refreshed."),
                messages.WARNING,
            )
            return
        if queryset.count() > MAX_REFRESH_SELECTION:
            # One Discord call per member, inside this request: keep it short.
            self.message_user(
                request,
                gettext("Select at most %(max)d members at a time.")
                % {"max": MAX_REFRESH_SELECTION},
                messages.ERROR,
            )
            return
        club = ClubSettings.load()
        roles = RoleIds.current(club)
        outcomes = Counter()
        with DiscordClient.for_bot() as client:
            for user in queryset:
                outcomes[refresh_member(user, client, guild_id=club.guild_id, roles=roles)] += 1
        self.message_user(
            request,
            gettext(
                "%(updated)d profile(s) refreshed, %(left)d member(s) gone from the server, "
                "%(skipped)d skipped."
            )
            % {
                "updated": outcomes["updated"],
                "left": outcomes["left"],
                "skipped": outcomes["skipped"],
            },
            messages.WARNING if outcomes["skipped"] else messages.SUCCESS,
        )


class SuperuserEditsMixin:
    """Mapping roles to groups and giving groups permissions grants rights: superusers only."""

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(DiscordRoleGroup)
class DiscordRoleGroupAdmin(SuperuserEditsMixin, admin.ModelAdmin):
    list_display = ("label", "role_id", "group")
    list_display_links = ("label", "role_id")
    list_select_related = ("group",)
    list_filter = ("group",)
    search_fields = ("label", "role_id", "group__name")
    autocomplete_fields = ("group",)


class DiscordRoleGroupInline(SuperuserEditsMixin, admin.TabularInline):
    model = DiscordRoleGroup
    fields = ("role_id", "label")
    extra = 0
    verbose_name = _("Discord role")
    verbose_name_plural = _("Discord roles giving this group")


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SuperuserEditsMixin, auth_admin.GroupAdmin):
    inlines = [DiscordRoleGroupInline]
    list_display = ("name", "discord_roles_list")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("discord_roles")

    @admin.display(description=_("Discord roles"))
    def discord_roles_list(self, obj: Group):
        return format_html_join(
            ", ", "{}", ((role.label or role.role_id,) for role in obj.discord_roles.all())
        )

"""Back office for members, their Discord status and the Discord role → group mapping."""

from collections import Counter

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts.models import DiscordRoleGroup, User
from accounts.services import (
    Deactivation,
    RoleIds,
    deactivate_member,
    delete_member,
    reactivate_member,
    refresh_member,
)
from catalog.models import ClubSettings
from games.models import Game, Registration
from questmaster.discord import is_offline
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
    # The roles mirror Discord and are overwritten at the next profile refresh. Activity is
    # changed only through the deactivate / reactivate actions, which free the member's seats.
    readonly_fields = (
        "avatar_preview",
        "is_player",
        "is_gm",
        "not_player_as_of",
        "is_active",
        "roles_synced_at",
        "games_panel",
    )
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
    actions = ["deactivate", "reactivate", "refresh_from_discord"]

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

    def get_urls(self):
        deactivate = self.admin_site.admin_view(self.deactivate_view)
        return [
            path("<path:object_id>/deactivate/", deactivate, name="accounts_user_deactivate"),
            *super().get_urls(),
        ]

    def _report_deactivations(self, request: HttpRequest, outcomes: list[Deactivation]) -> None:
        removed = sum(outcome.registrations_removed for outcome in outcomes)
        self.message_user(
            request,
            gettext(
                "%(count)d member(s) deactivated; %(registrations)d registration(s) in live "
                "games removed."
            )
            % {
                "count": sum(outcome.newly_inactive for outcome in outcomes),
                "registrations": removed,
            },
            messages.SUCCESS,
        )
        for outcome in outcomes:
            if outcome.live_games_run:
                self.message_user(
                    request,
                    gettext(
                        "%(name)s still runs %(count)d live game(s): hand them over to another "
                        "GM or archive them."
                    )
                    % {"name": outcome.member, "count": outcome.live_games_run},
                    messages.WARNING,
                )

    def _deactivate(self, request: HttpRequest, member: User) -> Deactivation | None:
        try:
            outcome = deactivate_member(member, actor=request.user)
        except ValidationError as error:
            self.message_user(
                request,
                gettext("%(name)s was not deactivated: %(reason)s")
                % {"name": member, "reason": " ".join(error.messages)},
                messages.ERROR,
            )
            return None
        self.log_change(
            request,
            member,
            gettext("Deactivated; %(count)d registration(s) in live games removed.")
            % {"count": outcome.registrations_removed},
        )
        return outcome

    @admin.action(
        description=_("Deactivate (frees their seats in live games)"), permissions=["change"]
    )
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        # One transaction per member: a refusal for one does not undo the others.
        outcomes = [self._deactivate(request, member) for member in queryset]
        self._report_deactivations(request, [outcome for outcome in outcomes if outcome])

    @method_decorator(require_http_methods(["GET", "HEAD", "POST"]))
    def deactivate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's way out for a member: what deactivating does, then do it."""
        member = self.get_object(request, unquote(object_id))
        if member is None:
            raise Http404
        if not self.has_change_permission(request, member):
            raise PermissionDenied
        change_url = reverse("admin:accounts_user_change", args=[member.pk])
        if request.method == "POST":
            if outcome := self._deactivate(request, member):
                self._report_deactivations(request, [outcome])
            return redirect(change_url)
        live_games = Game.objects.live()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Deactivate %(name)s") % {"name": member},
            "subtitle": None,
            "opts": self.opts,
            "original": member,
            "change_url": change_url,
            "registrations": Registration.objects.filter(player=member, game__in=live_games)
            .select_related("game")
            .order_by("game__date", "pk"),
            "games_run": live_games.filter(gm=member).order_by("date", "pk"),
            "is_self": member.pk == request.user.pk,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/accounts/user/deactivate.html", context)

    @admin.action(description=_("Reactivate"), permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        members = list(queryset.exclude(not_player_as_of__isnull=True, is_active=True))
        for member in members:
            reactivate_member(member)
            self.log_change(request, member, gettext("Reactivated."))
        self.message_user(
            request,
            gettext("%(count)d member(s) reactivated.") % {"count": len(members)},
            messages.SUCCESS,
        )

    # --- deletion: superusers only, and never a member with games or registrations -------------

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Registrations would cascade: a seat freed behind the waiting list's back, without
        # revoking Discord access, or an archived game's history lost. They protect the member
        # like the games they run (`Game.gm` is PROTECT), and the page offers deactivation.
        registrations = (
            Registration.objects.filter(player__in=list(objs))
            .select_related("game", "player")
            .order_by("player", "pk")
        )
        # Registrations are never deleted from here (no permission even for superusers): with
        # them listed as protected, say that rather than "missing permission".
        perms_needed = perms_needed - {Registration._meta.verbose_name}
        label = capfirst(Registration._meta.verbose_name)
        protected = [
            *protected,
            *(
                format_html(
                    '{}: <a href="{}">{}</a>',
                    label,
                    reverse("admin:games_game_change", args=[registration.game_id]),
                    registration,
                )
                for registration in registrations
            ),
        ]
        return deleted, model_count, perms_needed, protected

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            # Something was added between the confirmation page and the delete.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return redirect("admin:accounts_user_change", object_id)

    def delete_model(self, request, obj):
        delete_member(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for member in queryset:
            try:
                delete_member(member, actor=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)

    @admin.action(description=_("Refresh from Discord"), permissions=["change"])
    def refresh_from_discord(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        if is_offline():
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

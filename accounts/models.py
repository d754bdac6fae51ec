"""Members of the club, identified by their Discord account."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from questmaster.discord.validators import SNOWFLAKE_PATTERN, validate_snowflake

DISCORD_CDN_URL = "https://cdn.discordapp.com"
UNKNOWN_NAME = "Inconnu"


class UserQuerySet(models.QuerySet):
    def active_members(self):
        """Members still in the Discord server (not marked as gone)."""
        return self.filter(is_active=True, not_player_as_of__isnull=True)

    def search(self, term: str):
        term = term.strip()
        if not term:
            return self.none()
        return self.filter(
            Q(discord_id=term) | Q(display_name__icontains=term) | Q(username__icontains=term)
        )


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, discord_id: str, password: str | None = None, **fields):
        user = self.model(discord_id=discord_id, **fields)
        user.full_clean(exclude=["password"])
        # Members sign in through Discord; a password only exists for operator accounts.
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, discord_id: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(discord_id, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    discord_id = models.CharField(
        _("Discord id"),
        max_length=21,
        unique=True,
        validators=[validate_snowflake],
        error_messages={"unique": _("A member with this Discord id already exists.")},
    )
    display_name = models.CharField(
        _("display name"),
        max_length=100,
        default=UNKNOWN_NAME,
        db_index=True,
        help_text=_("Server nickname, else Discord global name, else username."),
    )
    username = models.CharField(
        _("Discord username"),
        max_length=32,
        blank=True,
        help_text=_("Stable Discord username, used to build game slugs."),
    )
    avatar = models.CharField(
        _("avatar hash"), max_length=64, blank=True, help_text=_("Discord avatar hash.")
    )
    not_player_as_of = models.DateTimeField(
        _("inactive since"),
        null=True,
        blank=True,
        help_text=_("Set when the member left the Discord server; leave empty if active."),
    )
    bio = models.TextField(
        _("bio"),
        max_length=1000,
        blank=True,
        help_text=_("A few words shown on the member's profile."),
    )
    is_player = models.BooleanField(
        _("player"), default=False, help_text=_("Holds the Discord player role.")
    )
    is_gm = models.BooleanField(_("GM"), default=False, help_text=_("Holds the Discord GM role."))
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can log into the admin site.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    roles_synced_at = models.DateTimeField(_("roles refreshed at"), null=True, blank=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "discord_id"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.CheckConstraint(
                condition=Q(discord_id__regex=SNOWFLAKE_PATTERN),
                name="user_discord_id_snowflake",
                violation_error_message=_("A Discord id is a number of 17 to 21 digits."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def slug_name(self) -> str:
        """Stable name for game slugs: the Discord username when known."""
        return self.username or self.display_name

    @property
    def avatar_url(self) -> str:
        if self.avatar:
            return f"{DISCORD_CDN_URL}/avatars/{self.discord_id}/{self.avatar}.png?size=64"
        return static("img/avatar.svg")

    @property
    def is_member_active(self) -> bool:
        return self.not_player_as_of is None


class DiscordRoleGroup(models.Model):
    """Members holding this Discord role get the permissions of this Django group."""

    role_id = models.CharField(_("Discord role id"), max_length=21, validators=[validate_snowflake])
    label = models.CharField(_("role name"), max_length=100, blank=True)
    group = models.ForeignKey(
        Group, verbose_name=_("group"), on_delete=models.CASCADE, related_name="discord_roles"
    )

    class Meta:
        ordering = ["label", "role_id"]
        verbose_name = _("Discord role mapping")
        verbose_name_plural = _("Discord role mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["role_id", "group"],
                name="discordrolegroup_unique",
                violation_error_message=_("This role is already mapped to this group."),
            ),
            models.CheckConstraint(
                condition=Q(role_id__regex=SNOWFLAKE_PATTERN), name="discordrolegroup_snowflake"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.role_id} → {self.group}"

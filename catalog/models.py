"""Reference data of the club: systems, virtual tabletops, special events, Discord categories,
postable channels, messages written by staff, and the club settings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from questmaster.discord.validators import (
    HEX_COLOR_PATTERN,
    SNOWFLAKE_PATTERN,
    color_to_int,
    validate_hex_color,
    validate_snowflake,
)

# Discord caps a category at 50 channels.
CATEGORY_CAPACITY = 50
# Discord caps a guild at 250 roles.
GUILD_ROLE_CAP = 250


class GameType(models.TextChoices):
    ONESHOT = "oneshot", _("One-shot")
    CAMPAIGN = "campaign", _("Campaign")


class System(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    icon = models.CharField(_("icon"), max_length=500, blank=True, help_text=_("Path or URL."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("system")
        verbose_name_plural = _("systems")

    def __str__(self) -> str:
        return self.name


class Vtt(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    icon = models.CharField(_("icon"), max_length=500, blank=True, help_text=_("Path or URL."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("virtual tabletop")
        verbose_name_plural = _("virtual tabletops")

    def __str__(self) -> str:
        return self.name


class SpecialEventQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class SpecialEvent(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    emoji = models.CharField(_("emoji"), max_length=32, blank=True)
    color = models.CharField(
        _("colour"),
        max_length=7,
        blank=True,
        validators=[validate_hex_color],
        help_text=_("#rrggbb; overrides the colour of the Discord announcement."),
    )
    active = models.BooleanField(
        _("active"),
        default=False,
        help_text=_("Only active events are offered on the game form and in the menu."),
    )

    objects = SpecialEventQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("special event")
        verbose_name_plural = _("special events")
        constraints = [
            models.CheckConstraint(
                condition=Q(color="") | Q(color__regex=HEX_COLOR_PATTERN),
                name="specialevent_color_hex",
                violation_error_message=_("Enter a colour in the #rrggbb format."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} {self.name}".strip()

    @property
    def color_int(self) -> int | None:
        return color_to_int(self.color) if self.color else None


class ChannelQuerySet(models.QuerySet):
    def of_type(self, game_type: str):
        return self.filter(type=game_type)

    def with_room(self):
        return self.filter(size__lt=CATEGORY_CAPACITY)


class Channel(models.Model):
    """A Discord category that hosts the private channels of games of one type."""

    discord_id = models.CharField(
        _("Discord id"), max_length=21, unique=True, validators=[validate_snowflake]
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    type = models.CharField(_("game type"), max_length=16, choices=GameType.choices)
    size = models.PositiveSmallIntegerField(
        _("channels inside"),
        default=0,
        validators=[MaxValueValidator(CATEGORY_CAPACITY)],
        help_text=_("Number of game channels in this category (Discord allows 50)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        ordering = ["type", "size", "discord_id"]
        verbose_name = _("Discord category")
        verbose_name_plural = _("Discord categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=GameType.values), name="channel_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(size__gte=0, size__lte=CATEGORY_CAPACITY),
                name="channel_size_range",
                violation_error_message=_("A Discord category holds 0 to 50 channels."),
            ),
            models.CheckConstraint(
                condition=Q(discord_id__regex=SNOWFLAKE_PATTERN),
                name="channel_discord_id_snowflake",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.discord_id

    @property
    def is_full(self) -> bool:
        return self.size >= CATEGORY_CAPACITY


class PostChannel(models.Model):
    """A Discord channel staff may post to from the message composer."""

    label = models.CharField(_("label"), max_length=128)
    discord_id = models.CharField(
        _("Discord channel id"), max_length=21, unique=True, validators=[validate_snowflake]
    )

    class Meta:
        ordering = ["label"]
        verbose_name = _("postable channel")
        verbose_name_plural = _("postable channels")
        constraints = [
            models.CheckConstraint(
                condition=Q(discord_id__regex=SNOWFLAKE_PATTERN),
                name="postchannel_discord_id_snowflake",
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.discord_id


MAX_EMBEDS = 10
MAX_BUTTONS = 5
MAX_CONTENT_LENGTH = 2000
EMBED_FIELD_LIMITS = {"title": 256, "description": 4096, "footer": 2048, "image_url": 2000}
BUTTON_LABEL_LIMIT = 80


def validate_embeds(value) -> None:
    if not isinstance(value, list):
        raise ValidationError(_("Embeds must be a list."), code="invalid")
    if len(value) > MAX_EMBEDS:
        raise ValidationError(_("A message can have at most 10 embeds."), code="too_many")
    for embed in value:
        if not isinstance(embed, dict) or set(embed) - {*EMBED_FIELD_LIMITS, "color"}:
            raise ValidationError(
                _("Each embed has a title, description, colour, footer and image.")
            )
        for key, limit in EMBED_FIELD_LIMITS.items():
            text = embed.get(key) or ""
            if not isinstance(text, str) or len(text) > limit:
                raise ValidationError(
                    _("The embed %(field)s must be text of at most %(limit)d characters."),
                    params={"field": key, "limit": limit},
                )
        if embed.get("color"):
            validate_hex_color(embed["color"])
        if not any(embed.get(key) for key in EMBED_FIELD_LIMITS):
            raise ValidationError(_("An embed needs a title, a description, a footer or an image."))


def validate_buttons(value) -> None:
    if not isinstance(value, list):
        raise ValidationError(_("Buttons must be a list."), code="invalid")
    if len(value) > MAX_BUTTONS:
        raise ValidationError(_("A message can have at most 5 buttons."), code="too_many")
    for button in value:
        if not isinstance(button, dict) or set(button) != {"label", "url"}:
            raise ValidationError(_("Each button has a label and a URL."))
        label, url = button["label"], button["url"]
        if not isinstance(label, str) or not label.strip():
            raise ValidationError(_("A button must have a label."))
        if len(label) > BUTTON_LABEL_LIMIT:
            raise ValidationError(_("A button label must be at most 80 characters."))
        if not isinstance(url, str) or not url.strip():
            raise ValidationError(_("A button must have a URL."))
        if not url.startswith(("http://", "https://")):
            raise ValidationError(_("A button URL must start with http:// or https://."))


class DiscordMessage(models.Model):
    """A message staff wrote in the admin and the bot posted (original-domain §11.4)."""

    channel = models.ForeignKey(
        PostChannel,
        verbose_name=_("channel"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="messages",
    )
    channel_discord_id = models.CharField(
        _("Discord channel id"), max_length=21, validators=[validate_snowflake]
    )
    channel_label = models.CharField(_("channel label"), max_length=128, blank=True)
    discord_message_id = models.CharField(
        _("Discord message id"),
        max_length=21,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_snowflake],
    )
    content = models.TextField(
        _("content"),
        max_length=MAX_CONTENT_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(MAX_CONTENT_LENGTH)],
    )
    embeds = models.JSONField(_("embeds"), default=list, blank=True, validators=[validate_embeds])
    buttons = models.JSONField(
        _("link buttons"), default=list, blank=True, validators=[validate_buttons]
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("Discord message")
        verbose_name_plural = _("Discord messages")

    def __str__(self) -> str:
        return self.preview

    def clean(self) -> None:
        super().clean()
        if not self.content.strip() and not self.embeds:
            raise ValidationError(_("A message must have content or at least one embed."))

    @property
    def is_embed(self) -> bool:
        return bool(self.embeds)

    @property
    def preview(self) -> str:
        text = self.content
        if not text and self.embeds:
            text = self.embeds[0].get("title") or self.embeds[0].get("description") or ""
        return text[:80]


def _bounded(default: int, low: int, high: int, label) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        default=default,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=format_lazy(_("Between {low} and {high}."), low=low, high=high),
    )


def validate_category_template(value: str) -> None:
    if not value.strip():
        raise ValidationError(_("The name template cannot be empty."))
    if "{n}" not in value:
        raise ValidationError(_("The name template must contain “{n}”."))


class ClubSettings(models.Model):
    """The club's operational settings: one row, edited by staff in the admin.

    Discord ids left blank fall back to the environment; secrets never live here.
    """

    SINGLETON_ID = 1

    discord_guild_id = models.CharField(
        _("server id"), max_length=21, blank=True, validators=[validate_snowflake]
    )
    discord_guild_name = models.CharField(_("server name"), max_length=100, blank=True)
    discord_gm_role_id = models.CharField(
        _("GM role id"), max_length=21, blank=True, validators=[validate_snowflake]
    )
    discord_admin_role_id = models.CharField(
        _("admin role id"), max_length=21, blank=True, validators=[validate_snowflake]
    )
    discord_player_role_id = models.CharField(
        _("player role id"), max_length=21, blank=True, validators=[validate_snowflake]
    )
    discord_posts_channel_id = models.CharField(
        _("announcements channel id"), max_length=21, blank=True, validators=[validate_snowflake]
    )
    discord_admin_channel_id = models.CharField(
        _("staff channel id"), max_length=21, blank=True, validators=[validate_snowflake]
    )

    discord_use_direct_permissions = models.BooleanField(
        _("use direct permissions (no role) for new games"), default=False
    )
    discord_role_auto_threshold = _bounded(230, 1, GUILD_ROLE_CAP, _("automatic switch threshold"))
    dashboard_agenda_limit = _bounded(10, 1, 30, _("upcoming sessions (agenda)"))
    dashboard_open_limit = _bounded(8, 1, 30, _("open games on the dashboard"))
    games_per_page = _bounded(12, 1, 60, _("cards per page"))
    profile_refresh_batch_size = _bounded(20, 1, 100, _("profiles refreshed per run"))
    discord_category_auto_threshold = _bounded(
        45, 1, CATEGORY_CAPACITY, _("category auto-creation threshold")
    )
    category_name_template_oneshot = models.CharField(
        _("category name template — one-shot"),
        max_length=90,
        default="🎲 ONE SHOTS {n} 📖",
        validators=[validate_category_template],
    )
    category_name_template_campaign = models.CharField(
        _("category name template — campaign"),
        max_length=90,
        default="🎲 CAMPAGNES {n} 📖",
        validators=[validate_category_template],
    )

    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("club settings")
        verbose_name_plural = _("club settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="clubsettings_singleton"),
            models.CheckConstraint(
                condition=Q(discord_role_auto_threshold__gte=1)
                & Q(discord_role_auto_threshold__lte=GUILD_ROLE_CAP)
                & Q(dashboard_agenda_limit__gte=1, dashboard_agenda_limit__lte=30)
                & Q(dashboard_open_limit__gte=1, dashboard_open_limit__lte=30)
                & Q(games_per_page__gte=1, games_per_page__lte=60)
                & Q(profile_refresh_batch_size__gte=1, profile_refresh_batch_size__lte=100)
                & Q(discord_category_auto_threshold__gte=1)
                & Q(discord_category_auto_threshold__lte=CATEGORY_CAPACITY),
                name="clubsettings_bounds",
            ),
            models.CheckConstraint(
                condition=Q(category_name_template_oneshot__contains="{n}")
                & Q(category_name_template_campaign__contains="{n}"),
                name="clubsettings_category_templates",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Club settings"))

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_ID
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "ClubSettings":
        obj, _created = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return obj

    def _effective(self, field: str, setting: str) -> str:
        return getattr(self, field) or getattr(settings, setting)

    @property
    def guild_id(self) -> str:
        return self._effective("discord_guild_id", "DISCORD_GUILD_ID")

    @property
    def player_role_id(self) -> str:
        return self._effective("discord_player_role_id", "DISCORD_PLAYER_ROLE_ID")

    @property
    def gm_role_id(self) -> str:
        return self._effective("discord_gm_role_id", "DISCORD_GM_ROLE_ID")

    @property
    def admin_role_id(self) -> str:
        return self._effective("discord_admin_role_id", "DISCORD_ADMIN_ROLE_ID")

    @property
    def posts_channel_id(self) -> str:
        return self._effective("discord_posts_channel_id", "DISCORD_POSTS_CHANNEL_ID")

    @property
    def admin_channel_id(self) -> str:
        return self._effective("discord_admin_channel_id", "DISCORD_ADMIN_CHANNEL_ID")

    def category_name_template(self, game_type: str) -> str:
        if game_type == GameType.CAMPAIGN:
            return self.category_name_template_campaign
        return self.category_name_template_oneshot

"""Badges: their definitions and the quantities members hold."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# Ids 1–4 are referenced by the archive awards and the leaderboards.
TROPHY_OS = 1
TROPHY_OS_GM = 2
TROPHY_CAMPAIGN = 3
TROPHY_CAMPAIGN_GM = 4
RESERVED_TROPHIES = {
    TROPHY_OS: ("Badge OS", "img/trophies/os.svg"),
    TROPHY_OS_GM: ("Badge OS GM", "img/trophies/os_gm.svg"),
    TROPHY_CAMPAIGN: ("Badge Campagne", "img/trophies/campaign.svg"),
    TROPHY_CAMPAIGN_GM: ("Badge Campagne GM", "img/trophies/campaign_gm.svg"),
}


class Trophy(models.Model):
    name = models.CharField(
        _("name"),
        max_length=64,
        unique=True,
        error_messages={"unique": _("A badge with this name already exists.")},
    )
    unique = models.BooleanField(
        _("unique"), default=False, help_text=_("A member can hold this badge only once.")
    )
    icon = models.CharField(_("icon"), max_length=500, blank=True, help_text=_("Path or URL."))

    class Meta:
        ordering = ["id"]
        verbose_name = _("badge")
        verbose_name_plural = _("badges")

    def __str__(self) -> str:
        return self.name

    @property
    def is_reserved(self) -> bool:
        return self.pk in RESERVED_TROPHIES


class UserTrophyQuerySet(models.QuerySet):
    def held_by(self, user):
        """A member's badges, by name, with their definitions."""
        return self.filter(user=user).select_related("trophy").order_by("trophy__name", "trophy_id")


class UserTrophy(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="trophies",
    )
    trophy = models.ForeignKey(
        Trophy, verbose_name=_("badge"), on_delete=models.PROTECT, related_name="holders"
    )
    quantity = models.PositiveIntegerField(
        _("quantity"),
        default=1,
        validators=[MinValueValidator(1, message=_("The quantity must be at least 1."))],
    )

    objects = UserTrophyQuerySet.as_manager()

    class Meta:
        ordering = ["trophy_id"]
        verbose_name = _("badge held")
        verbose_name_plural = _("badges held")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "trophy"],
                name="usertrophy_unique",
                violation_error_message=_("This member already holds this badge."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="usertrophy_quantity_positive",
                violation_error_message=_("The quantity must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trophy} × {self.quantity}"

    def clean(self) -> None:
        super().clean()
        if self.trophy_id and self.trophy.unique and self.quantity != 1:
            # A unique badge is held once: quantity is always 1.
            self.quantity = 1

    def increment(self, amount: int = 1) -> None:
        if self.trophy.unique:
            return
        UserTrophy.objects.filter(pk=self.pk).update(quantity=F("quantity") + amount)
        self.refresh_from_db(fields=["quantity"])
        from trophies.signals import badges_changed  # the signals module imports this one

        badges_changed([self.user_id])


class Award(models.Model):
    """One badge given for one game: the archive gives each member a badge once per game."""

    game = models.ForeignKey(
        "games.Game",
        verbose_name=_("game"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="awards",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="awards",
    )
    trophy = models.ForeignKey(
        Trophy, verbose_name=_("badge"), on_delete=models.PROTECT, related_name="awards"
    )
    awarded_at = models.DateTimeField(_("awarded at"), auto_now_add=True)

    class Meta:
        ordering = ["-awarded_at", "-pk"]
        verbose_name = _("badge award")
        verbose_name_plural = _("badge awards")
        constraints = [
            models.UniqueConstraint(
                fields=["game", "user", "trophy"],
                name="award_once_per_game",
                violation_error_message=_("This badge was already awarded for this game."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trophy} — {self.user}"

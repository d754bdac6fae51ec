"""The Discord outbox: work for the bot, recorded in the transaction of the change causing it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EffectKind(models.TextChoices):
    SETUP_GAME = "setup_game", _("Game channel and role")
    ANNOUNCE = "announce", _("Announcement")
    REFRESH_ANNOUNCEMENT = "refresh_announcement", _("Announcement update")
    GRANT_ACCESS = "grant_access", _("Channel access")
    REVOKE_ACCESS = "revoke_access", _("Channel access removed")
    SEND_MESSAGE = "send_message", _("Message")
    CLEANUP_GAME = "cleanup_game", _("Discord clean-up")


class EffectStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    # Recorded while the bot had no token: never sent, not even once a token is configured
    # (weeks-old pings would make no sense); staff may still send one by hand.
    OFFLINE = "offline", _("Not sent (offline)")


class DiscordEffectQuerySet(models.QuerySet):
    def unfinished(self):
        """Work still owed to Discord: queued, under way, or failed and waiting for staff.

        Effects recorded offline are not owed: they will never be sent on their own."""
        return self.filter(
            status__in=[EffectStatus.PENDING, EffectStatus.RUNNING, EffectStatus.FAILED]
        )

    def in_flight(self):
        """Queued or under way: these hold back the later effects of their game."""
        return self.filter(status__in=[EffectStatus.PENDING, EffectStatus.RUNNING])

    def failed(self):
        return self.filter(status=EffectStatus.FAILED)


class DiscordEffect(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=EffectKind.choices)
    game = models.ForeignKey(
        "games.Game",
        verbose_name=_("game"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="discord_effects",
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=EffectStatus.choices, default=EffectStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    run_after = models.DateTimeField(_("not before"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caused by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = DiscordEffectQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("Discord effect")
        verbose_name_plural = _("Discord effects")
        indexes = [
            models.Index(fields=["status", "run_after"], name="effect_queue_idx"),
            models.Index(fields=["game", "status"], name="effect_game_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=EffectKind.values), name="effect_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=EffectStatus.values), name="effect_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"

    @property
    def nonce(self) -> str:
        """Discord de-duplicates messages sent twice with the same nonce."""
        return f"qm{self.pk}"

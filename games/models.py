"""Games (announcements), their sessions, registrations and audit trail."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Now
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from catalog.models import GameType, SpecialEvent, System, Vtt
from questmaster.discord.validators import validate_snowflake

MAX_PARTY_SIZE = 99
MAX_SESSION_HOURS = 24
SLUG_BASE_LENGTH = 90  # leaves room for "PJ_" and "-N" within Discord's 100-character names


class GameStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")


class ClosedReason(models.TextChoices):
    """Why a game is closed: only a game closed because it was full reopens by itself."""

    MANUAL = "manual", _("Closed by the GM")
    FULL = "full", _("Full")
    SILENT = "silent", _("Opened without announcement")


class Restriction(models.TextChoices):
    ALL = "all", _("All audiences")
    SIXTEEN = "16+", _("16 and over")
    EIGHTEEN = "18+", _("18 and over")


class Experience(models.TextChoices):
    ALL = "all", _("Beginners welcome")
    BEGINNERS = "beginners", _("Beginners only")
    SEASONED = "seasoned", _("No beginners")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "bi-weekly", _("Every other week")
    MONTHLY = "monthly", _("Monthly")
    OTHER = "other", _("Other")


class Characters(models.TextChoices):
    WITH_GM = "with_gm", _("With the GM")
    SELF = "self", _("On your own")
    PREGEN = "pregen", _("Pre-generated")
    CHOICE = "choice", _("Your choice")


class Ambience(models.TextChoices):
    CHILL = "chill", _("Relaxed")
    SERIOUS = "serious", _("Serious")
    COMIC = "comic", _("Comic")
    EPIC = "epic", _("Epic")


class Length(models.TextChoices):
    ONE = "1 session", "1"
    TWO = "2 sessions", "2"
    THREE = "3 sessions", "3"
    ABOUT_FIVE = "~5 sessions", "5"
    ABOUT_TEN = "~10 sessions", "~10"
    TEN_PLUS = "10+ sessions", "10+"
    TWENTY_PLUS = "20+ sessions", "20+"


# The number of sessions a length announces; open-ended lengths always get a planning nudge.
PLANNED_SESSIONS = {Length.TWO: 2, Length.THREE: 3, Length.ABOUT_FIVE: 5, Length.ABOUT_TEN: 10}
OPEN_ENDED_LENGTHS = {Length.TEN_PLUS, Length.TWENTY_PLUS}
FREQUENCY_STEP_DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14}


def _add_month(value: datetime.datetime) -> datetime.datetime:
    year, month = (value.year + 1, 1) if value.month == 12 else (value.year, value.month + 1)
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


CLASSIFICATION_KEYS = ("action", "investigation", "interaction", "horror")
CLASSIFICATION_LABELS = {
    "action": _("Action"),
    "investigation": _("Investigation"),
    "interaction": _("Interaction"),
    "horror": _("Horror"),
}
CLASSIFICATION_LEVELS = {0: _("Absent"), 1: _("Minor"), 2: _("Major")}


def validate_classification(value) -> None:
    """Empty, or exactly the four axes, each an integer from 0 to 2."""
    if value in (None, {}):
        return
    if not isinstance(value, dict) or set(value) != set(CLASSIFICATION_KEYS):
        raise ValidationError(
            _("The classification must give exactly: action, investigation, interaction, horror."),
            code="invalid_classification",
        )
    for key in CLASSIFICATION_KEYS:
        level = value[key]
        if isinstance(level, bool) or not isinstance(level, int) or level not in (0, 1, 2):
            raise ValidationError(
                _("Each classification level is 0 (absent), 1 (minor) or 2 (major)."),
                code="invalid_classification",
            )


def validate_ambience(value) -> None:
    if not isinstance(value, list) or any(item not in Ambience.values for item in value):
        raise ValidationError(
            _("Unknown ambience: choose among relaxed, serious, comic and epic."),
            code="invalid_ambience",
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Each ambience can be chosen once."), code="invalid_ambience")


def _classification_is_valid() -> Q:
    # The database refuses a missing axis or a level outside 0–2; extra keys are caught by
    # validate_classification (JSON key counting is not portable between SQLite and PostgreSQL).
    levels = Q()
    for key in CLASSIFICATION_KEYS:
        levels &= Q(**{f"classification__{key}__in": [0, 1, 2]})
    return Q(classification={}) | (Q(classification__has_keys=list(CLASSIFICATION_KEYS)) & levels)


LIVE_STATUSES = (GameStatus.OPEN, GameStatus.CLOSED)

# What the game form (site and admin) edits, as long as the game is not archived.
CONTENT_FIELDS = (
    "system",
    "vtt",
    "date",
    "length",
    "session_length",
    "frequency",
    "party_size",
    "party_selection",
    "xp",
    "characters",
    "description",
    "complement",
    "restriction",
    "restriction_tags",
    "classification",
    "ambience",
    "img",
)
# Frozen once published: the Discord channel and role are named after them.
IDENTITY_FIELDS = ("name", "type", "special_event")


class RegistrationMode(models.TextChoices):
    """What the registration panel offers one member on one game (`Game.registration_mode`)."""

    ANONYMOUS = "anonymous", _("Sign in to register")
    GM = "gm", _("GM of the game")
    REGISTERED = "registered", _("Registered")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANDIDATE = "candidate", _("Candidate")
    REGISTER = "register", _("May register")
    WAITLIST = "waitlist", _("May join the waiting list")
    APPLY = "apply", _("May apply")
    NOT_PLAYER = "not_player", _("Not a player")
    DRAFT = "draft", _("Draft")
    ARCHIVED = "archived", _("Over")
    CLOSED = "closed", _("Closed")


@dataclass(frozen=True)
class Transition:
    """A lifecycle action: the statuses it starts from and the status it leads to.

    `reasons` narrows a start from "closed" to some closed reasons (None: any reason)."""

    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None
    reason: str = ""
    reasons: tuple[str, ...] | None = None
    # Final actions ask for a confirmation first (this text); archiving offers the badges.
    confirm: str = ""
    offers_badges: bool = False

    def allows(self, game: Game) -> bool:
        if game.status not in self.sources:
            return False
        if game.status == GameStatus.CLOSED and self.reasons is not None:
            return game.closed_reason in self.reasons
        return True


# The transition table (contract decision 3). The first six are what a GM or staff may ask for
# (their `action` is the POST value of the status form); the last two are the game's own moves
# when it fills up or a seat frees. Nothing else ever changes `Game.status`.
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "publish",
            _("Publish on Discord"),
            (GameStatus.DRAFT, GameStatus.CLOSED),
            GameStatus.OPEN,
            reasons=(ClosedReason.SILENT,),
        ),
        Transition(
            "open-silent",
            _("Open without announcement"),
            (GameStatus.DRAFT,),
            GameStatus.CLOSED,
            reason=ClosedReason.SILENT,
        ),
        Transition(
            "open",
            _("Open registrations"),
            (GameStatus.CLOSED,),
            GameStatus.OPEN,
            reasons=(ClosedReason.MANUAL, ClosedReason.FULL),
        ),
        Transition(
            "closed",
            _("Close registrations"),
            (GameStatus.OPEN,),
            GameStatus.CLOSED,
            reason=ClosedReason.MANUAL,
        ),
        Transition(
            "archived",
            _("Archive"),
            LIVE_STATUSES,
            GameStatus.ARCHIVED,
            confirm=_(
                "Game over? Final and irreversible action. The channel and the role will be "
                "deleted. When in doubt, use “Report”."
            ),
            offers_badges=True,
        ),
        Transition(
            "deleted",
            _("Delete the draft"),
            (GameStatus.DRAFT,),
            None,
            confirm=_("Delete this draft? Final and irreversible action."),
        ),
        Transition(
            "fill", _("Full"), (GameStatus.OPEN,), GameStatus.CLOSED, reason=ClosedReason.FULL
        ),
        Transition(
            "free",
            _("Seat freed"),
            (GameStatus.CLOSED,),
            GameStatus.OPEN,
            reasons=(ClosedReason.FULL,),
        ),
    )
}
# What people ask for, in the order the page offers them.
REQUESTED_ACTIONS = ("publish", "open-silent", "open", "closed", "archived", "deleted")


class GameQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Drafts are private: only their GM and staff see them."""
        if user.is_authenticated and user.has_perm("games.change_game"):
            return self
        if user.is_authenticated:
            return self.filter(~Q(status=GameStatus.DRAFT) | Q(gm=user))
        return self.exclude(status=GameStatus.DRAFT)

    def published(self):
        return self.exclude(status=GameStatus.DRAFT)

    def open(self):
        return self.filter(status=GameStatus.OPEN)

    def live(self):
        """Published and not archived: open, or closed (by hand, because full, or silently)."""
        return self.filter(status__in=LIVE_STATUSES)

    def taking_waitlist(self):
        """Games whose full table still takes names for its waiting list (`takes_waitlist`)."""
        return self.filter(
            Q(status=GameStatus.OPEN) | Q(status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL)
        )

    def announced(self):
        """Games that have (or are about to have) a public announcement (`has_announcement`)."""
        return self.filter(
            ~Q(discord_message_id="")
            | Q(status=GameStatus.OPEN)
            | (Q(status=GameStatus.CLOSED) & ~Q(closed_reason=ClosedReason.SILENT))
        )

    def in_listing_order(self):
        """Status (draft, open, closed, archived), then upcoming before past, then nearest date."""
        status_rank = models.Case(
            *(
                models.When(status=status, then=rank)
                for rank, status in enumerate(GameStatus.values)
            ),
            output_field=models.IntegerField(),
        )
        upcoming = models.Q(date__gte=Now())
        return self.annotate(
            status_rank=status_rank,
            is_past=models.Case(
                models.When(upcoming, then=0), default=1, output_field=models.IntegerField()
            ),
            upcoming_date=models.Case(models.When(upcoming, then=F("date"))),
            past_date=models.Case(models.When(~upcoming, then=F("date"))),
        ).order_by(
            "status_rank",
            "is_past",
            F("upcoming_date").asc(nulls_last=True),
            F("past_date").desc(nulls_last=True),
            "pk",
        )

    def with_player_count(self):
        """Annotates `player_count`, which `Game.registered_count` then reads."""
        return self.annotate(
            player_count=models.Count(
                "registrations", filter=Q(registrations__state=RegistrationState.REGISTERED)
            )
        )

    def with_card_data(self):
        """Everything a game card shows, fetched with the games (no query per card).

        The date shown is the next session, else the last one, else the game's date.
        """
        sessions = GameSession.objects.filter(game=OuterRef("pk"))
        next_start = sessions.filter(start__gte=Now()).order_by("start").values("start")[:1]
        last_start = sessions.filter(start__lt=Now()).order_by("-start").values("start")[:1]
        return (
            self.select_related("gm", "system", "vtt", "special_event")
            .with_player_count()
            .annotate(
                waitlist_count=models.Count(
                    "registrations", filter=Q(registrations__state=RegistrationState.WAITLISTED)
                ),
                shown_date=Coalesce(Subquery(next_start), Subquery(last_start), F("date")),
            )
            .order_by()
        )


class Game(models.Model):
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=255)
    type = models.CharField(
        _("type"), max_length=16, choices=GameType.choices, default=GameType.ONESHOT
    )
    special_event = models.ForeignKey(
        SpecialEvent,
        verbose_name=_("special event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="games",
    )
    gm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("GM"),
        on_delete=models.PROTECT,
        related_name="games_as_gm",
    )
    system = models.ForeignKey(
        System, verbose_name=_("system"), on_delete=models.PROTECT, related_name="games"
    )
    vtt = models.ForeignKey(
        Vtt,
        verbose_name=_("virtual tabletop"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="games",
    )
    description = models.TextField(
        _("scenario description"), max_length=10_000, validators=[MaxLengthValidator(10_000)]
    )
    complement = models.TextField(
        _("additional information"),
        max_length=5_000,
        blank=True,
        validators=[MaxLengthValidator(5_000)],
    )
    img = models.URLField(_("image"), max_length=500, blank=True)

    date = models.DateTimeField(_("date of the first session"))
    length = models.CharField(
        _("length"), max_length=16, choices=Length.choices, default=Length.ONE
    )
    session_length = models.DecimalField(
        _("session length (hours)"),
        max_digits=3,
        decimal_places=1,
        default=Decimal("3.5"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(MAX_SESSION_HOURS)],
    )
    frequency = models.CharField(
        _("frequency"), max_length=16, choices=Frequency.choices, blank=True
    )

    party_size = models.PositiveSmallIntegerField(
        _("number of players"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PARTY_SIZE)],
    )
    party_selection = models.BooleanField(
        _("on selection"),
        default=False,
        help_text=_("The GM picks the players among the candidates."),
    )
    xp = models.CharField(
        _("experience"), max_length=16, choices=Experience.choices, default=Experience.ALL
    )
    characters = models.CharField(
        _("characters"), max_length=16, choices=Characters.choices, default=Characters.WITH_GM
    )
    restriction = models.CharField(
        _("age rating"), max_length=8, choices=Restriction.choices, default=Restriction.ALL
    )
    restriction_tags = models.CharField(
        _("themes"), max_length=255, blank=True, help_text=_("Separated by commas.")
    )
    classification = models.JSONField(
        _("classification"), default=dict, blank=True, validators=[validate_classification]
    )
    ambience = models.JSONField(
        _("ambience"), default=list, blank=True, validators=[validate_ambience]
    )

    status = models.CharField(
        _("status"), max_length=16, choices=GameStatus.choices, default=GameStatus.DRAFT
    )
    closed_reason = models.CharField(
        _("closed because"), max_length=16, choices=ClosedReason.choices, blank=True
    )

    discord_channel_id = models.CharField(
        _("Discord channel id"), max_length=21, blank=True, validators=[validate_snowflake]
    )
    discord_role_id = models.CharField(
        _("Discord role id"), max_length=21, blank=True, validators=[validate_snowflake]
    )
    discord_message_id = models.CharField(
        _("Discord announcement id"), max_length=21, blank=True, validators=[validate_snowflake]
    )
    discord_briefing_id = models.CharField(
        _("Discord briefing message id"),
        max_length=21,
        blank=True,
        validators=[validate_snowflake],
    )
    discord_category = models.ForeignKey(
        "catalog.Channel",
        verbose_name=_("Discord category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="games",
    )
    discord_direct_permissions = models.BooleanField(
        _("direct permissions"),
        default=False,
        help_text=_("Players get access one by one instead of through a game role."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = GameQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        verbose_name = _("game")
        verbose_name_plural = _("games")
        indexes = [models.Index(fields=["status", "date"], name="game_status_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(party_size__gte=1, party_size__lte=MAX_PARTY_SIZE),
                name="game_party_size_range",
                violation_error_message=_("A game has 1 to 99 players."),
            ),
            models.CheckConstraint(
                condition=Q(session_length__gte=Decimal("0.5"), session_length__lte=24),
                name="game_session_length_range",
                violation_error_message=_("A session lasts from half an hour to 24 hours."),
            ),
            models.CheckConstraint(
                condition=_classification_is_valid(),
                name="game_classification_valid",
                violation_error_message=_(
                    "Each classification level is 0 (absent), 1 (minor) or 2 (major)."
                ),
            ),
            models.CheckConstraint(condition=Q(type__in=GameType.values), name="game_type_valid"),
            models.CheckConstraint(
                condition=Q(status__in=GameStatus.values), name="game_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(restriction__in=Restriction.values), name="game_restriction_valid"
            ),
            models.CheckConstraint(condition=Q(xp__in=Experience.values), name="game_xp_valid"),
            models.CheckConstraint(
                condition=Q(characters__in=Characters.values), name="game_characters_valid"
            ),
            models.CheckConstraint(
                condition=Q(frequency="") | Q(frequency__in=Frequency.values),
                name="game_frequency_valid",
            ),
            models.CheckConstraint(condition=Q(length__in=Length.values), name="game_length_valid"),
            # A closed game always says why; no other status carries a reason.
            models.CheckConstraint(
                condition=(Q(status=GameStatus.CLOSED) & Q(closed_reason__in=ClosedReason.values))
                | (~Q(status=GameStatus.CLOSED) & Q(closed_reason="")),
                name="game_closed_reason_consistent",
                violation_error_message=_("A closed game needs a reason; other games none."),
            ),
            # Special-event games are one-shots.
            models.CheckConstraint(
                condition=Q(special_event__isnull=True) | Q(type=GameType.ONESHOT),
                name="game_special_event_oneshot",
                violation_error_message=_("Special-event games are one-shots."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("games:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        super().clean()
        if self.special_event_id and self.type != GameType.ONESHOT:
            raise ValidationError({"type": _("Special-event games are one-shots.")})
        if self.status == GameStatus.CLOSED and not self.closed_reason:
            raise ValidationError({"closed_reason": _("Say why the game is closed.")})
        if self.status != GameStatus.CLOSED and self.closed_reason:
            raise ValidationError({"closed_reason": _("Only a closed game has a reason.")})

    # --- the rules about one game; each has its queryset twin above ----------------------------

    @property
    def is_draft(self) -> bool:
        return self.status == GameStatus.DRAFT

    @property
    def is_archived(self) -> bool:
        return self.status == GameStatus.ARCHIVED

    @property
    def is_open(self) -> bool:
        return self.status == GameStatus.OPEN

    @property
    def is_live(self) -> bool:
        """Published and not archived (`GameQuerySet.live`): it has, or will have, a channel."""
        return self.status in LIVE_STATUSES

    @property
    def is_closed_because_full(self) -> bool:
        return self.status == GameStatus.CLOSED and self.closed_reason == ClosedReason.FULL

    @property
    def is_silently_open(self) -> bool:
        return self.status == GameStatus.CLOSED and self.closed_reason == ClosedReason.SILENT

    @property
    def takes_waitlist(self) -> bool:
        """A full table still takes names while open or closed because full
        (`GameQuerySet.taking_waitlist`); a manual close or a silent opening does not."""
        return self.is_open or self.is_closed_because_full

    @property
    def is_announced(self) -> bool:
        """The announcement is posted on Discord (its message id is known)."""
        return bool(self.discord_message_id)

    @property
    def has_announcement(self) -> bool:
        """Posted, or recorded and on its way: every publication but a silent one announces
        (`GameQuerySet.announced`)."""
        if self.is_announced or self.is_open:
            return True
        return self.status == GameStatus.CLOSED and self.closed_reason != ClosedReason.SILENT

    @property
    def has_channel(self) -> bool:
        """Live and set up on Discord (its channel exists, or its creation is recorded)."""
        return self.is_live and (bool(self.discord_channel_id) or self.published_at is not None)

    @property
    def status_label(self) -> str:
        """ "Full" for a game closed because full, else the status."""
        if self.is_closed_because_full:
            return self.get_closed_reason_display()
        return self.get_status_display()

    @property
    def registered_count(self) -> int:
        """Seated players: the `with_player_count` annotation when present, else one query."""
        annotated = getattr(self, "player_count", None)
        if annotated is not None:
            return annotated
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("registrations")
        if prefetched is not None:
            return sum(1 for r in prefetched if r.state == RegistrationState.REGISTERED)
        return self.registrations.registered().count()

    @property
    def seats_left(self) -> int:
        return max(self.party_size - self.registered_count, 0)

    @property
    def is_full(self) -> bool:
        """No seat left. A "sur sélection" game is never full for the waiting list: the GM
        picks among candidates instead."""
        return not self.party_selection and self.seats_left == 0

    def has_started(self, now: datetime.datetime | None = None) -> bool:
        """A session is under way, or a one-shot's session has begun."""
        now = now or timezone.now()
        started = [s for s in self._sessions() if s.start <= now]
        if any(s.end > now for s in started):
            return True
        return self.type == GameType.ONESHOT and bool(started)

    def may_leave(self, now: datetime.datetime | None = None) -> bool:
        """Players may leave (or be taken off the waiting list) until the game has started."""
        return self.is_live and not self.has_started(now)

    @property
    def classification_levels(self) -> list[dict]:
        """The four axes with their labels, for display; empty when not classified."""
        if not self.classification:
            return []
        return [
            {
                "key": key,
                "label": CLASSIFICATION_LABELS[key],
                "level": self.classification[key],
                "level_label": CLASSIFICATION_LEVELS[self.classification[key]],
            }
            for key in CLASSIFICATION_KEYS
        ]

    @property
    def ambience_labels(self) -> list[str]:
        return [Ambience(value).label for value in self.ambience]

    @property
    def planning_nudge(self) -> str:
        """Reminds the GM to plan sessions (original-domain §3.6): the length announces more
        sessions than recorded, or is open-ended."""
        count = len(self._sessions())
        if not self.is_live or count == 0:
            return ""
        if self.length in OPEN_ENDED_LENGTHS:
            return _("Remember to plan the next session!")
        planned = PLANNED_SESSIONS.get(self.length)
        if planned and count < planned:
            return _("%(count)d/%(planned)d sessions recorded — remember to plan the rest!") % {
                "count": count,
                "planned": planned,
            }
        return ""

    def next_session_slot(
        self, now: datetime.datetime | None = None
    ) -> tuple[datetime.datetime, datetime.datetime]:
        """Where the next session probably goes (§3.1): the last session + the frequency; else
        the game's date if still ahead; else today at the game's time. Wall-clock times in the
        club time zone, so a weekly 20:30 stays 20:30 across a daylight-saving change."""
        now = now or timezone.now()
        sessions = self._sessions()
        last = timezone.localtime(sessions[-1].start) if sessions else None
        if last is not None and self.frequency in FREQUENCY_STEP_DAYS:
            start = last + datetime.timedelta(days=FREQUENCY_STEP_DAYS[self.frequency])
        elif last is not None and self.frequency == Frequency.MONTHLY:
            start = _add_month(last)
        elif self.date > now:
            start = timezone.localtime(self.date)
        else:
            at = timezone.localtime(self.date)
            start = timezone.localtime(now).replace(
                hour=at.hour, minute=at.minute, second=0, microsecond=0
            )
        return start, start + self.session_duration

    def _sessions(self) -> list[GameSession]:
        # Uses `prefetch_related("sessions")` when the caller did it.
        return list(self.sessions.all())

    def registration_mode(self, user, registration: Registration | None = None) -> str:
        """What `user` may do about registering (`RegistrationMode`); the services decide again
        under the row lock on submission. `registration` is the user's own, when known."""
        if not user.is_authenticated:
            return RegistrationMode.ANONYMOUS
        if user.pk == self.gm_id:
            return RegistrationMode.GM
        if registration is None:
            registration = self.registrations.filter(player=user).first()
        if registration is not None:
            return registration.state
        if self.is_draft:
            return RegistrationMode.DRAFT
        if self.is_archived:
            return RegistrationMode.ARCHIVED
        if not user.is_player:
            return RegistrationMode.NOT_PLAYER
        if self.is_open and self.party_selection:
            return RegistrationMode.APPLY
        if self.is_open and not self.is_full:
            return RegistrationMode.REGISTER
        if self.takes_waitlist:
            return RegistrationMode.WAITLIST
        return RegistrationMode.CLOSED

    # --- the lifecycle: one door for the status -------------------------------------------------

    def may(self, action: str) -> bool:
        """The transition table allows `action` from the game's current status."""
        transition = TRANSITIONS.get(action)
        return transition is not None and transition.allows(self)

    def allowed_actions(self) -> list[Transition]:
        """The lifecycle actions a manager may ask for now, in the page's order."""
        return [TRANSITIONS[a] for a in REQUESTED_ACTIONS if TRANSITIONS[a].allows(self)]

    def check_transition(self, action: str) -> Transition:
        if not self.may(action):
            raise ValidationError(
                _("This action is not possible on a game that is “%(status)s”.")
                % {"status": self.status_label.lower()},
                code="invalid_transition",
            )
        return TRANSITIONS[action]

    def _set_state(self, action: str, *, extra_fields: tuple[str, ...] = ()) -> None:
        """The only writer of `status` and `closed_reason`: check the transition, apply it, save.

        Callers hold the row lock (the services do) and record the audit line and Discord work.
        """
        transition = self.check_transition(action)
        if transition.target is None:
            raise ValueError(f"{action!r} has no target status; delete the game instead")
        self.status, self.closed_reason = transition.target, transition.reason
        self.save(update_fields=["status", "closed_reason", *extra_fields, "updated_at"])

    @property
    def restriction_tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.restriction_tags.split(",") if tag.strip()]

    @property
    def session_duration(self) -> datetime.timedelta:
        return datetime.timedelta(hours=float(self.session_length))

    def slug_base(self) -> str:
        base = slugify(f"{self.name}-par-{self.gm.slug_name}")[:SLUG_BASE_LENGTH].strip("-")
        return base or "partie"

    def save_with_unique_slug(self) -> None:
        """Insert the game under the first free slug of its name.

        Two GMs may post the same name at once: the unique index is the real guard, so a clash
        retries with the next suffix instead of failing.
        """
        base = self.slug_base()
        taken = set(
            Game.objects.filter(slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        suffix = 1
        while True:
            candidate = base if suffix == 1 else f"{base}-{suffix}"
            suffix += 1
            if candidate in taken:
                continue
            self.slug = candidate
            try:
                with transaction.atomic():
                    self.save()
                return
            except IntegrityError:
                if not Game.objects.filter(slug=candidate).exclude(pk=self.pk).exists():
                    raise


class RegistrationState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITLISTED = "waitlisted", _("Waiting list")
    CANDIDATE = "candidate", _("Candidate")


class RegistrationQuerySet(models.QuerySet):
    def registered(self):
        return self.filter(state=RegistrationState.REGISTERED)

    def waitlisted(self):
        return self.filter(state=RegistrationState.WAITLISTED).order_by("created_at", "pk")


class Registration(models.Model):
    game = models.ForeignKey(
        Game, verbose_name=_("game"), on_delete=models.CASCADE, related_name="registrations"
    )
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("player"),
        on_delete=models.CASCADE,
        related_name="registrations",
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=RegistrationState.choices,
        default=RegistrationState.REGISTERED,
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the player registered themselves."),
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        indexes = [
            models.Index(fields=["game", "state", "created_at"], name="registration_queue_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["game", "player"],
                name="registration_unique_player",
                violation_error_message=_("This player is already registered for this game."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=RegistrationState.values), name="registration_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.player} — {self.game} ({self.get_state_display()})"

    @property
    def is_seated(self) -> bool:
        """Holds a seat (not waiting, not a candidate)."""
        return self.state == RegistrationState.REGISTERED


class GameSessionQuerySet(models.QuerySet):
    def overlapping(self, start: datetime.datetime, end: datetime.datetime):
        """Sessions that intersect [start, end); touching ends do not overlap."""
        return self.filter(start__lt=end, end__gt=start)

    def upcoming(self):
        return self.filter(start__gte=Now())

    def ended(self):
        """Sessions over by now: the only ones that count as played (original-domain §6)."""
        return self.filter(end__lte=Now())

    def counted(self):
        """Sessions of games that count in statistics: every game but drafts."""
        return self.exclude(game__status=GameStatus.DRAFT)

    def run_by(self, user):
        """Sessions of the games `user` runs as GM."""
        return self.filter(game__gm=user)

    def played_by(self, user):
        """Sessions `user` plays in as a player (not as the GM of the game): where attendance
        was recorded for them, they were marked present; where it was not, they hold a seat in
        the game. The one definition of "played" that every statistic uses."""
        marked = Attendance.objects.filter(session=OuterRef("pk"), player=user)
        seated = Registration.objects.filter(
            game=OuterRef("game"), player=user, state=RegistrationState.REGISTERED
        )
        # Implied by the rule below, and cheap to check first: the games where the member holds
        # a seat, or the sessions they were marked present at (a handful of ids, indexed).
        seat_games = Registration.objects.filter(
            player=user, state=RegistrationState.REGISTERED
        ).values("game_id")
        present_at = Attendance.objects.filter(player=user, present=True).values("session_id")
        return (
            self.exclude(game__gm=user)
            .filter(Q(game_id__in=seat_games) | Q(pk__in=present_at))
            .filter(Exists(marked.filter(present=True)) | (~Exists(marked) & Exists(seated)))
        )

    def clashing_with(self, game: Game, user):
        """Sessions still to come of the other live games `user` plays or runs that overlap
        one of `game`'s: a warning when registering, not a block (beyond.md item 6)."""
        plays = Registration.objects.filter(
            game=OuterRef("game"), player=user, state=RegistrationState.REGISTERED
        )
        overlaps_here = GameSession.objects.filter(
            game=game, start__lt=OuterRef("end"), end__gt=OuterRef("start")
        )
        return (
            self.filter(Q(game__gm=user) | Q(Exists(plays)), Exists(overlaps_here))
            .filter(end__gt=Now(), game__in=Game.objects.live())
            .exclude(game=game)
            .select_related("game")
            .order_by("start")
        )


class GameSession(models.Model):
    game = models.ForeignKey(
        Game, verbose_name=_("game"), on_delete=models.CASCADE, related_name="sessions"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))

    objects = GameSessionQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["game", "start"], name="session_game_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="session_start_before_end",
                violation_error_message=_("The session must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(end__lte=F("start") + datetime.timedelta(hours=MAX_SESSION_HOURS)),
                name="session_at_most_24h",
                violation_error_message=_("A session cannot last more than 24 hours."),
            ),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.start)
        return f"{self.game} — {start:%d/%m/%Y %H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.start is None or self.end is None:
            return
        if self.start >= self.end:
            raise ValidationError({"end": _("The session must end after it starts.")})
        if self.end - self.start > datetime.timedelta(hours=MAX_SESSION_HOURS):
            raise ValidationError({"end": _("A session cannot last more than 24 hours.")})
        if self.game_id:
            clash = (
                GameSession.objects.filter(game_id=self.game_id)
                .exclude(pk=self.pk)
                .overlapping(self.start, self.end)
            )
            if clash.exists():
                raise ValidationError(
                    _("This session overlaps another session of the game."), code="overlap"
                )

    @property
    def duration(self) -> datetime.timedelta:
        return self.end - self.start


class GameEventAction(models.TextChoices):
    CREATE = "create", _("Creation")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Deletion")
    CREATE_SESSION = "create-session", _("Session added")
    EDIT_SESSION = "edit-session", _("Session changed")
    DELETE_SESSION = "delete-session", _("Session deleted")
    REGISTER = "register", _("Registration")
    UNREGISTER = "unregister", _("Unregistration")
    WAITLIST = "waitlist", _("Waiting list")
    PROMOTE = "promote", _("Promoted from the waiting list")
    ALERT = "alert", _("Report")
    TROPHY = "trophy", _("Badges awarded")
    ATTENDANCE = "attendance", _("Attendance marked")


class GameEvent(models.Model):
    """One line of a game's audit trail; written in the transaction of the change it records."""

    game = models.ForeignKey(
        Game, verbose_name=_("game"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=16, choices=GameEventAction.choices)
    timestamp = models.DateTimeField(_("timestamp"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who did it; empty for automatic changes."),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("player concerned"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.TextField(_("details"), blank=True)

    class Meta:
        ordering = ["-timestamp", "-pk"]
        verbose_name = _("game event")
        verbose_name_plural = _("game events")
        indexes = [models.Index(fields=["game", "-timestamp"], name="gameevent_game_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=GameEventAction.values), name="gameevent_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.game}"

    @property
    def is_report(self) -> bool:
        """Reports are anonymous to the GM: only staff see who made them."""
        return self.action == GameEventAction.ALERT


class Attendance(models.Model):
    """Whether a seated player came to a session, as its GM (or staff) marked it afterwards.

    Where a session has none for a player, statistics fall back on the registration."""

    session = models.ForeignKey(
        GameSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    player = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("player"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    present = models.BooleanField(_("present"))
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)

    class Meta:
        ordering = ["session", "player"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "player"],
                name="attendance_once_per_session",
                violation_error_message=_("Attendance is marked once per player and session."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.player} — {self.session} ({'✓' if self.present else '✗'})"

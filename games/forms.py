"""Every form of the game site: the game form (create, edit, clone), the status change, and
the game page's actions (registration, player management, sessions, messages).

POST names are the original's (announcements and habits depend on them): `type` also takes
`specialevent-<id>`, the classification comes as `class-<axis>` and the ambience as one checkbox
per value; `players`, `discord_id`, `action`, `date_start`, `date_end`, `message`.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django import forms
from django.core.validators import URLValidator
from django.forms.models import model_to_dict
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import GameType, SpecialEvent, System, Vtt
from games.models import (
    CLASSIFICATION_KEYS,
    CLASSIFICATION_LABELS,
    CLASSIFICATION_LEVELS,
    CONTENT_FIELDS,
    IDENTITY_FIELDS,
    MAX_PARTY_SIZE,
    MAX_SESSION_HOURS,
    REQUESTED_ACTIONS,
    Ambience,
    Game,
    Restriction,
)
from questmaster.discord.validators import is_snowflake

DRAFT = "draft"
OPEN = "open"
OPEN_SILENT = "open-silent"
PUBLISH_ACTIONS = (OPEN, OPEN_SILENT)
EVENT_PREFIX = "specialevent-"
DATE_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
PLACEHOLDER_IMAGE = "img/placeholder.svg"

# An imgur *page* (not an album or a gallery) → the direct link of its image.
IMGUR_PAGE = re.compile(r"^https?://(?:www\.|m\.)?imgur\.com/(?P<id>[A-Za-z0-9]{5,10})/?$")


def normalise_image_url(url: str) -> str:
    match = IMGUR_PAGE.match(url)
    if match:
        return f"https://i.imgur.com/{match['id']}.webp"
    return url


def default_date() -> datetime.datetime:
    """The next 20:30 of the club's time zone: the usual start of an evening game."""
    now = timezone.localtime()
    evening = now.replace(hour=20, minute=30, second=0, microsecond=0)
    return evening if evening > now else evening + datetime.timedelta(days=1)


def clone_initial(source: Game) -> dict:
    """The create form's initial values copied from a game (no players, sessions, Discord ids,
    status or slug: the clone is a new draft of whoever submits it)."""
    initial = model_to_dict(source, fields=GameForm.Meta.fields)
    event = source.special_event
    if event is not None and event.active:
        initial["type"] = f"{EVENT_PREFIX}{event.pk}"
    initial.update(GameForm.extra_initial(source))
    return initial


class HoursField(forms.DecimalField):
    """A decimal field that refuses an out-of-range number before its validators run: the step
    check of Django's DecimalField fails with a math error on absurd exponents (1e309)."""

    def validate(self, value) -> None:
        super().validate(value)
        if value is not None and abs(value) >= 10**self.max_digits:
            raise forms.ValidationError(
                _("A session lasts from half an hour to 24 hours."), code="out_of_range"
            )


class GameForm(forms.ModelForm):
    type = forms.ChoiceField(
        label=_("Session type"),
        widget=forms.RadioSelect,
        initial=GameType.ONESHOT,
        error_messages={
            "invalid_choice": _("Choose One Shot, Campaign or an active special event."),
        },
    )
    system = forms.ModelChoiceField(
        label=_("System"),
        queryset=System.objects.order_by("name"),
        empty_label=_("Choose a system"),
    )
    vtt = forms.ModelChoiceField(
        label=_("VTT (optional)"),
        queryset=Vtt.objects.order_by("name"),
        required=False,
        empty_label="—",
    )
    date = forms.DateTimeField(
        label=_("Date"),
        input_formats=[DATE_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATE_INPUT_FORMAT),
    )
    session_length = HoursField(
        label=_("session(s) of … h"),
        min_value=Decimal("0.5"),
        max_value=MAX_SESSION_HOURS,
        step_size=Decimal("0.5"),
        max_digits=3,
        decimal_places=1,
        initial=Decimal("3.5"),
    )
    party_size = forms.IntegerField(
        label=_("Players"), min_value=1, max_value=MAX_PARTY_SIZE, initial=4
    )
    restriction = forms.ChoiceField(
        label=_("Warning"),
        widget=forms.RadioSelect,
        initial=Restriction.ALL,
        choices=[
            (Restriction.ALL, _("All audiences")),
            (Restriction.SIXTEEN, "16+"),
            (Restriction.EIGHTEEN, "18+"),
        ],
    )
    img = forms.URLField(
        label=_("Image"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        widget=forms.URLInput(attrs={"placeholder": "https://i.imgur.com/..."}),
        help_text=_(
            "Host the image on imgur, right-click it, choose “Copy image address” and paste "
            "that direct link here."
        ),
    )
    action = forms.ChoiceField(
        choices=[(DRAFT, DRAFT), (OPEN, OPEN), (OPEN_SILENT, OPEN_SILENT)],
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Unknown action: save, open or publish.")},
    )
    confirm_past_date = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Game
        # The shared lists of editable fields, less those this form edits in its own shape:
        # the event comes with `type`, classification and ambience as one field per value.
        fields = [
            name
            for name in (*IDENTITY_FIELDS, *CONTENT_FIELDS)
            if name not in ("special_event", "classification", "ambience")
        ]
        labels = {
            "name": _("Announcement name"),
            "length": _("Length"),
            "frequency": _("Frequency (optional)"),
            "party_selection": _("On selection"),
            "xp": _("Experience"),
            "characters": _("Characters"),
            "description": _("Scenario description"),
            "complement": _("Additional information (optional)"),
            "restriction_tags": _("Themes (separated by commas)"),
        }
        help_texts = {"restriction_tags": ""}
        widgets = {
            "name": forms.TextInput(attrs={"placeholder": _("Announcement name")}),
            "xp": forms.RadioSelect,
            "characters": forms.RadioSelect,
            "description": forms.Textarea(
                attrs={"rows": 8, "placeholder": _("Describe your scenario...")}
            ),
            "complement": forms.Textarea(attrs={"rows": 4}),
            "restriction_tags": forms.TextInput(attrs={"placeholder": _("violence, horror, ...")}),
        }

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")  # labels sit above their fields, in cards
        super().__init__(*args, **kwargs)
        game = self.instance
        self.special_event = None
        self.is_new = game.pk is None
        self._events = {event.pk: event for event in SpecialEvent.objects.active()}
        if game.special_event is not None:
            # The game's own event stays a valid value even once the event is over.
            self._events.setdefault(game.special_event.pk, game.special_event)
        self.fields["type"].choices = [
            (GameType.ONESHOT, _("One-shot")),
            (GameType.CAMPAIGN, _("Campaign")),
            *((f"{EVENT_PREFIX}{pk}", str(event)) for pk, event in self._events.items()),
        ]
        self.fields["frequency"].choices = [("", "—"), *self.fields["frequency"].choices[1:]]
        for key in CLASSIFICATION_KEYS:
            self.fields[f"class-{key}"] = forms.TypedChoiceField(
                label=CLASSIFICATION_LABELS[key],
                choices=list(CLASSIFICATION_LEVELS.items()),
                coerce=int,
                empty_value=0,
                required=False,
                initial=0,
                widget=forms.RadioSelect,
            )
        for value, label in Ambience.choices:
            self.fields[value] = forms.BooleanField(label=label, required=False)

        if self.is_new:
            self.fields["date"].initial = default_date()
        else:
            self.initial.update(self.extra_initial(game))
            if game.special_event_id:
                self.initial["type"] = f"{EVENT_PREFIX}{game.special_event_id}"
        self.identity_frozen = not self.is_new and not game.is_draft
        if self.identity_frozen:
            # Channel and role are named after them: a forged value is ignored (initial wins).
            self.fields["name"].disabled = True
            self.fields["type"].disabled = True
        self.can_publish = self.is_new or game.is_draft

    @staticmethod
    def extra_initial(game: Game) -> dict:
        """Initial values of the fields that are not model fields."""
        classification = game.classification or {}
        initial = {f"class-{key}": classification.get(key, 0) for key in CLASSIFICATION_KEYS}
        initial.update({value: value in (game.ambience or []) for value in Ambience.values})
        return initial

    # --- groups for the template (names with hyphens cannot be looked up there) ---------------

    @property
    def classification_fields(self) -> list[forms.BoundField]:
        return [self[f"class-{key}"] for key in CLASSIFICATION_KEYS]

    @property
    def ambience_fields(self) -> list[forms.BoundField]:
        return [self[value] for value in Ambience.values]

    @property
    def type_options(self) -> list[tuple]:
        """Each type radio with its colour (special events carry their own)."""
        options = []
        for radio in self["type"]:
            color = ""
            if str(radio.data["value"]).startswith(EVENT_PREFIX):
                event = self._events.get(int(str(radio.data["value"])[len(EVENT_PREFIX) :]))
                color = event.color if event else ""
            options.append((radio, color))
        return options

    @property
    def image_preview(self) -> str:
        # Only a validated URL reaches the page's <img>: never what was typed as is.
        cleaned = getattr(self, "cleaned_data", {})
        url = cleaned.get("img") if self.is_bound else self.initial.get("img")
        return url or static(PLACEHOLDER_IMAGE)

    # --- cleaning ----------------------------------------------------------------------------

    def clean_date(self) -> datetime.datetime:
        return self.cleaned_data["date"].replace(second=0, microsecond=0)

    def clean_restriction_tags(self) -> str:
        # Trimming only shortens the text: the field's 255 characters still hold.
        tags = [tag.strip() for tag in self.cleaned_data["restriction_tags"].split(",")]
        return ", ".join(tag for tag in tags if tag)

    def clean_img(self) -> str:
        return normalise_image_url(self.cleaned_data["img"])

    def clean_action(self) -> str:
        return self.cleaned_data["action"] or DRAFT

    def clean(self) -> dict:
        cleaned = super().clean()
        game_type = cleaned.get("type")
        self.special_event = None
        if game_type and game_type.startswith(EVENT_PREFIX):
            self.special_event = self._events[int(game_type[len(EVENT_PREFIX) :])]
            cleaned["type"] = GameType.ONESHOT
        return cleaned

    def _post_clean(self) -> None:
        # Fields that are not model fields become the game's JSON values and event before the
        # model validates itself.
        cleaned = self.cleaned_data
        if "type" in cleaned:
            self.instance.special_event = self.special_event
        if all(f"class-{key}" in cleaned for key in CLASSIFICATION_KEYS):
            self.instance.classification = {
                key: cleaned[f"class-{key}"] for key in CLASSIFICATION_KEYS
            }
        self.instance.ambience = [value for value in Ambience.values if cleaned.get(value)]
        super()._post_clean()


class PublishIntentForm(forms.Form):
    """`?action=` on the edit page: the publication waiting for a past-date confirmation."""

    action = forms.ChoiceField(choices=[(OPEN, OPEN), (OPEN_SILENT, OPEN_SILENT)])


# The status form's values that publish: announced, or silently.
PUBLISH_STATUSES = ("publish", OPEN_SILENT)


class GameStatusForm(forms.Form):
    """`status` is an action of the transition table (`games.models.REQUESTED_ACTIONS`)."""

    status = forms.ChoiceField(choices=[(action, action) for action in REQUESTED_ACTIONS])
    award_trophies = forms.BooleanField(required=False)
    confirm_past_date = forms.BooleanField(required=False)


# --- the game page's actions ---------------------------------------------------------------

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
INVALID_SESSION_DATES = _(
    "Invalid session dates: the end must follow the start and a session cannot last more "
    "than 24 hours."
)
UNHANDLED_ACTION = _("Unhandled action.")
PICK_A_MEMBER = _("Choose someone in the list or enter a Discord id.")


class ErrorTextMixin:
    """One line of text for a toast or a flash: every distinct error, in field order."""

    def error_text(self) -> str:
        seen: list[str] = []
        for errors in self.errors.values():
            for message in errors:
                if message not in seen:
                    seen.append(message)
        return " ".join(seen)


class RegisterForm(ErrorTextMixin, forms.Form):
    # Replaces the original's 10-second countdown: registering is a commitment, say so.
    confirm = forms.BooleanField(
        label=_("I have read the announcement and I am available on the dates given"),
        error_messages={
            "required": _(
                "Tick the box to confirm that you have read the announcement and are available "
                "on the dates given."
            )
        },
    )


class LeaveForm(ErrorTextMixin, forms.Form):
    """Leaving is a single button: nothing to fill in."""


class DeleteSessionForm(ErrorTextMixin, forms.Form):
    """Deleting a session is a single button: nothing to fill in."""


class ManageActionForm(ErrorTextMixin, forms.Form):
    action = forms.ChoiceField(
        choices=[("manage", "manage"), ("add", "add"), ("select", "select")],
        error_messages={"required": UNHANDLED_ACTION, "invalid_choice": UNHANDLED_ACTION},
    )


class DiscordIdListField(forms.Field):
    """A list of Discord ids from checkboxes sharing one name."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [str(item).strip() for item in value]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if any(not is_snowflake(item) for item in value):
            raise forms.ValidationError(PICK_A_MEMBER, code="invalid")


class KeepPlayersForm(ErrorTextMixin, forms.Form):
    """`players`: the ids to keep. `listed`: the ids the form showed; only they can be removed,
    so someone who joined after the GM opened the page is not dropped unseen. Without `listed`
    (the original's form), everyone not kept is removed."""

    players = DiscordIdListField(required=False)
    listed = DiscordIdListField(required=False, widget=forms.MultipleHiddenInput)


class DiscordIdForm(ErrorTextMixin, forms.Form):
    """A Discord id typed or pasted (a leading @ is tolerated), or picked from the typeahead."""

    discord_id = forms.CharField(error_messages={"required": _("Discord id missing.")})

    def clean_discord_id(self) -> str:
        value = self.cleaned_data["discord_id"].strip().lstrip("@")
        if not is_snowflake(value):
            raise forms.ValidationError(PICK_A_MEMBER, code="invalid")
        return value


class SessionForm(ErrorTextMixin, forms.Form):
    """Start and end as `datetime-local` values, read in the club time zone."""

    date_start = forms.DateTimeField(
        label=_("Start"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={"required": INVALID_SESSION_DATES, "invalid": INVALID_SESSION_DATES},
    )
    date_end = forms.DateTimeField(
        label=_("End"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={"required": INVALID_SESSION_DATES, "invalid": INVALID_SESSION_DATES},
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_start"), cleaned.get("date_end")
        if start and end:
            # Minutes only, as the original: seconds typed by hand are dropped.
            start = start.replace(second=0, microsecond=0)
            end = end.replace(second=0, microsecond=0)
            if end <= start or end - start > datetime.timedelta(hours=MAX_SESSION_HOURS):
                raise forms.ValidationError(INVALID_SESSION_DATES, code="invalid_range")
            cleaned["date_start"], cleaned["date_end"] = start, end
        return cleaned


class NotifyForm(ErrorTextMixin, forms.Form):
    message = forms.CharField(
        label=_("Your message:"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("The notification message is empty.")},
    )


class ReportForm(ErrorTextMixin, forms.Form):
    message = forms.CharField(
        label=_("Describe what happened:"),
        error_messages={"required": _("Say what the problem is.")},
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("Describe the situation…")}),
    )


class MemberSearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False)

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip().lstrip("@")


class AttendanceForm(ErrorTextMixin, forms.Form):
    """`present`: the Discord ids of the players who came (one checkbox each); unticked players
    of the roll are marked absent."""

    present = DiscordIdListField(required=False)

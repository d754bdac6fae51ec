"""Forms of the game page's actions: registration, player management, sessions, messages.

Field names are the original's (the URL contract): `players`, `discord_id`, `action`,
`date_start`, `date_end`, `message`.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from games.models import MAX_SESSION_HOURS
from questmaster.discord.validators import is_snowflake

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
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("Describe the situation…")}),
    )


class MemberSearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False)

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip().lstrip("@")

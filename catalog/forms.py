"""Forms of the back office: the Discord message composer (a form and two formsets)."""

from __future__ import annotations

import re
import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.forms.formsets import DELETION_FIELD_NAME, TOTAL_FORM_COUNT
from django.utils.translation import gettext_lazy as _

from catalog.discord_messages import DEFAULT_EMBED_COLOR, embed_payload
from catalog.models import (
    BUTTON_LABEL_LIMIT,
    EMBED_FIELD_LIMITS,
    MAX_BUTTONS,
    MAX_CONTENT_LENGTH,
    MAX_EMBEDS,
    DiscordMessage,
    PostChannel,
)
from questmaster.discord import naming
from questmaster.discord.validators import HEX_COLOR_PATTERN, validate_hex_color

EMBED_TEXT_FIELDS = ("title", "description", "footer", "image_url")
NONCE_LENGTH = 16  # hex characters; Discord accepts nonces of up to 25

_http_url = URLValidator(schemes=["http", "https"])


def _is_http(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def validate_image_url(value: str) -> None:
    if not _is_http(value):
        raise ValidationError(_("An image URL must start with http:// or https://."))
    _http_url(value)


def validate_button_url(value: str) -> None:
    if not _is_http(value):
        raise ValidationError(_("A button URL must start with http:// or https://."))
    _http_url(value)


class DiscordMessageForm(forms.Form):
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=PostChannel.objects.all(),
        error_messages={"invalid_choice": _("Unknown or unconfigured channel.")},
    )
    content = forms.CharField(
        label=_("Content (optional with an embed)"),
        max_length=MAX_CONTENT_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    # One per rendered form: Discord answers a double submit with the message already posted.
    nonce = forms.CharField(required=False, max_length=25, widget=forms.HiddenInput)


class EmbedForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=EMBED_FIELD_LIMITS["title"], required=False
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=EMBED_FIELD_LIMITS["description"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    color = forms.CharField(
        label=_("Colour"),
        initial=DEFAULT_EMBED_COLOR,
        required=False,
        validators=[validate_hex_color],
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    footer = forms.CharField(
        label=_("Footer (optional)"), max_length=EMBED_FIELD_LIMITS["footer"], required=False
    )
    image_url = forms.CharField(
        label=_("Image (URL, optional)"),
        max_length=EMBED_FIELD_LIMITS["image_url"],
        required=False,
        validators=[validate_image_url],
    )

    def is_blank(self) -> bool:
        # A colour alone does not make an embed.
        return not any(self.cleaned_data.get(name) for name in EMBED_TEXT_FIELDS)

    def embed(self) -> dict:
        embed = {name: self.cleaned_data.get(name) or "" for name in EMBED_TEXT_FIELDS}
        embed["color"] = (self.cleaned_data.get("color") or DEFAULT_EMBED_COLOR).lower()
        return embed


class ButtonForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=BUTTON_LABEL_LIMIT,
        required=False,
        error_messages={"max_length": _("A button label must be at most 80 characters.")},
    )
    url = forms.CharField(label=_("URL"), required=False, validators=[validate_button_url])

    def clean(self):
        cleaned_data = super().clean()
        # A half-filled row is a mistake; a blank one is ignored.
        has_label = bool(cleaned_data.get("label")) or self.has_error("label")
        has_url = bool(cleaned_data.get("url")) or self.has_error("url")
        if has_label and not has_url:
            self.add_error("url", _("A button must have a URL."))
        if has_url and not has_label:
            self.add_error("label", _("A button must have a label."))
        return cleaned_data

    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("label") or self.cleaned_data.get("url"))

    def button(self) -> dict:
        return {"label": self.cleaned_data["label"], "url": self.cleaned_data["url"]}


class ComposerFormSet(forms.BaseFormSet):
    def kept_forms(self) -> list[forms.Form]:
        """The rows that make the message: neither blank nor marked for deletion."""
        return [
            form
            for form in self.forms
            if form.is_valid()
            and not form.cleaned_data.get(DELETION_FIELD_NAME)
            and not form.is_blank()
        ]


class BaseEmbedFormSet(ComposerFormSet):
    default_error_messages = {"too_many_forms": _("A message can have at most 10 embeds.")}

    def clean(self):
        if any(self.errors):
            return
        payloads = [embed_payload(embed) for embed in self.embeds()]
        if naming.embeds_length(payloads) > naming.EMBEDS_TOTAL_MAX:
            raise ValidationError(
                _("The embeds of a message can hold at most 6000 characters in total."),
                code="too_long",
            )

    def embeds(self) -> list[dict]:
        return [form.embed() for form in self.kept_forms()]


class BaseButtonFormSet(ComposerFormSet):
    default_error_messages = {"too_many_forms": _("A message can have at most 5 buttons.")}

    def buttons(self) -> list[dict]:
        return [form.button() for form in self.kept_forms()]


# `absolute_max` = `max_num`: more rows than Discord allows is an error, not a silent cut.
EmbedFormSet = forms.formset_factory(
    EmbedForm,
    formset=BaseEmbedFormSet,
    extra=1,
    max_num=MAX_EMBEDS,
    absolute_max=MAX_EMBEDS,
    can_delete=True,
)
ButtonFormSet = forms.formset_factory(
    ButtonForm,
    formset=BaseButtonFormSet,
    extra=1,
    max_num=MAX_BUTTONS,
    absolute_max=MAX_BUTTONS,
    can_delete=True,
)


def with_extra_row(data, prefix: str, *, max_num: int, row: dict | None = None):
    """A copy of the submitted data with one more (blank) row in the formset `prefix`."""
    data = data.copy()
    key = f"{prefix}-{TOTAL_FORM_COUNT}"
    try:
        total = int(data.get(key, ""))
    except ValueError:
        return data
    if 0 <= total < max_num:
        data[key] = str(total + 1)
        for name, value in (row or {}).items():
            data[f"{prefix}-{total}-{name}"] = value
    return data


def _raw(form: forms.Form, name: str) -> str:
    value = form[name].value()
    return value.strip() if isinstance(value, str) else ""


def _is_deleted(form: forms.Form) -> bool:
    return DELETION_FIELD_NAME in form.fields and bool(form[DELETION_FIELD_NAME].value())


class MessageComposer:
    """The message form and its embed and button formsets, validated and read as one."""

    def __init__(self, data=None, *, message: DiscordMessage | None = None) -> None:
        initial = {"nonce": secrets.token_hex(NONCE_LENGTH // 2)}
        if message is not None:
            initial |= {"channel": message.channel_id, "content": message.content}
        self.form = DiscordMessageForm(data, initial=initial)
        if message is not None:
            self.form.fields["channel"].help_text = _(
                "Changing the channel posts the message again in the new channel and deletes "
                "the old one."
            )
        self.embeds = EmbedFormSet(
            data, prefix="embeds", initial=message.embeds if message else None
        )
        self.buttons = ButtonFormSet(
            data, prefix="buttons", initial=message.buttons if message else None
        )

    @property
    def is_bound(self) -> bool:
        return self.form.is_bound

    @property
    def formsets(self) -> list[forms.BaseFormSet]:
        return [self.embeds, self.buttons]

    @property
    def media(self) -> forms.Media:
        return self.form.media + self.embeds.media + self.buttons.media

    def is_valid(self) -> bool:
        # A list, not a generator: every part is validated, so every error shows at once.
        if not all([self.form.is_valid(), self.embeds.is_valid(), self.buttons.is_valid()]):
            return False
        if not self.form.cleaned_data["content"] and not self.embeds.embeds():
            self.form.add_error(
                None,
                ValidationError(
                    _("A message must have content or at least one embed."), code="empty"
                ),
            )
            return False
        return True

    def cleaned_message(self) -> dict:
        """The message to send, once `is_valid()`."""
        data = self.form.cleaned_data
        return {
            "channel": data["channel"],
            "content": data["content"],
            "embeds": self.embeds.embeds(),
            "buttons": self.buttons.buttons(),
            "nonce": data["nonce"] or None,
        }

    def preview(self) -> dict:
        """What the message looks like, from the values typed so far (valid or not)."""
        embeds = []
        for form in self.embeds.forms:
            values = {name: _raw(form, name) for name in (*EMBED_TEXT_FIELDS, "color")}
            if _is_deleted(form) or not any(values[name] for name in EMBED_TEXT_FIELDS):
                continue
            if not re.fullmatch(HEX_COLOR_PATTERN, values["color"]):
                values["color"] = DEFAULT_EMBED_COLOR
            if not _is_http(values["image_url"]):
                values["image_url"] = ""
            embeds.append(values)
        buttons = []
        for form in self.buttons.forms:
            label, url = _raw(form, "label"), _raw(form, "url")
            if not _is_deleted(form) and (label or url):
                buttons.append({"label": label, "url": url if _is_http(url) else ""})
        content = _raw(self.form, "content")
        return {
            "content": content,
            "embeds": embeds,
            "buttons": buttons,
            "is_empty": not (content or embeds or buttons),
        }

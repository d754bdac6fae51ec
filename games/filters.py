"""The filter form of the game lists (`/annonces/` and its variants).

Filters are GET query parameters, so a filtered list is a link (back button, bookmarks, Discord).
Checkbox groups are repeated parameters (`?status=open&status=closed`); the original's presence
flags (`?open=on&closed=on`) are still understood. A group with no known value falls back to the
page's default. Values nobody can choose (forged or outdated links) are dropped, never an error:
the list still renders and says politely that part of the request was ignored.
"""

from __future__ import annotations

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import GameType, System, Vtt
from games.models import GameQuerySet, GameStatus, Restriction

STATUS_CHOICES = [
    (GameStatus.OPEN, pgettext_lazy("game list filter", "Open")),
    (GameStatus.CLOSED, pgettext_lazy("game list filter", "Closed")),
    (GameStatus.ARCHIVED, pgettext_lazy("game list filter", "Archived")),
    (GameStatus.DRAFT, pgettext_lazy("game list filter", "Drafts")),
]
TYPE_CHOICES = [
    (GameType.ONESHOT, _("One-shots")),
    (GameType.CAMPAIGN, _("Campaigns")),
]
RESTRICTION_CHOICES = [
    (Restriction.ALL, _("All audiences")),
    (Restriction.SIXTEEN, "16+"),
    (Restriction.EIGHTEEN, "18+"),
]
# The checkbox groups, in the order of the form.
CHOICE_GROUPS = ("type", "status", "restriction")
ALL_LABEL = pgettext_lazy("game list filter", "All")
ALL_STATUSES = [GameStatus.OPEN, GameStatus.CLOSED, GameStatus.ARCHIVED, GameStatus.DRAFT]


class GameFilterForm(forms.Form):
    name = forms.CharField(label=_("Game name"), max_length=100, required=False)
    system = forms.ModelChoiceField(
        label=_("System"), queryset=System.objects.all(), required=False, empty_label=ALL_LABEL
    )
    vtt = forms.ModelChoiceField(
        label=_("VTT"), queryset=Vtt.objects.all(), required=False, empty_label=ALL_LABEL
    )
    type = forms.MultipleChoiceField(
        label=_("Type"), choices=TYPE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=STATUS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    restriction = forms.MultipleChoiceField(
        label=_("Audience"),
        choices=RESTRICTION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, query: QueryDict, *, defaults: dict[str, list[str]], drafts: bool):
        """`defaults` maps a checkbox group to its values when the query names none of them
        (a group without default means all its values); `drafts` offers the "Drafts" box (GMs
        and staff: nobody else has a draft to see)."""
        super().__init__(query.copy())
        if not drafts:
            self.fields["status"].choices = [
                choice for choice in STATUS_CHOICES if choice[0] != GameStatus.DRAFT
            ]
        self.active = any(key != "page" and any(query.getlist(key)) for key in query)
        self.refused = False
        for group in CHOICE_GROUPS:
            field = self.fields[group]
            choices = [value for value, _label in field.choices]
            asked = [value for value in query.getlist(group) if value]
            if not asked:  # the original's presence flags: ?open=on
                asked = [value for value in choices if query.get(value)]
            known = [value for value in dict.fromkeys(asked) if value in choices]
            self.refused |= len(known) < len(set(asked))
            # Bound data drives the checkboxes: an empty group shows (and uses) its default.
            default = [value for value in defaults.get(group, choices) if value in choices]
            self.data.setlist(group, known or default)
        self.is_valid()

    def add_error(self, field, error):
        """An unknown system or VTT, a garbage page or an absurd name is ignored like a forged
        checkbox: dropped from the filters (and from the form shown again), never an error."""
        if field != "page":
            self.refused = True
        self.data.pop(field, None)

    @property
    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1

    def filter_games(self, games: GameQuerySet) -> GameQuerySet:
        values = self.cleaned_data
        games = games.filter(status__in=values["status"])
        if len(values["type"]) < len(TYPE_CHOICES):
            games = games.filter(type__in=values["type"])
        if len(values["restriction"]) < len(RESTRICTION_CHOICES):
            games = games.filter(restriction__in=values["restriction"])
        if values.get("name"):
            games = games.filter(name__icontains=values["name"])
        if values.get("system"):
            games = games.filter(system=values["system"])
        if values.get("vtt"):
            games = games.filter(vtt=values["vtt"])
        return games

"""The club's statistics page: global figures and the monthly report (`?year=&month=`)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from games.statistics import club

YEAR_ERROR = format_lazy(
    _("The year must be a whole number from {first} to {last}."),
    first=club.MIN_YEAR,
    last=club.MAX_YEAR,
)
MONTH_ERROR = _("The month must be a whole number from 1 to 12.")


class MonthForm(forms.Form):
    """The month of the report: both fields, or neither (the current month, club time)."""

    year = forms.IntegerField(
        required=False,
        min_value=club.MIN_YEAR,
        max_value=club.MAX_YEAR,
        error_messages={
            "invalid": YEAR_ERROR,
            "min_value": YEAR_ERROR,
            "max_value": YEAR_ERROR,
        },
    )
    month = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=12,
        error_messages={
            "invalid": MONTH_ERROR,
            "min_value": MONTH_ERROR,
            "max_value": MONTH_ERROR,
        },
    )

    def clean(self):
        cleaned = super().clean()
        year, month = cleaned.get("year"), cleaned.get("month")
        if not self.errors and (year is None) != (month is None):
            raise forms.ValidationError(
                _("Give both the year and the month of the report, or neither.")
            )
        return cleaned

    def chosen_month(self) -> tuple[int, int]:
        """The month asked for when the form is valid, else the current one."""
        if self.is_valid() and self.cleaned_data["year"] is not None:
            return self.cleaned_data["year"], self.cleaned_data["month"]
        return club.current_month()

    def problems(self) -> list[str]:
        """One message per problem, without repeating the same one for both fields."""
        messages = []
        for errors in self.errors.values():
            messages.extend(message for message in errors if message not in messages)
        return messages


def _month_url(month: tuple[int, int] | None) -> str:
    if month is None:
        return ""
    year, number = month
    return f"{reverse('stats:index')}?{urlencode({'year': year, 'month': number})}"


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    form = MonthForm(request.GET)
    report = club.monthly_report(*form.chosen_month())
    context = {
        "report": report,
        "problems": form.problems(),
        "previous_url": _month_url(report.previous),
        "next_url": _month_url(report.next),
    }
    status = 400 if form.errors else 200
    if request.htmx:
        return render(request, "games/stats.html#report", context, status=status)
    context |= {"overview": club.club_overview(), "catalogue": club.catalogue()}
    return render(request, "games/stats.html", context, status=status)

from django import forms
from django.utils.translation import gettext_lazy as _

from questmaster.discord.validators import validate_snowflake

MEMBER_SEARCH_MIN_LENGTH = 2
MEMBER_SEARCH_LIMIT = 10


class BadgeOwnerForm(forms.Form):
    """Whose badges `/badges/` shows: `user_id` is a Discord id, as in the original's links;
    `q` is what was typed in the search field (a name or a Discord id) when no member was
    picked from the suggestions (no JavaScript)."""

    user_id = forms.CharField(
        required=False,
        max_length=21,
        validators=[validate_snowflake],
        error_messages={"max_length": _("A Discord id is a number of 17 to 21 digits.")},
    )
    q = forms.CharField(required=False, max_length=100, strip=True)


class MemberSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, strip=True)

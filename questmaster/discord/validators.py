"""Validators for values that travel to Discord: snowflake ids and colours."""

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

SNOWFLAKE_PATTERN = r"^\d{17,21}$"
HEX_COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"

validate_snowflake = RegexValidator(
    SNOWFLAKE_PATTERN,
    _("A Discord id is a number of 17 to 21 digits."),
    code="invalid_snowflake",
)

validate_hex_color = RegexValidator(
    HEX_COLOR_PATTERN,
    _("Enter a colour in the #rrggbb format, for example #198754."),
    code="invalid_color",
)


def is_snowflake(value: str) -> bool:
    return bool(re.fullmatch(SNOWFLAKE_PATTERN, value or ""))


def color_to_int(value: str) -> int:
    """Discord embeds and roles take colours as integers."""
    return int(value.lstrip("#"), 16)

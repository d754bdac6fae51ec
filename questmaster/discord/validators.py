"""Validators for values that travel to Discord: snowflake ids and colours."""

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# [0-9] (not \d, which takes any Unicode digit) and \Z (not $, which allows a final newline);
# the same pattern also drives database check constraints, in Python and PostgreSQL alike.
SNOWFLAKE_PATTERN = r"^[0-9]{17,21}\Z"
HEX_COLOR_PATTERN = r"^#[0-9a-fA-F]{6}\Z"

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

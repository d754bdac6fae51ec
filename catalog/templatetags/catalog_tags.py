"""Icons of reference data (systems, VTTs, badges): a static path or an absolute URL."""

from django import template
from django.templatetags.static import static

register = template.Library()


@register.filter
def icon_url(icon: str) -> str:
    if not icon or icon.startswith(("https://", "http://", "/")):
        return icon
    try:
        return static(icon)
    except ValueError:  # missing from the collected static files
        return ""

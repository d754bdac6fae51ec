"""Charts drawn on the server as inline SVG: no chart library, no script. Each bar carries its
value as text, so a chart reads without colour; a screen reader gets the title and a table."""

from django import template

register = template.Library()

WIDTH, HEIGHT = 600, 220
TOP, BOTTOM, LEFT = 24, 36, 8


@register.inclusion_tag("games/charts/bar_chart.html")
def bar_chart(series, title: str, unit: str = ""):
    """Vertical bars for `series`, a list of (label, value) pairs (e.g. the 12-month rhythm)."""
    series = [(str(label), value or 0) for label, value in series]
    peak = max((value for _label, value in series), default=0) or 1
    slot = (WIDTH - LEFT) / max(len(series), 1)
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for index, (label, value) in enumerate(series):
        height = round(plot * value / peak, 1)
        x = round(LEFT + index * slot + slot * 0.15, 1)
        bars.append(
            {
                "label": label,
                "value": value,
                "x": x,
                "y": round(TOP + plot - height, 1),
                "width": round(slot * 0.7, 1),
                "height": height,
                "center": round(x + slot * 0.35, 1),
                "value_y": round(TOP + plot - height - 6, 1),
            }
        )
    return {
        "title": title,
        "unit": unit,
        "bars": bars,
        "width": WIDTH,
        "height": HEIGHT,
        "baseline": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 16,
    }

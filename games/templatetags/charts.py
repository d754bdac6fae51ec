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


@register.inclusion_tag("games/charts/share_bar.html")
def share_bar(title: str, first_label: str, first_share: int, second_label: str):
    """One horizontal bar split in two parts, e.g. one-shots vs campaigns: `first_share` is a
    whole percentage, the rest goes to the second part. Each part is named with its share in
    the legend, so the bar reads without colour."""
    first = min(max(int(first_share or 0), 0), 100)
    return {
        "title": title,
        "parts": [
            {"label": first_label, "share": first, "x": 0, "key": "first"},
            {"label": second_label, "share": 100 - first, "x": first, "key": "second"},
        ],
    }

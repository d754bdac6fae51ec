"""The server-drawn SVG charts."""

from django.template import Context, Template
from django.utils import translation


def render(series) -> str:
    template = Template("{% load charts %}{% bar_chart series 'Rythme' 'sessions' %}")
    with translation.override("fr"):
        return template.render(Context({"series": series}))


def test_bars_carry_their_values_as_text_and_scale_to_the_peak():
    svg = render([("01/26", 2), ("02/26", 4), ("03/26", 0)])

    assert svg.count('class="chart-bar"') == 3
    assert '<text x="' in svg and ">4</text>" in svg and ">0</text>" in svg
    assert '<title id="rythme-title">Rythme</title>' in svg
    # The highest bar fills the plot (160 px high); numbers never use a decimal comma.
    assert 'height="160.0"' in svg
    assert "," not in svg.split("<svg")[1].split("</svg>")[0].replace(", ", "")


def test_an_empty_series_draws_no_bar():
    svg = render([])

    assert 'class="chart-bar"' not in svg
    assert "Rythme" in svg


def render_share(first_share) -> str:
    template = Template("{% load charts %}{% share_bar 'Type' 'One Shot' first_share 'Campagne' %}")
    with translation.override("fr"):
        return template.render(Context({"first_share": first_share}))


def test_share_bar_names_both_parts_with_their_share():
    svg = render_share(33)

    assert 'aria-label="Type : One Shot 33 %, Campagne 67 %"' in svg
    assert '<rect x="0" y="0" width="33" height="12" class="share-part share-part-first" />' in svg
    assert (
        '<rect x="33" y="0" width="67" height="12" class="share-part share-part-second" />' in svg
    )
    assert "One Shot <strong>33 %</strong>" in svg
    assert "Campagne <strong>67 %</strong>" in svg


def test_share_bar_without_data_draws_no_part_and_clamps_bad_values():
    assert 'class="share-part share-part-first"' not in render_share(0)
    assert "Campagne <strong>100 %</strong>" in render_share(0)
    assert "One Shot <strong>100 %</strong>" in render_share(250)

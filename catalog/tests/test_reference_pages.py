"""`/systemes/` and `/vtts/`: public grids with their number of published games, linking to the
game list."""

from html import unescape

import pytest
from django.urls import reverse

from catalog.tests.factories import SystemFactory, VttFactory
from games.models import GameStatus
from games.tests.factories import GameFactory

pytestmark = pytest.mark.django_db

SYSTEMS = reverse("catalog:systems")
VTTS = reverse("catalog:vtts")


def page(response) -> str:
    return unescape(response.content.decode())


def test_systems_page_is_public_sorted_with_counts_of_published_games(client):
    cthulhu = SystemFactory(name="L'Appel de Cthulhu")
    dnd = SystemFactory(name="Donjons & Dragons 5e")
    SystemFactory(name="Zombicide")
    GameFactory(system=cthulhu)
    GameFactory(system=cthulhu, closed=True)
    GameFactory(system=cthulhu, archived=True)
    GameFactory(system=cthulhu, draft=True)
    GameFactory(system=dnd, status=GameStatus.DRAFT)

    response = client.get(SYSTEMS)

    assert response.status_code == 200
    counts = {item.name: item.game_count for item in response.context["items"]}
    assert counts == {"L'Appel de Cthulhu": 3, "Donjons & Dragons 5e": 0, "Zombicide": 0}
    html = page(response)
    assert "<h1>Systèmes</h1>" in html
    assert (
        html.index("Donjons & Dragons 5e")
        < html.index("L'Appel de Cthulhu")
        < html.index("Zombicide")
    )
    assert "3 annonces" in html and "0 annonce" in html


def test_system_card_links_to_the_game_list_with_the_same_games(client):
    cthulhu = SystemFactory(name="Cthulhu")
    GameFactory(system=cthulhu, name="Ouverte")
    GameFactory(system=cthulhu, name="Archivée", status=GameStatus.ARCHIVED)
    GameFactory(system=cthulhu, name="Brouillon secret", status=GameStatus.DRAFT)
    GameFactory(name="Autre système")

    link = f"/annonces/?system={cthulhu.pk}&amp;status=open&amp;status=closed&amp;status=archived"
    assert link in client.get(SYSTEMS).content.decode()

    listed = page(client.get(unescape(link)))
    assert "Ouverte" in listed and "Archivée" in listed
    assert "Brouillon secret" not in listed and "Autre système" not in listed


def test_vtts_page_counts_and_links_with_the_vtt_parameter(client):
    foundry = VttFactory(name="Foundry")
    VttFactory(name="Roll20")
    GameFactory(vtt=foundry)
    GameFactory(vtt=foundry, status=GameStatus.DRAFT)

    response = client.get(VTTS)

    counts = {item.name: item.game_count for item in response.context["items"]}
    assert counts == {"Foundry": 1, "Roll20": 0}
    html = page(response)
    assert "Virtual TableTops" in html and "1 annonce" in html
    assert f"/annonces/?vtt={foundry.pk}&status=open" in html


def test_reference_names_are_escaped(client):
    SystemFactory(name="<i>Italique</i>")

    html = client.get(SYSTEMS).content.decode()

    assert "&lt;i&gt;Italique&lt;/i&gt;" in html and "<i>Italique</i>" not in html


def test_empty_reference_page_says_so(client):
    assert "Rien ici pour l'instant." in page(client.get(VTTS))


@pytest.mark.parametrize(
    "url, factory, field", [(SYSTEMS, SystemFactory, "system"), (VTTS, VttFactory, "vtt")]
)
def test_reference_pages_are_one_query_whatever_the_rows(
    client, django_assert_num_queries, url, factory, field
):
    GameFactory(**{field: factory()})
    client.get(url)  # warms the menu's cache
    with django_assert_num_queries(1):
        client.get(url)
    for item in factory.create_batch(8):
        GameFactory.create_batch(2, **{field: item})
    with django_assert_num_queries(1):
        client.get(url)


def test_information_menu_is_on_every_page(client, player):
    anonymous = page(client.get(SYSTEMS))
    client.force_login(player)
    member = page(client.get(reverse("trophies:leaderboard")))

    for html in (anonymous, member):
        assert "<summary" in html and "Informations</summary>" in html
        for label, url in (
            ("Classement", reverse("trophies:leaderboard")),
            ("Statistiques", "/stats/"),
            ("Systèmes", SYSTEMS),
            ("Vtts", VTTS),
        ):
            assert f'href="{url}"' in html, label
    # Badges are for members.
    assert f'href="{reverse("trophies:mine")}"' not in anonymous
    assert f'href="{reverse("trophies:mine")}"' in member

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import ClubSettings
from games.models import RegistrationState
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_home_lists_open_games_only(client):
    GameFactory(name="Les Masques de Nyarlathotep")
    GameFactory(name="Brouillon secret", draft=True)
    GameFactory(name="Partie fermée", closed=True)

    response = client.get(reverse("home"))

    content = response.content.decode()
    assert "Les Masques de Nyarlathotep" in content
    assert "Brouillon secret" not in content
    assert "Partie fermée" not in content


def test_home_empty_state_in_french(client):
    response = client.get(reverse("home"))

    assert "Aucune annonce ouverte pour le moment." in response.content.decode()


def test_home_query_count_does_not_grow_with_games(client):
    ClubSettings.load()
    game = GameFactory()
    RegistrationFactory(game=game)
    _home_queries(client)  # fills the caches every page reads
    one = _home_queries(client)

    for _ in range(6):
        other = GameFactory()
        RegistrationFactory.create_batch(2, game=other)

    assert _home_queries(client) == one


def test_home_respects_dashboard_open_limit(client):
    settings = ClubSettings.load()
    settings.dashboard_open_limit = 2
    settings.save()
    GameFactory.create_batch(3)

    response = client.get(reverse("home"))

    assert len(response.context["games"]) == 2
    assert response.context["has_more"] is True


def test_home_counts_only_registered_players(client):
    game = GameFactory(party_size=4)
    RegistrationFactory(game=game)
    RegistrationFactory(game=game, state=RegistrationState.WAITLISTED)

    response = client.get(reverse("home"))

    assert response.context["games"][0].player_count == 1


def test_game_detail_shows_the_game(client):
    game = GameFactory(name="Le Trône de Fer")
    GameSessionFactory(game=game)
    RegistrationFactory(game=game, player__display_name="Bérénice")

    response = client.get(game.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert "Le Trône de Fer" in content
    assert "Bérénice" in content


def test_game_detail_escapes_user_text(client):
    game = GameFactory(name="<script>alert(1)</script>", description="<b>gras</b>")

    content = client.get(game.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&lt;b&gt;gras&lt;/b&gt;" in content


@pytest.mark.parametrize("viewer", [None, "outsider", "other_gm"])
def test_draft_is_404_for_others(client, request, viewer):
    game = GameFactory(draft=True)
    if viewer:
        client.force_login(request.getfixturevalue(viewer))

    response = client.get(game.get_absolute_url())

    assert response.status_code == 404


@pytest.mark.parametrize("viewer", ["gm", "staff"])
def test_draft_is_visible_to_its_gm_and_staff(client, request, gm, viewer):
    game = GameFactory(draft=True, gm=gm)
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(game.get_absolute_url())

    assert response.status_code == 200


def test_unknown_slug_is_404(client):
    assert client.get("/annonces/nexiste-pas/").status_code == 404


def test_game_page_shows_discord_work_to_its_gm_only(client, gm, outsider, settings):
    from games import services

    settings.DISCORD_OFFLINE = True
    game = GameFactory(gm=gm, draft=True)
    services.publish_game(game, actor=gm)

    client.force_login(gm)
    content = client.get(game.get_absolute_url()).content.decode()
    assert "Salon et rôle de la partie" in content
    assert "Mode hors ligne" in content

    client.force_login(outsider)
    assert "Salon et rôle de la partie" not in client.get(game.get_absolute_url()).content.decode()

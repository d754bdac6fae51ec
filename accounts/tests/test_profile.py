"""Member profiles (`/membres/<id>/`, signed-in members only) and the bio the member edits."""

import datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.tests.factories import SystemFactory
from games.models import Attendance, GameStatus, RegistrationState
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory
from trophies.tests.factories import TrophyFactory, UserTrophyFactory

pytestmark = pytest.mark.django_db


def profile_url(member: User) -> str:
    return reverse("accounts:profile", args=[member.pk])


def edit_url(member: User) -> str:
    return reverse("accounts:profile_edit", args=[member.pk])


def page(response) -> str:
    return unescape(response.content.decode())


def past_session(game, *, days: int = 3):
    start = timezone.now() - datetime.timedelta(days=days)
    return GameSessionFactory(game=game, start=start, end=start + datetime.timedelta(hours=3))


# --- the profile page -----------------------------------------------------------------------


def test_profile_needs_a_signed_in_member(client, gm):
    response = client.get(profile_url(gm))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_profile_of_an_unknown_member_is_404(client, player):
    client.force_login(player)

    assert client.get("/membres/987654/").status_code == 404
    assert client.get("/membres/abc/").status_code == 404


def test_profile_shows_games_run_and_played_published_only(client, player, gm, other_gm):
    GameFactory(gm=gm, name="Ma partie publiée")
    GameFactory(gm=gm, name="Mon brouillon", status=GameStatus.DRAFT)
    seated = GameFactory(gm=other_gm, name="Une place tenue")
    RegistrationFactory(game=seated, player=gm)
    attended = GameFactory(gm=other_gm, name="Venu sans place", status=GameStatus.ARCHIVED)
    Attendance.objects.create(session=past_session(attended), player=gm, present=True)
    waiting = GameFactory(gm=other_gm, name="Sur liste d'attente")
    RegistrationFactory(game=waiting, player=gm, state=RegistrationState.WAITLISTED)
    draft = GameFactory(gm=other_gm, name="Brouillon d'Odile", status=GameStatus.DRAFT)
    RegistrationFactory(game=draft, player=gm)
    client.force_login(player)

    response = client.get(profile_url(gm))

    assert [game.name for game in response.context["games_run"]] == ["Ma partie publiée"]
    assert {game.name for game in response.context["games_played"]} == {
        "Une place tenue",
        "Venu sans place",
    }
    html = page(response)
    assert "Gaston MJ" in html and "Parties menées" in html and "Parties jouées" in html
    assert "Ma partie publiée" in html and "Une place tenue" in html
    assert "Mon brouillon" not in html and "Brouillon d'Odile" not in html
    assert "Sur liste d'attente" not in html


def test_profile_favourite_systems_are_the_top_three_by_sessions_played(client, player, other_gm):
    systems = {name: SystemFactory(name=name) for name in ("Alpha", "Bêta", "Gamma", "Delta")}
    for name, sessions in (("Alpha", 1), ("Bêta", 3), ("Gamma", 2), ("Delta", 2)):
        game = GameFactory(gm=other_gm, system=systems[name])
        RegistrationFactory(game=game, player=player)
        for day in range(sessions):
            past_session(game, days=10 + day)
    # Not played: a session to come, and a session the player was marked absent from.
    upcoming = GameFactory(gm=other_gm, system=systems["Alpha"])
    RegistrationFactory(game=upcoming, player=player)
    GameSessionFactory(game=upcoming)
    missed = past_session(GameFactory(gm=other_gm, system=systems["Alpha"]))
    RegistrationFactory(game=missed.game, player=player)
    Attendance.objects.create(session=missed, player=player, present=False)
    client.force_login(player)

    response = client.get(profile_url(player))

    assert [
        (row["game__system__name"], row["sessions"]) for row in response.context["systems"]
    ] == [
        ("Bêta", 3),
        ("Delta", 2),
        ("Gamma", 2),
    ]
    assert "3 sessions" in page(response)


def test_profile_shows_badges_and_the_inactive_marker(client, player, gm):
    UserTrophyFactory(user=gm, trophy=TrophyFactory(name="Conteur"), quantity=7)
    gm.not_player_as_of = timezone.make_aware(datetime.datetime(2025, 3, 14, 12))
    gm.save()
    client.force_login(player)

    html = page(client.get(profile_url(gm)))

    assert "Conteur" in html and "×7" in html
    assert "Inactif depuis le 14/03/2025" in html


def test_profile_of_a_member_with_nothing(client, player):
    client.force_login(player)

    html = page(client.get(profile_url(player)))

    assert "Pas encore de présentation." in html
    assert "Aucune session jouée pour l'instant." in html
    assert "Ce·tte membre n'a pas encore de badge." in html
    assert "Modifier ma présentation" in html


def test_profile_bio_is_escaped_with_line_breaks_kept(client, player, gm):
    gm.bio = "Bonjour <script>alert('x')</script>\nMJ depuis 2010 & fier"
    gm.save()
    client.force_login(player)

    html = client.get(profile_url(gm)).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br>MJ depuis 2010 &amp; fier" in html
    # Only the member edits their bio.
    assert edit_url(gm) not in html


def test_profile_query_count_does_not_grow(client, player, other_gm, django_assert_num_queries):
    client.force_login(player)

    def add_games(count: int) -> None:
        for _index in range(count):
            played = GameFactory(gm=other_gm, system=SystemFactory())
            RegistrationFactory(game=played, player=player)
            past_session(played)
            GameFactory(gm=player)
            UserTrophyFactory(user=player)

    add_games(1)
    client.get(profile_url(player))  # warms the menu's cache
    with django_assert_num_queries(9) as one:
        client.get(profile_url(player))
    add_games(5)
    with django_assert_num_queries(len(one)):
        client.get(profile_url(player))


# --- editing the bio --------------------------------------------------------------------------


def test_member_edits_their_own_bio(client, player):
    client.force_login(player)

    form = client.get(edit_url(player))
    response = client.post(edit_url(player), {"bio": "Rôliste du dimanche.\nJ'aime Cthulhu."})

    assert form.status_code == 200 and "Modifier ma présentation" in page(form)
    assert response.status_code == 302 and response["Location"] == profile_url(player)
    player.refresh_from_db()
    assert player.bio == "Rôliste du dimanche.\nJ'aime Cthulhu."
    assert "Votre profil est enregistré." in page(client.get(profile_url(player)))


def test_bio_of_ten_thousand_characters_is_refused_in_french(client, player):
    player.bio = "Avant."
    player.save()
    client.force_login(player)

    response = client.post(edit_url(player), {"bio": "a" * 10_000})

    assert response.status_code == 200
    assert "Assurez-vous que cette valeur comporte au plus 1000 caractères" in page(response)
    player.refresh_from_db()
    assert player.bio == "Avant."


def test_bio_of_exactly_one_thousand_characters_is_accepted(client, player):
    client.force_login(player)

    client.post(edit_url(player), {"bio": "é" * 1000})

    player.refresh_from_db()
    assert player.bio == "é" * 1000


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_edit_url_is_403_and_changes_nothing(client, player, gm, method):
    gm.bio = "La mienne."
    gm.save()
    client.force_login(player)

    response = getattr(client, method)(edit_url(gm), {"bio": "Piratée"})

    assert response.status_code == 403
    gm.refresh_from_db()
    assert gm.bio == "La mienne."


def test_edit_url_of_an_unknown_member_is_404_and_anonymous_goes_to_sign_in(client, player):
    assert client.post(edit_url(player), {"bio": "x"})["Location"].startswith("/login/")
    client.force_login(player)

    assert client.get("/membres/987654/modifier/").status_code == 404


def test_staff_cannot_edit_a_members_bio_either(client, staff, player):
    client.force_login(staff)

    assert client.post(edit_url(player), {"bio": "x"}).status_code == 403


def test_members_names_link_to_their_profile_on_the_game_page(client, player, gm, outsider):
    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player=player)
    RegistrationFactory(game=game, player=outsider, state=RegistrationState.WAITLISTED)

    html = client.get(game.get_absolute_url()).content.decode()

    assert f'<a href="{profile_url(gm)}">Gaston MJ</a>' in html
    assert f'<a href="{profile_url(player)}">Paule Joueuse</a>' in html
    assert f'<a href="{profile_url(outsider)}">Octave</a>' in html


def test_the_menu_links_to_my_profile(client, player):
    client.force_login(player)

    assert f'href="{profile_url(player)}"' in client.get("/").content.decode()

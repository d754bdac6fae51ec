"""Status changes from the game page: every transition, every refusal, every persona."""

import datetime

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from games.models import ClosedReason, Game, GameStatus
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory
from questmaster.discord.models import DiscordEffect
from trophies.models import TROPHY_OS, TROPHY_OS_GM, Award, UserTrophy

pytestmark = pytest.mark.django_db

CHANNEL_ID = "123456789012345678"
MESSAGE_ID = "123456789012345679"


def status_url(game) -> str:
    return reverse("games:status", kwargs={"slug": game.slug})


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def effect_kinds(game=None) -> list[str]:
    effects = DiscordEffect.objects.all() if game is None else game.discord_effects.all()
    return list(effects.order_by("pk").values_list("kind", flat=True))


def refused(game) -> str:
    return f"Cette action n’est pas possible sur une annonce « {game} »."


@pytest.fixture
def open_game(gm):
    return GameFactory(gm=gm, name="Les Ombres", slug="les-ombres-par-gaston")


# --- who may change a status --------------------------------------------------------------------


def test_status_anonymous_is_sent_to_login(client, open_game):
    response = client.post(status_url(open_game), {"status": "closed"})

    assert response["Location"] == f"/login/?next={status_url(open_game)}"
    open_game.refresh_from_db()
    assert open_game.status == GameStatus.OPEN


@pytest.mark.parametrize("persona", ["player", "outsider", "other_gm"])
def test_status_refused_to_others(client, request, open_game, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(status_url(open_game), {"status": "closed"})

    assert response.status_code == 403
    open_game.refresh_from_db()
    assert open_game.status == GameStatus.OPEN
    assert open_game.events.count() == 0


@pytest.mark.parametrize("persona", ["player", "other_gm"])
def test_status_of_a_draft_is_hidden_from_others(client, request, gm, persona):
    draft = GameFactory(gm=gm, draft=True)
    client.force_login(request.getfixturevalue(persona))

    response = client.post(status_url(draft), {"status": "deleted"})

    assert response.status_code == 404
    assert Game.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("persona", ["gm", "staff"])
def test_status_allowed_to_the_gm_and_staff(client, request, open_game, persona):
    actor = request.getfixturevalue(persona)
    client.force_login(actor)

    response = client.post(status_url(open_game), {"status": "closed"})

    open_game.refresh_from_db()
    assert response["Location"] == open_game.get_absolute_url()
    assert (open_game.status, open_game.closed_reason) == (GameStatus.CLOSED, ClosedReason.MANUAL)
    assert open_game.events.get().actor == actor


def test_status_is_post_only(client, gm, open_game):
    client.force_login(gm)

    assert client.get(status_url(open_game)).status_code == 405


@pytest.mark.parametrize("name", ["editer", "cloner"])
def test_edit_and_clone_pages_exist_for_the_gm(client, gm, open_game, name):
    client.force_login(gm)

    assert client.get(f"{open_game.get_absolute_url()}{name}/").status_code == 200


# --- publish ------------------------------------------------------------------------------------


def test_publish_a_draft(client, gm):
    draft = GameFactory(gm=gm, draft=True)
    client.force_login(gm)

    response = client.post(status_url(draft), {"status": "publish"})

    draft.refresh_from_db()
    assert flashes(response) == [
        "Annonce enregistrée et publiée : mode hors ligne, rien n'a été envoyé à Discord."
    ]
    assert (draft.status, draft.closed_reason) == (GameStatus.OPEN, "")
    assert effect_kinds(draft) == ["setup_game", "announce"]
    assert draft.sessions.count() == 1


def test_publish_a_silently_opened_game_announces_it(client, gm):
    game = GameFactory(
        gm=gm,
        status=GameStatus.CLOSED,
        closed_reason=ClosedReason.SILENT,
        published_at=timezone.now(),
        discord_channel_id=CHANNEL_ID,
        date=timezone.now() - datetime.timedelta(days=3),
    )
    client.force_login(gm)

    response = client.post(status_url(game), {"status": "publish"})

    game.refresh_from_db()
    assert flashes(response) == [
        "Annonce enregistrée et publiée : mode hors ligne, rien n'a été envoyé à Discord."
    ]
    assert game.status == GameStatus.OPEN
    # Already set up: only the announcement, and no past-date question.
    assert effect_kinds(game) == ["announce"]
    assert game.sessions.count() == 0


def test_publish_twice_is_refused(client, gm, open_game):
    client.force_login(gm)

    response = client.post(status_url(open_game), {"status": "publish"})

    open_game.refresh_from_db()
    assert response["Location"] == open_game.get_absolute_url()
    assert flashes(response) == [refused("ouverte")]
    assert open_game.status == GameStatus.OPEN
    assert effect_kinds(open_game) == []
    assert open_game.events.count() == 0


def test_publish_a_draft_with_a_past_date_asks_for_confirmation(client, gm):
    draft = GameFactory(gm=gm, draft=True, date=timezone.now() - datetime.timedelta(days=1))
    client.force_login(gm)

    response = client.post(status_url(draft), {"status": "publish"})

    draft.refresh_from_db()
    assert draft.status == GameStatus.DRAFT
    assert response["Location"] == reverse("games:edit", kwargs={"slug": draft.slug}) + (
        "?action=open"
    )
    assert flashes(response) == [
        "La date de la partie est dans le passé : la première session serait créée dans le "
        "passé. Modifiez la date ou confirmez la publication."
    ]


def test_publish_a_draft_with_a_confirmed_past_date(client, gm):
    draft = GameFactory(gm=gm, draft=True, date=timezone.now() - datetime.timedelta(days=1))
    client.force_login(gm)

    client.post(status_url(draft), {"status": "publish", "confirm_past_date": "1"})

    draft.refresh_from_db()
    assert draft.status == GameStatus.OPEN


def test_publish_a_full_silent_game_is_refused(client, gm):
    game = GameFactory(
        gm=gm,
        status=GameStatus.CLOSED,
        closed_reason=ClosedReason.SILENT,
        published_at=timezone.now(),
        party_size=1,
    )
    RegistrationFactory(game=game)
    client.force_login(gm)

    response = client.post(status_url(game), {"status": "publish"})

    game.refresh_from_db()
    assert flashes(response) == ["Impossible de publier une partie complète."]
    assert game.status == GameStatus.CLOSED


# --- close / reopen -----------------------------------------------------------------------------


def test_close_an_open_game(client, gm, open_game):
    open_game.discord_message_id = MESSAGE_ID
    open_game.save()
    client.force_login(gm)

    response = client.post(status_url(open_game), {"status": "closed"})

    open_game.refresh_from_db()
    assert flashes(response) == ["Annonce Les Ombres fermée."]
    assert open_game.status == GameStatus.CLOSED
    assert effect_kinds(open_game) == ["refresh_announcement"]


def test_close_a_draft_is_refused(client, gm):
    draft = GameFactory(gm=gm, draft=True)
    client.force_login(gm)

    response = client.post(status_url(draft), {"status": "closed"})

    draft.refresh_from_db()
    assert flashes(response) == [refused("brouillon")]
    assert draft.status == GameStatus.DRAFT


def test_reopen_a_closed_game(client, gm):
    game = GameFactory(gm=gm, name="Les Ombres", closed=True)
    client.force_login(gm)

    response = client.post(status_url(game), {"status": "open"})

    game.refresh_from_db()
    assert flashes(response) == ["Annonce Les Ombres ouverte."]
    assert (game.status, game.closed_reason) == (GameStatus.OPEN, "")


def test_reopen_a_silently_opened_game_is_refused(client, gm):
    game = GameFactory(gm=gm, status=GameStatus.CLOSED, closed_reason=ClosedReason.SILENT)
    client.force_login(gm)

    response = client.post(status_url(game), {"status": "open"})

    game.refresh_from_db()
    assert flashes(response) == [
        "Cette annonce a été ouverte sans annonce publique : publiez-la pour l’ouvrir."
    ]
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.SILENT)


def test_reopen_an_archived_game_is_refused(client, gm):
    game = GameFactory(gm=gm, archived=True)
    client.force_login(gm)

    response = client.post(status_url(game), {"status": "open"})

    game.refresh_from_db()
    assert flashes(response) == [refused("archivée")]
    assert game.status == GameStatus.ARCHIVED


def test_reopen_a_full_game_is_refused(client, gm):
    game = GameFactory(gm=gm, closed=True, party_size=1)
    RegistrationFactory(game=game)
    client.force_login(gm)

    response = client.post(status_url(game), {"status": "open"})

    game.refresh_from_db()
    assert flashes(response) == ["La partie est complète."]
    assert game.status == GameStatus.CLOSED


# --- archive ------------------------------------------------------------------------------------


def played(game, *, days_ago: int = 2):
    """A session of `game` that ended `days_ago` days ago."""
    end = timezone.now() - datetime.timedelta(days=days_ago)
    return GameSessionFactory(game=game, start=end - datetime.timedelta(hours=3), end=end)


def test_archive_with_badges(client, gm, open_game, reserved_trophies):
    registration = RegistrationFactory(
        game=open_game, created_at=timezone.now() - datetime.timedelta(days=5)
    )
    played(open_game)
    open_game.discord_channel_id = CHANNEL_ID
    open_game.save()
    client.force_login(gm)

    response = client.post(status_url(open_game), {"status": "archived", "award_trophies": "on"})

    open_game.refresh_from_db()
    assert response["Location"] == open_game.get_absolute_url()
    assert flashes(response) == ["Annonce Les Ombres archivée."]
    assert open_game.status == GameStatus.ARCHIVED
    assert UserTrophy.objects.get(user=gm).trophy_id == TROPHY_OS_GM
    assert UserTrophy.objects.get(user=registration.player).trophy_id == TROPHY_OS
    cleanup = open_game.discord_effects.get()
    assert (cleanup.kind, cleanup.payload["channel_id"]) == ("cleanup_game", CHANNEL_ID)


def test_archive_without_badges(client, gm, open_game, reserved_trophies):
    RegistrationFactory(game=open_game)
    client.force_login(gm)

    client.post(status_url(open_game), {"status": "archived"})

    open_game.refresh_from_db()
    assert open_game.status == GameStatus.ARCHIVED
    assert UserTrophy.objects.count() == 0


def test_archive_a_draft_is_refused(client, gm):
    draft = GameFactory(gm=gm, draft=True)
    client.force_login(gm)

    response = client.post(status_url(draft), {"status": "archived"})

    draft.refresh_from_db()
    assert flashes(response) == [refused("brouillon")]
    assert draft.status == GameStatus.DRAFT


def test_archive_twice_awards_badges_once(client, gm, open_game, reserved_trophies):
    played(open_game)
    client.force_login(gm)

    client.post(status_url(open_game), {"status": "archived", "award_trophies": "on"})
    response = client.post(status_url(open_game), {"status": "archived", "award_trophies": "on"})

    assert flashes(response)[-1] == refused("archivée")
    assert UserTrophy.objects.get(user=gm).quantity == 1
    assert Award.objects.filter(game=open_game).count() == 1


def test_badges_cannot_be_farmed_without_a_played_session(client, gm, player, reserved_trophies):
    """Create → publish → add anyone → archive gave both a badge in four requests."""
    game = GameFactory(gm=gm, draft=True, date=timezone.now() + datetime.timedelta(days=3))
    client.force_login(gm)
    client.post(status_url(game), {"status": "publish"})
    client.post(
        reverse("games:manage", args=[game.slug]),
        {"action": "add", "discord_id": player.discord_id},
    )

    response = client.post(status_url(game), {"status": "archived", "award_trophies": "on"})

    game.refresh_from_db()
    assert game.status == GameStatus.ARCHIVED
    assert not UserTrophy.objects.exists()
    assert not Award.objects.exists()
    assert flashes(response)[-1] == f"Annonce {game.name} archivée."
    no_badges = "Annonce archivée. Pas de badges : aucune session de cette partie n'est terminée."
    assert game.events.filter(description=no_badges).exists()


def test_badges_only_for_players_seated_before_the_session_ended(
    client, gm, open_game, reserved_trophies
):
    early = RegistrationFactory(
        game=open_game, created_at=timezone.now() - datetime.timedelta(days=5)
    )
    late = RegistrationFactory(game=open_game)  # added after the only session ended
    played(open_game)
    client.force_login(gm)

    client.post(status_url(open_game), {"status": "archived", "award_trophies": "on"})

    assert UserTrophy.objects.get(user=early.player).trophy_id == TROPHY_OS
    assert not UserTrophy.objects.filter(user=late.player).exists()
    assert UserTrophy.objects.get(user=gm).trophy_id == TROPHY_OS_GM
    assert set(Award.objects.values_list("user", "trophy")) == {
        (early.player.pk, TROPHY_OS),
        (gm.pk, TROPHY_OS_GM),
    }


# --- delete -------------------------------------------------------------------------------------


def test_delete_a_draft(client, gm):
    draft = GameFactory(gm=gm, draft=True)
    client.force_login(gm)

    response = client.post(status_url(draft), {"status": "deleted"})

    assert response["Location"] == reverse("games:mine")
    assert flashes(response) == ["Annonce supprimée avec succès."]
    assert not Game.objects.filter(pk=draft.pk).exists()
    assert effect_kinds() == []
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id, entry.action_flag) == (gm, str(draft.pk), DELETION)


def test_gm_cannot_delete_a_published_game(client, gm, open_game):
    client.force_login(gm)

    response = client.post(status_url(open_game), {"status": "deleted"})

    assert response["Location"] == open_game.get_absolute_url()
    assert flashes(response) == [refused("ouverte")]
    assert Game.objects.filter(pk=open_game.pk).exists()


def test_staff_deletes_a_published_game_and_its_discord_leftovers(client, staff, open_game):
    open_game.discord_channel_id = CHANNEL_ID
    open_game.discord_message_id = MESSAGE_ID
    open_game.save()
    client.force_login(staff)

    response = client.post(status_url(open_game), {"status": "deleted"})

    assert response["Location"] == reverse("games:mine")
    assert flashes(response) == ["Annonce supprimée avec succès."]
    assert not Game.objects.filter(pk=open_game.pk).exists()
    cleanup = DiscordEffect.objects.get()
    assert cleanup.kind == "cleanup_game"
    assert (cleanup.payload["channel_id"], cleanup.payload["message_id"]) == (
        CHANNEL_ID,
        MESSAGE_ID,
    )
    assert cleanup.created_by == staff


# --- bad input and HTMX -------------------------------------------------------------------------


def test_silent_opening_of_an_open_game_is_refused(client, gm, open_game):
    client.force_login(gm)

    response = client.post(status_url(open_game), {"status": "open-silent"})

    open_game.refresh_from_db()
    assert flashes(response) == [refused("ouverte")]
    assert open_game.status == GameStatus.OPEN


@pytest.mark.parametrize("data", [{}, {"status": "draft"}, {"status": "fill"}])
def test_unknown_status_is_refused(client, gm, open_game, data):
    client.force_login(gm)

    response = client.post(status_url(open_game), data)

    open_game.refresh_from_db()
    assert response["Location"] == open_game.get_absolute_url()
    assert flashes(response) == ["Statut demandé non géré."]
    assert open_game.status == GameStatus.OPEN


def test_htmx_status_change_redirects_the_page(client, gm, open_game):
    client.force_login(gm)

    response = client.post(
        status_url(open_game), {"status": "closed"}, headers={"HX-Request": "true"}
    )

    open_game.refresh_from_db()
    assert response.status_code == 200
    assert response["HX-Redirect"] == open_game.get_absolute_url()
    assert flashes(response) == ["Annonce Les Ombres fermée."]
    assert open_game.status == GameStatus.CLOSED


def test_htmx_delete_redirects_to_my_games(client, gm):
    draft = GameFactory(gm=gm, draft=True)
    client.force_login(gm)

    response = client.post(status_url(draft), {"status": "deleted"}, headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == reverse("games:mine")


def test_htmx_refusal_redirects_too(client, gm):
    draft = GameFactory(gm=gm, draft=True)
    client.force_login(gm)

    response = client.post(status_url(draft), {"status": "closed"}, headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == draft.get_absolute_url()
    assert flashes(response) == [refused("brouillon")]

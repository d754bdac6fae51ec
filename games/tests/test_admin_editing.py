"""The game's change form edits the content through the services; the status is not its own."""

import pytest
from django.urls import reverse

from games.models import (
    CLASSIFICATION_KEYS,
    CONTENT_FIELDS,
    IDENTITY_FIELDS,
    ClosedReason,
    Game,
    GameEventAction,
    GameStatus,
)
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory
from games.tests.test_admin import _submitted
from questmaster.discord.models import DiscordEffect, EffectKind

pytestmark = pytest.mark.django_db

MESSAGE_ID = "970000000000000001"


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def _change_url(game: Game) -> str:
    return reverse("admin:games_game_change", args=[game.pk])


def _as_shown(client, game: Game) -> dict[str, list[str]]:
    """What the browser posts back from the change page, with the Save button."""
    page = client.get(_change_url(game))
    assert page.status_code == 200
    return {**_submitted(page.content.decode(), "game_form"), "_save": ["Enregistrer"]}


def test_form_edits_the_sites_fields_and_the_staff_ones(admin_client):
    draft = GameFactory(draft=True)

    form = admin_client.get(_change_url(draft)).context["adminform"].form

    levels = {f"classification_{key}" for key in CLASSIFICATION_KEYS}
    site_fields = set(IDENTITY_FIELDS) | set(CONTENT_FIELDS) - {"classification"}
    staff_fields = {"gm", "discord_channel_id", "discord_role_id", "discord_message_id"}
    assert set(form.fields) == site_fields | levels | staff_fields


def test_status_is_shown_not_edited(admin_client):
    game = GameFactory(discord_message_id=MESSAGE_ID)
    RegistrationFactory.create_batch(2, game=game)
    GameSessionFactory(game=game)
    data = _as_shown(admin_client, game)

    page = admin_client.get(_change_url(game))
    response = admin_client.post(
        _change_url(game), {**data, "status": ["draft"], "closed_reason": ["manual"]}
    )

    assert {"status", "closed_reason"}.isdisjoint(page.context["adminform"].form.fields)
    assert '<div class="readonly">Ouverte</div>' in page.content.decode()
    assert response.status_code == 302
    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.OPEN, "")
    assert game.registrations.count() == 2


def test_saving_goes_through_the_service(admin_client, staff):
    game = GameFactory(discord_message_id=MESSAGE_ID)
    data = _as_shown(admin_client, game)

    response = admin_client.post(_change_url(game), {**data, "complement": ["Apportez des dés."]})

    assert response.status_code == 302
    game.refresh_from_db()
    assert game.complement == "Apportez des dés."
    [edit] = game.events.all()
    assert (edit.action, edit.actor) == (GameEventAction.EDIT, staff)
    [refresh] = DiscordEffect.objects.filter(kind=EffectKind.REFRESH_ANNOUNCEMENT)
    assert (refresh.game, refresh.created_by) == (game, staff)


def test_name_and_type_are_frozen_once_published(admin_client):
    game = GameFactory(name="Les Brumes", type="oneshot")
    data = _as_shown(admin_client, game)

    response = admin_client.post(
        _change_url(game), {**data, "name": ["Autre nom"], "type": ["campaign"]}
    )

    assert response.status_code == 302
    game.refresh_from_db()
    assert (game.name, game.type) == ("Les Brumes", "oneshot")


def test_renaming_a_draft_gives_it_a_new_slug(admin_client, gm):
    draft = GameFactory(draft=True, gm=gm, name="Les Brumes", slug="les-brumes-par-gaston")
    data = _as_shown(admin_client, draft)

    admin_client.post(_change_url(draft), {**data, "name": ["Le Phare"]})

    draft.refresh_from_db()
    assert (draft.name, draft.slug) == ("Le Phare", "le-phare-par-gaston")


def test_party_size_below_the_seated_players_is_refused_on_the_form(admin_client):
    game = GameFactory(party_size=4)
    RegistrationFactory.create_batch(2, game=game)
    data = _as_shown(admin_client, game)

    response = admin_client.post(
        _change_url(game), {**data, "party_size": ["1"], "complement": ["Changé"]}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["party_size"] == [
        "2 joueur·euses sont déjà inscrit·es : retirez-en avant de baisser le nombre de "
        "joueur·euses."
    ]
    # What was typed is still there, and nothing was saved.
    assert response.context["adminform"].form["complement"].value() == "Changé"
    game.refresh_from_db()
    assert (game.party_size, game.complement) == (4, "")
    assert not game.events.exists()


def test_changing_the_gm_keeps_the_ids_the_worker_wrote_meanwhile(admin_client, other_gm):
    game = GameFactory(status=GameStatus.CLOSED, closed_reason=ClosedReason.SILENT)
    data = _as_shown(admin_client, game)
    # The Discord worker posts the announcement while staff edit the page.
    Game.objects.filter(pk=game.pk).update(discord_message_id=MESSAGE_ID)

    response = admin_client.post(_change_url(game), {**data, "gm": [str(other_gm.pk)]})

    assert response.status_code == 302
    game.refresh_from_db()
    assert (game.gm, game.discord_message_id) == (other_gm, MESSAGE_ID)


def test_staff_may_correct_a_discord_id(admin_client):
    game = GameFactory(discord_channel_id="970000000000000002")
    data = _as_shown(admin_client, game)

    admin_client.post(_change_url(game), {**data, "discord_channel_id": ["970000000000000009"]})

    game.refresh_from_db()
    assert game.discord_channel_id == "970000000000000009"


def test_archived_game_page_is_read_only(admin_client):
    game = GameFactory(archived=True, description="Terminé.")
    data = _as_shown(admin_client, game)

    page = admin_client.get(_change_url(game))
    response = admin_client.post(_change_url(game), {**data, "description": ["Réécrit"]})

    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    game.refresh_from_db()
    assert game.description == "Terminé."

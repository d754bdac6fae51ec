"""Deleting games from the admin: the audit trail goes with them, Discord is cleaned up, the
deletion is logged."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.tests.factories import UserFactory
from games.models import Game, GameEvent, GameSession, Registration
from games.tests.factories import (
    GameEventFactory,
    GameFactory,
    GameSessionFactory,
    RegistrationFactory,
)
from questmaster.discord.models import DiscordEffect, EffectKind

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:games_game_changelist"


def _played_game(**fields) -> Game:
    """An open game with players, a session, an audit trail and its Discord objects."""
    game = GameFactory(
        discord_message_id="970000000000000001",
        discord_channel_id="970000000000000002",
        discord_role_id="970000000000000003",
        **fields,
    )
    RegistrationFactory.create_batch(2, game=game)
    GameSessionFactory(game=game)
    GameEventFactory.create_batch(2, game=game, actor=game.gm)
    return game


def _deletions(game: Game) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Game),
            object_id=str(game.pk),
            action_flag=DELETION,
        )
    )


def test_delete_page_lists_what_goes_with_the_game(client, staff):
    client.force_login(staff)
    game = _played_game(name="Les Brumes")

    response = client.get(reverse("admin:games_game_delete", args=[game.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Impossible de supprimer" not in html
    assert response.context["perms_lacking"] == set()
    counts = {str(name): count for name, count in response.context["model_count"]}
    assert counts == {
        "annonces": 1,
        "sessions": 1,
        "inscriptions": 2,
        "audit des annonces": 2,
    }


def test_staff_deletes_an_open_game_with_players(client, staff):
    client.force_login(staff)
    game = _played_game(name="Les Brumes")

    response = client.post(reverse("admin:games_game_delete", args=[game.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert response.url == reverse(CHANGELIST)
    assert not Game.objects.filter(pk=game.pk).exists()
    assert (
        Registration.objects.count(),
        GameSession.objects.count(),
        GameEvent.objects.count(),
    ) == (0, 0, 0)
    [cleanup] = DiscordEffect.objects.filter(kind=EffectKind.CLEANUP_GAME)
    assert (cleanup.game, cleanup.created_by) == (None, staff)
    assert cleanup.payload["channel_id"] == "970000000000000002"
    assert cleanup.payload["role_id"] == "970000000000000003"
    assert cleanup.payload["message_id"] == "970000000000000001"
    [entry] = _deletions(game)
    assert (entry.user, entry.object_repr) == (staff, "Les Brumes")


def test_bulk_delete_logs_and_cleans_up_each_game(client, staff):
    client.force_login(staff)
    played = _played_game()
    draft = GameFactory(draft=True)
    GameEventFactory(game=draft)
    selected = [played.pk, draft.pk]

    confirm = client.post(
        reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": selected}
    )
    response = client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )

    assert "Impossible de supprimer" not in confirm.content.decode()
    assert response.status_code == 302
    assert not Game.objects.exists()
    assert not GameEvent.objects.exists()
    assert [e.payload["channel_id"] for e in DiscordEffect.objects.all()] == ["970000000000000002"]
    assert [len(_deletions(played)), len(_deletions(draft))] == [1, 1]


def test_delete_needs_the_delete_permission(client):
    editor = UserFactory(is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_game", "change_game"])
    )
    client.force_login(editor)
    game = _played_game()

    page = client.get(reverse("admin:games_game_delete", args=[game.pk]))
    post = client.post(reverse("admin:games_game_delete", args=[game.pk]), {"post": "yes"})

    assert (page.status_code, post.status_code) == (403, 403)
    assert Game.objects.filter(pk=game.pk).exists()
    assert not LogEntry.objects.exists()

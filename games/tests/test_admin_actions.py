"""Game admin actions: the site's lifecycle services, one game at a time, with per-game refusals."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.tests.factories import UserFactory
from games.models import ClosedReason, Game, GameEvent, GameStatus, Registration
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory
from questmaster.discord.client import DiscordClient
from questmaster.discord.models import DiscordEffect, EffectKind
from questmaster.discord.outbox import run_pending
from trophies.models import TROPHY_OS, TROPHY_OS_GM, UserTrophy

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:games_game_changelist"
NOT_POSSIBLE = "Cette action n’est pas possible sur une annonce « {} »."


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    client.user = staff
    return client


@pytest.fixture
def game_editor(client):
    """A staff member who may view and change games, not delete them."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_game", "change_game"]))
    client.force_login(user)
    client.user = user
    return client


def _act(client, action: str, *games, follow: bool = False):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [g.pk for g in games]},
        follow=follow,
    )


def _flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _refused(game: Game, reason: str) -> str:
    return gettext("%(game)s: %(reason)s") % {"game": game, "reason": reason}


def _effects(kind: str) -> list[DiscordEffect]:
    return list(DiscordEffect.objects.filter(kind=kind).order_by("pk"))


def _announced(**fields) -> Game:
    return GameFactory(
        discord_message_id="970000000000000001",
        discord_channel_id="970000000000000002",
        discord_role_id="970000000000000003",
        **fields,
    )


def test_close_closes_open_games_and_refuses_the_others(game_editor):
    open_game = _announced(name="Ouverte")
    draft = GameFactory(name="Brouillon", draft=True)

    response = _act(game_editor, "close_registrations", open_game, draft)

    open_game.refresh_from_db()
    draft.refresh_from_db()
    assert response.status_code == 302
    assert (open_game.status, open_game.closed_reason) == (GameStatus.CLOSED, ClosedReason.MANUAL)
    assert draft.status == GameStatus.DRAFT
    [refresh] = _effects(EffectKind.REFRESH_ANNOUNCEMENT)
    assert (refresh.game, refresh.created_by) == (open_game, game_editor.user)
    assert GameEvent.objects.filter(game=open_game, actor=game_editor.user).count() == 1
    assert sorted(_flashes(response)) == sorted(
        [
            _refused(draft, NOT_POSSIBLE.format("brouillon")),
            gettext("%(count)d game(s) closed to registrations.") % {"count": 1},
        ]
    )


def test_reopen_reopens_and_explains_each_refusal(admin_client):
    closed = _announced(closed=True)
    silent = GameFactory(status=GameStatus.CLOSED, closed_reason=ClosedReason.SILENT)
    full = _announced(closed=True, party_size=1)
    RegistrationFactory(game=full)

    response = _act(admin_client, "reopen_registrations", closed, silent, full)

    assert [Game.objects.get(pk=g.pk).status for g in (closed, silent, full)] == [
        GameStatus.OPEN,
        GameStatus.CLOSED,
        GameStatus.CLOSED,
    ]
    assert [e.game for e in _effects(EffectKind.REFRESH_ANNOUNCEMENT)] == [closed]
    assert sorted(_flashes(response)) == sorted(
        [
            _refused(
                silent,
                "Cette annonce a été ouverte sans annonce publique : publiez-la pour l’ouvrir.",
            ),
            _refused(full, "La partie est complète."),
            gettext("%(count)d game(s) reopened to registrations.") % {"count": 1},
        ]
    )


def _played(game: Game) -> None:
    """A session of `game` that has ended: the archive gives badges for played games only."""
    end = timezone.now() - datetime.timedelta(hours=1)
    GameSessionFactory(game=game, start=end - datetime.timedelta(hours=3), end=end)


def test_archive_with_badges_awards_them_and_records_the_clean_up(admin_client, reserved_trophies):
    game = _announced()
    player = RegistrationFactory(
        game=game, created_at=timezone.now() - datetime.timedelta(days=2)
    ).player
    _played(game)

    response = _act(admin_client, "archive_with_badges", game)

    game.refresh_from_db()
    assert game.status == GameStatus.ARCHIVED
    assert UserTrophy.objects.get(user=player, trophy_id=TROPHY_OS).quantity == 1
    assert UserTrophy.objects.get(user=game.gm, trophy_id=TROPHY_OS_GM).quantity == 1
    [cleanup] = _effects(EffectKind.CLEANUP_GAME)
    assert cleanup.game == game
    assert cleanup.payload["channel_id"] == "970000000000000002"
    assert _flashes(response) == [
        gettext("%(count)d game(s) archived, badges awarded.") % {"count": 1}
    ]


def test_archive_without_badges_awards_none_and_refuses_drafts(admin_client, reserved_trophies):
    game = _announced()
    RegistrationFactory(game=game)
    draft = GameFactory(draft=True)

    response = _act(admin_client, "archive_without_badges", game, draft)

    assert Game.objects.get(pk=game.pk).status == GameStatus.ARCHIVED
    assert Game.objects.get(pk=draft.pk).status == GameStatus.DRAFT
    assert not UserTrophy.objects.exists()
    assert [e.game for e in _effects(EffectKind.CLEANUP_GAME)] == [game]
    assert _refused(draft, NOT_POSSIBLE.format("brouillon")) in _flashes(response)


def test_archiving_twice_awards_badges_once(admin_client, reserved_trophies):
    game = _announced()
    _played(game)

    _act(admin_client, "archive_with_badges", game, follow=True)  # shows its messages
    again = _act(admin_client, "archive_with_badges", game)

    assert UserTrophy.objects.get(user=game.gm, trophy_id=TROPHY_OS_GM).quantity == 1
    assert _flashes(again) == [_refused(game, NOT_POSSIBLE.format("archivée"))]


def test_republish_records_a_refresh_for_announced_games_only(admin_client):
    announced = _announced()
    never_announced = GameFactory()
    archived = _announced(archived=True)

    response = _act(admin_client, "republish_announcement", announced, never_announced, archived)

    [refresh] = _effects(EffectKind.REFRESH_ANNOUNCEMENT)
    assert (refresh.game, refresh.created_by) == (announced, admin_client.user)
    no_announcement = gettext("This game has no announcement on Discord to republish.")
    assert sorted(_flashes(response)) == sorted(
        [
            _refused(never_announced, no_announcement),
            _refused(archived, no_announcement),
            gettext("%(count)d announcement(s) will be republished on Discord.") % {"count": 1},
        ]
    )


def test_republish_rewrites_the_announcement_on_discord(
    admin_client, staff, fake_discord, settings
):
    User.objects.filter(pk=staff.pk).update(roles_synced_at=timezone.now())
    posts = fake_discord.add_channel("annonces")
    settings.DISCORD_POSTS_CHANNEL_ID = posts["id"]
    with DiscordClient.for_bot() as bot:
        old = bot.send_message(posts["id"], content="Ancienne annonce")
    game = GameFactory(name="Les Ombres d'Esteren", discord_message_id=old["id"])
    fake_discord.state.calls.clear()

    _act(admin_client, "republish_announcement", game)
    with DiscordClient.for_bot() as bot:
        summary = run_pending(client=bot)

    assert summary.failed == [] and len(summary.done) == 1
    assert [(c.method, c.path) for c in fake_discord.state.calls] == [
        ("PATCH", f"/api/v10/channels/{posts['id']}/messages/{old['id']}")
    ]
    [announcement] = fake_discord.messages_in(posts["id"])
    assert announcement["embeds"][0]["title"] == "Les Ombres d'Esteren"


def test_delete_view_deletes_through_the_service(admin_client):
    game = _announced()
    RegistrationFactory(game=game)

    response = admin_client.post(
        reverse("admin:games_game_delete", args=[game.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Game.objects.filter(pk=game.pk).exists()
    [cleanup] = _effects(EffectKind.CLEANUP_GAME)
    assert cleanup.game is None
    assert cleanup.created_by == admin_client.user
    assert cleanup.payload == {
        "channel_id": "970000000000000002",
        "role_id": "970000000000000003",
        "message_id": "970000000000000001",
        "category_id": None,
    }


def test_bulk_delete_cleans_up_each_game(admin_client):
    announced = _announced()
    draft = GameFactory(draft=True)

    confirm = _act(admin_client, "delete_selected", announced, draft)
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", "_selected_action": [announced.pk, draft.pk], "post": "yes"},
    )

    assert confirm.status_code == 200
    assert response.status_code == 302
    assert not Game.objects.exists()
    # Only the announced game had something on Discord to clean up.
    assert [e.payload["message_id"] for e in _effects(EffectKind.CLEANUP_GAME)] == [
        "970000000000000001"
    ]


def test_actions_need_the_change_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_game"))
    client.force_login(viewer)
    game = _announced()

    listing = client.get(reverse(CHANGELIST))
    _act(client, "close_registrations", game)

    assert "close_registrations" not in listing.content.decode()
    assert Game.objects.get(pk=game.pk).status == GameStatus.OPEN
    assert not DiscordEffect.objects.exists()


def test_editor_sees_the_lifecycle_actions_but_not_delete(game_editor):
    GameFactory()

    actions = game_editor.get(reverse(CHANGELIST)).context["action_form"].fields["action"]

    assert [value for value, _label in actions.choices if value] == [
        "publish_announcement",
        "open_silently",
        "close_registrations",
        "reopen_registrations",
        "archive_with_badges",
        "archive_without_badges",
        "republish_announcement",
    ]


def test_publish_announces_drafts_and_refuses_published_games(admin_client):
    draft = GameFactory(draft=True)
    announced = _announced()

    response = _act(admin_client, "publish_announcement", draft, announced)

    draft.refresh_from_db()
    assert (draft.status, draft.closed_reason) == (GameStatus.OPEN, "")
    assert draft.published_at is not None
    assert list(draft.sessions.values_list("start", flat=True)) == [draft.date]
    assert [e.game for e in _effects(EffectKind.SETUP_GAME)] == [draft]
    assert [e.game for e in _effects(EffectKind.ANNOUNCE)] == [draft]
    assert Game.objects.get(pk=announced.pk).status == GameStatus.OPEN
    assert sorted(_flashes(response)) == sorted(
        [
            _refused(announced, NOT_POSSIBLE.format("ouverte")),
            gettext("%(count)d game(s) published on Discord.") % {"count": 1},
        ]
    )


def test_publish_refuses_a_past_date_with_its_reason(admin_client):
    draft = GameFactory(draft=True, date=timezone.now() - datetime.timedelta(days=1))

    response = _act(admin_client, "publish_announcement", draft)

    assert Game.objects.get(pk=draft.pk).status == GameStatus.DRAFT
    [message] = _flashes(response)
    assert message.startswith(f"{draft} : La date de la partie est dans le passé")


def test_open_silently_opens_without_announcement(admin_client):
    draft = GameFactory(draft=True)

    response = _act(admin_client, "open_silently", draft)

    draft.refresh_from_db()
    assert (draft.status, draft.closed_reason) == (GameStatus.CLOSED, ClosedReason.SILENT)
    assert [e.game for e in _effects(EffectKind.SETUP_GAME)] == [draft]
    assert _effects(EffectKind.ANNOUNCE) == []
    assert _flashes(response) == [
        gettext("%(count)d game(s) opened without announcement.") % {"count": 1}
    ]


# --- the same actions on a game's change page ------------------------------------------------


def _page_actions(client, game: Game) -> list[str]:
    response = client.get(reverse("admin:games_game_change", args=[game.pk]))
    assert response.status_code == 200
    action_form = response.context["action_form"]
    if action_form is None:
        return []
    return [value for value, _label in action_form.fields["action"].choices if value]


def test_change_page_offers_the_actions_the_status_allows(admin_client):
    draft = GameFactory(draft=True)
    open_game = _announced()
    silent = GameFactory(status=GameStatus.CLOSED, closed_reason=ClosedReason.SILENT)
    archived = _announced(archived=True)

    assert _page_actions(admin_client, draft) == ["publish_announcement", "open_silently"]
    assert _page_actions(admin_client, open_game) == [
        "close_registrations",
        "archive_with_badges",
        "archive_without_badges",
        "republish_announcement",
    ]
    assert _page_actions(admin_client, silent) == [
        "publish_announcement",
        "archive_with_badges",
        "archive_without_badges",
    ]
    assert _page_actions(admin_client, archived) == []


def test_change_page_action_runs_the_service(admin_client):
    game = _announced()
    url = reverse("admin:games_game_change", args=[game.pk])

    response = admin_client.post(
        url, {"CHANGE_FORM-action": "close_registrations", "_selected_action": [game.pk]}
    )

    assert response.status_code == 302
    assert response.url == url
    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.MANUAL)
    assert [e.game for e in _effects(EffectKind.REFRESH_ANNOUNCEMENT)] == [game]
    assert _flashes(response) == [
        gettext("%(count)d game(s) closed to registrations.") % {"count": 1}
    ]


def test_change_page_action_refused_by_the_service_says_why(admin_client):
    draft = GameFactory(draft=True)

    response = admin_client.post(
        reverse("admin:games_game_change", args=[draft.pk]),
        {"CHANGE_FORM-action": "archive_without_badges", "_selected_action": [draft.pk]},
        follow=True,
    )

    assert Game.objects.get(pk=draft.pk).status == GameStatus.DRAFT
    assert _refused(draft, NOT_POSSIBLE.format("brouillon")) in response.content.decode()


# --- registrations: removed or selected through the services ---------------------------------

REGISTRATIONS = "admin:games_registration_changelist"


def _act_on_registrations(client, action: str, *registrations):
    return client.post(
        reverse(REGISTRATIONS),
        {"action": action, "_selected_action": [r.pk for r in registrations]},
    )


def test_remove_from_game_gives_the_seat_to_the_waiting_list(admin_client):
    game = _announced(party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL)
    seated = RegistrationFactory(game=game)
    waiting = RegistrationFactory(game=game, state="waitlisted")

    response = _act_on_registrations(admin_client, "remove_from_game", seated)

    assert not game.registrations.filter(pk=seated.pk).exists()
    waiting.refresh_from_db()
    assert waiting.state == "registered"
    [revoke] = _effects(EffectKind.REVOKE_ACCESS)
    assert (revoke.game, revoke.payload["user_id"]) == (game, seated.player.discord_id)
    [grant] = _effects(EffectKind.GRANT_ACCESS)
    assert grant.payload["user_id"] == waiting.player.discord_id
    assert GameEvent.objects.filter(
        game=game, action="unregister", actor=admin_client.user, subject=seated.player
    ).exists()
    assert _flashes(response) == [
        gettext("%(count)d player(s) removed from their game.") % {"count": 1}
    ]


def test_remove_from_game_refuses_archived_games(admin_client):
    registration = RegistrationFactory(game=_announced(archived=True))

    response = _act_on_registrations(admin_client, "remove_from_game", registration)

    assert Registration.objects.filter(pk=registration.pk).exists()
    assert _flashes(response) == [
        _refused(registration, "Impossible de gérer les joueur·euses d'une partie archivée.")
    ]


def test_select_candidates_seats_candidates_only(admin_client):
    game = _announced(party_selection=True)
    candidate = RegistrationFactory(game=game, state="candidate")
    seated = RegistrationFactory(game=game)

    response = _act_on_registrations(admin_client, "select_candidates", candidate, seated)

    candidate.refresh_from_db()
    assert (candidate.state, candidate.added_by) == ("registered", admin_client.user)
    assert [e.payload["user_id"] for e in _effects(EffectKind.GRANT_ACCESS)] == [
        candidate.player.discord_id
    ]
    assert sorted(_flashes(response)) == sorted(
        [
            _refused(seated, "Cette personne n'est pas candidate à cette partie."),
            gettext("%(count)d candidate(s) taken into the party.") % {"count": 1},
        ]
    )


def test_registration_actions_need_the_change_game_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_registration", "delete_registration"])
    )
    client.force_login(viewer)
    registration = RegistrationFactory(game=_announced())

    listing = client.get(reverse(REGISTRATIONS))
    _act_on_registrations(client, "remove_from_game", registration)

    assert listing.status_code == 200
    assert "remove_from_game" not in listing.content.decode()
    assert Registration.objects.filter(pk=registration.pk).exists()

"""Registering, leaving, the waiting list, and the GM's player management."""

import datetime
import threading
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from games import services
from games.models import (
    ClosedReason,
    GameEvent,
    GameEventAction,
    GameStatus,
    Registration,
    RegistrationState,
)
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory
from questmaster.discord.models import DiscordEffect, EffectKind

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CONFIRM = {"confirm": "on"}


def register(client, game, data=CONFIRM, **kwargs):
    return client.post(reverse("games:register", args=[game.slug]), data, **kwargs)


def leave(client, game, **kwargs):
    return client.post(reverse("games:leave", args=[game.slug]), {}, **kwargs)


def manage(client, game, data, **kwargs):
    return client.post(reverse("games:manage", args=[game.slug]), data, **kwargs)


def states(game) -> dict[str, str]:
    return {r.player.display_name: r.state for r in game.registrations.select_related("player")}


def flash(response) -> str:
    """The messages shown after the redirect (plain browser) or in the toasts (HTMX)."""
    return unescape(response.content.decode())


# --- register: personas and fragments -----------------------------------------------------------


def test_register_anonymous_is_sent_to_sign_in(client):
    game = GameFactory()

    response = register(client, game)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/annonces/{game.slug}/inscription/"
    assert not Registration.objects.exists()


@pytest.mark.parametrize("url", ["games:register", "games:leave", "games:manage"])
def test_actions_are_post_only(client, player, url):
    client.force_login(player)

    assert client.get(reverse(url, args=[GameFactory().slug])).status_code == 405


@pytest.mark.parametrize("viewer", ["player", "other_gm", "staff"])
def test_register_players_register(client, request, viewer):
    user = request.getfixturevalue(viewer)
    game = GameFactory(party_size=3)
    client.force_login(user)

    response = register(client, game, follow=True)

    assert response.redirect_chain == [(game.get_absolute_url(), 302)]
    assert "Vous êtes inscrit·e." in flash(response)
    registration = game.registrations.get()
    assert (registration.player, registration.state) == (user, RegistrationState.REGISTERED)
    assert registration.added_by is None
    event = game.events.get(action=GameEventAction.REGISTER)
    assert (event.actor, event.subject) == (user, user)
    assert DiscordEffect.objects.filter(game=game, kind=EffectKind.GRANT_ACCESS).count() == 1


def test_register_htmx_returns_the_panel_roster_and_toast(client, player):
    game = GameFactory(party_size=3)
    client.force_login(player)

    response = register(client, game, headers=HTMX)

    content = flash(response)
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="registration"')
    assert "<html" not in content
    assert "Me désinscrire" in content
    assert '<section id="roster" class="game-panel roster-card"' in content
    assert 'hx-swap-oob="true"' in content
    assert "<strong>1/3</strong>" in content
    assert 'hx-swap-oob="innerHTML:#messages"' in content
    assert "Vous êtes inscrit·e." in content


def test_register_requires_the_confirmation(client, player):
    game = GameFactory()
    client.force_login(player)

    response = register(client, game, data={}, headers=HTMX)

    assert "Cochez la case pour confirmer que vous avez lu l'annonce" in flash(response)
    assert not Registration.objects.exists()


def test_register_full_game_joins_the_waiting_list(client, player):
    game = GameFactory(party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL)
    RegistrationFactory(game=game)
    client.force_login(player)

    response = register(client, game, headers=HTMX)

    content = flash(response)
    assert "Vous êtes sur la liste d'attente." in content
    assert "Vous êtes n° 1 sur la liste d'attente." in content
    assert "Quitter la liste d'attente" in content
    assert game.registrations.get(player=player).state == RegistrationState.WAITLISTED
    assert not DiscordEffect.objects.filter(game=game, kind=EffectKind.GRANT_ACCESS).exists()


def test_register_on_selection_game_makes_a_candidate(client, player):
    game = GameFactory(party_selection=True, party_size=1)
    RegistrationFactory(game=game)
    client.force_login(player)

    response = register(client, game, headers=HTMX)

    assert "Votre candidature a été transmise au·à la MJ." in flash(response)
    assert game.registrations.get(player=player).state == RegistrationState.CANDIDATE


def test_register_the_last_seat_closes_the_game(client, player):
    game = GameFactory(party_size=2)
    RegistrationFactory(game=game)
    client.force_login(player)

    register(client, game)

    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.FULL)
    assert game.events.filter(
        description__startswith="Annonce fermée automatiquement", actor=None
    ).exists()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"closed": True}, "La partie est fermée aux inscriptions."),
        ({"status": GameStatus.CLOSED, "closed_reason": ClosedReason.SILENT}, "fermée"),
        ({"archived": True}, "La partie est fermée aux inscriptions."),
    ],
)
def test_register_refused_when_registrations_are_closed(client, player, options, message):
    game = GameFactory(**options)
    client.force_login(player)

    response = register(client, game, follow=True)

    assert message in flash(response)
    assert not Registration.objects.exists()


def test_register_on_a_draft_is_404_for_players_and_refused_for_staff(client, player, staff):
    game = GameFactory(draft=True)
    client.force_login(player)
    assert register(client, game).status_code == 404

    client.force_login(staff)
    response = register(client, game, follow=True)

    assert "La partie est fermée aux inscriptions." in flash(response)
    assert not Registration.objects.exists()


def test_register_twice_is_refused(client, player):
    game = GameFactory()
    RegistrationFactory(game=game, player=player)
    client.force_login(player)

    response = register(client, game, headers=HTMX)

    assert "Vous êtes déjà inscrit·e à cette partie." in flash(response)
    assert game.registrations.count() == 1


def test_the_gm_cannot_register(client, gm):
    game = GameFactory(gm=gm)
    client.force_login(gm)

    response = register(client, game, headers=HTMX)

    assert "Vous ne pouvez pas vous inscrire à votre propre partie." in flash(response)
    assert not Registration.objects.exists()


def test_a_non_player_cannot_register(client):
    member = UserFactory(is_player=False)
    game = GameFactory()
    client.force_login(member)

    response = register(client, game, headers=HTMX)

    assert "Cette personne n'est pas un·e joueur·euse sur le Discord." in flash(response)
    assert not Registration.objects.exists()


# --- leave and the waiting list -----------------------------------------------------------------


def test_leave_anonymous_is_sent_to_sign_in(client):
    response = leave(client, GameFactory())

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_leave_frees_the_seat_for_the_first_in_line(client, player):
    game = GameFactory(party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL)
    RegistrationFactory(game=game, player=player)
    now = timezone.now()
    second = RegistrationFactory(
        game=game, state=RegistrationState.WAITLISTED, player__display_name="Second"
    )
    first = RegistrationFactory(
        game=game,
        state=RegistrationState.WAITLISTED,
        player__display_name="Premier",
        created_at=now - datetime.timedelta(hours=1),
    )
    client.force_login(player)

    response = leave(client, game, follow=True)

    assert "Vous êtes désinscrit·e." in flash(response)
    assert states(game) == {
        "Premier": RegistrationState.REGISTERED,
        "Second": RegistrationState.WAITLISTED,
    }
    game.refresh_from_db()
    # The freed seat was taken at once: the game stays closed because full.
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.FULL)
    promote = game.events.get(action=GameEventAction.PROMOTE)
    assert promote.subject == first.player
    assert second.player != promote.subject
    grants = DiscordEffect.objects.filter(game=game, kind=EffectKind.GRANT_ACCESS)
    assert [g.payload["user_id"] for g in grants] == [first.player.discord_id]


def test_leave_reopens_a_game_closed_because_full(client, player):
    game = GameFactory(party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL)
    RegistrationFactory(game=game, player=player)
    client.force_login(player)

    leave(client, game)

    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.OPEN, "")
    assert not game.registrations.exists()


@pytest.mark.parametrize("reason", [ClosedReason.MANUAL, ClosedReason.SILENT])
def test_leave_does_not_reopen_a_game_closed_for_another_reason(client, player, reason):
    game = GameFactory(party_size=1, status=GameStatus.CLOSED, closed_reason=reason)
    RegistrationFactory(game=game, player=player)
    client.force_login(player)

    leave(client, game)

    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, reason)


def test_leave_the_waiting_list(client, player):
    game = GameFactory(party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL)
    RegistrationFactory(game=game, player__display_name="Assise")
    RegistrationFactory(game=game, player=player, state=RegistrationState.WAITLISTED)
    client.force_login(player)

    response = leave(client, game, headers=HTMX)

    content = flash(response)
    assert content.lstrip().startswith('<section id="registration"')
    assert "Vous avez quitté la liste d'attente." in content
    assert "Rejoindre la liste d'attente" in content
    assert states(game) == {"Assise": RegistrationState.REGISTERED}
    game.refresh_from_db()
    assert game.status == GameStatus.CLOSED


def test_leave_refused_once_the_game_has_started(client, player):
    game = GameFactory(date=timezone.now() - datetime.timedelta(hours=1))
    GameSessionFactory(game=game)
    RegistrationFactory(game=game, player=player)
    client.force_login(player)

    response = leave(client, game, headers=HTMX)

    assert "La partie a commencé : demandez à votre MJ de vous retirer." in flash(response)
    assert game.registrations.filter(player=player).exists()


def test_leave_when_not_registered(client, player):
    game = GameFactory()
    client.force_login(player)

    response = leave(client, game, headers=HTMX)

    assert "Cette personne n'est pas inscrite à cette partie." in flash(response)


def test_leaving_tells_the_gm(client, player):
    game = GameFactory()
    RegistrationFactory(game=game, player=player)
    client.force_login(player)

    leave(client, game)

    message = DiscordEffect.objects.get(game=game, kind=EffectKind.SEND_MESSAGE)
    assert message.payload["message"]["content"] == f"<@{game.gm.discord_id}>"
    assert game.events.get(action=GameEventAction.UNREGISTER).actor == player


# --- manage: personas ---------------------------------------------------------------------------


def test_manage_anonymous_is_sent_to_sign_in(client):
    game = GameFactory()

    response = manage(client, game, {"action": "manage"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("viewer", ["player", "outsider", "other_gm"])
def test_manage_is_refused_to_others(client, request, viewer):
    game = GameFactory()
    RegistrationFactory(game=game, player__display_name="Reste")
    client.force_login(request.getfixturevalue(viewer))

    response = manage(client, game, {"action": "manage"})

    assert response.status_code == 403
    assert states(game) == {"Reste": RegistrationState.REGISTERED}


def test_manage_a_draft_is_404_for_others(client, other_gm):
    game = GameFactory(draft=True)
    client.force_login(other_gm)

    assert manage(client, game, {"action": "manage"}).status_code == 404


@pytest.mark.parametrize("viewer", ["gm", "staff"])
def test_manage_removes_the_unticked_players(client, request, gm, viewer):
    actor = request.getfixturevalue(viewer)
    game = GameFactory(gm=gm, party_size=2)
    kept = RegistrationFactory(game=game, player__display_name="Gardée")
    RegistrationFactory(game=game, player__display_name="Retirée")
    RegistrationFactory(game=game, state=RegistrationState.WAITLISTED, player__display_name="Zed")
    client.force_login(actor)

    response = manage(
        client, game, {"action": "manage", "players": [kept.player.discord_id]}, follow=True
    )

    assert "Liste des joueur·euses mise à jour." in flash(response)
    assert states(game) == {"Gardée": RegistrationState.REGISTERED}
    removals = game.events.filter(action=GameEventAction.UNREGISTER)
    assert {e.subject.display_name for e in removals} == {"Retirée", "Zed"}
    assert {e.actor for e in removals} == {actor}
    # The waiting list went first: nobody was promoted only to be removed.
    assert not game.events.filter(action=GameEventAction.PROMOTE).exists()


def test_manage_promotes_the_first_in_line_who_is_kept(client, gm):
    game = GameFactory(gm=gm, party_size=1, status=GameStatus.CLOSED, closed_reason="full")
    RegistrationFactory(game=game, player__display_name="Partante")
    waiting = RegistrationFactory(
        game=game, state=RegistrationState.WAITLISTED, player__display_name="Suivante"
    )
    client.force_login(gm)

    manage(client, game, {"action": "manage", "players": [waiting.player.discord_id]})

    assert states(game) == {"Suivante": RegistrationState.REGISTERED}


def test_manage_only_removes_players_the_form_listed(client, gm):
    game = GameFactory(gm=gm, party_size=5)
    shown = RegistrationFactory(game=game, player__display_name="Affichée")
    RegistrationFactory(game=game, player__display_name="Arrivée après")
    client.force_login(gm)

    manage(client, game, {"action": "manage", "listed": [shown.player.discord_id]})

    assert states(game) == {"Arrivée après": RegistrationState.REGISTERED}


def test_manage_htmx_returns_the_roster_with_the_dialog_open(client, gm):
    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player__display_name="Retirée")
    client.force_login(gm)

    response = manage(client, game, {"action": "manage"}, headers=HTMX)

    content = flash(response)
    assert content.lstrip().startswith('<section id="roster"')
    assert '<details class="manage" open>' in content
    assert "Retirée" not in content.split('id="activity"')[0]
    assert '<section id="activity"' in content
    assert "Liste des joueur·euses mise à jour." in content


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Action demandée non gérée."),
        ({"action": "explode"}, "Action demandée non gérée."),
        ({"action": "add"}, "Identifiant Discord manquant."),
        ({"action": "add", "discord_id": "  "}, "Identifiant Discord manquant."),
        (
            {"action": "add", "discord_id": "Paule"},
            "Choisissez une personne dans la liste ou saisissez un ID Discord.",
        ),
        (
            {"action": "add", "discord_id": "1" * 22},
            "Choisissez une personne dans la liste ou saisissez un ID Discord.",
        ),
        (
            {"action": "add", "discord_id": "123456789012345678"},
            "Membre inconnu : il doit s'être connecté au moins une fois.",
        ),
        (
            {"action": "manage", "players": ["<script>"]},
            "Choisissez une personne dans la liste ou saisissez un ID Discord.",
        ),
    ],
)
def test_manage_errors(client, gm, data, message):
    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player__display_name="Reste")
    client.force_login(gm)

    response = manage(client, game, data, headers=HTMX)

    assert message in flash(response)
    assert "<script>" not in response.content.decode()
    assert states(game) == {"Reste": RegistrationState.REGISTERED}


def test_manage_an_archived_game_is_refused(client, gm):
    game = GameFactory(gm=gm, archived=True)
    RegistrationFactory(game=game, player__display_name="Reste")
    client.force_login(gm)

    response = manage(client, game, {"action": "manage"}, follow=True)

    assert "Impossible de gérer les joueur·euses d'une partie archivée." in flash(response)
    assert states(game) == {"Reste": RegistrationState.REGISTERED}


# --- manage: add and select ---------------------------------------------------------------------


def test_add_a_player_by_discord_id(client, gm):
    game = GameFactory(gm=gm, party_size=2, closed=True)
    member = UserFactory(display_name="Ajoutée", discord_id="123456789012345678")
    client.force_login(gm)

    response = manage(client, game, {"action": "add", "discord_id": "@123456789012345678"})

    assert response.status_code == 302
    registration = game.registrations.get()
    assert (registration.player, registration.state) == (member, RegistrationState.REGISTERED)
    assert registration.added_by == gm
    event = game.events.get(action=GameEventAction.REGISTER)
    assert event.description == "Le·a joueur·euse a été ajouté·e à la partie par le MJ."


def test_add_picked_from_the_typeahead_wins_over_the_typed_text(client, gm):
    game = GameFactory(gm=gm)
    member = UserFactory(display_name="Paulette")
    client.force_login(gm)

    # The browser sends the text typed, then the value of the option button clicked.
    manage(client, game, {"action": "add", "discord_id": ["Paul", member.discord_id]})

    assert game.registrations.get().player == member


@pytest.mark.parametrize(
    "member_options, message",
    [
        ({"is_player": False}, "Cette personne n'est pas un·e joueur·euse sur le Discord."),
        ({"registered": True}, "Cette personne est déjà inscrite à cette partie."),
    ],
)
def test_add_refusals(client, gm, member_options, message):
    game = GameFactory(gm=gm)
    member = UserFactory(is_player=member_options.get("is_player", True))
    if member_options.get("registered"):
        RegistrationFactory(game=game, player=member)
    client.force_login(gm)

    response = manage(
        client, game, {"action": "add", "discord_id": member.discord_id}, headers=HTMX
    )

    assert message in flash(response)
    assert game.registrations.filter(player=member).count() == int(
        bool(member_options.get("registered"))
    )


def test_add_to_a_full_game_is_refused(client, gm):
    game = GameFactory(gm=gm, party_size=1)
    RegistrationFactory(game=game)
    member = UserFactory()
    client.force_login(gm)

    response = manage(
        client, game, {"action": "add", "discord_id": member.discord_id}, headers=HTMX
    )

    assert "La partie est complète : augmentez le nombre de joueur·euses" in flash(response)
    assert not game.registrations.filter(player=member).exists()


def test_add_the_last_seat_closes_the_game(client, gm):
    game = GameFactory(gm=gm, party_size=1)
    member = UserFactory()
    client.force_login(gm)

    manage(client, game, {"action": "add", "discord_id": member.discord_id})

    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.FULL)


def test_select_a_candidate(client, gm):
    game = GameFactory(gm=gm, party_selection=True, party_size=2)
    candidate = RegistrationFactory(game=game, state=RegistrationState.CANDIDATE)
    client.force_login(gm)

    response = manage(
        client,
        game,
        {"action": "select", "discord_id": candidate.player.discord_id},
        headers=HTMX,
    )

    assert "Liste des joueur·euses mise à jour." in flash(response)
    candidate.refresh_from_db()
    assert (candidate.state, candidate.added_by) == (RegistrationState.REGISTERED, gm)
    event = game.events.get(action=GameEventAction.REGISTER)
    assert (event.actor, event.subject) == (gm, candidate.player)
    assert DiscordEffect.objects.filter(game=game, kind=EffectKind.GRANT_ACCESS).count() == 1
    game.refresh_from_db()
    assert game.status == GameStatus.OPEN  # a "sur sélection" game never closes by itself


def test_select_refused_when_no_seat_is_left(client, gm):
    game = GameFactory(gm=gm, party_selection=True, party_size=1)
    RegistrationFactory(game=game)
    candidate = RegistrationFactory(game=game, state=RegistrationState.CANDIDATE)
    client.force_login(gm)

    response = manage(
        client,
        game,
        {"action": "select", "discord_id": candidate.player.discord_id},
        headers=HTMX,
    )

    assert "La partie est complète" in flash(response)
    candidate.refresh_from_db()
    assert candidate.state == RegistrationState.CANDIDATE


def test_select_someone_who_is_not_a_candidate(client, gm):
    game = GameFactory(gm=gm, party_selection=True)
    waiting = RegistrationFactory(game=game)
    client.force_login(gm)

    response = manage(
        client, game, {"action": "select", "discord_id": waiting.player.discord_id}, headers=HTMX
    )

    assert "Cette personne n'est pas candidate à cette partie." in flash(response)


def test_manage_can_reject_a_candidate(client, gm):
    game = GameFactory(gm=gm, party_selection=True)
    RegistrationFactory(game=game, state=RegistrationState.CANDIDATE)
    client.force_login(gm)

    manage(client, game, {"action": "manage"})

    assert not game.registrations.exists()


# --- seat booking under concurrency -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises every write transaction: the row lock is tested on PostgreSQL",
)
def test_concurrent_registrations_never_overbook():
    game = GameFactory(party_size=2)
    players = UserFactory.create_batch(8)
    barrier = threading.Barrier(len(players))
    statuses = []

    def book(player):
        try:
            client = Client()
            client.force_login(player)
            barrier.wait(timeout=10)
            statuses.append(register(client, game).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(player,)) for player in players]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [302] * len(players)
    registered = game.registrations.filter(state=RegistrationState.REGISTERED).count()
    waitlisted = game.registrations.filter(state=RegistrationState.WAITLISTED).count()
    assert (registered, waitlisted) == (2, 6)
    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.FULL)
    assert GameEvent.objects.filter(game=game, action=GameEventAction.REGISTER).count() == 2


def test_service_select_candidate_refuses_archived_games(gm):
    game = GameFactory(gm=gm, party_selection=True, archived=True)
    candidate = RegistrationFactory(game=game, state=RegistrationState.CANDIDATE)

    with pytest.raises(ValidationError, match="fermée aux inscriptions"):
        services.select_candidate(game, candidate.player, actor=gm)

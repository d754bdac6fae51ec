"""The game's rules, each defined once on `Game`, and the paths that used to skip them:
seats when the table changes, anonymous reports, refusals as 403, confirmations, adding a member
who never signed in, absurd numbers in the form."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.tests.factories import SystemFactory
from conftest import PLAYER_ROLE
from games import services
from games.models import (
    TRANSITIONS,
    ClosedReason,
    Game,
    GameEventAction,
    GameStatus,
    RegistrationMode,
    RegistrationState,
)
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory
from games.tests.test_game_form import form_data
from questmaster.discord.models import DiscordEffect, EffectKind


@pytest.fixture
def system(db):
    return SystemFactory()


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def states(game) -> dict[str, str]:
    return {r.player.display_name: r.state for r in game.registrations.select_related("player")}


# --- the rules on the model -----------------------------------------------------------------


@pytest.mark.parametrize(
    "status, reason, live, waitlist, actions",
    [
        (GameStatus.DRAFT, "", False, False, ["publish", "open-silent", "deleted"]),
        (GameStatus.OPEN, "", True, True, ["closed", "archived"]),
        (GameStatus.CLOSED, ClosedReason.MANUAL, True, False, ["open", "archived"]),
        (GameStatus.CLOSED, ClosedReason.FULL, True, True, ["open", "archived"]),
        (GameStatus.CLOSED, ClosedReason.SILENT, True, False, ["publish", "archived"]),
        (GameStatus.ARCHIVED, "", False, False, []),
    ],
)
def test_rules_and_their_queryset_twins_agree(db, status, reason, live, waitlist, actions):
    game = GameFactory(status=status, closed_reason=reason)

    assert game.is_live is live
    assert Game.objects.live().filter(pk=game.pk).exists() is live
    assert game.takes_waitlist is waitlist
    assert Game.objects.taking_waitlist().filter(pk=game.pk).exists() is waitlist
    assert Game.objects.announced().filter(pk=game.pk).exists() is game.has_announcement
    assert [t.action for t in game.allowed_actions()] == actions


def test_set_state_refuses_what_the_table_does_not_allow(db):
    game = GameFactory(status=GameStatus.OPEN)

    with pytest.raises(Exception, match="pas possible"):
        game._set_state("free")  # only a game closed because full frees a seat

    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.OPEN, "")
    game._set_state("fill")
    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.FULL)
    assert TRANSITIONS["fill"].target == GameStatus.CLOSED


def test_seats_use_the_annotation_when_present(db, django_assert_num_queries):
    game = GameFactory(party_size=2)
    RegistrationFactory(game=game)
    RegistrationFactory(game=game, state=RegistrationState.WAITLISTED)

    annotated = Game.objects.with_player_count().get(pk=game.pk)
    with django_assert_num_queries(0):
        assert (annotated.registered_count, annotated.seats_left, annotated.is_full) == (
            1,
            1,
            False,
        )


@pytest.mark.parametrize(
    "status, reason, size, selection, expected",
    [
        (GameStatus.OPEN, "", 4, False, RegistrationMode.REGISTER),
        (GameStatus.OPEN, "", 1, False, RegistrationMode.WAITLIST),
        (GameStatus.OPEN, "", 4, True, RegistrationMode.APPLY),
        (GameStatus.CLOSED, ClosedReason.FULL, 1, False, RegistrationMode.WAITLIST),
        (GameStatus.CLOSED, ClosedReason.MANUAL, 4, False, RegistrationMode.CLOSED),
        (GameStatus.CLOSED, ClosedReason.SILENT, 4, False, RegistrationMode.CLOSED),
        (GameStatus.ARCHIVED, "", 4, False, RegistrationMode.ARCHIVED),
    ],
)
def test_registration_mode_of_a_player(db, player, status, reason, size, selection, expected):
    game = GameFactory(
        status=status, closed_reason=reason, party_size=size, party_selection=selection
    )
    RegistrationFactory(game=game)

    assert game.registration_mode(player) == expected


def test_registration_mode_of_the_gm_a_registered_player_and_a_non_player(db, gm, player):
    from django.contrib.auth.models import AnonymousUser

    from accounts.tests.factories import UserFactory

    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player=player, state=RegistrationState.WAITLISTED)

    assert game.registration_mode(gm) == RegistrationMode.GM
    assert game.registration_mode(player) == RegistrationState.WAITLISTED
    assert game.registration_mode(UserFactory(is_player=False)) == RegistrationMode.NOT_PLAYER
    assert game.registration_mode(AnonymousUser()) == RegistrationMode.ANONYMOUS


def test_may_leave_until_the_one_shot_starts(db):
    game = GameFactory(type="oneshot")
    now = timezone.now()
    GameSessionFactory(game=game, start=now + datetime.timedelta(hours=1))

    assert game.may_leave(now)
    assert not game.may_leave(now + datetime.timedelta(hours=2))


# --- the table changes size or mode: rebalanced under the row lock -----------------------------


def test_a_larger_table_seats_the_waiting_list_and_reopens(db, gm):
    game = GameFactory(
        gm=gm, party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL
    )
    RegistrationFactory(game=game, player__display_name="Assise")
    RegistrationFactory(game=game, player__display_name="Premiere", state="waitlisted")
    edited = Game.objects.get(pk=game.pk)
    edited.party_size = 3

    services.update_game(edited, actor=gm)

    game.refresh_from_db()
    assert states(game) == {"Assise": "registered", "Premiere": "registered"}
    assert (game.status, game.closed_reason) == (GameStatus.OPEN, "")
    kinds = list(game.discord_effects.values_list("kind", flat=True))
    assert EffectKind.GRANT_ACCESS in kinds
    assert game.events.filter(action=GameEventAction.PROMOTE).count() == 1


def test_a_table_smaller_than_its_roster_is_refused_in_the_form(client, gm, system):
    game = GameFactory(gm=gm, party_size=3)
    RegistrationFactory.create_batch(2, game=game)
    client.force_login(gm)

    response = client.post(
        reverse("games:edit", kwargs={"slug": game.slug}),
        form_data(system, name=game.name, party_size="1", description="Plus court"),
    )

    game.refresh_from_db()
    assert response.status_code == 200
    assert "2 joueur·euses sont déjà inscrit·es" in response.content.decode()
    assert (game.party_size, game.description) == (3, game.description)
    assert game.description != "Plus court"


def test_switching_to_selection_makes_the_waiting_list_candidates(db, gm):
    game = GameFactory(gm=gm, party_size=1)
    RegistrationFactory(game=game, player__display_name="Assise")
    RegistrationFactory(game=game, player__display_name="Attente", state="waitlisted")
    edited = Game.objects.get(pk=game.pk)
    edited.party_selection = True

    services.update_game(edited, actor=gm)

    assert states(game) == {"Assise": "registered", "Attente": "candidate"}


def test_leaving_selection_seats_candidates_in_order(db, gm):
    game = GameFactory(gm=gm, party_size=2, party_selection=True)
    now = timezone.now()
    RegistrationFactory(game=game, player__display_name="Deux", state="candidate", created_at=now)
    RegistrationFactory(
        game=game,
        player__display_name="Un",
        state="candidate",
        created_at=now - datetime.timedelta(hours=1),
    )
    RegistrationFactory(game=game, player__display_name="Trois", state="candidate")
    edited = Game.objects.get(pk=game.pk)
    edited.party_selection = False

    services.update_game(edited, actor=gm)

    game.refresh_from_db()
    assert states(game) == {"Un": "registered", "Deux": "registered", "Trois": "waitlisted"}
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.FULL)


# --- reports: anonymous to the GM, refusals as 403 ----------------------------------------------


def test_a_report_stays_anonymous_to_the_gm_but_not_to_staff(client, gm, player, staff):
    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player=player)
    services.report_game(game, reporter=player, text="Propos déplacés")

    client.force_login(gm)
    gm_page = client.get(game.get_absolute_url()).content.decode()
    client.force_login(staff)
    staff_page = client.get(game.get_absolute_url()).content.decode()

    assert "Alerte" in gm_page
    assert "La personne qui a signalé reste anonyme." in gm_page
    assert player.display_name not in gm_page.split('id="activity"')[1].split("</section>")[0]
    assert player.display_name in staff_page.split('id="activity"')[1].split("</section>")[0]


def test_an_empty_report_is_refused(client, gm, player):
    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player=player)
    client.force_login(player)

    response = client.post(reverse("games:report", args=[game.slug]), {"message": "   "})

    assert "Décrivez le problème." in response.content.decode()
    assert not DiscordEffect.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "other_gm"])
def test_a_report_by_someone_outside_the_game_is_a_403(client, request, gm, who):
    game = GameFactory(gm=gm)
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("games:report", args=[game.slug]), {"message": "Spam"})

    assert response.status_code == 403
    assert not DiscordEffect.objects.exists()


def test_member_search_is_a_403_for_players(client, player):
    client.force_login(player)

    assert client.get(reverse("games:member_search"), {"q": "pa"}).status_code == 403


def test_notify_without_a_channel_says_so(client, gm):
    game = GameFactory(gm=gm, status=GameStatus.DRAFT)

    with pytest.raises(Exception, match="pas de salon Discord"):
        services.notify_players(game, actor=gm, text="Coucou")


# --- confirmations, without JavaScript ----------------------------------------------------------


def test_leaving_asks_for_a_confirmation(client, player):
    game = GameFactory()
    RegistrationFactory(game=game, player=player)
    client.force_login(player)

    content = client.get(game.get_absolute_url()).content.decode()

    leave = content.split('<details class="leave">')[1].split("</details>")[0]
    assert "<summary" in leave
    assert "Votre place ira à la personne suivante" in leave
    assert reverse("games:leave", args=[game.slug]) in leave


def test_archiving_asks_for_a_confirmation(client, gm):
    game = GameFactory(gm=gm)
    client.force_login(gm)

    content = client.get(game.get_absolute_url()).content.decode()

    archive = content.split("<summary>Archiver</summary>")[1].split("</details>")[0]
    assert "Action finale et irréversible" in archive
    assert 'name="award_trophies"' in archive
    assert 'value="archived"' in archive


# --- adding someone who never signed in ---------------------------------------------------------


def test_gm_adds_a_server_member_who_never_signed_in(client, gm, fake_discord):
    fake_discord.add_member("123456789012345678", "nouvelle", roles=[PLAYER_ROLE], nick="Nouvelle")
    game = GameFactory(gm=gm)
    client.force_login(gm)

    client.post(
        reverse("games:manage", args=[game.slug]),
        {"action": "add", "discord_id": "123456789012345678"},
    )

    member = User.objects.get(discord_id="123456789012345678")
    assert (member.display_name, member.is_player) == ("Nouvelle", True)
    assert not member.has_usable_password()
    assert game.registrations.get(player=member).state == RegistrationState.REGISTERED


@pytest.mark.parametrize(
    "roles, present, message",
    [
        ([], True, "Cette personne n'a pas le rôle joueur·euse sur le serveur Discord."),
        ([PLAYER_ROLE], False, "Personne sur le serveur Discord n'a cet identifiant."),
    ],
)
def test_gm_cannot_add_someone_without_the_player_role(
    client, gm, fake_discord, roles, present, message
):
    if present:
        fake_discord.add_member("123456789012345678", "inconnu", roles=roles)
    game = GameFactory(gm=gm)
    client.force_login(gm)

    response = client.post(
        reverse("games:manage", args=[game.slug]),
        {"action": "add", "discord_id": "123456789012345678"},
    )

    assert flashes(response) == [message]
    assert not User.objects.filter(discord_id="123456789012345678").exists()
    assert not game.registrations.exists()


def test_offline_only_known_members_can_be_added(client, gm):
    game = GameFactory(gm=gm)
    client.force_login(gm)

    response = client.post(
        reverse("games:manage", args=[game.slug]),
        {"action": "add", "discord_id": "123456789012345678"},
    )

    assert flashes(response) == ["Membre inconnu : il doit s'être connecté au moins une fois."]


# --- absurd numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e309", "-1e309", "1e28"])
def test_absurd_session_length_is_a_form_error(client, gm, system, value):
    client.force_login(gm)

    response = client.post(reverse("games:create"), form_data(system, session_length=value))

    assert response.status_code == 200
    assert "Une session dure" in response.content.decode()
    assert not Game.objects.exists()

"""Deactivating members (admin action, change page, automatic) and the guarded deletion."""

import datetime
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import deactivate_member, delete_member
from accounts.tests.factories import UserFactory
from games.models import (
    ClosedReason,
    GameEvent,
    GameEventAction,
    GameStatus,
    Registration,
    RegistrationState,
)
from games.tests.factories import GameFactory, RegistrationFactory
from questmaster.discord.models import DiscordEffect, EffectKind

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accounts_user_changelist"


def deactivate_action(client, *members, **kwargs):
    return client.post(
        reverse(CHANGELIST),
        {"action": "deactivate", "_selected_action": [m.pk for m in members]},
        **kwargs,
    )


def flashes(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def effects(kind: EffectKind) -> list[tuple[str, str]]:
    return [
        (effect.game.name, effect.payload["user_id"])
        for effect in DiscordEffect.objects.filter(kind=kind).select_related("game")
    ]


@pytest.fixture
def full_game(player, outsider):
    """A full table: the player holds the only seat, the outsider is first in line."""
    game = GameFactory(
        name="Les Brumes",
        party_size=1,
        status=GameStatus.CLOSED,
        closed_reason=ClosedReason.FULL,
    )
    RegistrationFactory(game=game, player=player)
    RegistrationFactory(game=game, player=outsider, state=RegistrationState.WAITLISTED)
    return game


# --- the admin action -----------------------------------------------------------------------


def test_deactivate_frees_the_seat_for_the_first_in_line(
    client, staff, player, outsider, full_game
):
    client.force_login(staff)

    response = deactivate_action(client, player, follow=True)

    assert flashes(response) == [
        "1 membre(s) désactivé·e(s) ; 1 inscription(s) à des parties en cours retirée(s)."
    ]
    player.refresh_from_db()
    assert (player.is_active, player.is_player) == (False, False)
    assert player.not_player_as_of is not None
    assert list(full_game.registrations.values_list("player", "state")) == [
        (outsider.pk, RegistrationState.REGISTERED)
    ]
    assert effects(EffectKind.REVOKE_ACCESS) == [("Les Brumes", player.discord_id)]
    assert effects(EffectKind.GRANT_ACCESS) == [("Les Brumes", outsider.discord_id)]
    unregister = full_game.events.get(action=GameEventAction.UNREGISTER)
    assert (unregister.actor, unregister.subject) == (staff, player)
    assert unregister.description == "Le·a joueur·euse a été désinscrit·e de l'annonce."
    assert full_game.events.get(action=GameEventAction.PROMOTE).subject == outsider


def test_deactivate_removes_waiting_list_places_and_applications_without_revoking(
    client, staff, player
):
    client.force_login(staff)
    waiting = GameFactory(name="Complet", party_size=1)
    RegistrationFactory(game=waiting)
    RegistrationFactory(game=waiting, player=player, state=RegistrationState.WAITLISTED)
    selection = GameFactory(name="Sur sélection", party_selection=True)
    RegistrationFactory(game=selection, player=player, state=RegistrationState.CANDIDATE)

    response = deactivate_action(client, player, follow=True)

    assert flashes(response) == [
        "1 membre(s) désactivé·e(s) ; 2 inscription(s) à des parties en cours retirée(s)."
    ]
    assert not Registration.objects.filter(player=player).exists()
    # They never had access to the game channels: nothing to revoke, nobody promoted.
    assert effects(EffectKind.REVOKE_ACCESS) == []
    assert effects(EffectKind.GRANT_ACCESS) == []
    assert set(
        GameEvent.objects.filter(action=GameEventAction.UNREGISTER, subject=player).values_list(
            "game__name", flat=True
        )
    ) == {"Complet", "Sur sélection"}


def test_deactivate_keeps_archived_and_draft_games(client, staff, player):
    client.force_login(staff)
    archived = RegistrationFactory(player=player, game__archived=True)
    draft = RegistrationFactory(player=player, game__draft=True)

    deactivate_action(client, player)

    assert set(Registration.objects.filter(player=player)) == {archived, draft}
    assert not GameEvent.objects.filter(action=GameEventAction.UNREGISTER).exists()


def test_deactivate_leaves_the_games_of_a_gm_and_says_so(client, staff, gm, player):
    client.force_login(staff)
    game = GameFactory(gm=gm, name="La Table de Gaston")
    RegistrationFactory(game=game, player=player)
    GameFactory(gm=gm, archived=True)

    response = deactivate_action(client, gm, follow=True)

    assert flashes(response) == [
        "1 membre(s) désactivé·e(s) ; 0 inscription(s) à des parties en cours retirée(s).",
        "Gaston MJ mène encore 1 partie(s) en cours : confiez-les à un·e autre MJ ou archivez-les.",
    ]
    game.refresh_from_db()
    assert (game.gm, game.status) == (gm, GameStatus.OPEN)
    assert list(game.registrations.values_list("player", flat=True)) == [player.pk]


def test_deactivate_frees_seats_still_held_by_a_member_marked_inactive_earlier(
    client, staff, player, outsider, full_game
):
    earlier = timezone.now() - datetime.timedelta(days=30)
    User.objects.filter(pk=player.pk).update(not_player_as_of=earlier)
    client.force_login(staff)

    response = deactivate_action(client, player, follow=True)

    assert flashes(response) == [
        "0 membre(s) désactivé·e(s) ; 1 inscription(s) à des parties en cours retirée(s)."
    ]
    player.refresh_from_db()
    assert (player.not_player_as_of, player.is_active) == (earlier, False)
    assert full_game.registrations.get().player == outsider


def test_deactivate_refuses_yourself(client, staff, player):
    RegistrationFactory(player=staff)
    client.force_login(staff)

    response = deactivate_action(client, staff, player, follow=True)

    assert flashes(response) == [
        "Sacha Admin n'a pas été désactivé·e : Vous ne pouvez pas désactiver votre propre compte.",
        "1 membre(s) désactivé·e(s) ; 0 inscription(s) à des parties en cours retirée(s).",
    ]
    staff.refresh_from_db()
    assert (staff.is_active, staff.not_player_as_of) == (True, None)
    assert Registration.objects.filter(player=staff).exists()


def test_deactivated_member_loses_their_session(client, staff, player):
    player_client = client.__class__()
    player_client.force_login(player)
    assert player_client.get(reverse("games:playing")).status_code == 200
    client.force_login(staff)

    deactivate_action(client, player)

    response = player_client.get(reverse("games:playing"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_deactivate_action_needs_the_change_permission(client, player, full_game):
    helper = UserFactory(is_staff=True)
    helper.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(helper)

    deactivate_action(client, player)

    player.refresh_from_db()
    assert (player.is_active, player.not_player_as_of) == (True, None)
    assert full_game.registrations.filter(player=player).exists()


def test_deactivation_is_logged_in_the_member_history(client, staff, player, full_game):
    client.force_login(staff)

    deactivate_action(client, player)

    history = client.get(reverse("admin:accounts_user_history", args=[player.pk]))
    assert "Désactivé·e ; 1 inscription(s) à des parties en cours retirée(s)." in unescape(
        history.content.decode()
    )


# --- the change page ------------------------------------------------------------------------


def test_change_page_offers_deactivation_and_no_longer_edits_activity(client, staff, player):
    client.force_login(staff)

    response = client.get(reverse("admin:accounts_user_change", args=[player.pk]))

    deactivate_url = reverse("admin:accounts_user_deactivate", args=[player.pk])
    assert f'href="{deactivate_url}"' in response.content.decode()
    fields = response.context["adminform"].form.fields
    assert "is_active" not in fields
    assert "not_player_as_of" not in fields


def test_deactivate_page_lists_what_will_happen(client, staff, gm, player, full_game):
    client.force_login(staff)
    RegistrationFactory(game__name="Archivée", game__archived=True, player=gm)
    RegistrationFactory(game__name="Les Brumes 2", player=gm, state=RegistrationState.WAITLISTED)
    GameFactory(gm=gm, name="La Table de Gaston")

    response = client.get(reverse("admin:accounts_user_deactivate", args=[gm.pk]))

    content = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Désactiver Gaston MJ" in content
    assert "Les Brumes 2</a> — Liste d'attente" in content
    assert "Archivée" not in content
    assert "Parties en cours menées" in content
    assert "La Table de Gaston" in content
    assert "Oui, désactiver" in content


def test_deactivate_page_post_deactivates_and_returns_to_the_member(
    client, staff, player, outsider, full_game
):
    client.force_login(staff)
    url = reverse("admin:accounts_user_deactivate", args=[player.pk])

    response = client.post(url, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:accounts_user_change", args=[player.pk])
    assert flashes(response) == [
        "1 membre(s) désactivé·e(s) ; 1 inscription(s) à des parties en cours retirée(s)."
    ]
    assert full_game.registrations.get().player == outsider


def test_deactivate_page_refuses_yourself_and_unknown_members(client, staff):
    client.force_login(staff)

    own = client.get(reverse("admin:accounts_user_deactivate", args=[staff.pk]))
    posted = client.post(reverse("admin:accounts_user_deactivate", args=[staff.pk]), follow=True)
    unknown = client.get(reverse("admin:accounts_user_deactivate", args=["abc"]))

    assert "Vous ne pouvez pas désactiver votre propre compte." in own.content.decode()
    assert "Oui, désactiver" not in own.content.decode()
    assert flashes(posted) == [
        "Sacha Admin n'a pas été désactivé·e : Vous ne pouvez pas désactiver votre propre compte."
    ]
    staff.refresh_from_db()
    assert staff.is_active is True
    assert unknown.status_code == 404


def test_deactivate_page_needs_the_change_permission(client, player):
    helper = UserFactory(is_staff=True)
    helper.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(helper)
    url = reverse("admin:accounts_user_deactivate", args=[player.pk])

    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    player.refresh_from_db()
    assert player.is_active is True


# --- the service on its own -----------------------------------------------------------------


def test_automatic_deactivation_is_recorded_without_actor(player, outsider, full_game):
    outcome = deactivate_member(player, actor=None)

    assert (outcome.newly_inactive, outcome.registrations_removed) == (True, 1)
    unregister = full_game.events.get(action=GameEventAction.UNREGISTER)
    assert (unregister.actor, unregister.subject) == (None, player)
    revoke = DiscordEffect.objects.get(kind=EffectKind.REVOKE_ACCESS)
    assert (revoke.created_by, revoke.payload["user_id"]) == (None, player.discord_id)


def test_automatic_deactivation_keeps_an_operator_able_to_sign_in():
    operator = UserFactory(password="une phrase de passe solide", is_staff=True)

    deactivate_member(operator, actor=None)

    operator.refresh_from_db()
    assert (operator.is_active, operator.not_player_as_of is not None) == (True, True)


def test_deactivation_reopens_a_full_game_when_nobody_waits(staff, player):
    game = GameFactory(party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL)
    RegistrationFactory(game=game, player=player)

    deactivate_member(player, actor=staff)

    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.OPEN, "")


# --- deletion -------------------------------------------------------------------------------


def test_deleting_a_member_with_registrations_is_refused_with_a_way_out(client, staff, player):
    client.force_login(staff)
    live = RegistrationFactory(player=player, game__name="En cours")
    archived = RegistrationFactory(player=player, game__name="Souvenir", game__archived=True)
    url = reverse("admin:accounts_user_delete", args=[player.pk])

    page = client.get(url)
    posted = client.post(url, {"post": "yes"})

    content = unescape(page.content.decode())
    assert "Paule Joueuse — En cours (Inscrit·e)" in content
    assert "Paule Joueuse — Souvenir (Inscrit·e)" in content
    assert "Un membre qui mène des parties ou a des inscriptions n'est jamais supprimé" in content
    assert reverse("admin:accounts_user_deactivate", args=[player.pk]) in content
    assert posted.status_code == 200  # the same refusal page, nothing deleted
    assert set(Registration.objects.filter(player=player)) == {live, archived}
    assert User.objects.filter(pk=player.pk).exists()


def test_deleting_a_gm_is_refused_not_a_server_error(client, staff, gm):
    client.force_login(staff)
    GameFactory(gm=gm, name="La Table de Gaston")
    url = reverse("admin:accounts_user_delete", args=[gm.pk])

    page = client.get(url)
    posted = client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert "La Table de Gaston" in unescape(page.content.decode())
    assert posted.status_code == 200
    assert User.objects.filter(pk=gm.pk).exists()


def test_bulk_delete_refuses_members_with_history(client, staff, player, gm):
    client.force_login(staff)
    RegistrationFactory(player=player)
    nobody = UserFactory(display_name="Créé par erreur")

    response = client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", "_selected_action": [player.pk, nobody.pk], "post": "yes"},
    )

    assert "Utilisez plutôt l'action « Désactiver »." in unescape(response.content.decode())
    assert User.objects.filter(pk__in=[player.pk, nobody.pk]).count() == 2


def test_superuser_deletes_a_member_without_history(client, staff):
    client.force_login(staff)
    mistake = UserFactory(display_name="Créé par erreur")

    response = client.post(
        reverse("admin:accounts_user_delete", args=[mistake.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=mistake.pk).exists()


def test_only_superusers_delete_members(client):
    helper = UserFactory(is_staff=True)
    helper.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user", "delete_user"])
    )
    mistake = UserFactory(display_name="Créé par erreur")
    client.force_login(helper)

    response = client.post(
        reverse("admin:accounts_user_delete", args=[mistake.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert User.objects.filter(pk=mistake.pk).exists()


def test_delete_member_rechecks_under_the_lock(staff, player):
    RegistrationFactory(player=player)

    with pytest.raises(ValidationError) as refused:
        delete_member(player, actor=staff)

    assert refused.value.messages == [
        "Paule Joueuse ne peut pas être supprimé·e : 0 partie(s) menée(s) et 1 inscription(s). "
        "Désactivez ce membre plutôt."
    ]
    assert User.objects.filter(pk=player.pk).exists()


def test_a_superuser_cannot_delete_themselves(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:accounts_user_delete", args=[staff.pk]), {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert flashes(response) == ["Vous ne pouvez pas supprimer votre propre compte."]
    assert User.objects.filter(pk=staff.pk).exists()

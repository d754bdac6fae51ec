"""The GM notifies the players; the GM, staff or a player reports the game to the staff."""

from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from games.models import GameEventAction, RegistrationState
from games.tests.factories import GameFactory, RegistrationFactory
from questmaster.discord.models import DiscordEffect, EffectKind

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Tests run offline: the site says the work is recorded, not sent.
NOTIFIED_OFFLINE = "Notification enregistrée : mode hors ligne, rien n'a été envoyé à Discord."
REPORTED_OFFLINE = "Signalement enregistré : mode hors ligne, rien n'a été envoyé à Discord."
XSS = "<script>alert('x')</script>"


def notify(client, game, data, **kwargs):
    return client.post(reverse("games:notify", args=[game.slug]), data, **kwargs)


def report(client, game, data, **kwargs):
    return client.post(reverse("games:report", args=[game.slug]), data, **kwargs)


def text(response) -> str:
    return unescape(response.content.decode())


def sent(game):
    return list(DiscordEffect.objects.filter(game=game, kind=EffectKind.SEND_MESSAGE))


@pytest.fixture
def game(gm):
    return GameFactory(
        gm=gm,
        name="Kingsport",
        published_at=timezone.now(),
        discord_channel_id="123456789012345678",
    )


# --- notify -------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["gm", "staff"])
def test_notify_posts_in_the_game_channel(client, request, game, viewer):
    actor = request.getfixturevalue(viewer)
    client.force_login(actor)

    response = notify(client, game, {"message": "  Séance avancée à 20h !  "}, follow=True)

    assert response.redirect_chain == [(game.get_absolute_url(), 302)]
    assert NOTIFIED_OFFLINE in text(response)
    [effect] = sent(game)
    assert effect.payload["target"] == "game"
    assert effect.payload["ping_players"] is True
    assert "\nSéance avancée à 20h !\n" in effect.payload["message"]["content"]
    event = game.events.get(action=GameEventAction.EDIT)
    assert (event.actor, event.description) == (
        actor,
        "Le MJ a notifié les joueur·euses dans le salon.",
    )


def test_notify_htmx_returns_the_form_and_toast(client, gm, game):
    client.force_login(gm)

    response = notify(client, game, {"message": "Bonjour"}, headers=HTMX)

    content = text(response)
    assert content.lstrip().startswith('<div id="notify"')
    assert "<html" not in content
    assert NOTIFIED_OFFLINE in content
    assert '<section id="activity"' in content


@pytest.mark.parametrize("message", ["", "   \n  "])
def test_notify_refuses_an_empty_message(client, gm, game, message):
    client.force_login(gm)

    response = notify(client, game, {"message": message}, headers=HTMX)

    assert "Le message de notification est vide." in text(response)
    assert sent(game) == []


def test_notify_refuses_a_too_long_message_and_keeps_it_escaped(client, gm, game):
    client.force_login(gm)

    response = notify(client, game, {"message": XSS + "x" * 1500})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Le message est trop long (1500 caractères au plus)." in unescape(content)
    assert XSS not in content
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;xxx" in content
    assert sent(game) == []


def test_notify_a_draft_is_refused(client, gm):
    game = GameFactory(gm=gm, draft=True)
    client.force_login(gm)

    response = notify(client, game, {"message": "Bonjour"}, headers=HTMX)

    assert "Cette partie n'a pas de salon Discord : impossible d'y notifier les joueur·euses." in (
        text(response)
    )
    assert sent(game) == []


@pytest.mark.parametrize("viewer", ["player", "outsider", "other_gm"])
def test_notify_is_refused_to_others(client, request, game, player, viewer):
    RegistrationFactory(game=game, player=player)
    client.force_login(request.getfixturevalue(viewer))

    assert notify(client, game, {"message": "Bonjour"}).status_code == 403
    assert sent(game) == []


def test_notify_anonymous_is_sent_to_sign_in(client, game):
    response = notify(client, game, {"message": "Bonjour"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_notify_and_report_are_post_only(client, gm, game):
    client.force_login(gm)

    assert client.get(reverse("games:notify", args=[game.slug])).status_code == 405
    assert client.get(reverse("games:report", args=[game.slug])).status_code == 405


# --- report -------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["player", "gm", "staff"])
def test_report_goes_to_the_staff_channel(client, request, game, player, viewer):
    RegistrationFactory(game=game, player=player)
    reporter = request.getfixturevalue(viewer)
    client.force_login(reporter)

    response = report(client, game, {"message": "Propos déplacés en séance."}, follow=True)

    assert REPORTED_OFFLINE in text(response)
    [effect] = sent(game)
    assert effect.payload["target"] == "staff"
    description = effect.payload["message"]["embeds"][0]["description"]
    assert f"<@{reporter.discord_id}>" in description
    assert "Propos déplacés en séance." in description
    event = game.events.get(action=GameEventAction.ALERT)
    assert event.description == "Un signalement a été fait."


def test_report_without_a_message_is_refused(client, game, player):
    RegistrationFactory(game=game, player=player)
    client.force_login(player)

    response = report(client, game, {}, headers=HTMX)

    content = text(response)
    assert content.lstrip().startswith('<div id="report"')
    assert "Décrivez le problème." in content
    assert sent(game) == []


def test_report_text_is_kept_escaped_when_refused(client, game, player):
    RegistrationFactory(game=game, player=player)
    client.force_login(player)

    response = report(client, game, {"message": XSS + "x" * 1500}, headers=HTMX)

    content = response.content.decode()
    assert "Le message est trop long" in content
    assert XSS not in content
    assert "&lt;script&gt;" in content
    assert sent(game) == []


@pytest.mark.parametrize("state", [None, RegistrationState.WAITLISTED, RegistrationState.CANDIDATE])
def test_report_is_refused_to_non_participants(client, game, player, state):
    if state:
        RegistrationFactory(game=game, player=player, state=state)
    client.force_login(player)

    response = report(client, game, {"message": "Bonjour"})

    assert response.status_code == 403
    assert sent(game) == []
    assert not game.events.filter(action=GameEventAction.ALERT).exists()


def test_report_is_refused_to_another_gm(client, game, other_gm):
    client.force_login(other_gm)

    response = report(client, game, {"message": "Bonjour"}, headers=HTMX)

    assert response.status_code == 403
    assert sent(game) == []


def test_report_anonymous_is_sent_to_sign_in(client, game):
    response = report(client, game, {"message": "Bonjour"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert sent(game) == []


def test_report_an_archived_game_is_refused(client, gm):
    game = GameFactory(gm=gm, archived=True)
    client.force_login(gm)

    response = report(client, game, {"message": "Bonjour"}, headers=HTMX)

    assert "Cette annonce ne peut plus être signalée." in text(response)
    assert sent(game) == []


def test_report_of_a_draft_is_404_for_others(client, outsider):
    game = GameFactory(draft=True)
    client.force_login(outsider)

    assert report(client, game, {"message": "Bonjour"}).status_code == 404


def test_flash_messages_are_escaped(client, gm):
    # A service message quoting user input must never become markup.
    game = GameFactory(gm=gm)
    client.force_login(gm)

    response = client.post(reverse("games:manage", args=[game.slug]), {"action": XSS}, headers=HTMX)

    assert XSS not in response.content.decode()
    assert "Action demandée non gérée." in text(response)


def test_online_the_site_says_notified_and_reported(client, game, gm, player, settings):
    settings.DISCORD_BOT_TOKEN, settings.DISCORD_OFFLINE = "bot-token", False
    RegistrationFactory(game=game, player=player)
    client.force_login(gm)
    assert "Joueur·euses notifié·es." in text(
        notify(client, game, {"message": "Hop"}, headers=HTMX)
    )
    client.force_login(player)
    assert "Signalement effectué." in text(report(client, game, {"message": "Hop"}, headers=HTMX))

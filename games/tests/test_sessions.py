"""Adding, changing and deleting the sessions of a game (GM and staff)."""

import datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from games.models import GameEventAction, GameSession, GameStatus
from games.tests.factories import GameFactory, GameSessionFactory
from questmaster.discord.models import DiscordEffect, EffectKind

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
INVALID = (
    "Dates de session invalides : la fin doit suivre le début et la session ne peut excéder "
    "24 heures."
)


def paris(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def add(client, game, data, **kwargs):
    return client.post(reverse("games:session_add", args=[game.slug]), data, **kwargs)


def edit(client, game, session, data, **kwargs):
    url = reverse("games:session_edit", args=[game.slug, session.pk])
    return client.post(url, data, **kwargs)


def delete(client, game, session, **kwargs):
    url = reverse("games:session_delete", args=[game.slug, session.pk])
    return client.post(url, {}, **kwargs)


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def game(gm):
    game = GameFactory(gm=gm, date=paris(2031, 7, 5, 20, 30), published_at=timezone.now())
    GameSessionFactory(game=game, start=paris(2031, 7, 5, 20, 30), end=paris(2031, 7, 5, 23, 30))
    return game


SAT = {"date_start": "2031-07-12T20:30", "date_end": "2031-07-13T00:30"}


# --- add ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["gm", "staff"])
def test_add_a_session_in_the_club_time_zone(client, request, game, viewer):
    actor = request.getfixturevalue(viewer)
    client.force_login(actor)

    response = add(client, game, SAT, follow=True)

    assert response.redirect_chain == [(game.get_absolute_url(), 302)]
    assert "Session ajoutée." in text(response)
    session = game.sessions.latest("start")
    assert session.start == datetime.datetime(2031, 7, 12, 18, 30, tzinfo=datetime.UTC)
    assert session.end == datetime.datetime(2031, 7, 12, 22, 30, tzinfo=datetime.UTC)
    event = game.events.get(action=GameEventAction.CREATE_SESSION)
    assert event.actor == actor
    assert event.description == "Une session a été créée du sam 12/07 - 20h30 au dim 13/07 - 00h30."
    notice = DiscordEffect.objects.get(game=game, kind=EffectKind.SEND_MESSAGE)
    assert notice.payload["ping_players"] is True


def test_add_htmx_returns_the_sessions_with_activity_and_toast(client, gm, game):
    client.force_login(gm)

    response = add(client, game, SAT, headers=HTMX)

    content = text(response)
    assert content.lstrip().startswith('<section id="sessions"')
    assert "<html" not in content
    assert "#2" in content and "samedi 12/07" in content
    activity = content.split('<section id="activity"')[1].split(">")[0]
    assert 'hx-swap-oob="true"' in activity
    assert "Une session a été créée du sam 12/07 - 20h30" in content
    assert "Session ajoutée." in content
    # A fresh, closed add form.
    assert '<details class="session-add">' in content


@pytest.mark.parametrize(
    "data",
    [
        {"date_start": "2031-07-12T20:30", "date_end": "2031-07-12T20:30"},
        {"date_start": "2031-07-12T20:30", "date_end": "2031-07-12T19:00"},
        {"date_start": "2031-07-12T20:30", "date_end": "2031-07-13T20:31"},
        {"date_start": "demain", "date_end": "2031-07-13T00:30"},
        {"date_start": "2031-13-45T99:99", "date_end": "2031-07-13T00:30"},
        {"date_start": "2031-07-12T20:30"},
        {},
        {"date_start": "x" * 10_000, "date_end": "<script>alert(1)</script>"},
    ],
)
def test_add_refuses_bad_dates(client, gm, game, data):
    client.force_login(gm)

    response = add(client, game, data, headers=HTMX)

    assert INVALID in text(response)
    assert "<script>alert" not in response.content.decode()
    assert '<details class="session-add" open>' in response.content.decode()
    assert game.sessions.count() == 1
    assert not game.events.filter(action=GameEventAction.CREATE_SESSION).exists()


def test_add_accepts_exactly_24_hours(client, gm, game):
    client.force_login(gm)

    add(client, game, {"date_start": "2031-07-12T20:30", "date_end": "2031-07-13T20:30"})

    assert game.sessions.count() == 2


def test_add_an_overlapping_session_is_refused(client, gm, game):
    client.force_login(gm)

    response = add(
        client,
        game,
        {"date_start": "2031-07-05T22:00", "date_end": "2031-07-06T01:00"},
        headers=HTMX,
    )

    assert "Cette session chevauche une autre session de la partie." in text(response)
    assert game.sessions.count() == 1


def test_add_a_session_touching_another_is_fine(client, gm, game):
    client.force_login(gm)

    add(client, game, {"date_start": "2031-07-05T23:30", "date_end": "2031-07-06T01:00"})

    assert game.sessions.count() == 2


def test_add_without_javascript_keeps_what_was_typed(client, gm, game):
    client.force_login(gm)

    response = add(client, game, {"date_start": "2031-07-12T20:30", "date_end": "2031-07-12T19:00"})

    content = text(response)
    assert response.status_code == 200
    assert "<html" in content
    assert INVALID in content
    assert 'value="2031-07-12T20:30" required id="session-new-date_start"' in content
    assert 'value="2031-07-12T19:00" required id="session-new-date_end"' in content


def test_add_to_a_draft_is_refused(client, gm):
    game = GameFactory(gm=gm, draft=True)
    client.force_login(gm)

    response = add(client, game, SAT, headers=HTMX)

    content = text(response)
    assert "Impossible d'ajouter une session à un brouillon. Publiez d'abord l'annonce." in content
    assert not GameSession.objects.exists()


def test_sessions_of_an_archived_game_cannot_change(client, gm, game):
    game.status = GameStatus.ARCHIVED
    game.save()
    session = game.sessions.get()
    client.force_login(gm)

    added = add(client, game, SAT, headers=HTMX)
    edited = edit(client, game, session, SAT, headers=HTMX)
    deleted = delete(client, game, session, headers=HTMX)

    for response in (added, edited, deleted):
        assert "Les sessions d'une partie archivée ne peuvent plus changer." in text(response)
    assert list(game.sessions.values_list("start", flat=True)) == [paris(2031, 7, 5, 20, 30)]
    assert "Ajouter une session" not in text(client.get(game.get_absolute_url()))


# --- personas -----------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["player", "outsider", "other_gm"])
def test_sessions_are_refused_to_others(client, request, game, viewer):
    session = game.sessions.get()
    client.force_login(request.getfixturevalue(viewer))

    assert add(client, game, SAT).status_code == 403
    assert edit(client, game, session, SAT).status_code == 403
    assert delete(client, game, session).status_code == 403
    assert list(game.sessions.all()) == [session]
    session.refresh_from_db()
    assert session.start == paris(2031, 7, 5, 20, 30)


def test_sessions_anonymous_is_sent_to_sign_in(client, game):
    session = game.sessions.get()

    for response in (add(client, game, SAT), edit(client, game, session, SAT)):
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    assert delete(client, game, session).status_code == 302
    assert game.sessions.count() == 1


def test_sessions_are_post_only(client, gm, game):
    session = game.sessions.get()
    client.force_login(gm)

    assert client.get(reverse("games:session_add", args=[game.slug])).status_code == 405
    url = reverse("games:session_edit", args=[game.slug, session.pk])
    assert client.get(url).status_code == 405
    url = reverse("games:session_delete", args=[game.slug, session.pk])
    assert client.get(url).status_code == 405


def test_sessions_of_a_draft_are_404_for_others(client, other_gm):
    game = GameFactory(draft=True)
    client.force_login(other_gm)

    assert add(client, game, SAT).status_code == 404


# --- edit ---------------------------------------------------------------------------------------


def test_edit_a_session(client, gm, game):
    session = game.sessions.get()
    client.force_login(gm)

    response = edit(
        client,
        game,
        session,
        {"date_start": "2031-07-05T21:00", "date_end": "2031-07-06T00:00"},
        follow=True,
    )

    assert "Session modifiée." in text(response)
    session.refresh_from_db()
    assert (session.start, session.end) == (paris(2031, 7, 5, 21), paris(2031, 7, 6, 0))
    event = game.events.get(action=GameEventAction.EDIT_SESSION)
    assert event.description == (
        "Une session a été éditée : sam 05/07 - 20h30 → sam 05/07 - 23h30, remplacée par "
        "sam 05/07 - 21h00 → dim 06/07 - 00h00."
    )


def test_edit_htmx_error_reopens_that_session_form(client, gm, game):
    session = game.sessions.get()
    client.force_login(gm)

    response = edit(
        client,
        game,
        session,
        {"date_start": "2031-07-05T21:00", "date_end": "2031-07-05T20:00"},
        headers=HTMX,
    )

    content = text(response)
    assert content.lstrip().startswith('<section id="sessions"')
    assert INVALID in content
    assert f'value="2031-07-05T20:00" required id="session-{session.pk}-date_end"' in content
    session.refresh_from_db()
    assert session.start == paris(2031, 7, 5, 20, 30)


def test_edit_into_another_session_is_refused(client, gm, game):
    other = GameSessionFactory(
        game=game, start=paris(2031, 7, 12, 20, 30), end=paris(2031, 7, 12, 23, 30)
    )
    client.force_login(gm)

    response = edit(
        client,
        game,
        other,
        {"date_start": "2031-07-05T22:00", "date_end": "2031-07-06T01:00"},
        headers=HTMX,
    )

    assert "Cette session chevauche une autre session de la partie." in text(response)
    other.refresh_from_db()
    assert other.start == paris(2031, 7, 12, 20, 30)


def test_edit_or_delete_another_games_session_is_404(client, gm, game):
    stranger = GameSessionFactory(game=GameFactory())
    client.force_login(gm)

    assert edit(client, game, stranger, SAT).status_code == 404
    assert delete(client, game, stranger).status_code == 404
    assert GameSession.objects.filter(pk=stranger.pk).exists()


# --- delete -------------------------------------------------------------------------------------


def test_delete_a_session(client, gm, game):
    session = game.sessions.get()
    client.force_login(gm)

    response = delete(client, game, session, headers=HTMX)

    content = text(response)
    assert content.lstrip().startswith('<section id="sessions"')
    assert "Session supprimée." in content
    assert "Aucune session prévue pour le moment." in content
    assert not game.sessions.exists()
    assert game.events.get(action=GameEventAction.DELETE_SESSION).actor == gm
    assert DiscordEffect.objects.filter(game=game, kind=EffectKind.SEND_MESSAGE).count() == 1

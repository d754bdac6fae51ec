"""The GM (or staff) marks who came to a past session, from the game page."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from games.models import Attendance, GameEventAction, GameSession
from games.statistics import club_stats_key, member_stats_key
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(session) -> str:
    return reverse("games:session_attendance", args=[session.game.slug, session.pk])


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def past_session(game, *, days: int = 1) -> GameSession:
    end = timezone.now() - datetime.timedelta(days=days)
    return GameSessionFactory(game=game, start=end - datetime.timedelta(hours=3), end=end)


@pytest.fixture
def table(gm):
    game = GameFactory(gm=gm)
    came = RegistrationFactory(game=game, player__display_name="Alice").player
    missed = RegistrationFactory(game=game, player__display_name="Bruno").player
    return game, came, missed


@pytest.mark.parametrize("who", ["gm", "staff"])
def test_the_gm_or_staff_marks_who_came(client, request, table, who):
    game, came, missed = table
    session = past_session(game)
    client.force_login(request.getfixturevalue(who))

    response = client.post(url(session), {"present": [came.discord_id]})

    assert flashes(response) == ["Présences enregistrées."]
    marks = {a.player: a.present for a in Attendance.objects.filter(session=session)}
    assert marks == {came: True, missed: False}
    event = game.events.get(action=GameEventAction.ATTENDANCE)
    assert event.actor == request.getfixturevalue(who)
    assert "1 présent·e(s), 1 absent·e(s)" in event.description
    assert list(GameSession.objects.played_by(missed)) == []
    assert list(GameSession.objects.played_by(came)) == [session]


def test_marking_again_changes_the_marks(client, gm, table):
    game, came, missed = table
    session = past_session(game)
    client.force_login(gm)
    client.post(url(session), {"present": [came.discord_id]})

    client.post(url(session), {"present": [came.discord_id, missed.discord_id]})

    assert Attendance.objects.filter(session=session, present=True).count() == 2


@pytest.mark.parametrize("who", ["player", "outsider", "other_gm"])
def test_others_cannot_mark_attendance(client, request, table, who):
    game, came, _missed = table
    session = past_session(game)
    client.force_login(request.getfixturevalue(who))

    response = client.post(url(session), {"present": [came.discord_id]})

    assert response.status_code in (403, 404)
    assert not Attendance.objects.exists()


def test_a_session_to_come_cannot_be_marked(client, gm, table):
    game, came, _missed = table
    start = timezone.now() + datetime.timedelta(days=1)
    session = GameSessionFactory(game=game, start=start, end=start + datetime.timedelta(hours=2))
    client.force_login(gm)

    response = client.post(url(session), {"present": [came.discord_id]})

    assert flashes(response) == ["Les présences se notent une fois la session terminée."]
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("value", ["123456789012345678", "<script>", "1"])
def test_only_players_of_the_game_can_be_marked(client, gm, table, value):
    game, _came, _missed = table
    UserFactory(discord_id="123456789012345678")
    session = past_session(game)
    client.force_login(gm)

    response = client.post(url(session), {"present": [value]})

    assert len(flashes(response)) == 1
    assert not Attendance.objects.exists()


def test_the_roll_keeps_a_player_marked_before_leaving(client, gm, table):
    game, _came, missed = table
    session = past_session(game)
    Attendance.objects.create(session=session, player=missed, present=True)
    game.registrations.filter(player=missed).delete()
    client.force_login(gm)

    content = client.get(game.get_absolute_url()).content.decode()

    roll = content.split('class="attendance-list"')[1].split("</ul>")[0]
    assert "Alice" in roll and "Bruno" in roll
    assert "non noté·e" in roll and "présent·e" in roll


def test_the_attendance_form_answers_htmx_with_the_sessions_fragment(client, gm, table):
    game, came, _missed = table
    session = past_session(game)
    client.force_login(gm)

    response = client.post(url(session), {"present": [came.discord_id]}, headers=HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="sessions"')
    assert 'id="activity"' in content  # out-of-band: the new audit line


def test_marking_makes_the_figures_of_the_game_stale(
    client, gm, table, django_capture_on_commit_callbacks
):
    game, came, missed = table
    session = past_session(game)
    before = [member_stats_key(user.pk, "dashboard") for user in (gm, came, missed)]
    club_before = club_stats_key("overview")
    client.force_login(gm)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(session), {"present": [came.discord_id]})

    after = [member_stats_key(user.pk, "dashboard") for user in (gm, came, missed)]
    assert all(old != new for old, new in zip(before, after, strict=True))
    assert club_stats_key("overview") != club_before
    cache.clear()


def test_the_rolls_cost_no_query_per_session_or_player(client, gm, table):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    game, _came, _missed = table
    past_session(game, days=1)
    client.force_login(gm)
    client.get(game.get_absolute_url())  # fills the caches every page reads

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            content = client.get(game.get_absolute_url()).content.decode()
        assert content.count('class="attendance-list"') == game.sessions.count()
        return len(ctx.captured_queries)

    one = queries()
    for days in range(2, 8):
        session = past_session(game, days=days)
        Attendance.objects.create(
            session=session, player=RegistrationFactory(game=game).player, present=True
        )

    assert queries() == one

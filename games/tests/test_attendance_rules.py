""" "Played" has one definition: attendance where it was marked, the registration where not."""

import datetime

import pytest
from django.utils import timezone

from games.models import Attendance, GameSession, GameStatus, RegistrationState
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def session_of(game, *, days: int) -> GameSession:
    start = timezone.now() + datetime.timedelta(days=days)
    return GameSessionFactory(game=game, start=start, end=start + datetime.timedelta(hours=3))


def test_played_uses_attendance_where_marked_and_the_seat_elsewhere(gm, player):
    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player=player)
    came, missed, unmarked = (session_of(game, days=-d) for d in (3, 2, 1))
    Attendance.objects.create(session=came, player=player, present=True)
    Attendance.objects.create(session=missed, player=player, present=False)

    played = set(GameSession.objects.played_by(player))

    assert played == {came, unmarked}


def test_a_player_marked_present_counts_even_after_leaving(gm, player):
    game = GameFactory(gm=gm)
    session = session_of(game, days=-1)
    Attendance.objects.create(session=session, player=player, present=True)

    assert list(GameSession.objects.played_by(player)) == [session]


def test_the_gm_never_plays_their_own_game_and_waiting_lists_do_not_play(gm, player):
    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player=gm)
    RegistrationFactory(game=game, player=player, state=RegistrationState.WAITLISTED)
    session = session_of(game, days=-1)

    assert list(GameSession.objects.played_by(gm)) == []
    assert list(GameSession.objects.played_by(player)) == []
    assert list(GameSession.objects.run_by(gm)) == [session]


def test_counted_sessions_skip_drafts_and_ended_skips_the_future(gm):
    draft = GameFactory(gm=gm, status=GameStatus.DRAFT)
    live = GameFactory(gm=gm)
    session_of(draft, days=-1)
    past, future = session_of(live, days=-1), session_of(live, days=1)

    assert set(GameSession.objects.counted()) == {past, future}
    assert list(GameSession.objects.counted().ended()) == [past]

"""The member's dashboard: agenda, "Mes statistiques" and their cache."""

import datetime
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import ClubSettings, GameType
from catalog.tests.factories import SystemFactory, VttFactory
from games.models import Attendance, GameStatus, RegistrationState
from games.statistics import forget_member_stats, member_stats_key
from games.statistics.member import (
    Split,
    cached_member_agenda,
    compute_member_stats,
    member_dashboard_stats,
    share,
)
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory
from trophies.models import TROPHY_CAMPAIGN, TROPHY_OS, UserTrophy

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def local(*args) -> datetime.datetime:
    """An aware datetime in the club time zone (Europe/Paris)."""
    return timezone.make_aware(datetime.datetime(*args))


def session(game, start: datetime.datetime, end: datetime.datetime):
    return GameSessionFactory(game=game, start=start, end=end)


NOW = local(2026, 4, 15, 12, 0)


@pytest.fixture
def history(player, gm, other_gm, outsider, reserved_trophies):
    """Paule's club life, built so that every figure is known (see each comment)."""
    cthulhu, dnd, pathfinder = (SystemFactory(name=n) for n in ("Cthulhu", "D&D", "Pathfinder"))
    foundry = VttFactory(name="Foundry")
    # G1, a one-shot by Gaston: 4 h from 31 March 22:00 to 1 April 02:00 — counts in March.
    g1 = GameFactory(name="G1", gm=gm, system=cthulhu, vtt=foundry, type=GameType.ONESHOT)
    RegistrationFactory(game=g1, player=player)
    RegistrationFactory(game=g1, player=outsider)
    session(g1, local(2026, 3, 31, 22), local(2026, 4, 1, 2))
    # G2, Odile's campaign: the night clocks go forward (00:00 → 04:00 is 3 real hours), a
    # session Paule missed (marked absent), and one still to come.
    g2 = GameFactory(name="G2", gm=other_gm, system=dnd, type=GameType.CAMPAIGN)
    RegistrationFactory(game=g2, player=player)
    session(g2, local(2026, 3, 29, 0), local(2026, 3, 29, 4))
    missed = session(g2, local(2026, 4, 5, 20), local(2026, 4, 5, 23))
    Attendance.objects.create(session=missed, player=player, present=False, marked_by=other_gm)
    session(g2, local(2026, 4, 20, 20), local(2026, 4, 20, 23))
    # G3, Paule's own archived campaign: 3 h in February, 2 h starting 1 April 00:30 (still
    # 31 March in UTC), and 2 h in April 2025, outside the 12 months.
    g3 = GameFactory(
        name="G3", gm=player, system=pathfinder, type=GameType.CAMPAIGN, status="archived"
    )
    RegistrationFactory(game=g3, player=outsider)
    RegistrationFactory(game=g3, player=other_gm)
    session(g3, local(2026, 2, 10, 20), local(2026, 2, 10, 23))
    session(g3, local(2026, 4, 1, 0, 30), local(2026, 4, 1, 2, 30))
    session(g3, local(2025, 4, 10, 20), local(2025, 4, 10, 22))
    # G4, Paule's draft: never counts.
    g4 = GameFactory(name="G4", gm=player, system=pathfinder, draft=True)
    session(g4, local(2026, 3, 1, 20), local(2026, 3, 1, 23))
    # G5, Gaston's one-shot Paule has since left, but she was marked present: 4 h in January.
    g5 = GameFactory(name="G5", gm=gm, system=cthulhu, type=GameType.ONESHOT, closed=True)
    came = session(g5, local(2026, 1, 10, 14), local(2026, 1, 10, 18))
    Attendance.objects.create(session=came, player=player, present=True, marked_by=gm)
    # G6: Paule is only on the waiting list.
    g6 = GameFactory(name="G6", gm=other_gm, system=dnd)
    RegistrationFactory(game=g6, player=player, state=RegistrationState.WAITLISTED)
    session(g6, local(2026, 3, 3, 20), local(2026, 3, 3, 23))
    UserTrophy.objects.create(user=player, trophy_id=TROPHY_OS, quantity=3)
    UserTrophy.objects.create(user=player, trophy_id=TROPHY_CAMPAIGN, quantity=2)
    return player


# --- figures ------------------------------------------------------------------------------------


def test_figures_match_the_hand_computed_history(history, gm, other_gm, outsider):
    stats = compute_member_stats(history, now=NOW)

    # As player: G1 4 h + G2 3 h (DST night) + G5 4 h; the missed and future sessions add none.
    assert (stats.hours_player, stats.hours_gm, stats.hours_total) == (11, 7, 18)
    assert stats.badges == 5
    # G1, G2, G5 as player, G3 as GM; sessions: 4 played (one upcoming) + 3 run.
    assert (stats.games_count, stats.sessions_count) == (4, 7)
    assert stats.gm_share == Split(sessions=43, games=25)
    assert stats.oneshot_share == Split(sessions=29, games=50)


def test_rhythm_counts_a_session_in_the_month_it_starts_in_the_club_time_zone(history):
    stats = compute_member_stats(history, now=NOW)

    labels = [label for label, _split in stats.rhythm]
    assert labels == [f"{m:02d}/25" for m in range(5, 13)] + [f"{m:02d}/26" for m in range(1, 5)]
    figures = {label: (split.sessions, split.games) for label, split in stats.rhythm}
    assert figures["01/26"] == (1, 1)
    assert figures["02/26"] == (1, 1)
    # 31 March 22:00 → 1 April (G1) and the DST night (G2); not the draft, not the waiting list.
    assert figures["03/26"] == (2, 2)
    # 1 April 00:30 Paris (31 March in UTC) and the session still to come.
    assert figures["04/26"] == (2, 2)
    assert sum(sessions for sessions, _games in figures.values()) == 6  # April 2025 is out


def test_top_systems_and_people_met(history, gm, other_gm, outsider):
    stats = compute_member_stats(history, now=NOW)

    def names(ranking):
        return [(system.name, system.count) for system in ranking]

    assert names(stats.top_systems["player"]["games"]) == [("Cthulhu", 2), ("D&D", 1)]
    assert names(stats.top_systems["player"]["sessions"]) == [("Cthulhu", 2), ("D&D", 2)]
    assert names(stats.top_systems["gm"]["games"]) == [("Pathfinder", 1)]
    assert names(stats.top_systems["gm"]["sessions"]) == [("Pathfinder", 3)]
    assert [(p.user_id, p.games) for p in stats.gms_met] == [(gm.pk, 2), (other_gm.pk, 1)]
    assert [(p.user_id, p.games) for p in stats.players_met] == [(outsider.pk, 2), (other_gm.pk, 1)]


def test_a_member_with_no_games_gets_zeros(staff):
    stats = compute_member_stats(staff, now=NOW)

    assert (stats.hours_player, stats.hours_gm, stats.hours_total) == (0, 0, 0)
    assert (stats.badges, stats.games_count, stats.sessions_count) == (0, 0, 0)
    assert stats.gm_share == Split(0, 0)
    assert stats.oneshot_share == Split(0, 0)
    assert len(stats.rhythm) == 12
    assert all(split == Split(0, 0) for _label, split in stats.rhythm)
    assert stats.gms_met == [] and stats.players_met == []
    assert stats.top_systems["player"] == {"games": [], "sessions": []}


def test_share_rounds_to_whole_percentages_and_never_divides_by_zero():
    assert (share(1, 3), share(2, 3), share(0, 0), share(5, 5)) == (33, 67, 0, 100)


def test_figures_take_a_fixed_number_of_queries(player, gm, django_assert_num_queries):
    def populate(count: int) -> None:
        for n in range(count):
            game = GameFactory(gm=gm, system=SystemFactory(name=f"Système {n}"))
            RegistrationFactory(game=game, player=player)
            RegistrationFactory(game=game)
            session(game, NOW - datetime.timedelta(days=n + 1), NOW - datetime.timedelta(days=n))
            own = GameFactory(gm=player)
            start = NOW - datetime.timedelta(days=40 + n)
            session(own, start, start + datetime.timedelta(hours=2))

    populate(1)
    with CaptureQueriesContext(connection) as one:
        compute_member_stats(player, now=NOW)
    populate(6)
    with django_assert_num_queries(len(one.captured_queries)):
        stats = compute_member_stats(player, now=NOW)
    assert stats.games_count == 14
    assert len(one.captured_queries) == 5


# --- cache --------------------------------------------------------------------------------------


def test_figures_are_cached_until_forgotten(player, gm, django_assert_num_queries):
    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player=player)
    session(game, NOW - datetime.timedelta(days=2, hours=3), NOW - datetime.timedelta(days=2))

    first = member_dashboard_stats(player, now=NOW)
    assert cache.get(member_stats_key(player.pk, "dashboard")) == first
    with django_assert_num_queries(0):
        assert member_dashboard_stats(player, now=NOW).hours_player == 3

    other = GameFactory(gm=gm)
    RegistrationFactory(game=other, player=player)
    session(other, NOW - datetime.timedelta(days=1, hours=2), NOW - datetime.timedelta(days=1))
    with django_assert_num_queries(0):
        assert member_dashboard_stats(player, now=NOW).hours_player == 3  # stale until told

    forget_member_stats([player.pk])
    assert member_dashboard_stats(player, now=NOW).hours_player == 5


def test_cached_figures_expire_when_one_of_the_sessions_ends(player, gm):
    game = GameFactory(gm=gm)
    RegistrationFactory(game=game, player=player)
    session(game, NOW - datetime.timedelta(hours=1), NOW + datetime.timedelta(hours=2))

    assert member_dashboard_stats(player, now=NOW).hours_player == 0
    later = NOW + datetime.timedelta(hours=2, minutes=1)
    assert member_dashboard_stats(player, now=later).hours_player == 3


# --- the page -----------------------------------------------------------------------------------


def test_agenda_shows_the_last_three_past_and_the_next_sessions_up_to_the_limit(client, gm, player):
    ClubSettings.objects.update_or_create(pk=1, defaults={"dashboard_agenda_limit": 2})
    now = timezone.now()
    mine = GameFactory(name="Ma table", gm=gm)
    played = GameFactory(name="Chez Odile")
    RegistrationFactory(game=played, player=gm)
    for days in (-40, -30, -20, -10):
        session(
            mine, now + datetime.timedelta(days=days), now + datetime.timedelta(days=days, hours=3)
        )
    for days in (5, 15, 25):
        session(
            played,
            now + datetime.timedelta(days=days),
            now + datetime.timedelta(days=days, hours=3),
        )
    session(
        GameFactory(gm=gm, draft=True),
        now + datetime.timedelta(days=1),
        now + datetime.timedelta(days=1, hours=2),
    )
    waiting = GameFactory(name="Sur liste")
    RegistrationFactory(game=waiting, player=gm, state=RegistrationState.WAITLISTED)
    session(waiting, now + datetime.timedelta(days=2), now + datetime.timedelta(days=2, hours=2))
    client.force_login(gm)

    response = client.get(reverse("home"))

    agenda = response.context["agenda"]
    assert [s.start.date() for s in agenda.past] == [
        (now + datetime.timedelta(days=d)).date() for d in (-30, -20, -10)
    ]
    assert [s.start.date() for s in agenda.upcoming] == [
        (now + datetime.timedelta(days=d)).date() for d in (5, 15)
    ]
    content = response.content.decode()
    rows = re.findall(r'<li class="agenda-row.*?</li>', content, re.S)
    assert len(rows) == 5
    assert all("Ma table" in row and ">MJ</span>" in row for row in rows[:3])
    assert all("Chez Odile" in row and ">Joueur·euse</span>" in row for row in rows[3:])
    assert ">Passée</span>" in rows[0]
    assert ">Dans 5 j</span>" in rows[3]
    assert not any("Sur liste" in row for row in rows)  # only in the open games below


def test_agenda_row_shows_the_date_time_system_and_vtt_in_french(client, player):
    game = GameFactory(
        name="La Nuit", system=SystemFactory(name="Cthulhu"), vtt=VttFactory(name="Foundry")
    )
    RegistrationFactory(game=game, player=player)
    start = timezone.localtime(timezone.now()).replace(hour=20, minute=30, second=0, microsecond=0)
    start += datetime.timedelta(days=3)
    session(game, start, start + datetime.timedelta(hours=3))
    client.force_login(player)

    content = client.get(reverse("home")).content.decode()

    row = re.search(r'<li class="agenda-row agenda-oneshot">.*?</li>', content, re.S).group()
    assert f'<a href="{game.get_absolute_url()}">La Nuit</a>' in row
    assert "20h30 · Cthulhu · Foundry" in row
    days = ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
    assert f"<span>{days[start.weekday()]}" in row
    assert f"<strong>{start.day}</strong>" in row
    assert ">Dans 3 j</span>" in row


def test_empty_agenda_says_so(client, player):
    client.force_login(player)

    content = client.get(reverse("home")).content.decode()

    assert "Pas de session à venir. Parcourez les annonces ouvertes ci-dessous !" in content


def test_anonymous_visitors_see_the_open_games_only(client):
    GameFactory(name="Ouverte")

    content = client.get(reverse("home")).content.decode()

    assert "<h3>Ouverte</h3>" in content
    assert "Mes prochaines sessions" not in content
    assert reverse("games:dashboard_stats") not in content
    assert "Bonjour" not in content


def test_members_get_the_panel_loaded_after_the_page_and_the_open_games(client, player):
    GameFactory(name="Ouverte")
    client.force_login(player)

    content = client.get(reverse("home")).content.decode()

    panel = reverse("games:dashboard_stats")
    assert f'hx-get="{panel}" hx-trigger="load"' in content
    assert f'<a href="{panel}">Voir mes statistiques</a>' in content  # without JavaScript
    assert "Bonjour Paule Joueuse 👋" in content
    assert "<h3>Ouverte</h3>" in content


def test_panel_fragment_for_htmx(client, history):
    client.force_login(history)

    response = client.get(reverse("games:dashboard_stats"), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section class="panel member-stats" id="my-stats"')
    assert "<h1>" not in content
    assert "Mes statistiques" in content
    assert "Badges" in content and "<strong>5</strong>" in content
    assert 'class="chart-bar"' in content
    assert "One Shot <strong>" in content and "MJ <strong>" in content
    assert "Gaston MJ" in content and "2 annonces" in content
    assert "2 MJ différent·es" in content
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


def test_panel_without_javascript_is_the_whole_dashboard(client, player):
    client.force_login(player)

    content = client.get(reverse("games:dashboard_stats")).content.decode()

    assert "<h1>Tableau de bord</h1>" in content
    assert 'id="my-stats-title">Mes statistiques</h2>' in content
    assert 'hx-trigger="load"' not in content
    assert "~0 h" in content


def test_panel_needs_a_member(client):
    response = client.get(reverse("games:dashboard_stats"), headers=HTMX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in"))


# --- query counts -------------------------------------------------------------------------------


def _populate(count: int, *, member, gm) -> None:
    now = timezone.now()
    for n in range(count):
        game = GameFactory(gm=gm, vtt=VttFactory(name="Foundry"))
        RegistrationFactory(game=game, player=member)
        RegistrationFactory(game=game)
        session(
            game,
            now - datetime.timedelta(days=n + 1, hours=3),
            now - datetime.timedelta(days=n + 1),
        )
        session(
            game,
            now + datetime.timedelta(days=n + 1),
            now + datetime.timedelta(days=n + 1, hours=3),
        )
        own = GameFactory(gm=member, status=GameStatus.OPEN)
        session(
            own,
            now + datetime.timedelta(days=n + 30),
            now + datetime.timedelta(days=n + 30, hours=2),
        )


def _queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("url", "headers"), [("home", {}), ("games:dashboard_stats", HTMX)])
def test_query_count_does_not_grow_with_the_members_games(client, player, gm, url, headers):
    ClubSettings.load()
    client.force_login(player)
    _populate(1, member=player, gm=gm)
    cache.clear()
    one = _queries(client, reverse(url), **headers)

    _populate(8, member=player, gm=gm)
    cache.clear()
    many = _queries(client, reverse(url), **headers)

    assert many == one
    assert one <= 12


def test_the_agenda_is_cached_until_a_session_starts_or_the_member_data_changes(
    gm, django_assert_num_queries
):
    game = GameFactory(gm=gm)
    soon = timezone.now() + datetime.timedelta(seconds=2)
    GameSessionFactory(game=game, start=soon, end=soon + datetime.timedelta(hours=2))
    first = cached_member_agenda(gm, limit=10)
    with django_assert_num_queries(0):
        assert cached_member_agenda(gm, limit=10).upcoming == first.upcoming
    forget_member_stats([gm.pk])
    with django_assert_num_queries(2):
        cached_member_agenda(gm, limit=10)
    # Once the session started, the cached agenda is out of date: recomputed.
    later = timezone.now() + datetime.timedelta(seconds=3)
    with (
        django_assert_num_queries(2),
        mock.patch("django.utils.timezone.now", return_value=later),
    ):
        agenda = cached_member_agenda(gm, limit=10)
    assert [s.start for s in agenda.past] == [soon] and agenda.upcoming == []

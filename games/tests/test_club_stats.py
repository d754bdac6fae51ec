"""The club's statistics page `/stats/`: global figures (original-domain §6.2) and the monthly
report (§6.3), on small data sets whose answers are worked out by hand."""

import datetime
import html
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import GameType
from catalog.tests.factories import SystemFactory, VttFactory
from games.models import Attendance, RegistrationState, Restriction
from games.statistics import club
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory
from trophies.models import UserTrophy

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
URL = "/stats/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


def text(response) -> str:
    """The visible text of a response, tags removed and spaces collapsed."""
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def session(game, start, end):
    return GameSessionFactory(game=game, start=start, end=end)


@pytest.fixture
def club_data(gm, other_gm, player, outsider, reserved_trophies):
    """Two counted games and a draft, in 2024, with answers worked out by hand:

    - A: one-shot, archived, Cthulhu on Foundry, all audiences, GM `gm`, players `player` and
      `outsider`; one session across the autumn DST change, 26 Oct 22:00 → 27 Oct 04:00 Paris:
      7 real hours (the clock goes back at 03:00). `player` is marked absent: club hours
      do not depend on attendance.
    - B: campaign, open, Donjons without VTT, 18+, GM `other_gm`, player `player` (and
      `outsider` on the waiting list, which is no seat); sessions 31 Oct 21:00 → 1 Nov 01:00
      (4 h, across the month end), 30 Mar 23:00 → 31 Mar 05:00 (5 real hours: the clock jumps
      at 02:00), and one in ten days (not over).
    - C: a draft on Cthulhu with a past session and a player: never counted.
    """
    cthulhu, donjons = SystemFactory(name="Cthulhu"), SystemFactory(name="Donjons")
    foundry = VttFactory(name="Foundry")
    a = GameFactory(
        name="Le Masque",
        gm=gm,
        system=cthulhu,
        vtt=foundry,
        type=GameType.ONESHOT,
        restriction=Restriction.ALL,
        archived=True,
    )
    b = GameFactory(
        name="La Marche",
        gm=other_gm,
        system=donjons,
        vtt=None,
        type=GameType.CAMPAIGN,
        restriction=Restriction.EIGHTEEN,
    )
    c = GameFactory(name="Brouillon", gm=gm, system=cthulhu, type=GameType.ONESHOT, draft=True)
    a1 = session(a, paris(2024, 10, 26, 22), paris(2024, 10, 27, 4))
    session(b, paris(2024, 10, 31, 21), paris(2024, 11, 1, 1))
    session(b, paris(2024, 3, 30, 23), paris(2024, 3, 31, 5))
    soon = timezone.now() + datetime.timedelta(days=10)
    session(b, soon, soon + datetime.timedelta(hours=3))
    session(c, paris(2024, 10, 15, 20), paris(2024, 10, 15, 23))
    RegistrationFactory(game=a, player=player)
    RegistrationFactory(game=a, player=outsider)
    RegistrationFactory(game=b, player=player)
    RegistrationFactory(game=b, player=outsider, state=RegistrationState.WAITLISTED)
    RegistrationFactory(game=c, player=outsider)
    Attendance.objects.create(session=a1, player=player, present=False, marked_by=gm)
    UserTrophy.objects.create(user=player, trophy=reserved_trophies[0], quantity=3)
    UserTrophy.objects.create(user=gm, trophy=reserved_trophies[1], quantity=2)
    return {"a": a, "b": b, "c": c}


# --- global figures ---------------------------------------------------------------------------


def test_overview_matches_hand_computed_figures(club_data):
    overview = club.club_overview()

    assert overview.games == 2  # the draft does not count, the archived game does
    assert overview.sessions == 4
    assert overview.ended_sessions == 3
    assert overview.hours == 7 + 4 + 5  # real durations across both DST changes
    assert (overview.type_by_games.first, overview.type_by_games.second) == (1, 1)
    assert (overview.type_by_games.first_percent, overview.type_by_games.second_percent) == (50, 50)
    assert (overview.type_by_sessions.first, overview.type_by_sessions.second) == (1, 3)
    assert overview.type_by_sessions.first_percent == 25
    assert overview.type_by_sessions.second_percent == 75
    # GM seats: one per game / session; player seats: A has 2 players, B has 1 (the waiting
    # list and the draft's player are no seats); by session A counts 1 × 2 and B 3 × 1.
    assert (overview.role_by_games.first, overview.role_by_games.second) == (2, 3)
    assert (overview.role_by_games.first_percent, overview.role_by_games.second_percent) == (
        40,
        60,
    )
    assert (overview.role_by_sessions.first, overview.role_by_sessions.second) == (4, 5)
    assert overview.role_by_sessions.first_percent == 44  # 4 / 9 = 44.4 %
    assert overview.role_by_sessions.second_percent == 56
    assert overview.top_systems == {
        "all": [("Cthulhu", 1), ("Donjons", 1)],  # the draft would have put Cthulhu at 2
        "oneshot": [("Cthulhu", 1)],
        "campaign": [("Donjons", 1)],
    }
    assert overview.top_vtts == {
        "all": [("Foundry", 1)],
        "oneshot": [("Foundry", 1)],
        "campaign": [],
    }
    assert [(row.restriction, row.count, row.percent) for row in overview.restrictions] == [
        (Restriction.ALL, 1, 50),
        (Restriction.SIXTEEN, 0, 0),
        (Restriction.EIGHTEEN, 1, 50),
    ]
    # Nothing changes before B's next session ends (or the month turns).
    assert overview.valid_until <= club_data["b"].sessions.order_by("-end").first().end


def test_catalogue_counts_badge_quantities_and_every_member(club_data, staff):
    staff.is_active = False
    staff.save(update_fields=["is_active"])

    figures = club.catalogue()

    assert figures == club.Catalogue(systems=2, vtts=1, badges=5, members=5)


def test_page_shows_the_figures_in_french(client, club_data):
    response = client.get(URL)

    assert response.status_code == 200
    page = text(response)
    assert "Statistiques du club" in page
    assert "Annonces 2 Sessions 4 Temps de jeu ~16 h 3 sessions terminées" in page
    assert "Membres 4 Systèmes 2 VTTs 1 Badges 5" in page
    assert "Par annonce One Shot 1 50 % Campagne 1 50 %" in page
    assert "Par session One Shot 1 25 % Campagne 3 75 %" in page
    assert "Par session MJ 4 44 % Joueur·euse 5 56 %" in page
    assert "Tout public 1 50 % 16 ans et + 0 0 % 18 ans et + 1 50 % Total 2 100 %" in page
    assert "Toutes les annonces Cthulhu 1 annonce Donjons 1 annonce" in page
    assert "Brouillon" not in page


def test_an_empty_club_shows_zeros(client):
    response = client.get(URL)

    assert response.status_code == 200
    page = text(response)
    assert "Annonces 0 Sessions 0 Temps de jeu ~0 h 0 session terminée" in page
    assert "Par annonce One Shot 0 0 % Campagne 0 0 %" in page
    assert "Tout public 0 0 % 16 ans et + 0 0 % 18 ans et + 0 0 % Total 0 0 %" in page
    assert "Aucune annonce pour l'instant." in page
    assert "Sessions OS 0 Sessions de campagnes 0 Total 0" in page


def test_rhythm_counts_the_last_twelve_months_in_club_time(gm):
    year, month = club.current_month()
    this_month = club.month_start(year, month)
    game = GameFactory(gm=gm)
    other = GameFactory(gm=gm)
    # Two sessions of one game this month: 2 sessions, 1 game.
    session(
        game, this_month + datetime.timedelta(hours=1), this_month + datetime.timedelta(hours=3)
    )
    session(
        game, this_month + datetime.timedelta(hours=5), this_month + datetime.timedelta(hours=6)
    )
    # 00:30 on the 1st eleven months ago, club time (still the previous month in UTC).
    oldest = club.month_start(*club.shift_month(year, month, -11))
    session(other, oldest + datetime.timedelta(minutes=30), oldest + datetime.timedelta(hours=2))
    # Just before the window, and next month: outside.
    session(other, oldest - datetime.timedelta(hours=2), oldest - datetime.timedelta(hours=1))
    following = club.month_start(*club.shift_month(year, month, 1))
    session(other, following, following + datetime.timedelta(hours=1))
    draft = GameFactory(gm=gm, draft=True)
    session(
        draft, this_month + datetime.timedelta(hours=8), this_month + datetime.timedelta(hours=9)
    )

    rhythm = club.club_overview().rhythm

    assert len(rhythm) == 12
    assert (rhythm[-1].year, rhythm[-1].month, rhythm[-1].sessions, rhythm[-1].games) == (
        year,
        month,
        2,
        1,
    )
    assert (rhythm[0].sessions, rhythm[0].games) == (1, 1)
    assert [m.sessions for m in rhythm[1:-1]] == [0] * 10
    assert rhythm[-1].label == f"{month:02d}/{year % 100:02d}"


# --- monthly report ---------------------------------------------------------------------------


def test_report_counts_a_session_in_the_month_it_starts(client, club_data):
    october = club.monthly_report(2024, 10)

    assert (october.oneshot_sessions, october.campaign_sessions, october.total_sessions) == (
        1,
        1,
        2,
    )
    assert [
        (s.name, [(g.name, g.gm_name, g.sessions) for g in s.games]) for s in october.oneshots
    ] == [("Cthulhu", [("Le Masque", "Gaston MJ", 1)])]
    assert [(s.name, [(g.name, g.sessions) for g in s.games]) for s in october.campaigns] == [
        ("Donjons", [("La Marche", 1)])
    ]
    # The session of 31 October that ends on 1 November is not November's.
    november = club.monthly_report(2024, 11)
    assert (november.total_sessions, november.oneshots, november.campaigns, november.gms) == (
        0,
        [],
        [],
        [],
    )

    page = text(client.get(URL, {"year": 2024, "month": 11}))
    assert "Détail mensuel : Novembre 2024" in page
    assert "entre le 1 novembre 2024 et le 30 novembre 2024" in page
    assert "Sessions OS 0 Sessions de campagnes 0 Total 0" in page
    assert "Aucune session ce mois-ci." in page


def test_report_months_are_club_time(gm):
    game = GameFactory(gm=gm)
    # 1 Nov 00:30 in Paris is still 31 Oct in UTC: it is November's.
    session(game, paris(2024, 11, 1, 0, 30), paris(2024, 11, 1, 3))

    assert club.monthly_report(2024, 10).total_sessions == 0
    assert club.monthly_report(2024, 11).total_sessions == 1


def test_report_page_lists_games_by_system_and_ranks_gms(client, club_data, gm, other_gm):
    response = client.get(URL, {"year": 2024, "month": 10})

    assert response.status_code == 200
    page = text(response)
    assert "Détail mensuel : Octobre 2024" in page
    assert "Sessions OS 1 Sessions de campagnes 1 Total 2" in page
    assert "Cthulhu (1 scénario) # Annonce MJ Sessions 1 Le Masque Gaston MJ 1" in page
    assert "Donjons (1 campagne) # Annonce MJ Sessions 1 La Marche Odile MJ 1" in page
    # A tie is ordered by name.
    assert "Classement des MJ # MJ Sessions 🥇 1 Gaston MJ 1 🥈 2 Odile MJ 1" in page
    assert "Brouillon" not in page
    assert (
        f'href="{reverse("games:detail", args=[club_data["a"].slug])}"' in response.content.decode()
    )


def test_gm_ranking_keeps_homonyms_apart(gm):
    first, second = UserFactory(display_name="Alex MJ"), UserFactory(display_name="Alex MJ")
    system = SystemFactory(name="Cthulhu")
    for gm_user, count in ((first, 1), (second, 2)):
        game = GameFactory(gm=gm_user, system=system, type=GameType.CAMPAIGN)
        for day in range(count):
            session(game, paris(2024, 5, 10 + day, 20), paris(2024, 5, 10 + day, 23))
    game = GameFactory(gm=gm, system=system)
    session(game, paris(2024, 5, 20, 20), paris(2024, 5, 20, 23))

    report = club.monthly_report(2024, 5)

    assert [(row.rank, row.gm_id, row.name, row.sessions) for row in report.gms] == [
        (1, second.pk, "Alex MJ", 2),
        (2, first.pk, "Alex MJ", 1),
        (3, gm.pk, "Gaston MJ", 1),
    ]


def test_report_links_to_the_neighbour_months(client):
    response = client.get(URL, {"year": 2025, "month": 1})

    body = response.content.decode()
    assert 'href="/stats/?year=2024&amp;month=12"' in body
    assert 'href="/stats/?year=2025&amp;month=2"' in body
    assert 'hx-get="/stats/?year=2024&amp;month=12"' in body
    assert "Détail mensuel : Janvier 2025" in text(response)


def test_htmx_request_gets_only_the_report(client, club_data):
    response = client.get(URL, {"year": 2024, "month": 10}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="monthly-report"')
    assert "<html" not in body
    assert "Vue d'ensemble" not in text(response)
    assert "Sessions OS 1 Sessions de campagnes 1 Total 2" in text(response)


def test_no_month_means_the_current_one(client):
    year, month = club.current_month()

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["report"].year == year
    assert response.context["report"].month == month


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"year": "abc", "month": "3"}, "L'année doit être un nombre entier de 1970 à 2999."),
        ({"year": "2024", "month": "13"}, "Le mois doit être un nombre entier de 1 à 12."),
        ({"year": "2024", "month": "0"}, "Le mois doit être un nombre entier de 1 à 12."),
        ({"year": "2024", "month": "3.5"}, "Le mois doit être un nombre entier de 1 à 12."),
        ({"year": "99999", "month": "3"}, "L'année doit être un nombre entier de 1970 à 2999."),
        ({"year": "-5", "month": "3"}, "L'année doit être un nombre entier de 1970 à 2999."),
        ({"year": "2024"}, "Indiquez à la fois l'année et le mois du rapport, ou aucun des deux."),
        ({"month": "3"}, "Indiquez à la fois l'année et le mois du rapport, ou aucun des deux."),
        ({"year": "", "month": "3"}, "Indiquez à la fois l'année et le mois du rapport"),
    ],
)
def test_bad_month_shows_a_french_message_and_the_current_month(client, query, message):
    year, month = club.current_month()

    response = client.get(URL, query)

    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Voici à la place le détail du mois en cours." in page
    assert (response.context["report"].year, response.context["report"].month) == (year, month)


def test_bad_month_in_an_htmx_request_is_explained_too(client):
    response = client.get(URL, {"year": "x", "month": "y"}, headers={"HX-Request": "true"})

    assert response.status_code == 400
    page = text(response)
    assert "L'année doit être un nombre entier de 1970 à 2999." in page
    assert "Le mois doit être un nombre entier de 1 à 12." in page


def test_only_get_and_head(client):
    assert client.post(URL).status_code == 405


# --- cache ------------------------------------------------------------------------------------


def test_cached_figures_change_once_forget_club_stats_runs(client, club_data, gm):
    client.get(URL, {"year": 2024, "month": 10})
    game = GameFactory(gm=gm, name="Nouvelle", type=GameType.ONESHOT)
    # Written without a service: nothing bumped the club version yet, the cache answers.
    session(game, paris(2024, 10, 5, 20), paris(2024, 10, 5, 22))
    stale = text(client.get(URL, {"year": 2024, "month": 10}))
    assert "Sessions OS 1 Sessions de campagnes 1 Total 2" in stale
    assert "Annonces 2 Sessions 4" in stale

    club.forget_club_stats()

    fresh = text(client.get(URL, {"year": 2024, "month": 10}))
    assert "Sessions OS 2 Sessions de campagnes 1 Total 3" in fresh
    assert "Annonces 3 Sessions 5 Temps de jeu ~18 h 4 sessions terminées" in fresh
    assert "Nouvelle" in fresh


def test_a_session_that_ends_refreshes_the_hours(club_data, monkeypatch):
    upcoming = club_data["b"].sessions.order_by("-start").first()
    before = club.club_overview()
    next_month = club.month_start(*club.shift_month(*club.current_month(), 1))
    assert before.valid_until == min(upcoming.end, next_month)
    # The session is over (moved into the past without a service, so without a version bump).
    upcoming.start = paris(2024, 6, 1, 20)
    upcoming.end = paris(2024, 6, 1, 23)
    upcoming.save()
    assert club.club_overview().hours == 16  # still valid as far as the cache knows

    later = upcoming.end.replace(year=timezone.now().year + 1)
    monkeypatch.setattr(club.timezone, "now", lambda: later)

    after = club.club_overview()
    assert (after.ended_sessions, after.hours) == (4, 19)


def test_reference_counts_are_never_cached(client, club_data):
    client.get(URL)
    SystemFactory(name="Pathfinder")
    UserFactory()

    page = text(client.get(URL))

    assert "Membres 5 Systèmes 3" in page


# --- query counts -----------------------------------------------------------------------------


def _populate(count: int, *, gm, player) -> None:
    for index in range(count):
        game = GameFactory(
            gm=gm if index % 2 else UserFactory(),
            vtt=VttFactory(),
            type=GameType.CAMPAIGN if index % 3 else GameType.ONESHOT,
        )
        start = paris(2024, 10, 1 + index % 28, 20)
        session(game, start, start + datetime.timedelta(hours=3))
        RegistrationFactory(game=game, player=player)
        RegistrationFactory(game=game)


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx fragment"])
def test_query_count_does_not_grow_with_games(
    client, gm, player, django_assert_num_queries, headers
):
    query = {"year": 2024, "month": 10}
    _populate(1, gm=gm, player=player)
    cache.clear()
    with CaptureQueriesContext(connection) as cold_one:
        client.get(URL, query, headers=headers)
    with CaptureQueriesContext(connection) as warm_one:
        client.get(URL, query, headers=headers)

    _populate(25, gm=gm, player=player)
    cache.clear()

    with django_assert_num_queries(len(cold_one)):
        response = client.get(URL, query, headers=headers)
    assert response.context["report"].total_sessions == 26
    with django_assert_num_queries(len(warm_one)):
        client.get(URL, query, headers=headers)
    # Warm: the live reference counts only (the page), nothing at all (the fragment).
    assert len(warm_one) == (0 if headers else 1)


def test_deploy_check_asks_for_a_shared_cache(monkeypatch):
    from types import SimpleNamespace

    from games import checks

    def with_backend(backend: str) -> list[str]:
        monkeypatch.setattr(
            checks, "settings", SimpleNamespace(CACHES={"default": {"BACKEND": backend}})
        )
        return [warning.id for warning in checks.shared_cache_for_statistics(None)]

    assert with_backend("django.core.cache.backends.locmem.LocMemCache") == ["games.W001"]
    assert with_backend("django.core.cache.backends.redis.RedisCache") == []

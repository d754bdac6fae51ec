"""The game page: what it shows, to whom, in a fixed number of queries; the member typeahead."""

import datetime
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import ClubSettings
from catalog.tests.factories import SpecialEventFactory, VttFactory
from games.models import (
    ClosedReason,
    Frequency,
    GameEventAction,
    GameStatus,
    Length,
    RegistrationState,
)
from games.templatetags.game_tags import relative_badge
from games.tests.factories import (
    GameEventFactory,
    GameFactory,
    GameSessionFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
LEVELS = {"Absent": 0, "Mineur": 1, "Majeur": 2}


def page(client, game, user=None) -> str:
    if user is not None:
        client.force_login(user)
    response = client.get(game.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def in_days(days: int, hour: int = 20, minute: int = 30) -> datetime.datetime:
    local = timezone.localtime() + datetime.timedelta(days=days)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


# --- details ------------------------------------------------------------------------------------


def test_page_shows_the_details_of_the_game(client):
    game = GameFactory(
        name="Les Montagnes Hallucinées",
        type="campaign",
        length=Length.ABOUT_FIVE,
        session_length="3.5",
        frequency=Frequency.WEEKLY,
        xp="seasoned",
        characters="pregen",
        restriction="18+",
        restriction_tags="gore, araignées",
        classification={"action": 2, "investigation": 1, "interaction": 0, "horror": 2},
        ambience=["serious", "epic"],
        complement="Prévoir un micro.",
        img="https://example.com/antarctique.jpg",
        date=timezone.make_aware(datetime.datetime(2031, 7, 12, 20, 30)),
        vtt=VttFactory(name="Foundry"),
    )

    content = page(client, game)

    assert "Campagne" in content
    assert "Ouverte" in content
    assert game.system.name in content
    assert "Foundry" in content
    assert "samedi 12/07/2031 · 20h30" in content
    assert "~5 sessions × 3,5 h" in content
    assert "Hebdomadaire" in content
    assert "Interdit aux débutants" in content
    assert "Prétirés" in content
    assert "18 ans et +" in content
    assert "araignées" in content
    assert "Sérieuse" in content and "Épique" in content
    assert "Prévoir un micro." in content
    assert 'src="https://example.com/antarctique.jpg"' in content
    # The four classification axes as labelled levels.
    for axis, level in [
        ("Action", "Majeur"),
        ("Investigation", "Mineur"),
        ("Interaction", "Absent"),
        ("Horreur", "Majeur"),
    ]:
        assert f"<dt>{axis}</dt>" in content
        assert f'class="level level-{LEVELS[level]}">{level}</span>' in content


def test_page_shows_the_special_event_and_a_full_status(client):
    event = SpecialEventFactory(name="Halloween", emoji="🎃")
    game = GameFactory(special_event=event, status=GameStatus.CLOSED, closed_reason="full")

    content = page(client, game)

    assert "🎃 Halloween" in content
    assert "Complète" in content


def test_description_urls_are_links_and_html_is_escaped(client):
    game = GameFactory(description="Voir https://example.com/regles\n<i>rien</i>")

    content = page(client, game)

    assert '<a href="https://example.com/regles" rel="nofollow">' in content
    assert "&lt;i&gt;rien&lt;/i&gt;" in content


# --- roster -------------------------------------------------------------------------------------


def test_roster_counts_seats_left(client):
    game = GameFactory(party_size=3)
    RegistrationFactory(game=game, player__display_name="Bérénice")

    content = page(client, game)

    assert "<strong>1/3</strong>" in content
    assert "2 place(s) restante(s)" in content
    assert content.count("Libre") == 2
    assert "Bérénice" in content


def test_roster_of_a_full_game_says_complet_and_lists_the_waiting_list_in_order(client):
    game = GameFactory(party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL)
    RegistrationFactory(game=game)
    now = timezone.now()
    RegistrationFactory(
        game=game,
        state=RegistrationState.WAITLISTED,
        player__display_name="Deuxième",
        created_at=now,
    )
    RegistrationFactory(
        game=game,
        state=RegistrationState.WAITLISTED,
        player__display_name="Premier",
        created_at=now - datetime.timedelta(minutes=5),
    )

    content = page(client, game)

    assert "complet" in content
    assert "Liste d'attente" in unescape(content)
    assert content.index("Premier") < content.index("Deuxième")


def test_waitlisted_player_sees_their_position(client, player):
    game = GameFactory(party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL)
    RegistrationFactory(game=game)
    RegistrationFactory(game=game, state=RegistrationState.WAITLISTED)
    RegistrationFactory(game=game, player=player, state=RegistrationState.WAITLISTED)

    content = page(client, game, player)

    assert "Vous êtes n° 2 sur la liste d'attente." in unescape(content)
    assert "Quitter la liste d" in content


@pytest.mark.parametrize("viewer, sees", [("gm", True), ("staff", True), ("outsider", False)])
def test_candidates_are_shown_to_the_gm_and_staff_only(client, request, gm, viewer, sees):
    game = GameFactory(gm=gm, party_selection=True)
    RegistrationFactory(
        game=game, state=RegistrationState.CANDIDATE, player__display_name="Candidate Zoé"
    )

    content = page(client, game, request.getfixturevalue(viewer))

    assert ("Candidate Zoé" in content) is sees
    assert ("Candidatures" in content) is sees
    assert "sur sélection" in content


def test_overbooked_warning_for_the_gm(client, gm):
    game = GameFactory(gm=gm, party_size=1, party_selection=True)
    RegistrationFactory.create_batch(3, game=game)

    assert "2 joueur·euse(s) en trop" in page(client, game, gm)


# --- registration panel -------------------------------------------------------------------------


def test_anonymous_visitor_gets_a_sign_in_link(client):
    game = GameFactory()

    content = page(client, game)

    assert "Connectez-vous pour vous inscrire" in content
    assert f'href="/login/?next=/annonces/{game.slug}/"' in content


@pytest.mark.parametrize(
    "options, button",
    [
        ({}, "S'inscrire"),
        ({"party_size": 1, "status": "closed", "closed_reason": "full"}, "Rejoindre la liste"),
        ({"party_selection": True}, "Proposer ma candidature"),
    ],
)
def test_registration_button_depends_on_the_game(client, player, options, button):
    game = GameFactory(**options)
    if options.get("closed_reason"):
        RegistrationFactory(game=game)

    content = page(client, game, player)

    assert button in unescape(content)
    assert "J'ai lu l'annonce et je suis disponible aux dates indiquées" in unescape(content)


@pytest.mark.parametrize(
    "options, text",
    [
        ({"closed": True}, "La partie est fermée aux inscriptions."),
        ({"status": "closed", "closed_reason": "silent"}, "La partie est fermée aux inscriptions."),
        ({"archived": True}, "Cette partie est terminée."),
    ],
)
def test_no_registration_form_when_registrations_are_closed(client, player, options, text):
    game = GameFactory(**options)

    content = page(client, game, player)

    assert text in content
    assert 'name="confirm"' not in content


def test_registered_player_can_leave_until_the_game_starts(client, player):
    game = GameFactory()
    GameSessionFactory(game=game)
    RegistrationFactory(game=game, player=player)

    assert "Me désinscrire" in page(client, game, player)

    started = GameFactory(date=timezone.now() - datetime.timedelta(hours=1))
    GameSessionFactory(game=started)
    RegistrationFactory(game=started, player=player)

    content = page(client, started)
    assert "Me désinscrire" not in content
    assert "La partie a commencé : demandez à votre MJ de vous retirer." in content


def test_the_gm_sees_no_registration_form(client, gm):
    game = GameFactory(gm=gm)

    content = page(client, game, gm)

    assert "Vous êtes le·a MJ de cette partie." in content
    assert 'name="confirm"' not in content


def test_non_player_member_is_told_why_they_cannot_register(client):
    member = UserFactory(is_player=False)

    content = page(client, GameFactory(), member)

    assert "Il faut le rôle joueur·euse sur le serveur Discord pour s'inscrire." in unescape(
        content
    )


def test_clash_warning_for_overlapping_games_as_player_and_as_gm(client, player):
    start = in_days(10)
    game = GameFactory(date=start)
    GameSessionFactory(game=game, start=start, end=start + datetime.timedelta(hours=3))
    played = GameFactory(name="Les Terres Oubliées")
    GameSessionFactory(
        game=played,
        start=start + datetime.timedelta(hours=1),
        end=start + datetime.timedelta(hours=4),
    )
    RegistrationFactory(game=played, player=player)
    run = GameFactory(name="Ma Campagne", gm=player)
    GameSessionFactory(
        game=run,
        start=start - datetime.timedelta(hours=2),
        end=start + datetime.timedelta(minutes=30),
    )
    # Not clashes: touching sessions, waitlisted games, archived and draft games.
    touching = GameFactory(name="Juste Après")
    GameSessionFactory(
        game=touching,
        start=start + datetime.timedelta(hours=3),
        end=start + datetime.timedelta(hours=5),
    )
    RegistrationFactory(game=touching, player=player)
    waiting = GameFactory(name="En Attente")
    GameSessionFactory(game=waiting, start=start, end=start + datetime.timedelta(hours=2))
    RegistrationFactory(game=waiting, player=player, state=RegistrationState.WAITLISTED)
    archived = GameFactory(name="Archivée Déjà", archived=True)
    GameSessionFactory(game=archived, start=start, end=start + datetime.timedelta(hours=2))
    RegistrationFactory(game=archived, player=player)

    content = page(client, game, player)

    date = timezone.localtime(start + datetime.timedelta(hours=1))
    assert "Attention : cette partie chevauche Les Terres Oubliées (" in content
    assert f"{date:%d/%m} - {date:%H}h{date:%M})." in content
    assert "Attention : cette partie chevauche Ma Campagne (" in content
    for name in ("Juste Après", "En Attente", "Archivée Déjà"):
        assert f"chevauche {name}" not in content


# --- sessions -----------------------------------------------------------------------------------


def test_sessions_newest_first_numbered_from_the_oldest_with_relative_badges(client):
    game = GameFactory(date=in_days(-14))
    GameSessionFactory(game=game, start=in_days(-14), end=in_days(-14, 23))
    GameSessionFactory(game=game, start=in_days(3), end=in_days(3, 23))

    content = page(client, game)

    assert content.index("#2") < content.index("#1")
    assert "Passée" in content
    assert "Dans 3 j" in content


def test_relative_badges_in_the_club_time_zone():
    now = timezone.make_aware(datetime.datetime(2031, 3, 10, 23, 30))  # Paris time

    def badge(start, hours=3):
        session = GameSessionFactory.build(
            start=timezone.make_aware(start),
            end=timezone.make_aware(start) + datetime.timedelta(hours=hours),
        )
        return relative_badge(session, now)

    assert badge(datetime.datetime(2031, 3, 10, 18, 0)) == ("past", "Passée")
    assert badge(datetime.datetime(2031, 3, 10, 22, 0)) == ("now", "En cours")
    assert badge(datetime.datetime(2031, 3, 10, 23, 45)) == ("soon", "Aujourd'hui")
    # 00:15 in Paris is still "tomorrow" although it is the same UTC day.
    assert badge(datetime.datetime(2031, 3, 11, 0, 15)) == ("soon", "Demain")
    assert badge(datetime.datetime(2031, 3, 17, 20, 0)) == ("later", "Dans 7 j")
    assert badge(datetime.datetime(2031, 3, 24, 20, 0)) == ("later", "Dans 2 sem.")
    assert badge(datetime.datetime(2031, 5, 1, 20, 0)) is None


def test_google_calendar_link_per_session(client):
    game = GameFactory(name="Kingsport", gm__display_name="Gaston")
    start = timezone.make_aware(datetime.datetime(2031, 7, 12, 20, 30))
    GameSessionFactory(game=game, start=start, end=start + datetime.timedelta(hours=4))

    content = page(client, game)

    href = content.split('class="session-calendar" href="')[1].split('"')[0]
    query = parse_qs(urlparse(href.replace("&amp;", "&")).query)
    assert href.startswith("https://calendar.google.com/calendar/render?")
    assert query["text"] == ["Kingsport par Gaston #1"]
    assert query["dates"] == ["20310712T183000Z/20310712T223000Z"]
    assert query["ctz"] == ["Europe/Paris"]
    assert query["details"] == [f"{settings.SITE_URL}{game.get_absolute_url()}"]


@pytest.mark.parametrize(
    "length, count, text",
    [
        (Length.ABOUT_FIVE, 2, "2/5 sessions renseignées — pensez à planifier la suite !"),
        (Length.TEN_PLUS, 12, "Pensez à planifier la prochaine session !"),
    ],
)
def test_planning_nudges_for_the_gm_only(client, gm, outsider, length, count, text):
    game = GameFactory(gm=gm, type="campaign", length=length)
    for week in range(count):
        GameSessionFactory(game=game, start=in_days(7 * week), end=in_days(7 * week, 23))

    assert text in page(client, game, gm)
    assert text not in page(client, game, outsider)


def test_no_nudge_when_every_planned_session_is_there(client, gm):
    game = GameFactory(gm=gm, type="campaign", length=Length.TWO)
    GameSessionFactory(game=game, start=in_days(1), end=in_days(1, 23))
    GameSessionFactory(game=game, start=in_days(8), end=in_days(8, 23))

    content = page(client, game, gm)

    assert "sessions renseignées" not in content
    assert "Pensez à planifier" not in content


def test_add_session_form_prefilled_by_frequency(client, gm):
    game = GameFactory(gm=gm, frequency=Frequency.BIWEEKLY, session_length="4")
    start = timezone.make_aware(datetime.datetime(2031, 3, 20, 20, 30))
    GameSessionFactory(game=game, start=start, end=start + datetime.timedelta(hours=4))

    content = page(client, game, gm)

    # Across the daylight-saving change of 30 March, the wall-clock time stays 20:30.
    assert 'value="2031-04-03T20:30" required id="session-new-date_start"' in content
    assert 'value="2031-04-04T00:30" required id="session-new-date_end"' in content


def test_next_session_prefill_rules(db):
    now = timezone.make_aware(datetime.datetime(2031, 1, 15, 10, 0))
    last = timezone.make_aware(datetime.datetime(2031, 1, 31, 21, 0))

    def prefill(frequency, sessions, date):
        game = GameFactory(frequency=frequency, session_length="3", date=timezone.make_aware(date))
        for start in sessions:
            GameSessionFactory(game=game, start=start, end=start + datetime.timedelta(hours=1))
        start, end = game.next_session_slot(now)
        return timezone.localtime(start).strftime("%d/%m %H:%M"), end - start

    assert prefill(Frequency.WEEKLY, [last], datetime.datetime(2031, 1, 1, 20)) == (
        "07/02 21:00",
        datetime.timedelta(hours=3),
    )
    # Monthly: the same day next month, or its last day.
    assert prefill(Frequency.MONTHLY, [last], datetime.datetime(2031, 1, 1, 20))[0] == "28/02 21:00"
    # No frequency: the game date if still ahead, else today at the game's time.
    assert prefill(Frequency.OTHER, [last], datetime.datetime(2031, 2, 1, 20))[0] == "01/02 20:00"
    assert prefill("", [], datetime.datetime(2030, 6, 1, 20, 45))[0] == "15/01 20:45"


# --- participants, activity ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "viewer, sees",
    [("player", True), ("gm", True), ("staff", True), ("outsider", False), (None, False)],
)
def test_discord_channel_link_for_participants_only(client, request, gm, player, viewer, sees):
    ClubSettings.objects.update_or_create(pk=1, defaults={"discord_guild_id": "900000000000000000"})
    game = GameFactory(gm=gm, discord_channel_id="123456789012345678")
    RegistrationFactory(game=game, player=player)
    RegistrationFactory(game=game, state=RegistrationState.WAITLISTED)

    content = page(client, game, request.getfixturevalue(viewer) if viewer else None)

    link = "https://discord.com/channels/900000000000000000/123456789012345678"
    assert (link in content) is sees
    assert ("Signaler" in content) is sees


@pytest.mark.parametrize("viewer, sees", [("gm", True), ("staff", True), ("outsider", False)])
def test_activity_timeline_for_the_gm_and_staff(client, request, gm, player, viewer, sees):
    game = GameFactory(gm=gm)
    GameEventFactory(
        game=game,
        action=GameEventAction.UNREGISTER,
        description="Le·a joueur·euse a été désinscrit·e de l'annonce.",
        actor=gm,
        subject=player,
        timestamp=timezone.make_aware(datetime.datetime(2031, 7, 12, 21, 5)),
    )
    GameEventFactory(
        game=game,
        action=GameEventAction.EDIT,
        timestamp=timezone.make_aware(datetime.datetime(2031, 7, 13, 9, 0)),
        actor=gm,
    )

    content = page(client, game, request.getfixturevalue(viewer))

    assert ("Activité" in content) is sees
    assert ("12/07 21:05" in content) is sees
    assert ("joueur·euse : Paule Joueuse" in content) is sees
    if sees:
        assert "Désinscription" in content
        assert content.index("13/07 09:00") < content.index("12/07 21:05")


def test_player_names_are_escaped_everywhere(client, gm):
    game = GameFactory(gm=gm, party_selection=True)
    evil = UserFactory(display_name="<img src=x onerror=alert(1)>")
    RegistrationFactory(game=game, player=evil, state=RegistrationState.CANDIDATE)
    GameEventFactory(game=game, action=GameEventAction.REGISTER, subject=evil)

    content = page(client, game, gm)

    assert "<img src=x onerror" not in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content


# --- query count --------------------------------------------------------------------------------


def _queries(client, game) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(game.get_absolute_url())
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(game, count: int, start: int) -> None:
    for n in range(count):
        RegistrationFactory(game=game)
        RegistrationFactory(game=game, state=RegistrationState.WAITLISTED)
        GameSessionFactory(game=game, start=in_days(start + 7 * n), end=in_days(start + 7 * n, 23))
        GameEventFactory(game=game, actor=game.gm, subject=UserFactory())


@pytest.mark.parametrize("viewer", ["gm", "staff", "player", "outsider", None])
def test_page_queries_do_not_grow_with_players_sessions_and_events(client, request, gm, viewer):
    ClubSettings.objects.update_or_create(pk=1, defaults={"discord_guild_id": "900000000000000000"})
    game = GameFactory(gm=gm, party_size=50, discord_channel_id="123456789012345678")
    user = request.getfixturevalue(viewer) if viewer else None
    if viewer == "player":
        RegistrationFactory(game=game, player=user)
    other = GameFactory()
    GameSessionFactory(game=other, start=in_days(1), end=in_days(1, 23))
    if user is not None:
        RegistrationFactory(game=other, player=user)
        client.force_login(user)
    _grow(game, 1, start=1)
    _queries(client, game)  # fills the caches every page reads (club settings, menu)
    one = _queries(client, game)

    _grow(game, 6, start=8)

    assert _queries(client, game) == one


# --- member typeahead ---------------------------------------------------------------------------


def test_member_search_finds_active_players_by_name_username_or_id(client, gm):
    UserFactory(display_name="Paulette", username="paulette")
    UserFactory(display_name="Jean", username="paulo_du_93")
    UserFactory(display_name="Paulin Parti", not_player_as_of=timezone.now())
    UserFactory(display_name="Pauline Pasjoueuse", is_player=False)
    by_id = UserFactory(display_name="Zoé", discord_id="123456789012345678")
    client.force_login(gm)

    content = client.get(reverse("games:member_search"), {"q": "paul"}, headers=HTMX)
    content = content.content.decode()

    assert content.strip().startswith('<div id="member-results"')
    assert "Paulette (paulette)" in content
    assert "Jean (paulo_du_93)" in content
    assert "Paulin Parti" not in content
    assert "Pauline Pasjoueuse" not in content
    assert 'role="option"' in content
    found = client.get(reverse("games:member_search"), {"q": "@123456789012345678"})
    assert f'value="{by_id.discord_id}"' in found.content.decode()


def test_member_search_accepts_the_add_field_name(client, gm):
    UserFactory(display_name="Paulette")
    client.force_login(gm)

    response = client.get(reverse("games:member_search"), {"discord_id": "Paule"}, headers=HTMX)

    assert "Paulette" in response.content.decode()


def test_member_search_needs_two_characters_and_returns_ten_at_most(client, gm):
    for n in range(12):
        UserFactory(display_name=f"Alice {n}")
    client.force_login(gm)

    short = client.get(reverse("games:member_search"), {"q": "A"}).content.decode()
    many = client.get(reverse("games:member_search"), {"q": "Alice"}).content.decode()
    none = client.get(reverse("games:member_search"), {"q": "Zzz"}).content.decode()

    assert 'role="option"' not in short
    assert "Aucun membre trouvé." not in short
    assert many.count('role="option"') == 10
    assert "Aucun membre trouvé." in none


def test_member_search_escapes_names(client, gm):
    UserFactory(display_name="<script>alert('x')</script>")
    client.force_login(gm)

    content = client.get(reverse("games:member_search"), {"q": "script"}).content.decode()

    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in content


@pytest.mark.parametrize("viewer, status", [("player", 403), ("gm", 200), ("staff", 200)])
def test_member_search_is_for_gms_and_staff(client, request, viewer, status):
    client.force_login(request.getfixturevalue(viewer))

    assert client.get(reverse("games:member_search"), {"q": "Paule"}).status_code == status


def test_member_search_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("games:member_search"), {"q": "Paule"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_member_search_is_get_only(client, gm):
    client.force_login(gm)

    assert client.post(reverse("games:member_search"), {"q": "Paule"}).status_code == 405


def test_gm_sees_the_status_actions_of_their_game(client):
    from games.tests.factories import GameFactory

    game = GameFactory(draft=True)
    client.force_login(game.gm)

    content = client.get(game.get_absolute_url()).content.decode()

    assert f'action="/annonces/{game.slug}/statut/"' in content
    assert 'value="publish"' in content
    assert 'value="deleted"' in content
    assert 'value="archived"' not in content

"""The game lists: /annonces/, a special event's games, /mes_annonces/, /mes_parties/ and the
dashboard's preview — filters, defaults, drafts, pagination, htmx fragments, query counts."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import ClubSettings, GameType
from catalog.tests.factories import SpecialEventFactory, SystemFactory, VttFactory
from games.models import RegistrationState, Restriction
from games.tests.factories import GameFactory, GameSessionFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

IGNORED_NOTICE = "Certains filtres ont été ignorés car leur valeur n'est pas reconnue."
EMPTY = "Aucune annonce ne correspond à ces critères."
SEVEN_PM_UTC = datetime.time(18, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The menu of special events is cached for a minute: each test starts from an empty cache.
    cache.clear()
    yield
    cache.clear()


def _in(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def names(response) -> list[str]:
    """Game names of the cards, in page order (unescaped back to the stored text)."""
    html = response.content.decode()
    return [
        re.sub(r"&lt;|&gt;|&#x27;|&quot;|&amp;", lambda m: _ENTITIES[m.group()], name)
        for name in re.findall(r"<h3>(.*?)</h3>", html)
    ]


_ENTITIES = {"&lt;": "<", "&gt;": ">", "&#x27;": "'", "&quot;": '"', "&amp;": "&"}


def checked(response, group: str) -> list[str]:
    html = response.content.decode()
    return re.findall(rf'name="{group}" value="([^"]+)" id="[^"]+" checked', html)


def login(client, request, persona: str | None):
    if persona:
        user = request.getfixturevalue(persona)
        client.force_login(user)
        return user
    return None


# --- defaults of each page ------------------------------------------------------------------


def test_list_shows_open_games_by_default(client):
    GameFactory(name="Ouverte")
    GameFactory(name="Fermée", closed=True)
    GameFactory(name="Archivée", archived=True)
    GameFactory(name="Brouillon", draft=True)

    response = client.get(reverse("games:list"))

    assert response.status_code == 200
    assert names(response) == ["Ouverte"]
    assert checked(response, "status") == ["open"]
    assert checked(response, "type") == ["oneshot", "campaign"]
    assert checked(response, "restriction") == ["all", "16+", "18+"]
    assert "<title>Annonces — QuestMaster</title>" in response.content.decode()


def test_event_page_defaults_to_its_open_one_shots(client):
    event = SpecialEventFactory(name="Halloween", emoji="🎃")
    GameFactory(name="Citrouille", special_event=event)
    GameFactory(name="Citrouille fermée", special_event=event, closed=True)
    GameFactory(name="Hors événement")

    response = client.get(reverse("games:event", args=[event.pk]))

    assert response.status_code == 200
    assert names(response) == ["Citrouille"]
    assert checked(response, "type") == ["oneshot"]
    assert checked(response, "status") == ["open"]
    assert "<h1>Annonces – 🎃 Halloween</h1>" in response.content.decode()


def test_event_page_lists_its_closed_games_on_request(client):
    event = SpecialEventFactory()
    GameFactory(name="Citrouille fermée", special_event=event, closed=True)

    response = client.get(reverse("games:event", args=[event.pk]), {"status": "closed"})

    assert names(response) == ["Citrouille fermée"]


@pytest.mark.parametrize("event_id", ["unknown", "inactive"])
def test_event_page_of_unknown_or_inactive_event_is_404(client, event_id):
    inactive = SpecialEventFactory(active=False)
    GameFactory(name="Partie passée", special_event=inactive)
    pk = inactive.pk if event_id == "inactive" else 999_999

    response = client.get(reverse("games:event", args=[pk]))

    content = response.content.decode()
    assert response.status_code == 404
    assert "Événement introuvable" in content
    assert "L'événement demandé n'existe pas ou est terminé." in content
    assert f'href="{reverse("games:list")}"' in content
    assert "Partie passée" not in content


def test_my_games_lists_all_my_games_in_every_status(client, gm, other_gm):
    GameFactory(name="Ouverte", gm=gm)
    GameFactory(name="Fermée", gm=gm, closed=True)
    GameFactory(name="Archivée", gm=gm, archived=True)
    GameFactory(name="Brouillon", gm=gm, draft=True)
    GameFactory(name="D'une autre", gm=other_gm)
    client.force_login(gm)

    response = client.get(reverse("games:mine"))

    assert response.status_code == 200
    assert sorted(names(response)) == ["Archivée", "Brouillon", "Fermée", "Ouverte"]
    assert checked(response, "status") == ["open", "closed", "archived", "draft"]
    content = response.content.decode()
    assert "<h1>Mes annonces</h1>" in content
    assert "Les parties pour lesquelles je suis MJ." in content


def test_my_parties_lists_my_registrations_with_their_state(client, player):
    for name, state in [
        ("Inscrite", RegistrationState.REGISTERED),
        ("En attente", RegistrationState.WAITLISTED),
        ("Candidature", RegistrationState.CANDIDATE),
    ]:
        RegistrationFactory(game__name=name, player=player, state=state)
    RegistrationFactory(game__name="Archivée", game__archived=True, player=player)
    GameFactory(name="Sans moi")
    client.force_login(player)

    response = client.get(reverse("games:playing"))

    assert sorted(names(response)) == ["Archivée", "Candidature", "En attente", "Inscrite"]
    content = response.content.decode()
    assert "<h1>Mes parties</h1>" in content
    assert "Les parties pour lesquelles je suis joueur·euse." in content
    cards = re.findall(r'<li class="card .*?</li>', content, re.S)
    cards = dict(zip(names(response), cards, strict=True))
    assert "Inscrit·e" in cards["Inscrite"]
    assert "Liste d'attente" in cards["En attente"]
    assert "Candidat·e" in cards["Candidature"]


def test_my_parties_seat_count_counts_every_player_not_only_me(client, player):
    game = GameFactory(name="Table pleine", party_size=3)
    RegistrationFactory(game=game, player=player)
    RegistrationFactory.create_batch(2, game=game)
    client.force_login(player)

    response = client.get(reverse("games:playing"))

    assert response.context["games"][0].player_count == 3
    assert "3/3 joueur·euses" in response.content.decode()


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["games:mine", "games:playing"])
def test_personal_lists_send_anonymous_visitors_to_sign_in(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize("persona", ["player", "outsider"])
def test_my_games_is_forbidden_to_members_who_are_not_gms(client, request, persona):
    login(client, request, persona)

    assert client.get(reverse("games:mine")).status_code == 403


@pytest.mark.parametrize("persona", ["gm", "staff"])
def test_my_games_is_open_to_gms_and_staff(client, request, persona):
    user = login(client, request, persona)
    GameFactory(name="La mienne", gm=user)

    response = client.get(reverse("games:mine"))

    assert response.status_code == 200
    assert names(response) == ["La mienne"]


def test_list_pages_refuse_posts(client, gm):
    client.force_login(gm)

    assert client.post(reverse("games:list")).status_code == 405


# --- drafts are private on every list -------------------------------------------------------

DRAFT_VIEWERS = [
    (None, False),
    ("player", False),
    ("other_gm", False),
    ("gm", True),
    ("staff", True),
]


@pytest.mark.parametrize(("persona", "sees_draft"), DRAFT_VIEWERS)
def test_list_shows_a_draft_only_to_its_gm_and_staff(client, request, gm, persona, sees_draft):
    GameFactory(name="Brouillon de Gaston", gm=gm, draft=True)
    GameFactory(name="Ouverte")
    login(client, request, persona)

    response = client.get(reverse("games:list"), {"status": ["draft", "open"]})

    expected = ["Brouillon de Gaston", "Ouverte"] if sees_draft else ["Ouverte"]
    assert names(response) == expected


@pytest.mark.parametrize(("persona", "sees_draft"), DRAFT_VIEWERS)
def test_event_page_shows_a_draft_only_to_its_gm_and_staff(
    client, request, gm, persona, sees_draft
):
    event = SpecialEventFactory()
    GameFactory(name="Brouillon de Gaston", gm=gm, draft=True, special_event=event)
    login(client, request, persona)

    response = client.get(reverse("games:event", args=[event.pk]), {"status": "draft"})

    assert names(response) == (["Brouillon de Gaston"] if sees_draft else [])


@pytest.mark.parametrize(("persona", "sees_draft"), [("other_gm", False), ("gm", True)])
def test_my_games_never_shows_another_gms_draft(client, request, gm, persona, sees_draft):
    GameFactory(name="Brouillon de Gaston", gm=gm, draft=True)
    login(client, request, persona)

    response = client.get(reverse("games:mine"), {"status": "draft"})

    assert names(response) == (["Brouillon de Gaston"] if sees_draft else [])


@pytest.mark.parametrize(
    ("persona", "sees_draft"), [("player", False), ("other_gm", False), ("staff", True)]
)
def test_my_parties_hides_a_draft_i_am_registered_in(client, request, gm, persona, sees_draft):
    user = login(client, request, persona)
    RegistrationFactory(
        game__name="Brouillon de Gaston", game__gm=gm, game__draft=True, player=user
    )

    response = client.get(reverse("games:playing"))

    assert names(response) == (["Brouillon de Gaston"] if sees_draft else [])


@pytest.mark.parametrize(("persona", "offered"), [(None, False), ("player", False), ("gm", True)])
def test_drafts_box_is_offered_to_gms_only(client, request, persona, offered):
    login(client, request, persona)

    response = client.get(reverse("games:list"))

    assert ('value="draft"' in response.content.decode()) is offered


# --- filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["open"], ["Ouverte"]),
        (["closed"], ["Fermée"]),
        (["archived"], ["Archivée"]),
        (["closed", "archived"], ["Fermée", "Archivée"]),
        (["open", "closed", "archived"], ["Ouverte", "Fermée", "Archivée"]),
    ],
)
def test_status_filter(client, statuses, expected):
    GameFactory(name="Ouverte")
    GameFactory(name="Fermée", closed=True)
    GameFactory(name="Archivée", archived=True)

    response = client.get(reverse("games:list"), {"status": statuses})

    assert names(response) == expected
    assert checked(response, "status") == statuses


@pytest.mark.parametrize(
    ("types", "expected"),
    [(["oneshot"], ["OS"]), (["campaign"], ["Campagne"]), ([], ["OS", "Campagne"])],
)
def test_type_filter(client, types, expected):
    GameFactory(name="OS", date=_in(1))
    GameFactory(name="Campagne", type=GameType.CAMPAIGN, date=_in(2))

    response = client.get(reverse("games:list"), {"type": types})

    assert names(response) == expected


@pytest.mark.parametrize(
    ("restrictions", "expected"),
    [
        (["all"], ["Tous"]),
        (["16+"], ["Seize"]),
        (["16+", "18+"], ["Seize", "Dix-huit"]),
        ([], ["Tous", "Seize", "Dix-huit"]),
    ],
)
def test_restriction_filter(client, restrictions, expected):
    GameFactory(name="Tous", date=_in(1))
    GameFactory(name="Seize", restriction=Restriction.SIXTEEN, date=_in(2))
    GameFactory(name="Dix-huit", restriction=Restriction.EIGHTEEN, date=_in(3))

    response = client.get(reverse("games:list"), {"restriction": restrictions})

    assert names(response) == expected


def test_name_filter_is_a_case_insensitive_substring(client):
    GameFactory(name="Les Masques de Nyarlathotep", date=_in(1))
    GameFactory(name="L'Appel de CTHULHU", date=_in(2))
    GameFactory(name="Donjon", date=_in(3))

    assert names(client.get(reverse("games:list"), {"name": "de"})) == [
        "Les Masques de Nyarlathotep",
        "L'Appel de CTHULHU",
    ]
    assert names(client.get(reverse("games:list"), {"name": "cthulhu"})) == ["L'Appel de CTHULHU"]
    assert names(client.get(reverse("games:list"), {"name": "  donj "})) == ["Donjon"]


def test_system_and_vtt_filters(client):
    coc, dnd = SystemFactory(name="L'Appel de Cthulhu"), SystemFactory(name="D&D 5")
    foundry, roll20 = VttFactory(name="Foundry"), VttFactory(name="Roll20")
    GameFactory(name="Cthulhu Foundry", system=coc, vtt=foundry, date=_in(1))
    GameFactory(name="Cthulhu Roll20", system=coc, vtt=roll20, date=_in(2))
    GameFactory(name="D&D Foundry", system=dnd, vtt=foundry, date=_in(3))

    by_system = client.get(reverse("games:list"), {"system": coc.pk})
    by_vtt = client.get(reverse("games:list"), {"vtt": foundry.pk})
    both = client.get(reverse("games:list"), {"system": coc.pk, "vtt": foundry.pk})

    assert names(by_system) == ["Cthulhu Foundry", "Cthulhu Roll20"]
    assert names(by_vtt) == ["Cthulhu Foundry", "D&D Foundry"]
    assert names(both) == ["Cthulhu Foundry"]
    assert f'<option value="{coc.pk}" selected>' in both.content.decode()


def test_filters_combine(client):
    coc = SystemFactory(name="L'Appel de Cthulhu")
    GameFactory(name="Brumes", system=coc, restriction=Restriction.EIGHTEEN, closed=True)
    GameFactory(name="Brumes ouvertes", system=coc, restriction=Restriction.EIGHTEEN)
    GameFactory(name="Brumes tout public", system=coc, closed=True)
    GameFactory(
        name="Brumes campagne", system=coc, type=GameType.CAMPAIGN, restriction="18+", closed=True
    )
    GameFactory(name="Autre", restriction=Restriction.EIGHTEEN, closed=True)

    response = client.get(
        reverse("games:list"),
        {
            "status": ["closed"],
            "type": ["oneshot"],
            "restriction": ["18+"],
            "system": coc.pk,
            "name": "brumes",
        },
    )

    assert names(response) == ["Brumes"]


def test_original_presence_flags_are_understood(client):
    GameFactory(name="Ouverte")
    GameFactory(name="Fermée", closed=True)
    GameFactory(name="Archivée", archived=True)

    response = client.get(reverse("games:list"), {"closed": "on", "archived": "on"})

    assert names(response) == ["Fermée", "Archivée"]


def test_empty_result_says_so_in_french(client):
    GameFactory(name="Donjon")

    response = client.get(reverse("games:list"), {"name": "introuvable"})

    assert names(response) == []
    assert EMPTY in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"status": "zzz"},
        {"status": ["open", "zzz"]},
        {"type": "<script>alert(1)</script>"},
        {"restriction": "21+"},
        {"system": "abc"},
        {"system": "999999"},
        {"vtt": "1; DROP TABLE games_game"},
        {"name": "x" * 500},
    ],
)
def test_forged_filter_values_are_ignored_politely(client, query):
    GameFactory(name="Ouverte")
    GameFactory(name="Fermée", closed=True)

    response = client.get(reverse("games:list"), query)

    content = response.content.decode()
    assert response.status_code == 200
    assert names(response) == ["Ouverte"]
    assert IGNORED_NOTICE in content
    assert "<script>alert(1)</script>" not in content


def test_draft_filter_from_a_non_gm_is_ignored_politely(client, player):
    GameFactory(name="Brouillon", draft=True)
    client.force_login(player)

    response = client.get(reverse("games:list"), {"status": "draft"})

    assert names(response) == []  # "draft" is dropped: the default (open) applies
    assert IGNORED_NOTICE in response.content.decode()


def test_known_filter_values_raise_no_notice(client):
    response = client.get(reverse("games:list"), {"status": ["open", "closed"], "name": "a"})

    assert IGNORED_NOTICE not in response.content.decode()


def test_search_panel_is_open_when_filters_are_given(client):
    closed = client.get(reverse("games:list")).content.decode()
    opened = client.get(reverse("games:list"), {"name": "brume"}).content.decode()

    assert "<details>" in closed
    assert "<details open>" in opened
    assert 'value="brume"' in opened


# --- ordering and pagination ----------------------------------------------------------------


def test_games_are_listed_by_status_then_upcoming_then_nearest(client, gm):
    GameFactory(name="Ouverte dans 30 jours", date=_in(30))
    GameFactory(name="Ouverte il y a 2 jours", date=_in(-2))
    GameFactory(name="Ouverte demain", date=_in(1))
    GameFactory(name="Ouverte il y a 40 jours", date=_in(-40))
    GameFactory(name="Archivée", archived=True, date=_in(2))
    GameFactory(name="Fermée", closed=True, date=_in(60))
    GameFactory(name="Brouillon", gm=gm, draft=True, date=_in(90))
    client.force_login(gm)

    response = client.get(
        reverse("games:list"), {"status": ["open", "closed", "archived", "draft"]}
    )

    assert names(response) == [
        "Brouillon",
        "Ouverte demain",
        "Ouverte dans 30 jours",
        "Ouverte il y a 2 jours",
        "Ouverte il y a 40 jours",
        "Fermée",
        "Archivée",
    ]


@pytest.fixture
def five_games():
    settings = ClubSettings.load()
    settings.games_per_page = 2
    settings.save()
    return [GameFactory(name=f"Partie {n}", date=_in(n + 1)) for n in range(5)]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("1", ["Partie 0", "Partie 1"]),
        ("2", ["Partie 2", "Partie 3"]),
        ("3", ["Partie 4"]),
        ("999", ["Partie 4"]),
        ("99999999999999999999999", ["Partie 4"]),
        ("abc", ["Partie 0", "Partie 1"]),
        ("0", ["Partie 0", "Partie 1"]),
        ("-1", ["Partie 0", "Partie 1"]),
        ("", ["Partie 0", "Partie 1"]),
    ],
)
def test_pages_follow_the_club_page_size(client, five_games, page, expected):
    response = client.get(reverse("games:list"), {"page": page})

    assert response.status_code == 200
    assert names(response) == expected
    assert IGNORED_NOTICE not in response.content.decode()


def test_pager_links_keep_the_filters(client, five_games):
    GameFactory(name="Fermée", closed=True)

    response = client.get(reverse("games:list"), {"status": ["open", "closed"], "name": "e"})

    content = response.content.decode()
    next_url = "?status=open&amp;status=closed&amp;name=e&amp;page=2"
    assert f'href="{next_url}"' in content
    assert f'hx-get="{next_url}"' in content
    assert "Page 1 sur 3" in content
    assert "Suivantes ›" in content

    second = client.get(reverse("games:list"), {"status": ["open", "closed"], "page": "3"})
    assert names(second) == ["Partie 4", "Fermée"]
    assert "?status=open&amp;status=closed&amp;page=2" in second.content.decode()


def test_no_pager_on_a_single_page(client):
    GameFactory()

    assert 'class="pager"' not in client.get(reverse("games:list")).content.decode()


# --- htmx -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "persona"),
    [("games:list", None), ("games:event", None), ("games:mine", "gm"), ("games:playing", "gm")],
)
def test_htmx_request_gets_only_the_results_fragment(client, request, url_name, persona):
    user = login(client, request, persona)
    event = SpecialEventFactory()
    game = GameFactory(name="Fragmentée", gm=user or UserFactory(is_gm=True), special_event=event)
    if user:
        RegistrationFactory(game=game, player=user)
    args = [event.pk] if url_name == "games:event" else []

    response = client.get(reverse(url_name, args=args), HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "<form" not in content
    assert content.strip().startswith('<div id="results"')
    assert names(response) == ["Fragmentée"]
    assert "HX-Request" in response["Vary"]


def test_htmx_fragment_carries_the_filters_and_notice(client):
    GameFactory(name="Fermée", closed=True)
    GameFactory(name="Ouverte")

    response = client.get(
        reverse("games:list"), {"status": ["closed", "zzz"]}, HTTP_HX_REQUEST="true"
    )

    assert names(response) == ["Fermée"]
    assert IGNORED_NOTICE in response.content.decode()


@pytest.mark.parametrize("header", ["HTTP_HX_BOOSTED", "HTTP_HX_HISTORY_RESTORE_REQUEST"])
def test_boosted_or_history_restore_requests_get_the_whole_page(client, header):
    response = client.get(reverse("games:list"), HTTP_HX_REQUEST="true", **{header: "true"})

    assert "<html" in response.content.decode()


def test_search_form_is_wired_for_live_filtering(client):
    content = client.get(reverse("games:list")).content.decode()

    form = re.search(r'<form class="filters"[^>]*>', content).group()
    assert 'method="get"' in form
    assert 'hx-get="/annonces/"' in form
    assert 'hx-target="#results"' in form
    assert 'hx-push-url="true"' in form
    assert 'hx-trigger="input changed delay:300ms, search"' in content
    assert 'hx-trigger="change"' in content


# --- cards ----------------------------------------------------------------------------------


def test_card_shows_what_a_player_needs(client):
    event = SpecialEventFactory(name="Halloween", emoji="🎃", color="#ff7518")
    saturday = datetime.datetime.combine(datetime.date(2030, 7, 13), SEVEN_PM_UTC)
    game = GameFactory(
        name="Les Citrouilles",
        gm__display_name="Gaëlle",
        system=SystemFactory(name="Cthulhu"),
        vtt=VttFactory(name="Foundry"),
        date=saturday,
        party_size=2,
        restriction=Restriction.EIGHTEEN,
        party_selection=True,
        special_event=event,
    )
    RegistrationFactory.create_batch(2, game=game)
    RegistrationFactory(game=game, state=RegistrationState.WAITLISTED)
    RegistrationFactory(game=game, state=RegistrationState.CANDIDATE)

    content = client.get(reverse("games:list")).content.decode()

    card = re.search(r'<li class="card .*?</li>', content, re.S).group()
    assert "Les Citrouilles" in card
    assert "🎃 Halloween" in card
    assert "--event-color: #ff7518" in card
    assert "Cthulhu · Foundry" in card
    assert "sam. 13/07 · 20h30" in card  # club time zone (Paris, summer time)
    assert "par Gaëlle" in card
    assert "2/2 joueur·euses" in card
    assert "complet" in card
    assert "1 en liste d'attente" in card
    assert "18+" in card
    assert "Sur sélection" in card
    assert f'href="{game.get_absolute_url()}"' in card


def test_card_shows_the_next_session_rather_than_the_first_date(client):
    game = GameFactory(name="Campagne", type=GameType.CAMPAIGN, date=_in(-30))
    GameSessionFactory(game=game, start=_in(-30))
    next_session = GameSessionFactory(game=game, start=_in(10))

    response = client.get(reverse("games:list"))

    local = timezone.localtime(next_session.start)
    assert response.context["games"][0].shown_date == next_session.start
    assert f"{local:%d/%m} · {local:%H}h{local:%M}" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "ribbon"),
    [("closed", "Fermée"), ("archived", "Archivée"), ("draft", "Brouillon")],
)
def test_card_of_a_game_not_open_carries_its_status_in_words(client, gm, status, ribbon):
    GameFactory(name="Partie", gm=gm, **{status: True})
    client.force_login(gm)

    content = client.get(reverse("games:mine")).content.decode()

    assert f'<span class="card-ribbon card-ribbon-{status}">{ribbon}</span>' in content


def test_card_of_a_game_closed_because_full_says_full(client):
    GameFactory(name="Partie", status="closed", closed_reason="full")

    content = client.get(reverse("games:list"), {"status": "closed"}).content.decode()

    assert '<span class="card-ribbon card-ribbon-closed">Complète</span>' in content


def test_script_in_a_game_name_is_escaped(client):
    GameFactory(name="<script>alert('pwned')</script>")

    for response in (
        client.get(reverse("games:list")),
        client.get(reverse("games:list"), HTTP_HX_REQUEST="true"),
        client.get(reverse("home")),
    ):
        content = response.content.decode()
        assert "<script>alert(" not in content
        assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in content


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_reuses_the_card_grid_and_links_to_the_list(client):
    GameFactory(name="Ouverte")

    content = client.get(reverse("home")).content.decode()

    assert '<ul class="card-grid">' in content
    assert "<h3>Ouverte</h3>" in content
    assert f'<a href="{reverse("games:list")}">Voir toutes les annonces →</a>' in content


def test_dashboard_empty_state_still_links_to_the_list(client):
    content = client.get(reverse("home")).content.decode()

    assert "Aucune annonce ouverte pour le moment." in content
    assert "Voir toutes les annonces →" in content


# --- navigation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "links"),
    [
        (None, ["Annonces"]),
        ("player", ["Annonces", "Mes parties"]),
        ("gm", ["Annonces", "Mes parties", "Mes annonces", "Poster une annonce"]),
        ("staff", ["Annonces", "Mes parties", "Mes annonces", "Poster une annonce"]),
    ],
)
def test_menu_links_by_role(client, request, persona, links):
    login(client, request, persona)

    content = client.get(reverse("home")).content.decode()

    menu = re.search(r'<nav aria-label="Menu principal">.*?</nav>', content, re.S).group()
    shown = [
        label
        for label in ["Annonces", "Mes parties", "Mes annonces", "Poster une annonce"]
        if f">{label}</a>" in menu
    ]
    assert shown == links
    if "Poster une annonce" in links:
        assert f'href="{reverse("games:create")}"' in menu


def test_menu_lists_active_special_events_from_one_cached_query(client):
    halloween = SpecialEventFactory(name="Halloween", emoji="🎃")
    SpecialEventFactory(name="Noël", emoji="🎄")
    SpecialEventFactory(name="Fini", emoji="🗿", active=False)

    with CaptureQueriesContext(connection) as first:
        content = client.get(reverse("home")).content.decode()
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("home"))

    menu = re.search(r'<nav aria-label="Menu principal">.*?</nav>', content, re.S).group()
    assert f'href="{reverse("games:event", args=[halloween.pk])}"' in menu
    assert "🎃 Halloween</a>" in menu
    assert "🎄 Noël</a>" in menu
    assert "Fini" not in menu

    def event_queries(ctx):
        return [q for q in ctx.captured_queries if 'FROM "catalog_specialevent"' in q["sql"]]

    assert len(event_queries(first)) == 1
    assert event_queries(second) == []


def test_menu_marks_the_current_list(client):
    content = client.get(reverse("games:list")).content.decode()

    assert f'<a href="{reverse("games:list")}" aria-current="page">Annonces</a>' in content


# --- query counts ---------------------------------------------------------------------------


def _populate(count: int, *, gm, player, event) -> None:
    """`count` games with everything a card reads: players, waiting list, sessions, event."""
    system, vtt = SystemFactory(name="Cthulhu"), VttFactory(name="Foundry")
    for n in range(count):
        game = GameFactory(
            gm=gm,
            system=system,
            vtt=vtt,
            special_event=event if n % 2 == 0 else None,
            date=_in(n + 1),
        )
        RegistrationFactory(game=game, player=player)
        RegistrationFactory.create_batch(2, game=game)
        RegistrationFactory(game=game, state=RegistrationState.WAITLISTED)
        GameSessionFactory(game=game)


def _count_queries(client, url: str, data: dict, **headers) -> int:
    client.get(url, data, **headers)  # warm: club settings row, cached menu
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("page", "persona", "headers"),
    [
        ("home", None, {}),
        ("home", "player", {}),
        ("games:list", None, {}),
        ("games:list", "staff", {}),
        ("games:list", "player", {"HTTP_HX_REQUEST": "true"}),
        ("games:event", None, {}),
        ("games:event", "gm", {}),
        ("games:mine", "gm", {}),
        ("games:playing", "player", {}),
    ],
)
def test_query_count_does_not_grow_with_games(
    client, request, gm, player, django_assert_num_queries, page, persona, headers
):
    login(client, request, persona)
    ClubSettings.objects.update_or_create(
        pk=1, defaults={"games_per_page": 60, "dashboard_open_limit": 30}
    )
    event = SpecialEventFactory()
    _populate(1, gm=gm, player=player, event=event)
    args = [event.pk] if page == "games:event" else []
    # Members filter (one more query: the system they chose); visitors take the defaults.
    query = {}
    if persona:
        system = SystemFactory(name="Cthulhu")
        query = {"status": ["open", "closed"], "name": "partie", "system": system.pk}
    url = reverse(page, args=args)

    one = _count_queries(client, url, data=query, **headers)

    _populate(30, gm=gm, player=player, event=event)

    client.get(url, query, **headers)
    with django_assert_num_queries(one):
        response = client.get(url, query, **headers)
    assert len(response.context["games"]) >= 15

"""`/badges/` (a member's badges, member search) and `/badges/classement/` (the four top 10s)."""

from html import unescape

import pytest
from django.core.management.color import no_style
from django.db import connection
from django.urls import reverse

from accounts.tests.factories import UserFactory
from trophies.models import (
    TROPHY_CAMPAIGN,
    TROPHY_CAMPAIGN_GM,
    TROPHY_OS,
    TROPHY_OS_GM,
    Trophy,
    UserTrophy,
)
from trophies.tests.factories import TrophyFactory, UserTrophyFactory

pytestmark = pytest.mark.django_db

MINE = reverse("trophies:mine")
LEADERBOARD = reverse("trophies:leaderboard")
SEARCH = reverse("trophies:member_search")


@pytest.fixture
def reserved(reserved_trophies):
    """The four reserved badges, with PostgreSQL's id sequence moved past their explicit ids."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Trophy]):
            cursor.execute(sql)
    return reserved_trophies


def page(response) -> str:
    return unescape(response.content.decode())


# --- /badges/ -----------------------------------------------------------------------------------


def test_badges_need_a_signed_in_member(client):
    response = client.get(MINE)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_badges_show_mine_sorted_by_name_with_quantities(client, player, reserved):
    UserTrophyFactory(user=player, trophy=reserved[TROPHY_OS - 1], quantity=3)
    UserTrophyFactory(user=player, trophy=TrophyFactory(name="Archiviste", unique=True))
    UserTrophyFactory(user=player, trophy=reserved[TROPHY_CAMPAIGN_GM - 1], quantity=2)
    client.force_login(player)

    html = page(client.get(MINE))

    assert "Badges de Paule Joueuse" in html
    assert html.index("Archiviste") < html.index("Badge Campagne GM") < html.index("Badge OS")
    assert "×3" in html and "×2" in html
    # A unique badge says so and shows no quantity.
    archiviste = html[html.index("Archiviste") : html.index("Badge Campagne GM")]
    assert "Unique" in archiviste
    assert "×" not in archiviste


def test_badges_of_another_member_by_discord_id(client, player, gm, reserved):
    UserTrophyFactory(user=gm, trophy=reserved[TROPHY_OS_GM - 1], quantity=4)
    client.force_login(player)

    html = page(client.get(MINE, {"user_id": gm.discord_id}))

    assert "Badges de Gaston MJ" in html
    assert "Badge OS GM" in html and "×4" in html
    assert reverse("accounts:profile", args=[gm.pk]) in html


@pytest.mark.parametrize(
    "user_id", ["999999999999999999", "abc", "12", "1" * 40, "<script>alert(1)</script>"]
)
def test_badges_unknown_or_malformed_member_falls_back_to_mine(client, player, reserved, user_id):
    UserTrophyFactory(user=player, trophy=reserved[0], quantity=1)
    client.force_login(player)

    response = client.get(MINE, {"user_id": user_id})

    html = page(response)
    assert response.status_code == 200
    assert "Membre introuvable : veuillez entrer un ID Discord valide." in html
    assert "Badges de Paule Joueuse" in html
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_badges_search_by_name_without_javascript(client, player, gm, other_gm):
    client.force_login(player)

    one = page(client.get(MINE, {"q": "gaston"}))
    several = page(client.get(MINE, {"q": "MJ"}))
    none = page(client.get(MINE, {"q": "zzz"}))

    assert "Badges de Gaston MJ" in one
    assert "Plusieurs membres correspondent : choisissez-en un·e." in several
    assert f'name="user_id" value="{gm.discord_id}"' in several
    assert "Badges de Paule Joueuse" in several
    assert "Aucun·e membre ne correspond à « zzz »." in none


def test_badges_empty_member_says_so(client, player, gm):
    client.force_login(player)

    assert "Vous n'avez pas encore de badge" in page(client.get(MINE))
    assert "Ce·tte membre n'a pas encore de badge." in page(
        client.get(MINE, {"user_id": gm.discord_id})
    )


def test_badges_page_query_count_does_not_grow(client, player, reserved, django_assert_num_queries):
    client.force_login(player)
    UserTrophyFactory(user=player, trophy=reserved[0])
    client.get(MINE)  # warms the menu's cache
    with django_assert_num_queries(5) as one:  # session, member, permissions ×2, badges
        client.get(MINE)
    for trophy in [*reserved[1:], *TrophyFactory.create_batch(6)]:
        UserTrophyFactory(user=player, trophy=trophy, quantity=2)
    with django_assert_num_queries(len(one)):
        client.get(MINE)


# --- member search (typeahead) ----------------------------------------------------------------


def test_member_search_needs_a_signed_in_member(client, gm):
    response = client.get(SEARCH, {"q": "gaston"}, headers={"HX-Request": "true"})

    assert response.status_code == 302


def test_member_search_returns_the_fragment_with_at_most_ten(client, player):
    UserFactory.create_batch(12, display_name="Zoé Membre")
    client.force_login(player)

    response = client.get(SEARCH, {"q": "zoé"}, headers={"HX-Request": "true"})

    html = page(response)
    assert html.lstrip().startswith('<div id="member-results"')
    assert "<html" not in html
    assert html.count('name="user_id"') == 10


def test_member_search_short_or_missing_term_finds_nothing(client, player):
    client.force_login(player)

    assert 'name="user_id"' not in page(client.get(SEARCH, {"q": "p"}))
    assert "Aucun membre trouvé" not in page(client.get(SEARCH))
    assert "Aucun" in page(client.get(SEARCH, {"q": "introuvable"}))


# --- /badges/classement/ --------------------------------------------------------------------


def test_leaderboard_is_public_with_four_tables_of_ten_rows(client, reserved):
    html = page(client.get(LEADERBOARD))

    assert "Classement des badges" in html
    for title in (
        "Top 10 joueur·euses — OS",
        "Top 10 joueur·euses — Campagnes",
        "Top 10 MJs — OS",
        "Top 10 MJs — Campagnes",
    ):
        assert title in html
    assert html.count('<tr class="placeholder">') == 40


def test_leaderboard_orders_by_quantity_then_name(client, reserved):
    os_badge = reserved[TROPHY_OS - 1]
    for name, quantity in [("Bruno", 2), ("Alice", 2), ("Chloé", 5), ("Denis", 1)]:
        UserTrophyFactory(user=UserFactory(display_name=name), trophy=os_badge, quantity=quantity)
    # Campaign GMs: eleven members, only ten shown.
    campaign_gm = reserved[TROPHY_CAMPAIGN_GM - 1]
    for index in range(11):
        UserTrophyFactory(
            user=UserFactory(display_name=f"MJ {index:02}"), trophy=campaign_gm, quantity=index + 1
        )
    # Not a leaderboard badge.
    UserTrophyFactory(user=UserFactory(display_name="Zed"), trophy=TrophyFactory(), quantity=99)

    response = client.get(LEADERBOARD)

    boards = {board["trophy"]: board for board in response.context["boards"]()}
    assert [(row["user__display_name"], row["quantity"]) for row in boards[TROPHY_OS]["rows"]] == [
        ("Chloé", 5),
        ("Alice", 2),
        ("Bruno", 2),
        ("Denis", 1),
    ]
    assert len(boards[TROPHY_OS]["placeholders"]) == 6
    assert [row["user__display_name"] for row in boards[TROPHY_CAMPAIGN_GM]["rows"]] == [
        f"MJ {index:02}" for index in range(10, 0, -1)
    ]
    assert list(boards[TROPHY_CAMPAIGN_GM]["placeholders"]) == []
    assert boards[TROPHY_CAMPAIGN]["rows"] == [] and boards[TROPHY_OS_GM]["rows"] == []
    html = page(response)
    assert "Zed" not in html
    chloe = UserTrophy.objects.get(user__display_name="Chloé").user
    assert f'href="{reverse("accounts:profile", args=[chloe.pk])}"' in html


def os_board(response) -> str:
    board = response.content.decode().split('id="board-1"')[1].split("</section>")[0]
    return "".join(board.split())  # whitespace folded: "<td>…</td><td>…</td>"


def test_leaderboard_is_never_stale(client, player, reserved, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        badge = UserTrophyFactory(user=player, trophy=reserved[0], quantity=3)
    assert "Joueuse</a></td><td>3</td>" in os_board(client.get(LEADERBOARD))

    with django_capture_on_commit_callbacks(execute=True):
        badge.quantity = 2
        badge.save()
    after_decrement = os_board(client.get(LEADERBOARD))
    with django_capture_on_commit_callbacks(execute=True):
        badge.delete()
    after_removal = os_board(client.get(LEADERBOARD))

    assert "Joueuse</a></td><td>2</td>" in after_decrement
    assert "PauleJoueuse" not in after_removal


def test_leaderboard_names_are_escaped(client, reserved):
    UserTrophyFactory(user=UserFactory(display_name="<b>Gras</b>"), trophy=reserved[0], quantity=1)

    html = client.get(LEADERBOARD).content.decode()

    assert "&lt;b&gt;Gras&lt;/b&gt;" in html
    assert "<b>Gras</b>" not in html


def test_leaderboard_is_one_query_whatever_the_rows(client, reserved, django_assert_num_queries):
    from games.statistics import forget_club_stats

    UserTrophyFactory(trophy=reserved[0])
    client.get(LEADERBOARD)  # warms the menu's cache
    forget_club_stats()
    with django_assert_num_queries(1):
        client.get(LEADERBOARD)
    with django_assert_num_queries(0):  # cached until the club's version moves
        client.get(LEADERBOARD)
    for trophy in reserved:
        for _index in range(12):
            UserTrophyFactory(trophy=trophy, quantity=3)
    forget_club_stats()
    with django_assert_num_queries(1):
        client.get(LEADERBOARD)

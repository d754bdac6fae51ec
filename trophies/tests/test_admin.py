import pytest
from django.core.management.color import no_style
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from trophies.models import RESERVED_TROPHIES, TROPHY_OS, TROPHY_OS_GM, Trophy, UserTrophy
from trophies.tests.factories import TrophyFactory, UserTrophyFactory

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _reserved_trophies() -> None:
    for pk, (name, icon) in RESERVED_TROPHIES.items():
        Trophy.objects.update_or_create(pk=pk, defaults={"name": name, "icon": icon})
    # Explicit ids do not move PostgreSQL's sequence: move it past them for the next badges.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Trophy]):
            cursor.execute(sql)


def _add_trophies(count: int) -> None:
    for trophy in TrophyFactory.create_batch(count, icon="img/favicon.svg"):
        UserTrophyFactory.create_batch(2, trophy=trophy)


def _add_held_badges(count: int) -> None:
    UserTrophyFactory.create_batch(count, quantity=3)


@pytest.mark.parametrize(
    ("url_name", "add_rows"),
    [
        ("admin:trophies_trophy_changelist", _add_trophies),
        ("admin:trophies_usertrophy_changelist", _add_held_badges),
    ],
)
def test_changelist_query_count_does_not_grow(client, staff, url_name, add_rows):
    client.force_login(staff)
    url = reverse(url_name)
    add_rows(1)
    one = _queries(client, url)

    add_rows(5)

    assert _queries(client, url) == one


@pytest.mark.parametrize(
    ("model", "factory"), [("trophy", TrophyFactory), ("usertrophy", UserTrophyFactory)]
)
def test_change_and_add_views_render(client, staff, model, factory):
    client.force_login(staff)
    obj = factory()

    change = client.get(reverse(f"admin:trophies_{model}_change", args=[obj.pk]))
    add = client.get(reverse(f"admin:trophies_{model}_add"))

    assert change.status_code == 200
    assert add.status_code == 200


def test_trophy_list_counts_holders(client, staff):
    client.force_login(staff)
    trophy = TrophyFactory(name="Conteuse")
    UserTrophyFactory.create_batch(3, trophy=trophy)

    response = client.get(reverse("admin:trophies_trophy_changelist"))

    link = f"{reverse('admin:trophies_usertrophy_changelist')}?trophy__id__exact={trophy.pk}"
    assert f'<a href="{link}">3</a>' in response.content.decode()


def test_trophy_duplicate_name_refused(client, staff):
    client.force_login(staff)
    TrophyFactory(name="Conteuse")

    response = client.post(reverse("admin:trophies_trophy_add"), {"name": "Conteuse", "icon": ""})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == ["Un badge porte déjà ce nom."]
    assert Trophy.objects.filter(name="Conteuse").count() == 1


def test_reserved_trophy_cannot_be_deleted(client, staff):
    client.force_login(staff)
    _reserved_trophies()
    url = reverse("admin:trophies_trophy_delete", args=[TROPHY_OS])

    page = client.get(url)
    post = client.post(url, {"post": "yes"})

    assert page.status_code == 403
    assert post.status_code == 403
    assert Trophy.objects.filter(pk=TROPHY_OS).exists()


def test_custom_trophy_can_be_deleted(client, staff):
    client.force_login(staff)
    _reserved_trophies()
    trophy = TrophyFactory()

    response = client.post(
        reverse("admin:trophies_trophy_delete", args=[trophy.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Trophy.objects.filter(pk=trophy.pk).exists()


def test_delete_action_refuses_selection_with_reserved_trophy(client, staff):
    client.force_login(staff)
    _reserved_trophies()
    custom = TrophyFactory()

    response = client.post(
        reverse("admin:trophies_trophy_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [TROPHY_OS_GM, custom.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 403
    assert Trophy.objects.filter(pk__in=[TROPHY_OS_GM, custom.pk]).count() == 2


def test_delete_action_deletes_custom_trophies(client, staff):
    client.force_login(staff)
    _reserved_trophies()
    custom = TrophyFactory()

    response = client.post(
        reverse("admin:trophies_trophy_changelist"),
        {"action": "delete_selected", "_selected_action": [custom.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert set(Trophy.objects.values_list("pk", flat=True)) == set(RESERVED_TROPHIES)


def test_increment_action_adds_one_except_unique_badges(client, staff):
    client.force_login(staff)
    stacked = UserTrophyFactory(quantity=2)
    unique = UserTrophyFactory(trophy=TrophyFactory(unique=True))
    untouched = UserTrophyFactory(quantity=5)

    response = client.post(
        reverse("admin:trophies_usertrophy_changelist"),
        {"action": "increment", "_selected_action": [stacked.pk, unique.pk]},
        follow=True,
    )

    quantities = dict(UserTrophy.objects.values_list("pk", "quantity"))
    assert quantities == {stacked.pk: 3, unique.pk: 1, untouched.pk: 5}
    assert [str(m) for m in response.context["messages"]] == [
        "1 badge(s) incrémenté(s).",
        "1 badge(s) unique(s) laissé(s) à 1.",
    ]


def test_decrement_action_removes_badges_held_once(client, staff):
    client.force_login(staff)
    stacked = UserTrophyFactory(quantity=3)
    single = UserTrophyFactory(quantity=1)
    untouched = UserTrophyFactory(quantity=1)

    client.post(
        reverse("admin:trophies_usertrophy_changelist"),
        {"action": "decrement", "_selected_action": [stacked.pk, single.pk]},
    )

    quantities = dict(UserTrophy.objects.values_list("pk", "quantity"))
    assert quantities == {stacked.pk: 2, untouched.pk: 1}


def test_user_trophy_add_forces_unique_badge_to_one(client, staff, player):
    client.force_login(staff)
    trophy = TrophyFactory(unique=True)

    response = client.post(
        reverse("admin:trophies_usertrophy_add"),
        {"user": player.pk, "trophy": trophy.pk, "quantity": "4"},
    )

    assert response.status_code == 302
    assert UserTrophy.objects.get().quantity == 1


def test_user_trophy_refuses_second_row_for_same_badge(client, staff, player):
    client.force_login(staff)
    held = UserTrophyFactory(user=player)

    response = client.post(
        reverse("admin:trophies_usertrophy_add"),
        {"user": player.pk, "trophy": held.trophy_id, "quantity": "1"},
    )

    assert response.status_code == 200
    assert UserTrophy.objects.count() == 1


def test_user_trophy_search_by_member_name(client, staff):
    client.force_login(staff)
    held = UserTrophyFactory(user=UserFactory(display_name="Bérénice"))
    UserTrophyFactory()

    response = client.get(reverse("admin:trophies_usertrophy_changelist"), {"q": "béré"})

    assert list(response.context["cl"].result_list) == [held]

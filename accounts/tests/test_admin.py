import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import DiscordRoleGroup, User
from accounts.tests.factories import UserFactory
from conftest import PLAYER_ROLE
from games.tests.factories import GameFactory, RegistrationFactory
from trophies.tests.factories import TrophyFactory, UserTrophyFactory

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_users(count: int) -> None:
    group = Group.objects.create(name=f"Groupe {Group.objects.count()}")
    for user in UserFactory.create_batch(count, not_player_as_of=timezone.now()):
        user.groups.add(group)
        UserTrophyFactory(user=user)


def _add_role_mappings(count: int) -> None:
    for n in range(count):
        group = Group.objects.create(name=f"Rôle {Group.objects.count()}-{n}")
        DiscordRoleGroup.objects.create(
            role_id=str(400_000_000_000_000_000 + group.pk), label=f"Rôle {n}", group=group
        )


@pytest.mark.parametrize(
    ("url_name", "add_rows"),
    [
        ("admin:accounts_user_changelist", _add_users),
        ("admin:accounts_discordrolegroup_changelist", _add_role_mappings),
        ("admin:auth_group_changelist", _add_role_mappings),
    ],
)
def test_changelist_query_count_does_not_grow(client, staff, url_name, add_rows):
    client.force_login(staff)
    url = reverse(url_name)
    add_rows(1)
    one = _queries(client, url)

    add_rows(5)

    assert _queries(client, url) == one


def test_user_change_and_add_views_render(client, staff, gm):
    client.force_login(staff)
    UserTrophyFactory(user=gm)

    change = client.get(reverse("admin:accounts_user_change", args=[gm.pk]))
    add = client.get(reverse("admin:accounts_user_add"))

    assert change.status_code == 200
    assert "Gaston MJ" in change.content.decode()
    assert add.status_code == 200
    assert set(add.context["adminform"].form.fields) >= {"discord_id", "display_name", "password1"}


def test_role_mapping_and_group_views_render(client, staff):
    client.force_login(staff)
    group = Group.objects.create(name="Modération")
    mapping = DiscordRoleGroup.objects.create(
        role_id="400000000000000001", label="Modo", group=group
    )

    responses = [
        client.get(reverse("admin:accounts_discordrolegroup_change", args=[mapping.pk])),
        client.get(reverse("admin:accounts_discordrolegroup_add")),
        client.get(reverse("admin:auth_group_change", args=[group.pk])),
        client.get(reverse("admin:auth_group_add")),
    ]

    assert [response.status_code for response in responses] == [200] * 4
    assert "Modo" in responses[2].content.decode()


def test_user_add_creates_member_without_password(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "discord_id": "123456789012345678",
            "display_name": "Nouvelle Recrue",
            "username": "recrue",
            "usable_password": "false",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(discord_id="123456789012345678")
    assert user.display_name == "Nouvelle Recrue"
    assert user.has_usable_password() is False


def test_user_add_creates_operator_with_password(client, staff):
    client.force_login(staff)

    client.post(
        reverse("admin:accounts_user_add"),
        {
            "discord_id": "123456789012345679",
            "display_name": "Opératrice",
            "usable_password": "true",
            "password1": "une phrase de passe solide",
            "password2": "une phrase de passe solide",
        },
    )

    user = User.objects.get(discord_id="123456789012345679")
    assert user.check_password("une phrase de passe solide") is True


def test_user_add_refuses_malformed_discord_id(client, staff):
    client.force_login(staff)
    before = User.objects.count()

    response = client.post(
        reverse("admin:accounts_user_add"),
        {"discord_id": "abc", "display_name": "Pirate", "usable_password": "false"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["discord_id"] == ["Un identifiant Discord est un nombre de 17 à 21 chiffres."]
    assert User.objects.count() == before


def test_user_add_refuses_duplicate_discord_id(client, staff, player):
    client.force_login(staff)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {"discord_id": player.discord_id, "display_name": "Clone", "usable_password": "false"},
    )

    assert response.status_code == 200
    assert "discord_id" in response.context["adminform"].form.errors
    assert User.objects.filter(discord_id=player.discord_id).count() == 1


def test_user_change_keeps_discord_id(client, staff, player):
    client.force_login(staff)

    response = client.get(reverse("admin:accounts_user_change", args=[player.pk]))

    assert "discord_id" not in response.context["adminform"].form.fields


def test_user_change_links_to_games_as_gm_and_player(client, staff, gm, player):
    client.force_login(staff)
    GameFactory(gm=gm)
    RegistrationFactory(player=gm)

    content = client.get(reverse("admin:accounts_user_change", args=[gm.pk])).content.decode()

    changelist = reverse("admin:games_game_changelist")
    assert f"{changelist}?gm={gm.pk}" in content
    assert f"{changelist}?player={gm.pk}" in content


def test_user_activity_filter(client, staff, player):
    client.force_login(staff)
    gone = UserFactory(display_name="Partie Ailleurs", not_player_as_of=timezone.now())
    url = reverse("admin:accounts_user_changelist")

    inactive = client.get(url, {"active": "no"}).context["cl"].result_list
    active = client.get(url, {"active": "yes"}).context["cl"].result_list

    assert list(inactive) == [gone]
    assert gone not in active
    assert player in active


def test_deactivate_and_reactivate_actions(client, staff, player, outsider):
    client.force_login(staff)
    url = reverse("admin:accounts_user_changelist")
    earlier = timezone.now() - datetime.timedelta(days=30)
    User.objects.filter(pk=outsider.pk).update(not_player_as_of=earlier)

    response = client.post(
        url, {"action": "deactivate", "_selected_action": [player.pk, outsider.pk]}, follow=True
    )

    player.refresh_from_db()
    outsider.refresh_from_db()
    assert (player.not_player_as_of is not None, player.is_active, player.is_player) == (
        True,
        False,
        False,
    )
    assert outsider.not_player_as_of == earlier  # already inactive: date kept
    assert outsider.is_active is False
    assert [str(m) for m in response.context["messages"]] == [
        "1 membre(s) désactivé·e(s) ; 0 inscription(s) à des parties en cours retirée(s)."
    ]

    client.post(url, {"action": "reactivate", "_selected_action": [player.pk, outsider.pk]})

    player.refresh_from_db()
    outsider.refresh_from_db()
    assert (player.not_player_as_of, player.is_active) == (None, True)
    assert (outsider.not_player_as_of, outsider.is_active) == (None, True)


def test_user_badges_inline_awards_a_badge(client, staff, player):
    client.force_login(staff)
    trophy = TrophyFactory(name="Conteuse")
    url = reverse("admin:accounts_user_change", args=[player.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name not in ("groups", "user_permissions")
    }
    data.update(
        {
            "not_player_as_of_0": "",
            "not_player_as_of_1": "",
            "date_joined_0": timezone.localtime(player.date_joined).strftime("%d/%m/%Y"),
            "date_joined_1": timezone.localtime(player.date_joined).strftime("%H:%M:%S"),
            "trophies-TOTAL_FORMS": "1",
            "trophies-INITIAL_FORMS": "0",
            "trophies-0-trophy": trophy.pk,
            "trophies-0-quantity": "2",
        }
    )
    data.pop("not_player_as_of", None)
    data.pop("date_joined", None)
    data.pop("last_login", None)

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(player.trophies.values_list("trophy__name", "quantity")) == [("Conteuse", 2)]


def test_group_admin_maps_discord_roles(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:auth_group_add"),
        {
            "name": "Gestion des VTT",
            "discord_roles-TOTAL_FORMS": "1",
            "discord_roles-INITIAL_FORMS": "0",
            "discord_roles-0-role_id": "400000000000000002",
            "discord_roles-0-label": "Équipe VTT",
        },
    )

    assert response.status_code == 302
    group = Group.objects.get(name="Gestion des VTT")
    assert list(group.discord_roles.values_list("role_id", "label")) == [
        ("400000000000000002", "Équipe VTT")
    ]


def test_group_admin_refuses_malformed_role_id(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:auth_group_add"),
        {
            "name": "Mauvais rôle",
            "discord_roles-TOTAL_FORMS": "1",
            "discord_roles-INITIAL_FORMS": "0",
            "discord_roles-0-role_id": "abc",
            "discord_roles-0-label": "",
        },
    )

    assert response.status_code == 200
    assert not Group.objects.filter(name="Mauvais rôle").exists()
    assert "Un identifiant Discord est un nombre de 17 à 21 chiffres." in response.content.decode()


def test_anonymous_is_sent_to_admin_login(client):
    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permissions_sees_no_models(client):
    helper = UserFactory(is_staff=True)
    client.force_login(helper)

    index = client.get(reverse("admin:index"))
    users = client.get(reverse("admin:accounts_user_changelist"))

    assert index.status_code == 200
    assert index.context["app_list"] == []
    assert users.status_code == 403


def test_staff_with_view_permission_can_read_members_only(client, player):
    helper = UserFactory(is_staff=True)
    helper.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(helper)

    changelist = client.get(reverse("admin:accounts_user_changelist"))
    change = client.post(
        reverse("admin:accounts_user_change", args=[player.pk]), {"display_name": "Pirate"}
    )

    assert changelist.status_code == 200
    assert change.status_code == 403
    player.refresh_from_db()
    assert player.display_name == "Paule Joueuse"


def test_refresh_from_discord_action_updates_selected_members(client, staff, fake_discord):
    # A fresh role check keeps the staff re-check middleware away from Discord.
    User.objects.filter(pk=staff.pk).update(roles_synced_at=timezone.now())
    client.force_login(staff)
    stays = UserFactory(discord_id="123456789012345678", display_name="Ancien nom")
    left = UserFactory(discord_id="123456789012345679")
    fake_discord.add_member(stays.discord_id, "reste", nick="Nouveau nom", roles=[PLAYER_ROLE])

    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "refresh_from_discord", "_selected_action": [stays.pk, left.pk]},
    )

    stays.refresh_from_db()
    left.refresh_from_db()
    assert (stays.display_name, stays.is_player, stays.not_player_as_of) == (
        "Nouveau nom",
        True,
        None,
    )
    assert left.not_player_as_of is not None


def test_refresh_from_discord_action_does_nothing_offline(client, staff, player, settings):
    settings.DISCORD_OFFLINE = True
    client.force_login(staff)

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "refresh_from_discord", "_selected_action": [player.pk]},
        follow=True,
    )

    assert response.status_code == 200
    player.refresh_from_db()
    assert player.roles_synced_at is None


def test_delegated_staff_cannot_grant_themselves_rights(client):
    helper = UserFactory(is_staff=True, display_name="Aide")
    helper.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client.force_login(helper)
    url = reverse("admin:accounts_user_change", args=[helper.pk])
    form_fields = client.get(url).context["adminform"].form.fields

    response = client.post(
        url,
        {
            "display_name": "Aide modifiée",
            "username": helper.username,
            "avatar": "",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "01/01/2025",
            "date_joined_1": "10:00:00",
            "trophies-TOTAL_FORMS": "0",
            "trophies-INITIAL_FORMS": "0",
        },
    )

    assert "is_superuser" not in form_fields
    assert "user_permissions" not in form_fields
    assert response.status_code == 302
    helper.refresh_from_db()
    assert (helper.display_name, helper.is_superuser) == ("Aide modifiée", False)


def test_only_superusers_edit_groups_and_role_mappings(client):
    group = Group.objects.create(name="Gestion des VTT")
    helper = UserFactory(is_staff=True)
    helper.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_group", "change_group", "add_discordrolegroup"]
        )
    )
    client.force_login(helper)

    view = client.get(reverse("admin:auth_group_change", args=[group.pk]))
    change = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Tout-puissant", "discord_roles-TOTAL_FORMS": "0"},
    )
    add_mapping = client.get(reverse("admin:accounts_discordrolegroup_add"))

    assert view.status_code == 200
    assert change.status_code == 403
    assert add_mapping.status_code == 403
    group.refresh_from_db()
    assert group.name == "Gestion des VTT"

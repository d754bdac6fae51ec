import threading
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, connections

from accounts.capabilities import CAPABILITIES
from accounts.tests.factories import UserFactory
from catalog.models import ClubSettings
from trophies.models import RESERVED_TROPHIES, Trophy


def seed(verbosity: int = 1) -> str:
    out = StringIO()
    call_command("seed", verbosity=verbosity, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "trophies": sorted(Trophy.objects.values_list("pk", "name", "icon")),
        "settings": ClubSettings.objects.count(),
        "groups": sorted(Group.objects.values_list("pk", "name")),
        "group permissions": sorted(
            Group.permissions.through.objects.values_list("group_id", "permission_id")
        ),
        "permissions": Permission.objects.count(),
    }


def group_permissions(name: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.django_db
def test_seed_creates_the_reserved_trophies_with_their_ids():
    seed()

    assert list(Trophy.objects.order_by("pk").values_list("pk", "name", "icon", "unique")) == [
        (1, "Badge OS", "img/trophies/os.svg", False),
        (2, "Badge OS GM", "img/trophies/os_gm.svg", False),
        (3, "Badge Campagne", "img/trophies/campaign.svg", False),
        (4, "Badge Campagne GM", "img/trophies/campaign_gm.svg", False),
    ]


@pytest.mark.django_db
def test_seed_creates_the_club_settings_row_with_defaults():
    seed()

    club = ClubSettings.objects.get()
    assert club.pk == ClubSettings.SINGLETON_ID
    assert club.games_per_page == 12
    assert club.category_name_template_oneshot == "🎲 ONE SHOTS {n} 📖"


@pytest.mark.django_db
def test_seed_creates_one_group_per_capability_with_exactly_its_permissions():
    seed()

    assert Group.objects.count() == len(CAPABILITIES) == 8
    for capability in CAPABILITIES:
        assert group_permissions(capability.group_name) == set(capability.permissions)
    assert group_permissions("Gérer les badges") == {
        "trophies.add_trophy",
        "trophies.change_trophy",
        "trophies.delete_trophy",
        "trophies.view_trophy",
        "trophies.add_usertrophy",
        "trophies.change_usertrophy",
        "trophies.delete_usertrophy",
        "trophies.view_usertrophy",
        "accounts.view_user",
    }
    assert group_permissions("Consulter l'audit des annonces") == {
        "games.view_gameevent",
        "games.view_game",
    }


@pytest.mark.django_db
def test_seed_group_grants_its_permissions_to_members():
    seed()
    member = UserFactory(is_staff=True)
    member.groups.add(Group.objects.get(name="Gérer les VTTs"))

    member = type(member).objects.get(pk=member.pk)  # fresh permission cache
    assert member.has_perm("catalog.add_vtt")
    assert member.has_perm("catalog.delete_vtt")
    assert not member.has_perm("catalog.add_system")
    assert not member.has_perm("games.change_game")


@pytest.mark.django_db
def test_seed_twice_changes_nothing():
    seed()
    before = snapshot()

    output = seed()

    assert snapshot() == before
    assert "Badges: 0 created, 4 already present." in output
    assert "Club settings: already present." in output
    assert "Staff groups: 0 created, 8 already present, 0 permission(s) added." in output


@pytest.mark.django_db
def test_seed_keeps_the_admin_edits_of_a_reserved_trophy():
    seed()
    Trophy.objects.filter(pk=1).update(name="Aventurier·e d'un soir", icon="img/custom.svg")

    seed()

    assert Trophy.objects.get(pk=1).name == "Aventurier·e d'un soir"
    assert Trophy.objects.get(pk=1).icon == "img/custom.svg"
    assert Trophy.objects.count() == 4


@pytest.mark.django_db
def test_seed_recreates_a_missing_reserved_trophy():
    seed()
    Trophy.objects.filter(pk=3).delete()

    output = seed()

    assert Trophy.objects.get(pk=3).name == "Badge Campagne"
    assert "Badges: 1 created, 3 already present." in output


@pytest.mark.django_db
def test_seed_explains_a_reserved_name_taken_by_another_badge():
    Trophy.objects.create(pk=10, name="Badge OS")

    with pytest.raises(CommandError, match="another badge has this name"):
        seed()

    assert list(Trophy.objects.values_list("pk", flat=True)) == [10]


@pytest.mark.django_db
def test_seed_completes_groups_without_removing_permissions_added_by_hand():
    seed()
    group = Group.objects.get(name="Gérer les systèmes")
    extra = Permission.objects.get(content_type__app_label="games", codename="view_game")
    group.permissions.add(extra)
    group.permissions.remove(Permission.objects.get(codename="delete_system"))

    output = seed()

    assert group_permissions("Gérer les systèmes") == {
        "catalog.add_system",
        "catalog.change_system",
        "catalog.delete_system",
        "catalog.view_system",
        "games.view_game",
    }
    assert "1 permission(s) added" in output


@pytest.mark.django_db
def test_seed_creates_missing_permissions_before_filling_the_groups():
    Permission.objects.filter(content_type__app_label="catalog", codename="add_vtt").delete()

    seed()

    assert "catalog.add_vtt" in group_permissions("Gérer les VTTs")


@pytest.mark.django_db
def test_seed_verbosity_zero_prints_nothing():
    assert seed(verbosity=0) == ""
    assert Trophy.objects.count() == 4


@pytest.mark.django_db
def test_trophy_created_after_seed_gets_a_fresh_id():
    # Start the id sequence from scratch, as on a new database, so that a missing sequence reset
    # after the explicit ids 1–4 would hand out id 1 again.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Trophy]):
            cursor.execute(sql)
    seed()

    trophy = Trophy.objects.create(name="Badge Convention")

    assert trophy.pk == 5
    assert Trophy.objects.count() == 5


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises write transactions anyway"
)
@pytest.mark.django_db(transaction=True)
def test_two_seeds_at_once_both_succeed():
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            call_command("seed", verbosity=0)
        except BaseException as error:  # reported to the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(Trophy.objects.values_list("pk", flat=True)) == list(RESERVED_TROPHIES)
    assert Group.objects.count() == len(CAPABILITIES)
    assert ClubSettings.objects.count() == 1

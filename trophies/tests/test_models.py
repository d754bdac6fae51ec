"""Badges and the quantities members hold: validation (what the admin shows) and database
constraints (what holds when validation is bypassed)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from trophies.models import Trophy, UserTrophy
from trophies.tests.factories import TrophyFactory, UserTrophyFactory

pytestmark = pytest.mark.django_db

MSG_QUANTITY = "La quantité doit être au moins 1."


def assert_refused(instance, errors: dict) -> None:
    """Validation refuses the instance with exactly `errors`, and the database is untouched."""
    model = type(instance)
    before = list(model.objects.order_by("pk").values())
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
        instance.save()
    assert exc.value.message_dict == errors
    assert list(model.objects.order_by("pk").values()) == before


# --- Trophy -----------------------------------------------------------------------------------


def test_trophy_duplicate_name_refused_by_validation():
    TrophyFactory(name="Maître du donjon")

    assert_refused(Trophy(name="Maître du donjon"), {"name": ["Un badge porte déjà ce nom."]})


def test_trophy_duplicate_name_refused_by_database():
    TrophyFactory(name="Maître du donjon")

    with pytest.raises(IntegrityError), transaction.atomic():
        Trophy.objects.create(name="Maître du donjon")

    assert Trophy.objects.count() == 1


def test_trophy_name_of_64_characters_is_valid():
    trophy = Trophy(name="b" * 64)

    trophy.full_clean()
    trophy.save()

    assert Trophy.objects.get().name == "b" * 64


def test_trophy_name_over_64_characters_refused_by_validation():
    assert_refused(
        Trophy(name="b" * 65),
        {
            "name": [
                "Assurez-vous que cette valeur comporte au plus 64 caractères (actuellement 65)."
            ]
        },
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite does not enforce varchar lengths"
)
def test_trophy_name_over_64_characters_refused_by_database():
    with pytest.raises(DataError), transaction.atomic():
        Trophy.objects.create(name="b" * 65)


@pytest.mark.parametrize(
    ("pk", "reserved"), [(None, False), (1, True), (2, True), (3, True), (4, True), (5, False)]
)
def test_trophy_is_reserved_for_ids_1_to_4(pk, reserved):
    assert Trophy(pk=pk, name="Badge").is_reserved is reserved


# --- UserTrophy -------------------------------------------------------------------------------


def test_user_trophy_duplicate_refused_by_validation():
    held = UserTrophyFactory()

    assert_refused(
        UserTrophy(user=held.user, trophy=held.trophy, quantity=2),
        {"__all__": ["Ce membre possède déjà ce badge."]},
    )


def test_user_trophy_duplicate_refused_by_database():
    held = UserTrophyFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        UserTrophy.objects.create(user=held.user, trophy=held.trophy)

    assert UserTrophy.objects.get().quantity == 1


def test_user_trophy_same_badge_for_another_member_is_valid():
    held = UserTrophyFactory()
    other = UserTrophy(user=UserFactory(), trophy=held.trophy)

    other.full_clean()
    other.save()

    assert held.trophy.holders.count() == 2


def test_user_trophy_zero_quantity_refused_by_validation():
    held = UserTrophy(user=UserFactory(), trophy=TrophyFactory(), quantity=0)

    with pytest.raises(ValidationError) as exc:
        held.full_clean()
        held.save()

    assert MSG_QUANTITY in exc.value.messages
    assert UserTrophy.objects.count() == 0


def test_user_trophy_zero_quantity_refused_on_the_field():
    held = UserTrophy(user=UserFactory(), trophy=TrophyFactory(), quantity=0)

    assert_refused(held, {"quantity": [MSG_QUANTITY]})


def test_user_trophy_zero_quantity_refused_by_database():
    user, trophy = UserFactory(), TrophyFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        UserTrophy.objects.create(user=user, trophy=trophy, quantity=0)

    held = UserTrophy.objects.create(user=user, trophy=trophy, quantity=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserTrophy.objects.filter(pk=held.pk).update(quantity=0)

    assert UserTrophy.objects.get().quantity == 3


def test_user_trophy_quantity_of_one_is_valid():
    held = UserTrophy(user=UserFactory(), trophy=TrophyFactory(), quantity=1)

    held.full_clean()
    held.save()

    with transaction.atomic():
        UserTrophy.objects.filter(pk=held.pk).update(quantity=1)
    assert UserTrophy.objects.get().quantity == 1


@pytest.mark.parametrize("quantity", [1, 3])
def test_user_trophy_clean_forces_quantity_one_for_unique_badge(quantity):
    held = UserTrophy(user=UserFactory(), trophy=TrophyFactory(unique=True), quantity=quantity)

    held.full_clean()
    held.save()

    assert UserTrophy.objects.get().quantity == 1


def test_user_trophy_clean_keeps_quantity_of_normal_badge():
    held = UserTrophy(user=UserFactory(), trophy=TrophyFactory(unique=False), quantity=3)

    held.full_clean()

    assert held.quantity == 3


def test_user_trophy_increment_adds_for_normal_badge():
    held = UserTrophyFactory(trophy=TrophyFactory(unique=False), quantity=1)

    held.increment()
    assert held.quantity == 2

    held.increment(3)
    assert held.quantity == 5
    assert UserTrophy.objects.get().quantity == 5


def test_user_trophy_increment_ignores_unique_badge():
    held = UserTrophyFactory(trophy=TrophyFactory(unique=True), quantity=1)

    held.increment()
    held.increment(3)

    assert held.quantity == 1
    assert UserTrophy.objects.get().quantity == 1


def test_user_trophy_increment_only_touches_its_row():
    trophy = TrophyFactory()
    held = UserTrophyFactory(trophy=trophy, quantity=1)
    other = UserTrophyFactory(trophy=trophy, quantity=4)

    held.increment(2)

    other.refresh_from_db()
    assert (held.quantity, other.quantity) == (3, 4)


@pytest.mark.parametrize("change", ["award", "admin_save", "increment", "delete"])
def test_every_badge_change_makes_the_statistics_stale(django_capture_on_commit_callbacks, change):
    from accounts.tests.factories import UserFactory
    from games.statistics import club_stats_key, member_stats_key
    from trophies.services import award_trophy

    trophy = Trophy.objects.create(name="Badge des tests")
    member = UserFactory()
    held = UserTrophy.objects.create(user=member, trophy=trophy, quantity=2)
    before = (member_stats_key(member.pk, "dashboard"), club_stats_key("overview"))

    with django_capture_on_commit_callbacks(execute=True):
        if change == "award":
            award_trophy(member, trophy.pk)
        elif change == "admin_save":
            held.quantity = 5
            held.save()
        elif change == "increment":
            held.increment()
        else:
            held.delete()

    after = (member_stats_key(member.pk, "dashboard"), club_stats_key("overview"))
    assert after[0] != before[0] and after[1] != before[1]

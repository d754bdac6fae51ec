"""Members and Discord role mappings: validation (what forms and the admin show) and database
constraints (what holds when validation is bypassed)."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction

from accounts.models import DiscordRoleGroup, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MSG_SNOWFLAKE = "Un identifiant Discord est un nombre de 17 à 21 chiffres."
MSG_BLANK = "Ce champ ne peut pas être vide."

VALID_IDS = ["1" * 17, "123456789012345678", "9" * 21]
BAD_IDS = [
    ("1" * 16, [MSG_SNOWFLAKE]),
    (
        "1" * 22,
        [
            MSG_SNOWFLAKE,
            "Assurez-vous que cette valeur comporte au plus 21 caractères (actuellement 22).",
        ],
    ),
    ("12345678901234567a", [MSG_SNOWFLAKE]),
    ("abcdefghijklmnopqr", [MSG_SNOWFLAKE]),
    (" 123456789012345678", [MSG_SNOWFLAKE]),
    ("", [MSG_BLANK]),
]


def new_user(discord_id: str, **fields) -> User:
    user = User(discord_id=discord_id, **fields)
    user.set_unusable_password()
    return user


def db_error_for_length(value: str, max_length: int = 21) -> type[Exception]:
    # PostgreSQL refuses an over-long value before looking at the check constraints;
    # SQLite ignores varchar lengths, so the check constraint is what refuses it there.
    if len(value) > max_length and connection.vendor == "postgresql":
        return DataError
    return IntegrityError


# --- User.discord_id --------------------------------------------------------------------------


@pytest.mark.parametrize("discord_id", VALID_IDS)
def test_user_discord_id_snowflake_is_valid(discord_id):
    user = new_user(discord_id)

    user.full_clean()
    user.save()

    assert User.objects.get().discord_id == discord_id


@pytest.mark.parametrize(("discord_id", "messages"), BAD_IDS)
def test_user_discord_id_invalid_refused_by_validation(discord_id, messages):
    user = new_user(discord_id)

    with pytest.raises(ValidationError) as exc:
        user.full_clean()
        user.save()

    assert exc.value.message_dict == {"discord_id": messages}
    assert User.objects.count() == 0


@pytest.mark.parametrize(("discord_id", "messages"), BAD_IDS)
def test_user_create_user_refuses_invalid_discord_id(discord_id, messages):
    with pytest.raises(ValidationError) as exc:
        User.objects.create_user(discord_id)

    assert exc.value.message_dict == {"discord_id": messages}
    assert User.objects.count() == 0


@pytest.mark.parametrize("discord_id", VALID_IDS)
def test_user_discord_id_snowflake_accepted_by_database(discord_id):
    User.objects.create(discord_id=discord_id)
    user = UserFactory()

    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(discord_id=discord_id[:-1] + "0")

    assert set(User.objects.values_list("discord_id", flat=True)) == {
        discord_id,
        discord_id[:-1] + "0",
    }


@pytest.mark.parametrize("discord_id", [value for value, _messages in BAD_IDS])
def test_user_discord_id_invalid_refused_by_database(discord_id):
    user = UserFactory()

    with pytest.raises(db_error_for_length(discord_id)), transaction.atomic():
        User.objects.create(discord_id=discord_id)
    with pytest.raises(db_error_for_length(discord_id)), transaction.atomic():
        User.objects.filter(pk=user.pk).update(discord_id=discord_id)

    assert list(User.objects.values_list("discord_id", flat=True)) == [user.discord_id]


def test_user_discord_id_unicode_digits_or_trailing_newline_refused_on_the_field():
    for discord_id in ["١" * 18, "123456789012345678\n"]:
        user = new_user(discord_id)

        with pytest.raises(ValidationError) as exc:
            user.full_clean()

        assert exc.value.message_dict == {"discord_id": [MSG_SNOWFLAKE]}


def test_user_duplicate_discord_id_refused_in_french():
    UserFactory(discord_id="123456789012345678")

    with pytest.raises(ValidationError) as exc:
        User.objects.create_user("123456789012345678", display_name="Doublon")

    assert exc.value.message_dict == {
        "discord_id": ["Un membre avec cet identifiant Discord existe déjà."]
    }
    assert User.objects.count() == 1


def test_user_duplicate_discord_id_refused_by_database():
    UserFactory(discord_id="123456789012345678")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(discord_id="123456789012345678")


# --- User manager and properties --------------------------------------------------------------


def test_user_create_user_without_password_is_unusable():
    user = User.objects.create_user("123456789012345678", display_name="Paule")

    user.refresh_from_db()
    assert user.has_usable_password() is False
    assert user.is_staff is False
    assert user.is_superuser is False


def test_user_create_user_with_password_is_usable():
    user = User.objects.create_user("123456789012345678", password="un-long-secret-42")

    user.refresh_from_db()
    assert user.check_password("un-long-secret-42") is True


def test_user_create_superuser_sets_staff_and_superuser():
    user = User.objects.create_superuser(
        "123456789012345678", password="un-long-secret-42", display_name="Opératrice"
    )

    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, user.display_name) == (True, True, "Opératrice")
    assert user.check_password("un-long-secret-42") is True


def test_user_avatar_url_points_to_discord_cdn():
    user = UserFactory(discord_id="123456789012345678", avatar="a_1b2c3d")

    assert user.avatar_url == (
        "https://cdn.discordapp.com/avatars/123456789012345678/a_1b2c3d.png?size=64"
    )


def test_user_avatar_url_defaults_to_static_image():
    user = UserFactory(avatar="")

    assert user.avatar_url == "/static/img/avatar.svg"


def test_user_slug_name_prefers_username():
    assert UserFactory(display_name="Gaston MJ", username="gaston").slug_name == "gaston"


def test_user_slug_name_falls_back_to_display_name():
    assert UserFactory(display_name="Gaston MJ", username="").slug_name == "Gaston MJ"


@pytest.fixture
def searchable(db):
    return {
        "gaston": UserFactory(
            discord_id="111111111111111111", display_name="Gaston MJ", username="gastonlagaffe"
        ),
        "paule": UserFactory(
            discord_id="222222222222222222", display_name="Paule Joueuse", username="pj_paule"
        ),
        "octave": UserFactory(
            discord_id="333333333333333333", display_name="Octave", username="tavo"
        ),
    }


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("222222222222222222", ["paule"]),
        ("  222222222222222222  ", ["paule"]),
        ("gaston", ["gaston"]),
        ("GASTON MJ", ["gaston"]),
        ("joueuse", ["paule"]),
        ("LAGAFFE", ["gaston"]),
        ("TaVo", ["octave"]),
        ("a", ["gaston", "octave", "paule"]),
        ("nobody", []),
        ("22222222222222222", []),  # ids match exactly, not partially
    ],
)
def test_user_search_by_id_name_or_username(searchable, term, expected):
    found = User.objects.search(term)

    assert sorted(user.username for user in found) == sorted(
        searchable[key].username for key in expected
    )


@pytest.mark.parametrize("term", ["", "   "])
def test_user_search_empty_term_finds_nobody(searchable, term):
    assert list(User.objects.search(term)) == []


# --- DiscordRoleGroup -------------------------------------------------------------------------


@pytest.fixture
def group(db):
    return Group.objects.create(name="Modération")


def test_discord_role_group_duplicate_refused_by_validation(group):
    DiscordRoleGroup.objects.create(role_id="123456789012345678", group=group)
    duplicate = DiscordRoleGroup(role_id="123456789012345678", group=group, label="Modo")

    with pytest.raises(ValidationError) as exc:
        duplicate.full_clean()
        duplicate.save()

    assert exc.value.message_dict == {"__all__": ["Ce rôle est déjà associé à ce groupe."]}
    assert DiscordRoleGroup.objects.count() == 1


def test_discord_role_group_duplicate_refused_by_database(group):
    DiscordRoleGroup.objects.create(role_id="123456789012345678", group=group)

    with pytest.raises(IntegrityError), transaction.atomic():
        DiscordRoleGroup.objects.create(role_id="123456789012345678", group=group)


def test_discord_role_group_same_role_for_another_group_is_valid(group):
    DiscordRoleGroup.objects.create(role_id="123456789012345678", group=group)
    other = DiscordRoleGroup(
        role_id="123456789012345678", group=Group.objects.create(name="Animation")
    )

    other.full_clean()
    other.save()

    assert DiscordRoleGroup.objects.count() == 2


@pytest.mark.parametrize(("role_id", "messages"), BAD_IDS)
def test_discord_role_group_invalid_role_id_refused_by_validation(group, role_id, messages):
    mapping = DiscordRoleGroup(role_id=role_id, group=group)

    with pytest.raises(ValidationError) as exc:
        mapping.full_clean()
        mapping.save()

    assert exc.value.message_dict == {"role_id": messages}
    assert DiscordRoleGroup.objects.count() == 0


@pytest.mark.parametrize("role_id", [value for value, _messages in BAD_IDS])
def test_discord_role_group_invalid_role_id_refused_by_database(group, role_id):
    mapping = DiscordRoleGroup.objects.create(role_id="123456789012345678", group=group)

    with pytest.raises(db_error_for_length(role_id)), transaction.atomic():
        DiscordRoleGroup.objects.create(role_id=role_id, group=group)
    with pytest.raises(db_error_for_length(role_id)), transaction.atomic():
        DiscordRoleGroup.objects.filter(pk=mapping.pk).update(role_id=role_id)


@pytest.mark.parametrize("role_id", VALID_IDS)
def test_discord_role_group_snowflake_role_id_is_valid(group, role_id):
    mapping = DiscordRoleGroup(role_id=role_id, group=group)

    mapping.full_clean()
    mapping.save()

    assert DiscordRoleGroup.objects.get().role_id == role_id

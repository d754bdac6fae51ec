"""Shared fixtures: the personas every mutating view is tested against."""

import os

# Tests never run with DEBUG; give them a key of their own instead of requiring one in the shell.
os.environ.setdefault("SECRET_KEY", "questmaster-tests-only")

import pytest  # noqa: E402


@pytest.fixture
def player(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(display_name="Paule Joueuse", username="paule", is_player=True)


@pytest.fixture
def gm(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(display_name="Gaston MJ", username="gaston", is_player=True, is_gm=True)


@pytest.fixture
def other_gm(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(display_name="Odile MJ", username="odile", is_player=True, is_gm=True)


@pytest.fixture
def outsider(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(display_name="Octave", username="octave", is_player=True)


@pytest.fixture
def staff(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(
        display_name="Sacha Admin",
        username="sacha",
        is_player=True,
        is_staff=True,
        is_superuser=True,
    )

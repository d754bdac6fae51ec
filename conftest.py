"""Shared fixtures: the personas every mutating view is tested against."""

import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Production serves hashed files from `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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

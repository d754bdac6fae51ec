"""Shared fixtures: the personas every mutating view is tested against."""

import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Production serves hashed files from `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Tests only: a deliberately weak, fast hasher (production keeps Django's default).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached figures are keyed on version numbers that live in the cache too: each test starts
    # from an empty cache, as a fresh deployment would.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


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


# --- the fake Discord -----------------------------------------------------------------------

PLAYER_ROLE = "910000000000000001"
GM_ROLE = "910000000000000002"
ADMIN_ROLE = "910000000000000003"


@pytest.fixture(scope="session")
def _fake_discord_server():
    from questmaster.discord.fake import FakeDiscord

    fake = FakeDiscord().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_discord(_fake_discord_server, settings):
    """A fresh fake Discord on 127.0.0.1, with the site configured to use it (bot included)."""
    fake = _fake_discord_server
    fake.reset()
    state = fake.state
    settings.DISCORD_API_BASE_URL = fake.api_base_url
    settings.DISCORD_OAUTH_AUTHORIZE_URL = fake.authorize_url
    settings.DISCORD_CLIENT_ID = state.client_id
    settings.DISCORD_CLIENT_SECRET = state.client_secret
    settings.DISCORD_BOT_TOKEN = state.bot_token
    settings.DISCORD_OFFLINE = False
    settings.DISCORD_GUILD_ID = state.guild_id
    settings.DISCORD_PLAYER_ROLE_ID = PLAYER_ROLE
    settings.DISCORD_GM_ROLE_ID = GM_ROLE
    settings.DISCORD_ADMIN_ROLE_ID = ADMIN_ROLE
    settings.DISCORD_HTTP_TIMEOUT = 2.0
    settings.SOCIALACCOUNT_REQUESTS_TIMEOUT = 2.0
    settings.SOCIALACCOUNT_PROVIDERS = {
        "discord": {
            **settings.SOCIALACCOUNT_PROVIDERS["discord"],
            "APPS": [{"client_id": state.client_id, "secret": state.client_secret, "key": ""}],
        }
    }
    yield fake


@pytest.fixture
def reserved_trophies(db):
    """The four badges the archive awards (ids 1–4), as `manage.py seed` creates them."""
    from trophies.models import RESERVED_TROPHIES, Trophy

    return [
        Trophy.objects.get_or_create(pk=pk, defaults={"name": name, "icon": icon})[0]
        for pk, (name, icon) in RESERVED_TROPHIES.items()
    ]

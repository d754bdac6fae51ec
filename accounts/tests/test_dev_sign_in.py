import pytest

from accounts.demo import DEMO_PERSONAS
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def personas(db):
    return {
        key: UserFactory(discord_id=p.discord_id, display_name=f"Démo {key}")
        for key, p in DEMO_PERSONAS.items()
    }


@pytest.fixture
def dev_mode(settings):
    settings.DEBUG = True
    settings.DISCORD_CLIENT_ID = ""


def test_sign_in_page_offers_demo_members_in_development(client, dev_mode, personas):
    content = client.get("/login/").content.decode()

    assert "Démo player" in content
    assert "Démo gm" in content
    assert "Démo admin" in content
    assert 'action="/login/demo/"' in content


def test_demo_sign_in_logs_in_and_follows_safe_next(client, dev_mode, personas):
    response = client.post("/login/demo/", {"persona": "gm", "next": "/annonces/x/"})

    assert response.status_code == 302
    assert response["Location"] == "/annonces/x/"
    assert int(client.session["_auth_user_id"]) == personas["gm"].pk


def test_demo_sign_in_ignores_off_site_next(client, dev_mode, personas):
    response = client.post("/login/demo/", {"persona": "player", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_unknown_persona_is_refused(client, dev_mode, personas):
    response = client.post("/login/demo/", {"persona": "hacker"}, follow=True)

    assert "_auth_user_id" not in client.session
    assert "Membre de démonstration inconnu" in response.content.decode()


def test_demo_sign_in_needs_post(client, dev_mode, personas):
    assert client.get("/login/demo/").status_code == 405


def test_demo_sign_in_does_not_exist_without_debug(client, settings, personas):
    settings.DEBUG = False
    settings.DISCORD_CLIENT_ID = ""

    response = client.post("/login/demo/", {"persona": "admin"})

    assert response.status_code == 404
    assert "_auth_user_id" not in client.session
    assert 'action="/login/demo/"' not in client.get("/login/").content.decode()


def test_demo_sign_in_does_not_exist_with_a_discord_application(client, settings, personas):
    settings.DEBUG = True
    settings.DISCORD_CLIENT_ID = "real-client"

    response = client.post("/login/demo/", {"persona": "admin"})

    assert response.status_code == 404

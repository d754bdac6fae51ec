"""Who gets what on /admin/: staff the back office, members a clear refusal, visitors the login."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.tests.factories import UserFactory
from questmaster.admin_site import QuestMasterAdminSite

pytestmark = pytest.mark.django_db

REFUSAL = "Le back-office est réservé au staff du club."


def test_the_default_admin_site_is_questmasters():
    # Installed by `questmaster.apps.QuestMasterAdminConfig` in INSTALLED_APPS.
    assert isinstance(admin.site, QuestMasterAdminSite)
    assert str(admin.site.site_header) == "QuestMaster Admin"


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:index"),
        reverse("admin:login"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:games_game_changelist"),
    ],
)
def test_a_gm_who_is_not_staff_gets_a_clear_refusal(client, gm, url):
    client.force_login(gm)

    response = client.get(url)

    content = response.content.decode()
    assert response.status_code == 403
    assert REFUSAL in content
    assert f'href="{reverse("home")}"' in content
    assert "Retour au site" in content
    assert 'type="password"' not in content
    assert gm.discord_id not in content


def test_a_signed_in_member_cannot_post_the_admin_login_form(client, player):
    client.force_login(player)

    response = client.post(reverse("admin:login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert REFUSAL in response.content.decode()


def test_staff_get_the_back_office(client, staff):
    client.force_login(staff)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert REFUSAL not in response.content.decode()
    assert "QuestMaster Admin" in response.content.decode()


def test_anonymous_visitors_get_the_operator_login_and_a_way_to_discord(client):
    response = client.get(reverse("admin:index"))
    login = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    content = login.content.decode()
    assert login.status_code == 200
    assert 'type="password"' in content
    assert "Les membres du club se connectent avec Discord" in content
    assert f'href="{reverse("accounts:sign_in")}?next=/admin/"' in content


def test_an_operator_signs_in_with_a_password(client):
    UserFactory(
        discord_id="123456789012345670",
        password="une phrase de passe solide",
        is_staff=True,
        is_superuser=True,
    )

    response = client.post(
        reverse("admin:login"),
        {"username": "123456789012345670", "password": "une phrase de passe solide"},
    )

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200

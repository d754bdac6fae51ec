"""Sign-in with Discord through the real allauth views, against the fake Discord."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import DiscordRoleGroup, User
from accounts.tests.factories import UserFactory
from conftest import ADMIN_ROLE, GM_ROLE, PLAYER_ROLE
from games.models import GameEventAction, Registration
from games.tests.factories import RegistrationFactory
from questmaster.discord.models import DiscordEffect, EffectKind

pytestmark = pytest.mark.django_db

ALICE = "123456789012345678"


def start_sign_in(client, data=None):
    """POST to allauth's Discord login view; return the URL of Discord's consent page."""
    response = client.post("/accounts/discord/login/", data or {})
    assert response.status_code == 302
    return response["Location"]


def consent(fake, authorize_url: str, user_id: str) -> str:
    """The member clicks "Authorise" on Discord: the fake sends the browser back with a code."""
    fake.state.consenting_user = user_id
    answer = httpx.get(authorize_url, follow_redirects=False)
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["Location"])
    return f"{callback.path}?{callback.query}"


def sign_in(client, fake, user_id: str, data=None):
    callback = consent(fake, start_sign_in(client, data), user_id)
    return client.get(callback)


def test_authorize_url_points_at_configured_discord_with_scopes(client, fake_discord):
    url = urlsplit(start_sign_in(client))
    query = parse_qs(url.query)

    assert f"{url.scheme}://{url.netloc}{url.path}" == fake_discord.authorize_url
    assert set(query["scope"][0].split()) == {"identify", "guilds.members.read"}
    assert query["client_id"] == [fake_discord.state.client_id]
    assert query["redirect_uri"] == ["http://testserver/accounts/discord/login/callback/"]


def test_sign_in_requires_post(client, fake_discord):
    response = client.get("/accounts/discord/login/")

    assert response.status_code == 200  # allauth's confirmation page, no redirect to Discord
    assert fake_discord.state.calls == []


def test_player_signs_in_and_is_created(client, fake_discord):
    fake_discord.add_member(
        ALICE,
        "alice",
        nick="Alice la Barde",
        global_name="Alice",
        avatar="abc123",
        roles=[PLAYER_ROLE],
    )

    response = sign_in(client, fake_discord, ALICE)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(discord_id=ALICE)
    assert user.display_name == "Alice la Barde"
    assert user.username == "alice"
    assert user.avatar == "abc123"
    assert (user.is_player, user.is_gm, user.is_staff, user.is_superuser) == (
        True,
        False,
        False,
        False,
    )
    assert user.roles_synced_at is not None
    assert not user.has_usable_password()
    assert SocialAccount.objects.get(user=user).uid == ALICE
    page = client.get("/").content.decode()
    assert "Alice la Barde" in page
    assert "https://cdn.discordapp.com/avatars/123456789012345678/abc123.png" in page


def test_display_name_falls_back_to_global_name_then_username(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", global_name="Alice G.", roles=[PLAYER_ROLE])
    sign_in(client, fake_discord, ALICE)
    assert User.objects.get(discord_id=ALICE).display_name == "Alice G."

    client.logout()
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])
    sign_in(client, fake_discord, ALICE)
    assert User.objects.get(discord_id=ALICE).display_name == "alice"


def test_gm_role_sets_gm_flag(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE, GM_ROLE])

    sign_in(client, fake_discord, ALICE)

    assert User.objects.get(discord_id=ALICE).is_gm is True


def test_admin_role_alone_is_enough_and_makes_a_superuser(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", roles=[ADMIN_ROLE])

    sign_in(client, fake_discord, ALICE)

    user = User.objects.get(discord_id=ALICE)
    assert (user.is_staff, user.is_superuser, user.is_player) == (True, True, False)
    assert client.get("/admin/").status_code == 200


def test_mapped_role_grants_group_and_staff(client, fake_discord):
    vtt_managers = Group.objects.create(name="Gérer les VTTs")
    DiscordRoleGroup.objects.create(role_id="920000000000000001", group=vtt_managers)
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE, "920000000000000001"])

    sign_in(client, fake_discord, ALICE)

    user = User.objects.get(discord_id=ALICE)
    assert list(user.groups.all()) == [vtt_managers]
    assert user.is_staff is True
    assert user.is_superuser is False


def test_member_without_player_role_is_refused_and_not_created(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", roles=[GM_ROLE])

    response = sign_in(client, fake_discord, ALICE)

    assert response.status_code == 403
    assert "rôle joueur·euse" in response.content.decode()
    assert not User.objects.filter(discord_id=ALICE).exists()
    assert "_auth_user_id" not in client.session


def test_person_outside_the_guild_is_refused_and_not_created(client, fake_discord):
    fake_discord.add_user(ALICE, "alice")

    response = sign_in(client, fake_discord, ALICE)

    assert response.status_code == 403
    assert "pas membre du serveur Discord" in response.content.decode()
    assert not User.objects.filter(discord_id=ALICE).exists()


def test_member_who_left_is_marked_inactive_and_refused(client, fake_discord):
    user = UserFactory(discord_id=ALICE, is_player=True)
    fake_discord.add_user(ALICE, "alice")

    response = sign_in(client, fake_discord, ALICE)

    user.refresh_from_db()
    assert response.status_code == 403
    assert user.not_player_as_of is not None
    assert user.is_player is False


def test_member_who_left_gives_up_their_live_seats_at_the_sign_in_gate(client, fake_discord):
    user = UserFactory(discord_id=ALICE, is_player=True)
    live = RegistrationFactory(player=user)
    archived = RegistrationFactory(player=user, game__archived=True)
    fake_discord.add_user(ALICE, "alice")

    sign_in(client, fake_discord, ALICE)

    user.refresh_from_db()
    assert (user.is_active, user.not_player_as_of is not None) == (False, True)
    assert list(Registration.objects.filter(player=user)) == [archived]
    revoke = DiscordEffect.objects.get(kind=EffectKind.REVOKE_ACCESS)
    assert (revoke.game, revoke.payload["user_id"]) == (live.game, ALICE)
    unregister = live.game.events.get(action=GameEventAction.UNREGISTER)
    assert (unregister.actor, unregister.subject) == (None, user)


def test_deactivated_member_back_on_the_server_signs_in_again(client, fake_discord):
    user = UserFactory(
        discord_id=ALICE, is_player=False, is_active=False, not_player_as_of=timezone.now()
    )
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])

    response = sign_in(client, fake_discord, ALICE)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert (user.is_active, user.not_player_as_of, user.is_player) == (True, None, True)
    assert int(client.session["_auth_user_id"]) == user.pk


def test_known_member_is_attached_not_duplicated(client, fake_discord):
    user = UserFactory(discord_id=ALICE, display_name="Ancien nom", is_player=False)
    fake_discord.add_member(ALICE, "alice", nick="Alice", roles=[PLAYER_ROLE])

    sign_in(client, fake_discord, ALICE)

    assert User.objects.filter(discord_id=ALICE).count() == 1
    user.refresh_from_db()
    assert user.display_name == "Alice"
    assert user.is_player is True
    assert SocialAccount.objects.get(uid=ALICE).user == user
    assert int(client.session["_auth_user_id"]) == user.pk


def test_returning_member_signs_in_again(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])
    sign_in(client, fake_discord, ALICE)
    client.logout()
    fake_discord.set_roles(ALICE, [PLAYER_ROLE, GM_ROLE])

    response = sign_in(client, fake_discord, ALICE)

    assert response.status_code == 302
    assert User.objects.count() == 1
    assert User.objects.get(discord_id=ALICE).is_gm is True


def test_safe_next_is_followed(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])

    response = sign_in(client, fake_discord, ALICE, {"next": "/annonces/une-partie/"})

    assert response["Location"] == "/annonces/une-partie/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_off_site_next_is_ignored(client, fake_discord, target):
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])

    response = sign_in(client, fake_discord, ALICE, {"next": target})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_forged_state_is_refused(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])
    start_sign_in(client)
    code = fake_discord.issue_code(ALICE)

    response = client.get(f"/accounts/discord/login/callback/?code={code}&state=forged")

    assert response.status_code == 400
    assert "n'a pas pu aboutir" in response.content.decode()
    assert not User.objects.exists()
    assert fake_discord.calls_to("POST", "/oauth2/token") == []


def test_replayed_callback_is_refused(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])
    callback = consent(fake_discord, start_sign_in(client), ALICE)
    assert client.get(callback).status_code == 302
    client.logout()

    replay = client.get(callback)

    assert replay.status_code == 400
    assert "_auth_user_id" not in client.session


def test_wrong_code_is_refused(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])
    callback = consent(fake_discord, start_sign_in(client), ALICE)
    state = parse_qs(urlsplit(callback).query)["state"][0]

    response = client.get(f"/accounts/discord/login/callback/?code=wrong&state={state}")

    assert response.status_code == 400
    assert not User.objects.exists()


def test_cancelled_on_discord_shows_a_clear_page(client, fake_discord):
    authorize = parse_qs(urlsplit(start_sign_in(client)).query)
    state = authorize["state"][0]

    response = client.get(f"/accounts/discord/login/callback/?error=access_denied&state={state}")

    assert response.status_code == 200
    assert "Connexion annulée" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", r"/oauth2/token$", 500),
        ("POST", r"/oauth2/token$", 429),
        ("POST", r"/oauth2/token$", 401),
        ("GET", r"/users/@me$", 401),
        ("GET", r"/users/@me$", 500),
        ("GET", r"/users/@me$", 429),
        ("GET", r"/users/@me/guilds/\d+/member$", 500),
        ("GET", r"/users/@me/guilds/\d+/member$", 429),
    ],
)
def test_discord_errors_end_on_a_clear_page(client, fake_discord, method, path, status):
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])
    fake_discord.fail(method, path, status)

    response = sign_in(client, fake_discord, ALICE)

    assert response.status_code == 400
    assert "n'a pas pu aboutir" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("path", [r"/oauth2/token$", r"/users/@me$"])
def test_discord_timeout_ends_on_a_clear_page(client, fake_discord, settings, path):
    settings.DISCORD_HTTP_TIMEOUT = 0.3
    settings.SOCIALACCOUNT_REQUESTS_TIMEOUT = 0.3
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])
    method = "POST" if "token" in path else "GET"
    fake_discord.fail(method, path, 200, body={}, delay=1.0)

    response = sign_in(client, fake_discord, ALICE)

    assert response.status_code == 400
    assert not User.objects.exists()


def test_non_snowflake_discord_id_is_refused(client, fake_discord):
    fake_discord.add_member("12345", "tiny", roles=[PLAYER_ROLE])

    response = sign_in(client, fake_discord, "12345")

    assert response.status_code == 403
    assert not User.objects.exists()


def test_sign_out_needs_post(client, fake_discord):
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE])
    sign_in(client, fake_discord, ALICE)

    assert client.get("/logout/").status_code == 200
    assert "_auth_user_id" in client.session
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_alias_offers_discord(client, fake_discord):
    response = client.get("/login/?next=/annonces/x/")

    content = response.content.decode()
    assert response.status_code == 200
    assert 'action="/accounts/discord/login/' in content
    assert 'name="next" value="/annonces/x/"' in content
    assert "démo" not in content.lower() or "Développement" not in content


def test_login_alias_drops_off_site_next(client, fake_discord):
    response = client.get("/login/?next=https://evil.example/")

    assert "evil.example" not in response.content.decode()


def test_staff_reach_exactly_what_their_discord_roles_grant(client, fake_discord):
    from django.contrib.auth.models import Permission

    vtt_managers = Group.objects.create(name="Gérer les VTTs")
    vtt_managers.permissions.set(Permission.objects.filter(content_type__model="vtt"))
    DiscordRoleGroup.objects.create(role_id="920000000000000001", group=vtt_managers)
    fake_discord.add_member(ALICE, "alice", roles=[PLAYER_ROLE, "920000000000000001"])

    sign_in(client, fake_discord, ALICE)

    assert client.get("/admin/catalog/vtt/").status_code == 200
    assert client.get("/admin/catalog/system/").status_code == 403
    assert client.get("/admin/games/game/").status_code == 403


def test_sign_in_post_requires_csrf(fake_discord):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/discord/login/")

    assert response.status_code == 403
    assert fake_discord.state.calls == []

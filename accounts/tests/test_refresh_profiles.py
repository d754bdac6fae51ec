from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import ClubSettings
from conftest import ADMIN_ROLE, GM_ROLE, PLAYER_ROLE
from games.models import ClosedReason, GameEventAction, GameStatus, Registration, RegistrationState
from games.tests.factories import GameFactory, RegistrationFactory
from questmaster.discord.models import DiscordEffect, EffectKind

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("refresh_profiles", *args, stdout=out)
    return out.getvalue()


def test_refresh_updates_profile_and_roles(fake_discord):
    user = UserFactory(discord_id="123456789012345678", display_name="Vieux nom", is_gm=False)
    fake_discord.add_member(
        user.discord_id, "nouveau", nick="Nouveau nom", avatar="ff00", roles=[PLAYER_ROLE, GM_ROLE]
    )

    output = run()

    user.refresh_from_db()
    assert (user.display_name, user.username, user.avatar) == ("Nouveau nom", "nouveau", "ff00")
    assert (user.is_player, user.is_gm) == (True, True)
    assert "1 member(s) checked: 1 updated" in output
    assert (
        fake_discord.calls_to("GET", rf"/guilds/\d+/members/{user.discord_id}$")[0].headers[
            "authorization"
        ]
        == f"Bot {fake_discord.state.bot_token}"
    )


def test_member_who_left_is_marked_inactive_and_loses_staff(fake_discord):
    user = UserFactory(discord_id="123456789012345678", is_staff=True, is_superuser=True)

    run()

    user.refresh_from_db()
    assert user.not_player_as_of is not None
    assert (user.is_player, user.is_staff, user.is_superuser) == (False, False, False)


def test_member_who_left_gives_up_their_live_seats(fake_discord):
    user = UserFactory(discord_id="123456789012345678")
    game = GameFactory(
        name="Les Brumes", party_size=1, status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL
    )
    RegistrationFactory(game=game, player=user)
    waiting = RegistrationFactory(game=game, state=RegistrationState.WAITLISTED)
    archived = RegistrationFactory(player=user, game__archived=True)

    output = run("--batch", "1")  # the member first created comes first

    user.refresh_from_db()
    assert "1 member(s) checked: 0 updated, 1 gone from the server" in output
    assert (user.is_active, user.is_player) == (False, False)
    assert list(Registration.objects.filter(player=user)) == [archived]
    waiting.refresh_from_db()
    assert waiting.state == RegistrationState.REGISTERED
    assert [
        (effect.kind, effect.payload["user_id"])
        for effect in DiscordEffect.objects.filter(
            kind__in=[EffectKind.REVOKE_ACCESS, EffectKind.GRANT_ACCESS]
        ).order_by("pk")
    ] == [
        (EffectKind.REVOKE_ACCESS, user.discord_id),
        (EffectKind.GRANT_ACCESS, waiting.player.discord_id),
    ]
    unregister = game.events.get(action=GameEventAction.UNREGISTER)
    assert (unregister.actor, unregister.subject) == (None, user)


def test_operator_account_missing_from_discord_keeps_its_sign_in(fake_discord):
    user = UserFactory(
        discord_id="123456789012345678", is_staff=True, is_superuser=True, password="s3cret!pass"
    )

    run()

    user.refresh_from_db()
    assert user.not_player_as_of is not None
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, True, True)


def test_demoted_admin_loses_superuser(fake_discord):
    user = UserFactory(discord_id="123456789012345678", is_staff=True, is_superuser=True)
    fake_discord.add_member(user.discord_id, "ex", roles=[PLAYER_ROLE])

    run()

    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_operator_account_keeps_its_flags(fake_discord):
    user = UserFactory(
        discord_id="123456789012345678", is_staff=True, is_superuser=True, password="s3cret!pass"
    )
    fake_discord.add_member(user.discord_id, "op", roles=[PLAYER_ROLE])

    run()

    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == (True, True)


def test_batch_size_comes_from_club_settings(fake_discord):
    club = ClubSettings.load()
    club.profile_refresh_batch_size = 2
    club.save()
    for n in range(3):
        fake_discord.add_member(str(123456789012345670 + n), f"m{n}", roles=[PLAYER_ROLE])
        UserFactory(discord_id=str(123456789012345670 + n))

    assert "2 member(s) checked" in run()
    assert "1 member(s) checked" in run("--batch", "1")


def test_discord_error_skips_the_member_and_keeps_data(fake_discord):
    user = UserFactory(discord_id="123456789012345678", display_name="Gardé", is_gm=True)
    fake_discord.fail("GET", r"/guilds/\d+/members/", 500)

    output = run()

    user.refresh_from_db()
    assert "1 skipped" in output
    assert (user.display_name, user.is_gm, user.not_player_as_of) == ("Gardé", True, None)


def test_inactive_member_who_came_back_is_reactivated(fake_discord):
    user = UserFactory(
        discord_id="123456789012345678", not_player_as_of=timezone.now(), is_active=False
    )
    fake_discord.add_member(user.discord_id, "revenu", roles=[PLAYER_ROLE])

    run("--inactive")

    user.refresh_from_db()
    assert user.not_player_as_of is None
    assert (user.is_active, user.is_player) == (True, True)


def test_offline_mode_is_a_clear_error(settings, db):
    settings.DISCORD_BOT_TOKEN = ""
    settings.DISCORD_GUILD_ID = "900000000000000000"

    with pytest.raises(CommandError, match="bot token"):
        run()


def test_staff_page_rechecks_roles_and_demotion_takes_effect(client, fake_discord):
    user = UserFactory(discord_id="123456789012345678", is_staff=True, is_superuser=True)
    fake_discord.add_member(user.discord_id, "admin", roles=[PLAYER_ROLE, ADMIN_ROLE])
    client.force_login(user)
    assert client.get("/admin/").status_code == 200

    fake_discord.set_roles(user.discord_id, [PLAYER_ROLE])
    user.roles_synced_at = None  # as if the last check were old
    user.save(update_fields=["roles_synced_at"])

    response = client.get("/admin/")

    assert response.status_code == 403
    assert "Le back-office est réservé au staff du club." in response.content.decode()
    user.refresh_from_db()
    assert user.is_superuser is False


def test_fresh_staff_roles_are_not_refetched(client, fake_discord):
    user = UserFactory(
        discord_id="123456789012345678",
        is_staff=True,
        is_superuser=True,
        roles_synced_at=timezone.now(),
    )
    client.force_login(user)

    client.get("/admin/")

    assert fake_discord.calls_to("GET", r"/guilds/") == []


def test_a_new_name_makes_the_cached_club_figures_stale(db, django_capture_on_commit_callbacks):
    from accounts.services import RoleIds, apply_member
    from accounts.tests.factories import UserFactory
    from games.statistics import club_stats_key

    member = UserFactory(display_name="Ancien Nom")
    roles = RoleIds(player="1", gm="2", admin="3")
    record = {"user": {"id": member.discord_id, "username": "nouveau"}, "nick": "Nouveau Nom"}
    before = club_stats_key("leaderboard")

    with django_capture_on_commit_callbacks(execute=True):
        apply_member(member, {**record, "roles": ["1"]}, roles=roles)
    renamed = club_stats_key("leaderboard")
    with django_capture_on_commit_callbacks(execute=True):
        apply_member(member, {**record, "roles": ["1"]}, roles=roles)

    assert renamed != before
    assert club_stats_key("leaderboard") == renamed  # same name again: nothing to redo

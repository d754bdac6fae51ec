"""The game workflow against the fake Discord: exact calls, resulting Discord state, faults."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Channel, ClubSettings, GameType
from catalog.tests.factories import ChannelFactory, SpecialEventFactory
from conftest import PLAYER_ROLE
from games import services
from games.models import ClosedReason, GameStatus, RegistrationState
from games.tests.factories import GameFactory, GameSessionFactory
from questmaster.discord import naming
from questmaster.discord.client import DiscordClient
from questmaster.discord.models import DiscordEffect, EffectKind, EffectStatus
from questmaster.discord.outbox import run_pending
from trophies.models import TROPHY_OS, TROPHY_OS_GM, UserTrophy

pytestmark = pytest.mark.django_db


@pytest.fixture
def guild(fake_discord, settings):
    """The club's server: announcements and staff channels, one one-shot category."""
    posts = fake_discord.add_channel("annonces")
    staff = fake_discord.add_channel("staff")
    settings.DISCORD_POSTS_CHANNEL_ID = posts["id"]
    settings.DISCORD_ADMIN_CHANNEL_ID = staff["id"]
    category = fake_discord.add_category("🎲 ONE SHOTS 1 📖")
    ChannelFactory(discord_id=category["id"], name=category["name"], type=GameType.ONESHOT)
    return {"posts": posts["id"], "staff": staff["id"], "category": category["id"]}


@pytest.fixture
def run(fake_discord):
    """Apply pending effects now, like the worker does (the worker sleeps on 429s: a spy here)."""
    slept = []

    def go():
        with DiscordClient.for_bot(max_attempts=3, sleep=slept.append) as client:
            return run_pending(client=client)

    go.slept = slept
    return go


def make_game(gm=None, **kwargs):
    gm = gm or UserFactory(is_gm=True, username="gaston")
    return GameFactory(
        name="Les Ombres d'Esteren",
        slug="les-ombres-d-esteren-par-gaston",
        gm=gm,
        draft=True,
        party_size=2,
        date=timezone.now() + datetime.timedelta(days=3),
        **kwargs,
    )


def bot_calls(fake_discord):
    return [(c.method, c.path) for c in fake_discord.state.calls if "/oauth2/" not in c.path]


def test_publish_sets_up_channel_role_briefing_and_announcement(fake_discord, guild, run):
    game = make_game()

    services.publish_game(game, actor=game.gm)
    fake_discord.state.calls.clear()
    summary = run()

    game.refresh_from_db()
    assert summary.failed == [] and len(summary.done) == 2
    role = fake_discord.role_named("PJ_les-ombres-d-esteren-par-gaston")
    assert role["id"] == game.discord_role_id
    assert role["permissions"] == str(naming.PLAYER)
    assert role["color"] == naming.ONESHOT_COLOR
    channel = fake_discord.state.channels[game.discord_channel_id]
    assert channel["name"] == "les-ombres-d-esteren-par-gaston"
    assert channel["parent_id"] == guild["category"]
    overwrites = {o["id"]: o for o in channel["permission_overwrites"]}
    assert overwrites[fake_discord.state.guild_id]["deny"] == str(naming.VIEW_CHANNEL)
    assert overwrites[game.gm.discord_id]["allow"] == str(naming.GM)
    assert overwrites[game.discord_role_id]["allow"] == str(naming.PLAYER)
    [briefing] = fake_discord.messages_in(game.discord_channel_id)
    assert briefing["pinned"] is True
    assert briefing["embeds"][0]["title"] == "Tout est prêt."
    assert f"<@{game.gm.discord_id}>" in briefing["embeds"][0]["description"]
    [announcement] = fake_discord.messages_in(guild["posts"])
    assert announcement["id"] == game.discord_message_id
    embed = announcement["embeds"][0]
    assert embed["title"] == "Les Ombres d'Esteren"
    assert [f["name"] for f in embed["fields"]] == [
        "MJ",
        "Système",
        "Type de session",
        "Date",
        "Durée",
        "Avertissement",
    ]
    assert embed["fields"][3]["value"] == f"<t:{int(game.date.timestamp())}:F>"
    button = announcement["components"][0]["components"][0]
    assert (button["label"], button["url"]) == (
        "S'inscrire",
        "http://127.0.0.1:8000/annonces/les-ombres-d-esteren-par-gaston/",
    )
    assert announcement["allowed_mentions"] == {"parse": []}
    assert Channel.objects.get(discord_id=guild["category"]).size == 1
    # Publishing costs seven Discord calls: look the role up by name, create it; the same for
    # the channel; briefing, pin, announcement.
    assert bot_calls(fake_discord) == [
        ("GET", f"/api/v10/guilds/{fake_discord.state.guild_id}/roles"),
        ("POST", f"/api/v10/guilds/{fake_discord.state.guild_id}/roles"),
        ("GET", f"/api/v10/guilds/{fake_discord.state.guild_id}/channels"),
        ("POST", f"/api/v10/guilds/{fake_discord.state.guild_id}/channels"),
        ("POST", f"/api/v10/channels/{game.discord_channel_id}/messages"),
        ("PUT", f"/api/v10/channels/{game.discord_channel_id}/messages/pins/{briefing['id']}"),
        ("POST", f"/api/v10/channels/{guild['posts']}/messages"),
    ]


def test_silent_publish_sets_up_without_announcement(fake_discord, guild, run):
    game = make_game()

    services.publish_game(game, actor=game.gm, silent=True)
    run()

    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.SILENT)
    assert game.discord_channel_id and not game.discord_message_id
    assert fake_discord.messages_in(guild["posts"]) == []


def test_registration_grants_role_welcomes_and_full_game_closes(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    run()
    alice, bob = UserFactory(is_player=True), UserFactory(is_player=True)
    for player in (alice, bob):
        fake_discord.add_member(player.discord_id, player.username, roles=[PLAYER_ROLE])
    fake_discord.state.calls.clear()

    services.register_player(game, alice)
    services.register_player(game, bob)
    run()

    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.FULL)
    assert game.discord_role_id in fake_discord.state.members[alice.discord_id]["roles"]
    assert game.discord_role_id in fake_discord.state.members[bob.discord_id]["roles"]
    welcome = fake_discord.messages_in(game.discord_channel_id)[-1]
    assert welcome["content"] == f"<@{bob.discord_id}>"
    assert welcome["embeds"][0]["title"] == "Nouvelle inscription"
    assert welcome["allowed_mentions"] == {"users": [bob.discord_id]}
    announcement = fake_discord.messages_in(guild["posts"])[0]
    assert announcement["embeds"][0]["title"] == "Les Ombres d'Esteren (complet)"
    assert all(f["value"].startswith("~~") for f in announcement["embeds"][0]["fields"])
    assert announcement["components"][0]["components"][0]["label"] == "Consulter"
    # A registration costs two calls (role, welcome); closing adds one edit.
    assert len(bot_calls(fake_discord)) == 5


def test_leaving_promotes_the_waiting_list(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    players = [UserFactory(is_player=True) for _ in range(3)]
    for player in players:
        fake_discord.add_member(player.discord_id, player.username, roles=[PLAYER_ROLE])
        services.register_player(game, player)
    run()
    alice, _bob, carol = players
    assert game.registrations.get(player=carol).state == RegistrationState.WAITLISTED

    services.unregister_player(game, alice, actor=alice)
    run()

    assert game.registrations.get(player=carol).state == RegistrationState.REGISTERED
    game.refresh_from_db()
    member_roles = fake_discord.state.members
    assert game.discord_role_id not in member_roles[alice.discord_id]["roles"]
    assert game.discord_role_id in member_roles[carol.discord_id]["roles"]
    titles = [m["embeds"][0]["title"] for m in fake_discord.messages_in(game.discord_channel_id)]
    assert titles[-2:] == ["Un·e joueur·euse est parti·e", "Une place s'est libérée"]
    game.refresh_from_db()
    assert game.status == GameStatus.CLOSED  # still full: carol took the seat


def test_session_notices_ping_through_content(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    run()
    game.refresh_from_db()
    start = game.date + datetime.timedelta(days=7)

    session = services.add_session(
        game, actor=game.gm, start=start, end=start + datetime.timedelta(hours=4)
    )
    services.edit_session(
        session,
        actor=game.gm,
        start=start + datetime.timedelta(days=1),
        end=start + datetime.timedelta(days=1, hours=4),
    )
    services.delete_session(session, actor=game.gm)
    run()

    notices = fake_discord.messages_in(game.discord_channel_id)[-3:]
    assert [n["embeds"][0]["title"] for n in notices] == [
        "Nouvelle session prévue",
        "Session modifiée",
        "Session annulée",
    ]
    for notice in notices:
        assert notice["content"] == f"<@&{game.discord_role_id}>"
        assert notice["allowed_mentions"] == {"users": [], "roles": [game.discord_role_id]}
    assert f"<t:{int(start.timestamp())}:F>" in notices[0]["embeds"][0]["description"]


def test_archive_cleans_up_and_awards_badges_once(fake_discord, guild, run, reserved_trophies):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    player = UserFactory(is_player=True)
    fake_discord.add_member(player.discord_id, player.username, roles=[PLAYER_ROLE])
    services.register_player(game, player)
    run()
    game.refresh_from_db()
    channel_id, role_id = game.discord_channel_id, game.discord_role_id
    # Badges reward a session played: one ended yesterday, the player seated before it.
    yesterday = timezone.now() - datetime.timedelta(days=1)
    game.registrations.update(created_at=yesterday - datetime.timedelta(days=1))
    GameSessionFactory(game=game, start=yesterday, end=yesterday + datetime.timedelta(hours=3))

    services.archive_game(game, actor=game.gm, award_trophies=True)
    with pytest.raises(Exception, match="pas possible"):
        services.archive_game(game, actor=game.gm, award_trophies=True)
    run()

    game.refresh_from_db()
    assert channel_id not in fake_discord.state.channels
    assert fake_discord.state.roles.get(role_id) is None
    assert fake_discord.messages_in(guild["posts"]) == []
    assert (game.discord_channel_id, game.discord_role_id, game.discord_message_id) == ("", "", "")
    assert Channel.objects.get(discord_id=guild["category"]).size == 0
    assert UserTrophy.objects.get(user=player, trophy_id=TROPHY_OS).quantity == 1
    assert UserTrophy.objects.get(user=game.gm, trophy_id=TROPHY_OS_GM).quantity == 1


def test_notify_and_report(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    reporter = UserFactory(is_player=True)

    services.notify_players(game, actor=game.gm, text="On commence à 20h30 @everyone !")
    services.report_game(game, reporter=reporter, text="Souci de planning")
    run()

    game.refresh_from_db()
    notification = fake_discord.messages_in(game.discord_channel_id)[-1]
    assert notification["content"].startswith(f"<@&{game.discord_role_id}>\n📣 **Les Ombres")
    assert "@everyone" in notification["content"]
    assert notification["allowed_mentions"] == {"users": [], "roles": [game.discord_role_id]}
    [report] = fake_discord.messages_in(guild["staff"])
    assert report["embeds"][0]["title"] == "Signalement"
    # Staff see who reported (the reporter is shown, not pinged).
    assert report["embeds"][0]["description"].startswith(
        f"Signalement de <@{reporter.discord_id}>\n\nSouci de planning"
    )
    assert report["allowed_mentions"] == {"parse": []}


def test_special_event_colour_and_emoji(fake_discord, guild, run):
    event = SpecialEventFactory(name="Halloween", emoji="🎃", color="#ff7518")
    game = make_game(special_event=event)

    services.publish_game(game, actor=game.gm)
    run()

    embed = fake_discord.messages_in(guild["posts"])[0]["embeds"][0]
    assert embed["title"] == "🎃 Les Ombres d'Esteren 🎃"
    assert embed["color"] == 0xFF7518
    assert embed["fields"][2]["value"] == "Événement spécial : Halloween"


def test_direct_permission_mode_uses_member_overwrites(fake_discord, guild, run):
    club = ClubSettings.load()
    club.discord_use_direct_permissions = True
    club.save()
    game = make_game()
    services.publish_game(game, actor=game.gm)
    player = UserFactory(is_player=True)
    services.register_player(game, player)
    run()

    game.refresh_from_db()
    assert game.discord_role_id == ""
    assert fake_discord.role_named(f"PJ_{game.slug}") is None
    overwrites = {
        o["id"]: o
        for o in fake_discord.state.channels[game.discord_channel_id]["permission_overwrites"]
    }
    assert overwrites[player.discord_id]["allow"] == str(naming.PLAYER)


def test_full_category_provisions_a_new_one(fake_discord, guild, run):
    Channel.objects.filter(discord_id=guild["category"]).update(size=50)
    game = make_game()

    services.publish_game(game, actor=game.gm)
    run()

    game.refresh_from_db()
    new = Channel.objects.get(name="🎲 ONE SHOTS 2 📖")
    assert (new.type, new.size) == (GameType.ONESHOT, 1)
    assert fake_discord.state.channels[new.discord_id]["type"] == 4
    assert fake_discord.state.channels[game.discord_channel_id]["parent_id"] == new.discord_id
    assert Channel.objects.get(discord_id=guild["category"]).size == 50


def test_discord_down_then_back_ends_without_duplicates(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    fake_discord.fail("POST", r"/channels/\d+/messages$", 500, times=10)

    first = run()

    assert first.retried  # the set-up is waiting for a retry, the announcement behind it
    effect = DiscordEffect.objects.get(pk=first.retried[0])
    assert effect.status == EffectStatus.PENDING and effect.last_error
    DiscordEffect.objects.update(run_after=timezone.now())
    fake_discord.state.faults.clear()

    run()

    game.refresh_from_db()
    assert DiscordEffect.objects.exclude(status=EffectStatus.DONE).count() == 0
    assert len(fake_discord.channels_named(game.slug)) == 1
    assert (
        len([r for r in fake_discord.state.roles.values() if r["name"] == f"PJ_{game.slug}"]) == 1
    )
    assert len(fake_discord.messages_in(game.discord_channel_id)) == 1
    assert len(fake_discord.messages_in(guild["posts"])) == 1


def test_retry_finds_the_channel_created_before_a_crash(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    effect = DiscordEffect.objects.get(kind="setup_game")
    # A previous attempt created the channel, then the worker died before saving its id.
    fake_discord.add_channel(game.slug, parent_id=guild["category"])
    DiscordEffect.objects.filter(pk=effect.pk).update(attempts=1)

    run()

    assert len(fake_discord.channels_named(game.slug)) == 1


def test_rate_limited_worker_waits_and_succeeds(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    fake_discord.fail("POST", r"/guilds/\d+/roles$", 429, body={"retry_after": 0.25}, times=1)

    summary = run()

    assert summary.failed == [] and summary.retried == []
    assert any(0.2 < pause <= 0.25 for pause in run.slept)


def test_client_error_fails_visibly_and_retry_action_recovers(fake_discord, guild, run):
    from questmaster.discord.outbox import retry

    game = make_game()
    services.publish_game(game, actor=game.gm)
    fake_discord.fail("POST", r"/guilds/\d+/roles$", 403, body={"message": "Missing Permissions"})

    summary = run()

    [failed] = DiscordEffect.objects.filter(status=EffectStatus.FAILED)
    assert summary.failed == [failed.pk]
    assert "Missing Permissions" in failed.last_error
    # A failed set-up holds nothing back: the announcement went out.
    assert DiscordEffect.objects.get(kind="announce").status == EffectStatus.DONE

    assert retry(DiscordEffect.objects.filter(pk=failed.pk)) == 1
    run()

    assert DiscordEffect.objects.exclude(status=EffectStatus.DONE).count() == 0


def test_announcement_deleted_by_hand_is_posted_again(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    run()
    game.refresh_from_db()
    fake_discord.state.messages[guild["posts"]].clear()

    services.close_game(game, actor=game.gm)
    run()

    game.refresh_from_db()
    [again] = fake_discord.messages_in(guild["posts"])
    assert again["id"] == game.discord_message_id


def test_offline_mode_records_but_sends_nothing(settings, db):
    settings.DISCORD_BOT_TOKEN = ""
    settings.DISCORD_OFFLINE = True
    game = make_game()

    services.publish_game(game, actor=game.gm)
    summary = run_pending()

    assert summary.done == []
    assert list(DiscordEffect.objects.values_list("kind", "status")) == [
        ("setup_game", EffectStatus.OFFLINE),
        ("announce", EffectStatus.OFFLINE),
    ]


def test_effects_roll_back_with_the_change(fake_discord, guild):
    game = make_game()
    player = UserFactory(is_player=False)

    with pytest.raises(Exception, match="fermée aux inscriptions"):
        services.register_player(game, player)

    assert DiscordEffect.objects.count() == 0


def test_deferred_retry_schedules_one_wake_up_of_the_worker(fake_discord, guild, run):
    from django_tasks_db.models import DBTaskResult

    game = make_game()
    services.publish_game(game, actor=game.gm)
    DBTaskResult.objects.all().delete()  # the wake-ups recorded with the effects
    fake_discord.fail("POST", r"/guilds/\d+/roles$", 500, times=10)

    first = run()
    second = run()  # nothing is due yet: it defers nothing, so it schedules nothing

    [effect] = DiscordEffect.objects.filter(pk__in=first.retried)
    assert second.retried == []
    [wake_up] = DBTaskResult.objects.all()
    assert wake_up.run_after == effect.run_after


# --- access of members who left the server ------------------------------------------------------


def published(fake_discord, run, **kwargs):
    game = make_game(**kwargs)
    services.publish_game(game, actor=game.gm)
    run()
    game.refresh_from_db()
    return game


def test_grant_to_someone_not_on_the_server_is_done_with_a_log_line(
    fake_discord, guild, run, caplog
):
    game = published(fake_discord, run)
    stranger = UserFactory(is_player=True)  # signed up on the site, not on the Discord server

    services.register_player(game, stranger)
    with caplog.at_level("INFO", logger="games.discord"):
        summary = run()

    [effect] = DiscordEffect.objects.filter(kind="grant_access")
    assert (effect.status, summary.failed, summary.retried) == (EffectStatus.DONE, [], [])
    assert any(
        stranger.discord_id in r.getMessage() and "not on the server" in r.getMessage()
        for r in caplog.records
    )


def test_grant_to_a_deleted_account_is_done(fake_discord, guild, run):
    game = published(fake_discord, run)
    player = UserFactory(is_player=True)
    fake_discord.add_member(player.discord_id, player.username, roles=[PLAYER_ROLE])
    unknown_user = {"message": "Unknown User", "code": 10013}
    fake_discord.fail("PUT", r"/members/\d+/roles/\d+$", 404, body=unknown_user)

    services.register_player(game, player)
    run()

    assert DiscordEffect.objects.get(kind="grant_access").status == EffectStatus.DONE


def test_grant_in_direct_mode_to_someone_not_on_the_server_is_done(fake_discord, guild, run):
    club = ClubSettings.load()
    club.discord_use_direct_permissions = True
    club.save()
    game = published(fake_discord, run)
    player = UserFactory(is_player=True)
    unknown_member = {"message": "Unknown Member", "code": 10007}
    fake_discord.fail("PUT", r"/permissions/\d+$", 404, body=unknown_member)

    services.register_player(game, player)
    run()

    assert DiscordEffect.objects.get(kind="grant_access").status == EffectStatus.DONE


def test_grant_with_the_game_role_gone_still_fails(fake_discord, guild, run):
    # Only a missing member is "done": a missing role is for discord_sync to repair.
    game = published(fake_discord, run)
    player = UserFactory(is_player=True)
    fake_discord.add_member(player.discord_id, player.username, roles=[PLAYER_ROLE])
    del fake_discord.state.roles[game.discord_role_id]

    services.register_player(game, player)
    run()

    effect = DiscordEffect.objects.get(kind="grant_access")
    assert effect.status == EffectStatus.FAILED
    assert "Unknown Role" in effect.last_error


def test_revoke_of_a_member_who_left_or_of_a_role_gone_is_done_with_a_log_line(
    fake_discord, guild, run, caplog
):
    game = published(fake_discord, run)
    left, stayed = UserFactory(is_player=True), UserFactory(is_player=True)
    for player in (left, stayed):
        fake_discord.add_member(player.discord_id, player.username, roles=[PLAYER_ROLE])
        services.register_player(game, player)
    run()
    fake_discord.remove_member(left.discord_id)

    with caplog.at_level("INFO", logger="games.discord"):
        services.unregister_player(game, left, actor=left)
        run()
        del fake_discord.state.roles[game.discord_role_id]
        services.unregister_player(game, stayed, actor=stayed)
        run()

    revokes = DiscordEffect.objects.filter(kind="revoke_access")
    assert [e.status for e in revokes] == [EffectStatus.DONE, EffectStatus.DONE]
    messages = [r.getMessage() for r in caplog.records]
    assert any(left.discord_id in m and "left the server" in m for m in messages)
    assert any(stayed.discord_id in m and "already gone" in m for m in messages)


# --- every creation looks up by name first ------------------------------------------------------


def test_first_attempt_adopts_the_role_a_dead_worker_created(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    # Created by a run that died before saving its id; the effect was queued again from
    # scratch (staff "retry" resets the attempts), so this is a first attempt again.
    role = fake_discord.add_role(naming.role_name(game.slug))
    DiscordEffect.objects.update(attempts=0)

    run()

    game.refresh_from_db()
    assert game.discord_role_id == role["id"]
    assert [r for r in fake_discord.state.roles.values() if r["name"] == role["name"]] == [role]
    assert fake_discord.calls_to("POST", r"/guilds/\d+/roles$") == []


def test_first_attempt_adopts_the_channel_a_dead_worker_created(fake_discord, guild, run):
    game = make_game()
    services.publish_game(game, actor=game.gm)
    channel = fake_discord.add_channel(game.slug, parent_id=guild["category"])
    DiscordEffect.objects.update(attempts=0)

    run()

    game.refresh_from_db()
    assert game.discord_channel_id == channel["id"]
    assert len(fake_discord.channels_named(game.slug)) == 1


def test_first_attempt_adopts_the_category_a_dead_worker_created(fake_discord, guild, run):
    Channel.objects.filter(discord_id=guild["category"]).update(size=50)
    # A set-up created the next category, then died before storing it.
    leftover = fake_discord.add_category("🎲 ONE SHOTS 2 📖")
    game = make_game()
    services.publish_game(game, actor=game.gm)

    run()

    game.refresh_from_db()
    assert game.discord_category.discord_id == leftover["id"]
    assert game.discord_category.size == 1
    assert fake_discord.state.channels[game.discord_channel_id]["parent_id"] == leftover["id"]
    assert len(fake_discord.channels_named("🎲 ONE SHOTS 2 📖")) == 1
    created = fake_discord.calls_to("POST", r"/guilds/\d+/channels$")
    assert [c.body["type"] for c in created] == [0]  # the game channel; no category


# --- categories: no Discord call in a transaction, one category for concurrent set-ups ---------


def _spy_on_transactions(client, seen: list):
    """Record, for each Discord call, whether it ran inside a database transaction."""
    from django.db import connection

    request = client.request

    def spy(method, path, **kwargs):
        seen.append((method, path, connection.in_atomic_block))
        return request(method, path, **kwargs)

    client.request = spy


@pytest.mark.django_db(transaction=True)
def test_setup_in_a_full_category_calls_discord_outside_any_transaction(fake_discord, guild):
    Channel.objects.filter(discord_id=guild["category"]).update(size=50)
    game = make_game()
    services.publish_game(game, actor=game.gm)
    seen = []

    with DiscordClient.for_bot(max_attempts=3) as client:
        _spy_on_transactions(client, seen)
        summary = run_pending(client=client)

    assert summary.failed == [] and summary.retried == []
    assert ("POST", f"/guilds/{fake_discord.state.guild_id}/channels", False) in seen
    assert [call for call in seen if call[2]] == []
    new = Channel.objects.get(name="🎲 ONE SHOTS 2 📖")
    assert new.size == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no concurrent writers to serialise"
)
@pytest.mark.django_db(transaction=True)
def test_two_setups_at_once_in_full_categories_create_one_category(fake_discord, guild):
    import threading
    import time

    from django.db import connections

    from games import discord as game_discord

    Channel.objects.filter(discord_id=guild["category"]).update(size=50)
    other = GameFactory(
        name="La Crypte",
        slug="la-crypte-par-odile",
        gm=UserFactory(is_gm=True, username="odile"),
        draft=True,
        date=timezone.now() + datetime.timedelta(days=3),
    )
    games = [make_game(), other]
    for game in games:
        services.publish_game(game, actor=game.gm)
    effects = list(DiscordEffect.objects.filter(kind="setup_game").order_by("pk"))
    errors = []

    def set_up(effect):
        try:
            with DiscordClient.for_bot() as client:
                create_category = client.create_category

                def slow_create_category(guild_id, name):
                    # Discord takes its time: the other set-up finds every category full too.
                    time.sleep(0.3)
                    return create_category(guild_id, name)

                client.create_category = slow_create_category
                game_discord.setup_game(effect, client)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=set_up, args=(effect,)) for effect in effects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    created = [c.body for c in fake_discord.calls_to("POST", r"/guilds/\d+/channels$")]
    assert [body["name"] for body in created if body["type"] == 4] == ["🎲 ONE SHOTS 2 📖"]
    new = Channel.objects.get(name="🎲 ONE SHOTS 2 📖")
    assert new.size == 2
    assert Channel.objects.filter(type=GameType.ONESHOT).count() == 2
    for game in games:
        game.refresh_from_db()
        assert game.discord_category == new
        assert fake_discord.state.channels[game.discord_channel_id]["parent_id"] == new.discord_id


# --- who a notice may ping ----------------------------------------------------------------------


def test_notify_pings_only_the_game_role_and_its_players(fake_discord, guild, run):
    game = published(fake_discord, run)
    player = UserFactory(is_player=True)
    fake_discord.add_member(player.discord_id, player.username, roles=[PLAYER_ROLE])
    services.register_player(game, player)
    text = "Ce soir <@123456789012345678>, <@!123456789012345679>, <@&987654321098765432> @everyone"

    services.notify_players(game, actor=game.gm, text=text)
    run()

    [call] = [
        c for c in fake_discord.calls_to("POST", r"/messages$") if "📣" in c.body.get("content", "")
    ]
    assert call.body["content"].startswith(f"<@&{game.discord_role_id}>\n📣")
    assert text in call.body["content"]
    assert call.body["allowed_mentions"] == {
        "users": [player.discord_id],
        "roles": [game.discord_role_id],
    }


def test_notify_in_direct_mode_pings_only_the_players(fake_discord, guild, run):
    club = ClubSettings.load()
    club.discord_use_direct_permissions = True
    club.save()
    game = published(fake_discord, run)
    players = [UserFactory(is_player=True) for _ in range(2)]
    for player in players:
        services.register_player(game, player)

    services.notify_players(game, actor=game.gm, text="<@123456789012345678> @here on joue !")
    run()

    notification = fake_discord.messages_in(game.discord_channel_id)[-1]
    ids = [p.discord_id for p in players]
    assert notification["content"].startswith(" ".join(f"<@{i}>" for i in ids) + "\n📣")
    assert notification["allowed_mentions"] == {"users": ids, "roles": []}


def test_a_late_grant_for_a_player_who_left_lets_nobody_in(fake_discord, gm):
    """A revoke may run ahead of a grant that was failing: the grant then finds no seat."""
    game = GameFactory(gm=gm, discord_role_id="223456789012345678")
    effect = DiscordEffect.objects.create(
        kind=EffectKind.GRANT_ACCESS, game=game, payload={"user_id": "323456789012345678"}
    )
    effect.status, effect.attempts = EffectStatus.PENDING, 0
    effect.save()

    run_pending()

    assert DiscordEffect.objects.get(pk=effect.pk).status == EffectStatus.DONE
    assert fake_discord.state.calls == []

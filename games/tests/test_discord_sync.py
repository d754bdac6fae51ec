"""`manage.py discord_sync` and `discord_effects` against the fake Discord: repairs, reports,
dry runs, call counts and offline mode."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Channel, ClubSettings, GameType
from catalog.services import reconcile_categories
from catalog.tests.factories import ChannelFactory
from conftest import PLAYER_ROLE
from games import services
from games.models import Game, GameStatus
from games.sync import sync_discord
from games.tests.factories import GameFactory
from questmaster.discord import naming
from questmaster.discord.client import DiscordClient
from questmaster.discord.models import DiscordEffect, EffectKind, EffectStatus
from questmaster.discord.outbox import run_pending

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
def client(fake_discord):
    with DiscordClient.for_bot() as client:
        yield client


def apply_effects():
    with DiscordClient.for_bot(max_attempts=3) as client:
        return run_pending(client=client)


def published_game(name="Les Ombres d'Esteren", *, silent=False, players=(), **kwargs):
    """A game published and set up on the fake Discord, like the worker leaves it."""
    gm = UserFactory(is_gm=True)
    game = GameFactory(
        name=name,
        gm=gm,
        draft=True,
        party_size=4,
        date=timezone.now() + datetime.timedelta(days=3),
        **kwargs,
    )
    services.publish_game(game, actor=gm, silent=silent)
    for player in players:
        services.register_player(game, player)
    summary = apply_effects()
    assert summary.failed == [] and summary.retried == []
    game.refresh_from_db()
    return game


def member(fake_discord):
    player = UserFactory(is_player=True)
    fake_discord.add_member(player.discord_id, player.username, roles=[PLAYER_ROLE])
    return player


def sync(*args):
    out = StringIO()
    call_command("discord_sync", *args, stdout=out)
    return out.getvalue()


def category_size(guild):
    return Channel.objects.get(discord_id=guild["category"]).size


def discord_snapshot(fake_discord):
    state = fake_discord.state
    return (
        {k: dict(v) for k, v in state.channels.items()},
        set(state.roles),
        {k: set(v) for k, v in state.messages.items()},
    )


# --- repairs ------------------------------------------------------------------------------------


def test_sync_recreates_a_game_channel_deleted_by_hand(fake_discord, guild):
    game = published_game(players=[member(fake_discord)])
    old_channel = game.discord_channel_id
    del fake_discord.state.channels[old_channel]

    output = sync()

    game.refresh_from_db()
    assert f"{game.slug}: channel {old_channel} is gone from Discord; re-creating it." in output
    assert "1 done, 0 to retry later, 0 failed." in output
    assert game.discord_channel_id and game.discord_channel_id != old_channel
    [channel] = fake_discord.channels_named(naming.channel_name(game.slug))
    assert channel["id"] == game.discord_channel_id
    assert channel["parent_id"] == guild["category"]
    overwrites = {o["id"]: o for o in channel["permission_overwrites"]}
    assert overwrites == {
        fake_discord.state.guild_id: {
            "id": fake_discord.state.guild_id,
            "type": 0,
            "allow": "0",
            "deny": str(naming.VIEW_CHANNEL),
        },
        game.gm.discord_id: {
            "id": game.gm.discord_id,
            "type": 1,
            "allow": str(naming.GM),
            "deny": "0",
        },
        game.discord_role_id: {
            "id": game.discord_role_id,
            "type": 0,
            "allow": str(naming.PLAYER),
            "deny": "0",
        },
    }
    [briefing] = fake_discord.messages_in(game.discord_channel_id)
    assert briefing["pinned"] and briefing["id"] == game.discord_briefing_id
    # The game kept its seat: the size is exact, as a recount confirms.
    assert game.discord_category.discord_id == guild["category"]
    assert category_size(guild) == 1
    with DiscordClient.for_bot() as client:
        assert reconcile_categories(client) == []


def test_sync_recreated_channel_lets_direct_mode_players_in_again(fake_discord, guild):
    club = ClubSettings.load()
    club.discord_use_direct_permissions = True
    club.save()
    player = member(fake_discord)
    game = published_game(players=[player])
    del fake_discord.state.channels[game.discord_channel_id]

    sync()

    game.refresh_from_db()
    overwrites = {
        o["id"]: o
        for o in fake_discord.state.channels[game.discord_channel_id]["permission_overwrites"]
    }
    assert overwrites[player.discord_id]["allow"] == str(naming.PLAYER)
    assert category_size(guild) == 1


def test_sync_recreates_a_deleted_role_and_gives_it_back(fake_discord, guild):
    player = member(fake_discord)
    game = published_game(players=[player])
    old_role = game.discord_role_id
    del fake_discord.state.roles[old_role]
    fake_discord.state.members[player.discord_id]["roles"].remove(old_role)

    output = sync()

    game.refresh_from_db()
    assert f"{game.slug}: role {old_role} is gone from Discord; re-creating it" in output
    role = fake_discord.role_named(naming.role_name(game.slug))
    assert role["id"] == game.discord_role_id != old_role
    assert game.discord_role_id in fake_discord.state.members[player.discord_id]["roles"]
    overwrites = fake_discord.state.channels[game.discord_channel_id]["permission_overwrites"]
    assert str(naming.PLAYER) in [o["allow"] for o in overwrites if o["id"] == role["id"]]


def test_sync_reposts_a_deleted_announcement(fake_discord, guild):
    game = published_game()
    fake_discord.state.messages[guild["posts"]].clear()

    output = sync()

    game.refresh_from_db()
    assert "announcement" in output and "was deleted; posting it again." in output
    [again] = fake_discord.messages_in(guild["posts"])
    assert again["id"] == game.discord_message_id
    assert again["embeds"][0]["title"] == "Les Ombres d'Esteren"


def test_sync_updates_an_announcement_out_of_date(fake_discord, guild):
    game = published_game()
    Game.objects.filter(pk=game.pk).update(name="Les Ombres d'Esteren, épisode 2")

    output = sync()

    assert f"{game.slug}: announcement out of date; updating it." in output
    [announcement] = fake_discord.messages_in(guild["posts"])
    assert announcement["embeds"][0]["title"] == "Les Ombres d'Esteren, épisode 2"
    assert "Discord matches the database." in sync()


def test_sync_cleans_up_what_an_archived_game_left(fake_discord, guild):
    game = published_game()
    ids = (game.discord_channel_id, game.discord_role_id, game.discord_message_id)
    # Archived while its clean-up got lost (cancelled by staff, say).
    Game.objects.filter(pk=game.pk).update(status=GameStatus.ARCHIVED, closed_reason="")

    output = sync()

    game.refresh_from_db()
    assert f"{game.slug}: archived, still has channel {ids[0]}" in output
    assert ids[0] not in fake_discord.state.channels
    assert ids[1] not in fake_discord.state.roles
    assert fake_discord.messages_in(guild["posts"]) == []
    assert (game.discord_channel_id, game.discord_role_id, game.discord_message_id) == ("", "", "")
    assert category_size(guild) == 0


def test_sync_only_reports_what_no_game_owns(fake_discord, guild):
    published_game()
    orphan = fake_discord.add_channel("vieille-partie-par-odile", parent_id=guild["category"])
    role = fake_discord.add_role("PJ_vieille-partie-par-odile")
    fake_discord.state.calls.clear()

    output = sync()

    assert (
        f"orphan channel #vieille-partie-par-odile ({orphan['id']}) in “🎲 ONE SHOTS 1 📖”: "
        "no game owns it; not deleted."
    ) in output
    assert f"orphan role PJ_vieille-partie-par-odile ({role['id']})" in output
    assert orphan["id"] in fake_discord.state.channels
    assert role["id"] in fake_discord.state.roles
    assert {c.method for c in fake_discord.state.calls} == {"GET"}
    assert DiscordEffect.objects.unfinished().count() == 0


def test_sync_waits_for_staff_when_the_category_is_gone_too(fake_discord, guild):
    game = published_game()
    del fake_discord.state.channels[game.discord_channel_id]
    del fake_discord.state.channels[guild["category"]]

    output = sync()

    assert "is gone with its category “🎲 ONE SHOTS 1 📖”; delete that category" in output
    assert "category “🎲 ONE SHOTS 1 📖”" in output and "is tracked but gone" in output
    assert not DiscordEffect.objects.filter(kind=EffectKind.SETUP_GAME, status="pending")


def test_sync_dry_run_changes_nothing(fake_discord, guild):
    damaged = published_game("Partie sans salon")
    unannounced = published_game("Partie sans annonce")
    archived = published_game("Partie archivée")
    del fake_discord.state.channels[damaged.discord_channel_id]
    fake_discord.state.messages[guild["posts"]].pop(unannounced.discord_message_id)
    Game.objects.filter(pk=archived.pk).update(status=GameStatus.ARCHIVED, closed_reason="")
    fake_discord.add_channel("orpheline", parent_id=guild["category"])
    rows = list(Game.objects.order_by("pk").values())
    sizes = list(Channel.objects.values_list("pk", "size"))
    effects = DiscordEffect.objects.count()
    before = discord_snapshot(fake_discord)
    fake_discord.state.calls.clear()

    output = sync("--dry-run")

    assert "is gone from Discord; would re-create it." in output
    assert "was deleted; would post it again." in output
    assert "archived, still has channel" in output and "; would clean up." in output
    assert "orphan channel #orpheline" in output
    assert output.endswith("Dry run: nothing was recorded or changed.\n")
    assert list(Game.objects.order_by("pk").values()) == rows
    assert list(Channel.objects.values_list("pk", "size")) == sizes
    assert DiscordEffect.objects.count() == effects
    assert discord_snapshot(fake_discord) == before
    assert {c.method for c in fake_discord.state.calls} == {"GET"}


def test_sync_twice_does_the_work_once(fake_discord, guild):
    game = published_game()
    del fake_discord.state.channels[game.discord_channel_id]

    sync()
    output = sync()

    assert "Discord matches the database." in output
    assert len(fake_discord.channels_named(naming.channel_name(game.slug))) == 1
    assert DiscordEffect.objects.filter(kind=EffectKind.SETUP_GAME).count() == 2  # publish + sync


def test_sync_twice_at_once_records_each_repair_once(fake_discord, guild):
    damaged = published_game("Partie sans salon")
    archived = published_game("Partie archivée")
    del fake_discord.state.channels[damaged.discord_channel_id]
    Game.objects.filter(pk=archived.pk).update(status=GameStatus.ARCHIVED, closed_reason="")
    inner_lines = []

    with DiscordClient.for_bot() as client:
        list_roles = client.list_roles

        def list_roles_while_another_run_syncs(guild_id):
            # A second run starts and finishes while the first is reading Discord.
            if not inner_lines:
                with DiscordClient.for_bot() as other:
                    inner_lines.extend(sync_discord(other))
            return list_roles(guild_id)

        client.list_roles = list_roles_while_another_run_syncs
        outer_lines = sync_discord(client)

    assert len(inner_lines) == 2
    # The channel repair loses the compare-and-set; the clean-up is seen queued already.
    assert outer_lines == [f"{damaged.slug}: changed while syncing; left for the next run."]
    apply_effects()
    assert DiscordEffect.objects.filter(kind=EffectKind.CLEANUP_GAME).count() == 1
    assert DiscordEffect.objects.filter(kind=EffectKind.SETUP_GAME).count() == 3  # 2 + 1
    assert len(fake_discord.channels_named(naming.channel_name(damaged.slug))) == 1
    # The archived game's seat was given back once.
    assert category_size(guild) == 1
    with DiscordClient.for_bot() as client:
        assert reconcile_categories(client) == []


def test_sync_does_not_queue_work_already_queued(fake_discord, guild, client):
    game = published_game()
    fake_discord.state.messages[guild["posts"]].clear()
    services.close_game(game, actor=game.gm)  # queues a refresh, not applied yet

    lines = sync_discord(client)

    assert lines == []
    assert DiscordEffect.objects.filter(kind=EffectKind.REFRESH_ANNOUNCEMENT).count() == 1


def test_sync_reports_a_failed_effect_holding_a_game_back(fake_discord, guild, client):
    game = published_game()
    DiscordEffect.objects.create(
        kind=EffectKind.SEND_MESSAGE,
        game=game,
        status=EffectStatus.FAILED,
        attempts=8,
        last_error="[403] Missing Access",
    )

    [line] = sync_discord(client)

    assert "failed: [403] Missing Access" in line and "--retry-failed" in line


def test_sync_discord_calls_two_plus_one_per_announced_game(fake_discord, guild, client):
    published_game("Partie silencieuse", silent=True)  # not announced: no GET
    for count in (1, 3):
        while Game.objects.filter(discord_message_id__gt="").count() < count:
            published_game(f"Partie {Game.objects.count()}")
        fake_discord.state.calls.clear()

        assert sync_discord(client) == []

        calls = [(c.method, c.path) for c in fake_discord.state.calls]
        assert len(calls) == 2 + count
        assert calls[:2] == [
            ("GET", f"/api/v10/guilds/{fake_discord.state.guild_id}/channels"),
            ("GET", f"/api/v10/guilds/{fake_discord.state.guild_id}/roles"),
        ]
        assert {method for method, _path in calls} == {"GET"}
        # The command adds no call when nothing needs doing.
        fake_discord.state.calls.clear()
        assert "Discord matches the database." in sync()
        assert len(fake_discord.state.calls) == 2 + count


def test_sync_records_nothing_when_discord_fails(fake_discord, guild):
    game = published_game()
    del fake_discord.state.channels[game.discord_channel_id]
    effects = DiscordEffect.objects.count()
    fake_discord.fail("GET", r"/channels/\d+/messages/\d+$", 403, body={"message": "Nope"})

    with pytest.raises(CommandError, match=r"Discord failed: \[403\] Nope"):
        sync()

    assert DiscordEffect.objects.count() == effects
    game.refresh_from_db()
    assert game.discord_channel_id  # not cleared either


# --- discord_effects ----------------------------------------------------------------------------


def effects_command(*args):
    out = StringIO()
    call_command("discord_effects", *args, stdout=out)
    return out.getvalue()


def test_discord_effects_lists_retries_and_runs(fake_discord, guild):
    game = GameFactory(draft=True, gm=UserFactory(is_gm=True))
    services.publish_game(game, actor=game.gm, allow_past_date=True)
    fake_discord.fail("POST", r"/guilds/\d+/roles$", 403, body={"message": "Missing Permissions"})
    apply_effects()

    listing = effects_command()
    # The failed set-up held nothing back: the announcement went out.
    assert "1 Discord effect(s) not done yet:" in listing
    assert "setup_game" in listing and "failed" in listing and game.slug in listing
    assert "last error: [403] Missing Permissions" in listing

    output = effects_command("--retry-failed", "--run")
    assert "1 failed effect(s) queued again." in output
    assert "1 done, 0 to retry later, 0 failed." in output
    assert output.endswith("No pending or failed Discord effects.\n")
    game.refresh_from_db()
    assert game.discord_channel_id and game.discord_message_id


def test_discord_effects_lists_and_retries_offline(settings, db):
    settings.DISCORD_BOT_TOKEN = ""
    settings.DISCORD_OFFLINE = True
    DiscordEffect.objects.create(kind=EffectKind.SEND_MESSAGE, status=EffectStatus.FAILED)

    output = effects_command("--retry-failed")

    assert "1 failed effect(s) queued again." in output
    assert "pending" in output
    with pytest.raises(CommandError, match="Offline mode"):
        effects_command("--run")


@pytest.mark.parametrize(
    "args", [("discord_sync",), ("discord_sync", "--dry-run"), ("discord_effects", "--run")]
)
def test_commands_refuse_to_run_offline(settings, db, args):
    settings.DISCORD_BOT_TOKEN = ""
    settings.DISCORD_OFFLINE = True
    DiscordEffect.objects.create(kind=EffectKind.SEND_MESSAGE, status=EffectStatus.FAILED)

    with pytest.raises(CommandError, match="Offline mode: no Discord bot token"):
        call_command(*args, stdout=StringIO())

    # Refused before changing anything.
    assert DiscordEffect.objects.get().status == EffectStatus.FAILED

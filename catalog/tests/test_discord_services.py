"""Category capacity and role budget jobs, against the fake Discord (original-domain §7, §10)."""

import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F

from catalog import services
from catalog.models import Channel, ClubSettings, GameType
from catalog.tests.factories import ChannelFactory
from games.tests.factories import GameFactory
from questmaster.discord.client import DiscordClient
from questmaster.discord.models import DiscordEffect, EffectKind, EffectStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(fake_discord):
    with DiscordClient.for_bot() as client:
        yield client


def tracked_category(fake_discord, name, *, type=GameType.ONESHOT, size=0, channels=0):
    """A category on Discord with `channels` text channels, tracked with `size`."""
    category = fake_discord.add_category(name)
    for index in range(channels):
        fake_discord.add_channel(f"partie-{index}", parent_id=category["id"])
    return ChannelFactory(discord_id=category["id"], name=name, type=type, size=size)


def sizes():
    return dict(Channel.objects.values_list("name", "size"))


def bot_calls(fake_discord):
    return [(c.method, c.path) for c in fake_discord.state.calls]


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


# --- reconcile ----------------------------------------------------------------------------------


def test_reconcile_sets_drifted_sizes_to_the_real_count(fake_discord, client):
    under = tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=1, channels=3)
    over = tracked_category(fake_discord, "🎲 ONE SHOTS 2 📖", size=5, channels=0)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=2, channels=2)
    # Neither a voice channel nor a channel outside the categories counts.
    fake_discord.add_channel("vocal", type=2, parent_id=under.discord_id)
    fake_discord.add_channel("general")

    corrections = services.reconcile_categories(client)

    assert corrections == [
        {"id": under.discord_id, "name": under.name, "old": 1, "new": 3, "missing": False},
        {"id": over.discord_id, "name": over.name, "old": 5, "new": 0, "missing": False},
    ]
    assert sizes() == {"🎲 ONE SHOTS 1 📖": 3, "🎲 ONE SHOTS 2 📖": 0, "🎲 CAMPAGNES 1 📖": 2}
    assert bot_calls(fake_discord) == [
        ("GET", f"/api/v10/guilds/{fake_discord.state.guild_id}/channels")
    ]
    assert services.reconcile_categories(client) == []


def test_reconcile_dry_run_reports_and_changes_nothing(fake_discord, client):
    category = tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=7, channels=2)

    corrections = services.reconcile_categories(client, dry_run=True)

    assert corrections == [
        {"id": category.discord_id, "name": category.name, "old": 7, "new": 2, "missing": False}
    ]
    assert sizes() == {"🎲 ONE SHOTS 1 📖": 7}


def test_reconcile_reports_a_category_deleted_on_discord_and_keeps_it(fake_discord, client):
    category = tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=4, channels=0)
    del fake_discord.state.channels[category.discord_id]

    corrections = services.reconcile_categories(client)

    assert corrections == [
        {"id": category.discord_id, "name": category.name, "old": 4, "new": None, "missing": True}
    ]
    assert sizes() == {"🎲 ONE SHOTS 1 📖": 4}


def test_reconcile_takes_the_name_from_discord(fake_discord, client):
    category = tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=1, channels=1)
    fake_discord.state.channels[category.discord_id]["name"] = "🎲 ONE SHOTS A 📖"

    corrections = services.reconcile_categories(client)

    assert corrections == [
        {
            "id": category.discord_id,
            "name": "🎲 ONE SHOTS A 📖",
            "old": 1,
            "new": 1,
            "missing": False,
            "old_name": "🎲 ONE SHOTS 1 📖",
        }
    ]
    category.refresh_from_db()
    assert (category.name, category.size) == ("🎲 ONE SHOTS A 📖", 1)


def test_reconcile_counts_seats_games_hold_without_a_channel_on_discord(fake_discord, client):
    category = tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=0, channels=1)
    # A set-up between its reservation and its channel; a channel deleted by hand that
    # discord_sync re-creates in the same category; a channel created but not stored yet.
    GameFactory(discord_category=category)
    GameFactory(discord_category=category, discord_channel_id="960000000000999999")
    created = GameFactory(discord_category=category, slug="la-crypte-par-gaston")
    fake_discord.add_channel("la-crypte-par-gaston", parent_id=category.discord_id)
    assert created.discord_channel_id == ""

    [correction] = services.reconcile_categories(client)

    assert (correction["old"], correction["new"]) == (0, 4)


def test_reconcile_counts_the_seats_pending_clean_ups_will_release(fake_discord, client):
    category = tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=0)
    still_there = fake_discord.add_channel("archivee", parent_id=category.discord_id)
    archived = GameFactory(
        archived=True, discord_category=category, discord_channel_id=still_there["id"]
    )
    # Its clean-up and itself hold the same seat: counted once, through Discord's listing.
    DiscordEffect.objects.create(
        kind=EffectKind.CLEANUP_GAME,
        game=archived,
        payload={"channel_id": still_there["id"], "category_id": category.pk},
    )
    # A deleted game whose channel is already gone: its clean-up will still give a seat back.
    DiscordEffect.objects.create(
        kind=EffectKind.CLEANUP_GAME,
        payload={"channel_id": "960000000000999998", "category_id": category.pk},
    )
    DiscordEffect.objects.create(
        kind=EffectKind.CLEANUP_GAME,
        status=EffectStatus.DONE,
        payload={"channel_id": "960000000000999997", "category_id": category.pk},
    )

    [correction] = services.reconcile_categories(client)

    assert (correction["old"], correction["new"]) == (0, 2)


def test_reconcile_leaves_a_category_whose_size_moved_meanwhile(fake_discord, client):
    category = tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=5, channels=2)
    list_channels = client.list_channels

    def list_then_reserve(guild_id):
        answer = list_channels(guild_id)
        # A game takes a seat while the job is counting.
        Channel.objects.filter(pk=category.pk).update(size=F("size") + 1)
        return answer

    client.list_channels = list_then_reserve

    assert services.reconcile_categories(client) == []
    category.refresh_from_db()
    assert category.size == 6


# --- provision ----------------------------------------------------------------------------------


def test_provision_creates_a_category_when_all_are_at_the_threshold(fake_discord, client):
    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=45)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=44)

    [created] = services.provision_categories(client)

    assert [c.body for c in fake_discord.calls_to("POST", r"/guilds/\d+/channels$")] == [
        {"name": "🎲 ONE SHOTS 2 📖", "type": 4}
    ]
    created.refresh_from_db()
    assert (created.name, created.type, created.size) == ("🎲 ONE SHOTS 2 📖", "oneshot", 0)
    assert fake_discord.state.channels[created.discord_id]["type"] == 4
    # A second run finds room in the new category.
    assert services.provision_categories(client) == []
    assert Channel.objects.count() == 3


def test_provision_creates_nothing_while_one_category_has_room(fake_discord, client):
    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=50)
    tracked_category(fake_discord, "🎲 ONE SHOTS 2 📖", size=44)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=0)

    assert services.provision_categories(client) == []
    assert fake_discord.state.calls == []


def test_provision_follows_the_threshold_and_template_settings(fake_discord, client):
    club = ClubSettings.load()
    club.discord_category_auto_threshold = 10
    club.category_name_template_campaign = "Campagnes n°{n}"
    club.save()
    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=9)

    [created] = services.provision_categories(client)

    # No campaign category at all: the first one is created.
    assert (created.name, created.type) == ("Campagnes n°1", GameType.CAMPAIGN)


def test_provision_dry_run_creates_nothing(fake_discord, client):
    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=45)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=45)

    planned = services.provision_categories(client, dry_run=True)

    assert [(c.name, c.pk) for c in planned] == [
        ("🎲 ONE SHOTS 2 📖", None),
        ("🎲 CAMPAGNES 2 📖", None),
    ]
    assert Channel.objects.count() == 2
    assert fake_discord.state.calls == []


def test_provision_adopts_the_category_an_interrupted_run_created(fake_discord, client):
    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=45)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=0)
    # Created on Discord by an earlier run that died before storing it.
    leftover = fake_discord.add_category("🎲 ONE SHOTS 2 📖")
    fake_discord.add_channel("une-partie", parent_id=leftover["id"])

    [adopted] = services.provision_categories(client)

    assert (adopted.discord_id, adopted.size) == (leftover["id"], 1)
    assert fake_discord.calls_to("POST", r"/guilds/\d+/channels$") == []


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row locks (select_for_update)"
)
@pytest.mark.django_db(transaction=True)
def test_provision_twice_at_once_creates_one_category(fake_discord):
    from django.db import connections

    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=45)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=0)
    ClubSettings.load()
    results, errors = [], []

    def job():
        try:
            with DiscordClient.for_bot() as client:
                create_category = client.create_category

                def slow_create_category(guild_id, name):
                    # Discord takes its time: the other run reaches the lock meanwhile.
                    time.sleep(0.3)
                    return create_category(guild_id, name)

                client.create_category = slow_create_category
                results.append(services.provision_categories(client))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(len(created) for created in results) == [0, 1]
    assert len(fake_discord.calls_to("POST", r"/guilds/\d+/channels$")) == 1
    assert Channel.objects.filter(type=GameType.ONESHOT).count() == 2


# --- create_category: the one way to make a category ----------------------------------------


def test_create_category_twice_creates_one_the_second_finds_the_first(fake_discord, client):
    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=50)

    first = services.create_category(client, GameType.ONESHOT)
    second = services.create_category(client, GameType.ONESHOT)

    assert (first.name, first.type, first.size) == ("🎲 ONE SHOTS 2 📖", GameType.ONESHOT, 0)
    assert second is None
    assert [c.body for c in fake_discord.calls_to("POST", r"/guilds/\d+/channels$")] == [
        {"name": "🎲 ONE SHOTS 2 📖", "type": 4}
    ]
    assert Channel.objects.of_type(GameType.ONESHOT).count() == 2


def test_create_category_looks_up_by_name_first(fake_discord, client):
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=50)
    leftover = fake_discord.add_category("🎲 CAMPAGNES 2 📖")

    adopted = services.create_category(client, GameType.CAMPAIGN)

    assert (adopted.discord_id, adopted.name) == (leftover["id"], "🎲 CAMPAGNES 2 📖")
    assert fake_discord.calls_to("POST", r"/guilds/\d+/channels$") == []
    assert bot_calls(fake_discord) == [
        ("GET", f"/api/v10/guilds/{fake_discord.state.guild_id}/channels")
    ]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no concurrent writers to serialise"
)
@pytest.mark.django_db(transaction=True)
def test_provision_and_a_full_set_up_at_once_create_one_category(fake_discord):
    from django.db import connections

    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=50)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=0)
    results, errors = [], []

    def job(call):
        try:
            with DiscordClient.for_bot() as client:
                create_category = client.create_category

                def slow_create_category(guild_id, name):
                    time.sleep(0.3)
                    return create_category(guild_id, name)

                client.create_category = slow_create_category
                results.append(call(client))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=job, args=(services.provision_categories,)),
        threading.Thread(
            target=job, args=(lambda c: services.create_category(c, GameType.ONESHOT),)
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(fake_discord.calls_to("POST", r"/guilds/\d+/channels$")) == 1
    assert Channel.objects.filter(type=GameType.ONESHOT).count() == 2


def test_commands_live_next_to_the_code_they_call():
    from django.core.management import get_commands

    commands = get_commands()

    assert commands["discord_categories"] == "catalog"
    assert commands["discord_roles"] == "catalog"
    assert commands["discord_sync"] == "games"
    assert commands["discord_effects"] == "questmaster.discord"


def test_the_discord_infrastructure_imports_no_app():
    import ast
    from pathlib import Path

    import questmaster.discord

    apps = {"accounts", "catalog", "games", "trophies"}
    root = Path(questmaster.discord.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.relative_to(root).parts:
            continue  # tests may build games with the factories
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            offenders += [
                f"{path.relative_to(root)}: {name}" for name in names if name.split(".")[0] in apps
            ]

    assert offenders == []


# --- roles --------------------------------------------------------------------------------------


def add_roles(fake_discord, count):
    return [fake_discord.add_role(f"Rôle {index}") for index in range(count)]


def test_role_count_switches_direct_mode_at_the_threshold(fake_discord, client):
    club = ClubSettings.load()
    club.discord_role_auto_threshold = 5
    club.save()
    add_roles(fake_discord, 3)  # + @everyone: 4

    assert services.update_direct_permission_mode(client) == (4, False)
    assert ClubSettings.load().discord_use_direct_permissions is False

    add_roles(fake_discord, 1)
    assert services.update_direct_permission_mode(client) == (5, True)
    assert ClubSettings.load().discord_use_direct_permissions is True
    assert services.update_direct_permission_mode(client) == (5, False)


def test_role_count_never_switches_back(fake_discord, client):
    club = ClubSettings.load()
    club.discord_role_auto_threshold = 2
    club.discord_use_direct_permissions = True
    club.save()

    assert services.guild_role_count(client) == 1
    assert services.update_direct_permission_mode(client) == (1, False)
    assert ClubSettings.load().discord_use_direct_permissions is True


def test_role_count_dry_run_changes_nothing(fake_discord, client):
    club = ClubSettings.load()
    club.discord_role_auto_threshold = 2
    club.save()
    add_roles(fake_discord, 2)

    assert services.update_direct_permission_mode(client, dry_run=True) == (3, True)
    assert ClubSettings.load().discord_use_direct_permissions is False


# --- commands -----------------------------------------------------------------------------------


def test_discord_categories_command_reconciles_then_provisions(fake_discord):
    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=2, channels=45)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=0)

    output = run("discord_categories")

    assert "“🎲 ONE SHOTS 1 📖”" in output and ": 2 → 45 channels" in output
    assert "1 category(ies) were corrected." in output
    assert "Created “🎲 ONE SHOTS 2 📖”" in output
    assert sizes() == {"🎲 ONE SHOTS 1 📖": 45, "🎲 ONE SHOTS 2 📖": 0, "🎲 CAMPAGNES 1 📖": 0}
    # Run again: nothing left to do.
    again = run("discord_categories")
    assert "All categories were up to date." in again
    assert "Every game type has a category with room." in again


def test_discord_categories_command_dry_run_changes_nothing(fake_discord):
    tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=45, channels=1)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=0)

    output = run("discord_categories", "--dry-run")

    assert "1 category(ies) would be corrected." in output
    assert "Would create “🎲 ONE SHOTS 2 📖”" in output
    assert output.endswith("Dry run: nothing was changed.\n")
    assert sizes() == {"🎲 ONE SHOTS 1 📖": 45, "🎲 CAMPAGNES 1 📖": 0}
    assert {c.method for c in fake_discord.state.calls} == {"GET"}


def test_discord_categories_command_reports_a_missing_category(fake_discord):
    category = tracked_category(fake_discord, "🎲 ONE SHOTS 1 📖", size=3)
    tracked_category(fake_discord, "🎲 CAMPAGNES 1 📖", type=GameType.CAMPAIGN, size=0)
    del fake_discord.state.channels[category.discord_id]

    output = run("discord_categories", "--dry-run")

    assert "no longer exists on Discord: delete it in the admin" in output
    assert Channel.objects.filter(pk=category.pk).exists()


def test_discord_roles_command_switches_and_reports(fake_discord):
    club = ClubSettings.load()
    club.discord_role_auto_threshold = 3
    club.save()
    add_roles(fake_discord, 2)

    dry = run("discord_roles", "--dry-run")
    assert "Roles: 3 / 250 (Discord's cap); automatic switch at 3." in dry
    assert "Would switch new games to direct permissions" in dry
    assert ClubSettings.load().discord_use_direct_permissions is False

    output = run("discord_roles")
    assert "Switched new games to direct permissions" in output
    assert ClubSettings.load().discord_use_direct_permissions is True
    assert "Direct permissions are on" in run("discord_roles")


def test_discord_roles_command_counts_what_is_left(fake_discord):
    output = run("discord_roles")

    assert "Roles: 1 / 250" in output
    assert "Direct permissions are off: 229 role(s) left before the switch." in output


@pytest.mark.parametrize("command", ["discord_categories", "discord_roles"])
def test_commands_refuse_to_run_offline(settings, command):
    settings.DISCORD_BOT_TOKEN = ""
    settings.DISCORD_OFFLINE = True

    with pytest.raises(CommandError, match="Offline mode: no Discord bot token"):
        call_command(command, stdout=StringIO())


@pytest.mark.parametrize("command", ["discord_categories", "discord_roles"])
def test_commands_end_with_a_clear_error_when_discord_fails(fake_discord, command):
    fake_discord.fail("GET", r"/guilds/\d+/(channels|roles)$", 403, body={"message": "Nope"})

    with pytest.raises(CommandError, match=r"Discord failed: \[403\] Nope"):
        call_command(command, stdout=StringIO())

"""The Discord client against the fake Discord: exact calls, resulting state, retry policy."""

import socket
import time

import pytest

from questmaster.discord import naming
from questmaster.discord.client import (
    CATEGORY,
    MEMBER_OVERWRITE,
    ROLE_OVERWRITE,
    DiscordClient,
    DiscordError,
    overwrite,
)

ALICE = "123456789012345678"


class SleepSpy:
    """Records the waits instead of sleeping; can move the fake's clock along."""

    def __init__(self, fake=None) -> None:
        self.waits: list[float] = []
        self.fake = fake

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.fake is not None:
            self.fake.advance(seconds)


@pytest.fixture
def spy():
    return SleepSpy()


@pytest.fixture
def bot(fake_discord, spy):
    with DiscordClient.for_bot(sleep=spy) as client:
        yield client


@pytest.fixture
def patient_bot(fake_discord, spy):
    """The worker's client: sleeps through rate limits, retries outages."""
    with DiscordClient.for_bot(max_attempts=3, sleep=spy) as client:
        yield client


@pytest.fixture
def guild(fake_discord):
    return fake_discord.state.guild_id


@pytest.fixture
def channel(fake_discord):
    return fake_discord.add_channel("annonces")["id"]


def only_call(fake, method, path):
    calls = fake.calls_to(method, path)
    assert len(calls) == 1, calls
    return calls[0]


# --- endpoints ----------------------------------------------------------------------------------


def test_get_member_returns_the_member(bot, fake_discord, guild):
    fake_discord.add_member(ALICE, "alice", nick="Alice", roles=["910000000000000001"])

    member = bot.get_member(guild, ALICE)

    assert member["nick"] == "Alice"
    assert member["roles"] == ["910000000000000001"]
    call = only_call(fake_discord, "GET", rf"/api/v10/guilds/{guild}/members/{ALICE}$")
    assert call.headers["authorization"] == "Bot fake-bot-token"
    assert call.body is None


def test_send_message_posts_every_part(bot, fake_discord, channel):
    embeds = [{"title": "Donjon", "description": "Ce soir", "color": naming.ONESHOT_COLOR}]
    components = [
        {"type": 1, "components": [{"type": 2, "style": 5, "label": "Voir", "url": "https://x"}]}
    ]

    message = bot.send_message(
        channel,
        content="<@&1> Nouvelle annonce",
        embeds=embeds,
        components=components,
        allowed_mentions={"parse": [], "roles": ["1"]},
    )

    call = only_call(fake_discord, "POST", rf"/api/v10/channels/{channel}/messages$")
    assert call.body == {
        "content": "<@&1> Nouvelle annonce",
        "embeds": embeds,
        "components": components,
        "allowed_mentions": {"parse": [], "roles": ["1"]},
    }
    [stored] = fake_discord.messages_in(channel)
    assert stored["id"] == message["id"]
    assert (stored["content"], stored["embeds"], stored["components"]) == (
        "<@&1> Nouvelle annonce",
        embeds,
        components,
    )
    assert stored["allowed_mentions"] == {"parse": [], "roles": ["1"]}
    assert stored["pinned"] is False


def test_send_message_leaves_out_what_is_not_given(bot, fake_discord, channel):
    bot.send_message(channel, content="Bonjour")

    assert only_call(fake_discord, "POST", "/messages$").body == {"content": "Bonjour"}


def test_send_message_with_a_nonce_creates_one_message(bot, fake_discord, channel):
    first = bot.send_message(channel, content="Une fois", nonce="effect-42")
    second = bot.send_message(channel, content="Une fois", nonce="effect-42")

    assert first["id"] == second["id"]
    assert [m["id"] for m in fake_discord.messages_in(channel)] == [first["id"]]
    assert fake_discord.calls_to("POST", "/messages$")[0].body == {
        "content": "Une fois",
        "nonce": "effect-42",
        "enforce_nonce": True,
    }


def test_edit_message_patches_only_given_fields(bot, fake_discord, channel):
    embeds = [{"title": "Avant"}]
    message = bot.send_message(channel, content="Texte", embeds=embeds)

    edited = bot.edit_message(channel, message["id"], content="")

    call = only_call(fake_discord, "PATCH", rf"/channels/{channel}/messages/{message['id']}$")
    assert call.body == {"content": ""}
    [stored] = fake_discord.messages_in(channel)
    assert (stored["content"], stored["embeds"]) == ("", embeds)
    assert edited["edited_timestamp"] is not None

    bot.edit_message(channel, message["id"], embeds=[{"title": "Après"}], components=[])

    assert fake_discord.messages_in(channel)[0]["embeds"] == [{"title": "Après"}]
    assert fake_discord.calls_to("PATCH", "/messages/")[1].body == {
        "embeds": [{"title": "Après"}],
        "components": [],
    }


def test_delete_message_removes_it(bot, fake_discord, channel):
    message = bot.send_message(channel, content="Bientôt parti")

    assert bot.delete_message(channel, message["id"]) is None

    only_call(fake_discord, "DELETE", rf"/channels/{channel}/messages/{message['id']}$")
    assert fake_discord.messages_in(channel) == []
    with pytest.raises(DiscordError) as error:
        bot.delete_message(channel, message["id"])
    assert (error.value.status, error.value.code, error.value.message) == (
        404,
        10008,
        "Unknown Message",
    )
    assert error.value.is_not_found


def test_pin_message(bot, fake_discord, channel):
    message = bot.send_message(channel, content="Tout est prêt.")

    bot.pin_message(channel, message["id"])

    call = only_call(fake_discord, "PUT", rf"/channels/{channel}/messages/pins/{message['id']}$")
    assert call.body is None
    assert fake_discord.messages_in(channel)[0]["pinned"] is True


def test_create_text_channel_under_a_category_with_overwrites(bot, fake_discord, guild):
    category = fake_discord.add_category("🎲 ONE SHOTS 1 📖")
    overwrites = [
        overwrite(guild, type=ROLE_OVERWRITE, deny=naming.VIEW_CHANNEL),
        overwrite(ALICE, type=MEMBER_OVERWRITE, allow=naming.GM),
        overwrite("910000000000000009", type=ROLE_OVERWRITE, allow=naming.PLAYER),
    ]

    created = bot.create_channel(
        guild, name="le-donjon", parent_id=category["id"], permission_overwrites=overwrites
    )

    call = only_call(fake_discord, "POST", rf"/api/v10/guilds/{guild}/channels$")
    assert call.body == {
        "name": "le-donjon",
        "type": 0,
        "parent_id": category["id"],
        "permission_overwrites": [
            {"id": guild, "type": 0, "allow": "0", "deny": "1024"},
            {"id": ALICE, "type": 1, "allow": "2815265163693120", "deny": "0"},
            {"id": "910000000000000009", "type": 0, "allow": "563362270661696", "deny": "0"},
        ],
    }
    [stored] = fake_discord.channels_named("le-donjon")
    assert stored["id"] == created["id"]
    assert len(created["id"]) == 18
    assert (stored["type"], stored["parent_id"]) == (0, category["id"])
    assert stored["permission_overwrites"] == call.body["permission_overwrites"]


def test_create_category_keeps_the_name_verbatim(bot, fake_discord, guild):
    name = naming.category_name("🎲 CAMPAGNES {n} 📖", 2)

    created = bot.create_category(guild, name)

    assert only_call(fake_discord, "POST", "/channels$").body == {"name": name, "type": 4}
    assert fake_discord.channels_named("🎲 CAMPAGNES 2 📖") == [created]
    assert created["type"] == CATEGORY


def test_list_get_and_delete_channels(bot, fake_discord, guild):
    category = fake_discord.add_category("Catégorie")
    text = fake_discord.add_channel("partie", parent_id=category["id"])

    assert [c["id"] for c in bot.list_channels(guild)] == [category["id"], text["id"]]
    assert bot.get_channel(text["id"])["parent_id"] == category["id"]

    deleted = bot.delete_channel(text["id"])

    assert deleted["id"] == text["id"]
    only_call(fake_discord, "DELETE", rf"/api/v10/channels/{text['id']}$")
    assert fake_discord.channels_named("partie") == []
    with pytest.raises(DiscordError) as error:
        bot.get_channel(text["id"])
    assert (error.value.status, error.value.code) == (404, 10003)


def test_set_and_delete_permission_overwrite(bot, fake_discord, channel):
    bot.set_permission(channel, ALICE, type=MEMBER_OVERWRITE, allow=naming.PLAYER)

    call = only_call(fake_discord, "PUT", rf"/channels/{channel}/permissions/{ALICE}$")
    assert call.body == {"type": 1, "allow": "563362270661696", "deny": "0"}
    overwrites = fake_discord.channels_named("annonces")[0]["permission_overwrites"]
    assert overwrites == [{"id": ALICE, "type": 1, "allow": "563362270661696", "deny": "0"}]

    bot.delete_permission(channel, ALICE)

    only_call(fake_discord, "DELETE", rf"/channels/{channel}/permissions/{ALICE}$")
    assert fake_discord.channels_named("annonces")[0]["permission_overwrites"] == []


def test_create_list_and_delete_role(bot, fake_discord, guild):
    role = bot.create_role(
        guild,
        name="PJ_le-donjon",
        permissions=naming.PLAYER,
        color=naming.CAMPAIGN_COLOR,
        mentionable=True,
    )

    assert only_call(fake_discord, "POST", rf"/api/v10/guilds/{guild}/roles$").body == {
        "name": "PJ_le-donjon",
        "permissions": "563362270661696",
        "color": 0x0D6EFD,
        "mentionable": True,
    }
    assert fake_discord.role_named("PJ_le-donjon") == role
    assert (role["permissions"], role["color"], role["mentionable"]) == (
        "563362270661696",
        0x0D6EFD,
        True,
    )
    assert {r["name"] for r in bot.list_roles(guild)} == {"@everyone", "PJ_le-donjon"}

    bot.delete_role(guild, role["id"])

    only_call(fake_discord, "DELETE", rf"/guilds/{guild}/roles/{role['id']}$")
    assert fake_discord.role_named("PJ_le-donjon") is None
    with pytest.raises(DiscordError) as error:
        bot.delete_role(guild, role["id"])
    assert (error.value.status, error.value.code) == (404, 10011)


def test_add_and_remove_member_role(bot, fake_discord, guild):
    fake_discord.add_member(ALICE, "alice", roles=["910000000000000001"])
    role = fake_discord.add_role("PJ_partie")

    bot.add_member_role(guild, ALICE, role["id"])

    call = only_call(fake_discord, "PUT", rf"/guilds/{guild}/members/{ALICE}/roles/{role['id']}$")
    assert call.body is None
    assert fake_discord.state.members[ALICE]["roles"] == ["910000000000000001", role["id"]]

    bot.remove_member_role(guild, ALICE, role["id"])

    only_call(fake_discord, "DELETE", rf"/guilds/{guild}/members/{ALICE}/roles/{role['id']}$")
    assert fake_discord.state.members[ALICE]["roles"] == ["910000000000000001"]


def test_discord_refusal_carries_its_message_and_code(bot, channel):
    with pytest.raises(DiscordError) as error:
        bot.send_message(channel, content="")

    assert (error.value.status, error.value.code) == (400, 50006)
    assert str(error.value) == "[400] Cannot send an empty message"
    assert not error.value.is_retryable


def test_bot_client_needs_a_token(settings):
    settings.DISCORD_BOT_TOKEN = ""

    with pytest.raises(DiscordError, match="No bot token"):
        DiscordClient.for_bot()


# --- rate limits -------------------------------------------------------------------------------


def test_429_without_retries_raises_at_once(bot, fake_discord, channel, spy):
    fake_discord.fail("POST", "/messages$", 429, retry_after=2.5)

    with pytest.raises(DiscordError) as error:
        bot.send_message(channel, content="Trop vite")

    assert (error.value.status, error.value.retry_after) == (429, 2.5)
    assert error.value.is_retryable
    assert spy.waits == []
    assert len(fake_discord.calls_to("POST", "/messages$")) == 1
    assert fake_discord.messages_in(channel) == []


def test_429_with_retries_waits_then_succeeds(patient_bot, fake_discord, channel, spy):
    fake_discord.fail("POST", "/messages$", 429, retry_after=2.5)

    message = patient_bot.send_message(channel, content="Patience")

    assert spy.waits == [pytest.approx(2.5, abs=0.2)]
    assert len(fake_discord.calls_to("POST", "/messages$")) == 2
    assert fake_discord.messages_in(channel) == [message]


def test_429_retry_after_read_from_header_when_body_is_not_json(bot, fake_discord, guild):
    fake_discord.fail("GET", "/roles$", 429, body="<html>Cloudflare</html>", retry_after=3)

    with pytest.raises(DiscordError) as error:
        bot.list_roles(guild)

    assert (error.value.status, error.value.retry_after) == (429, 3.0)


def test_retry_after_above_the_cap_raises_instead_of_sleeping(patient_bot, fake_discord, spy):
    fake_discord.fail("GET", "/roles$", 429, retry_after=120)

    with pytest.raises(DiscordError) as error:
        patient_bot.list_roles(fake_discord.state.guild_id)

    assert (error.value.status, error.value.retry_after) == (429, 120)
    assert spy.waits == []
    assert len(fake_discord.calls_to("GET", "/roles$")) == 1


def test_global_429_pauses_every_route(fake_discord, guild, channel, spy):
    fake_discord.fail("GET", "/roles$", 429, retry_after=4, is_global=True, times=2)

    with DiscordClient.for_bot(max_attempts=2, sleep=spy) as client:
        with pytest.raises(DiscordError):
            client.list_roles(guild)
        client.send_message(channel, content="Après la pause")

    assert spy.waits == [pytest.approx(4, abs=0.2)] * 2
    assert len(fake_discord.calls_to("GET", "/roles$")) == 2
    assert len(fake_discord.messages_in(channel)) == 1


def test_global_429_stops_other_routes_of_an_impatient_client(bot, fake_discord, guild, channel):
    fake_discord.fail("GET", "/roles$", 429, retry_after=4, is_global=True)
    with pytest.raises(DiscordError):
        bot.list_roles(guild)

    with pytest.raises(DiscordError) as error:
        bot.send_message(channel, content="Pas maintenant")

    assert error.value.status == 429
    assert error.value.retry_after == pytest.approx(4, abs=0.2)
    assert fake_discord.calls_to("POST", "/messages$") == []


def test_route_429_leaves_other_routes_alone(bot, fake_discord, guild, channel):
    fake_discord.fail("GET", "/roles$", 429, retry_after=4)
    with pytest.raises(DiscordError):
        bot.list_roles(guild)

    bot.send_message(channel, content="Autre route")

    assert len(fake_discord.messages_in(channel)) == 1


def test_exhausted_bucket_makes_the_next_call_wait(fake_discord, channel):
    fake_discord.state.rate_limit = 2
    fake_discord.state.rate_limit_window = 5.0
    other = fake_discord.add_channel("autre")["id"]
    spy = SleepSpy(fake_discord)

    with DiscordClient.for_bot(max_attempts=3, sleep=spy) as client:
        client.send_message(channel, content="1")
        client.send_message(channel, content="2")  # answered with Remaining: 0
        client.send_message(other, content="ailleurs")  # another channel: its own limit
        assert spy.waits == []
        client.send_message(channel, content="3")

    assert spy.waits == [pytest.approx(5.0, abs=0.2)]
    assert [m["content"] for m in fake_discord.messages_in(channel)] == ["1", "2", "3"]
    assert len(fake_discord.calls_to("POST", "/messages$")) == 4  # no 429 was earned


def test_exhausted_bucket_without_retries_raises_without_sending(bot, fake_discord, channel, spy):
    fake_discord.state.rate_limit = 1
    fake_discord.state.rate_limit_window = 5.0
    bot.send_message(channel, content="1")

    with pytest.raises(DiscordError) as error:
        bot.send_message(channel, content="2")

    assert error.value.status == 429
    assert error.value.retry_after == pytest.approx(5.0, abs=0.2)
    assert spy.waits == []
    assert len(fake_discord.calls_to("POST", "/messages$")) == 1


def test_unannounced_429_from_the_fake_limit_is_retried(fake_discord, channel):
    # The client never saw the bucket run out (another process did): Discord answers 429.
    # Both clocks stand still, so the wait does not depend on how busy the machine is.
    fake_discord.freeze_clock()
    fake_discord.state.rate_limit = 1
    fake_discord.state.rate_limit_window = 2.0
    with DiscordClient.for_bot() as elsewhere:
        elsewhere.send_message(channel, content="un autre processus")
    spy = SleepSpy(fake_discord)

    with DiscordClient.for_bot(max_attempts=3, sleep=spy, clock=lambda: 100.0) as client:
        client.send_message(channel, content="moi")

    assert spy.waits == [2.0]
    assert [m["content"] for m in fake_discord.messages_in(channel)] == [
        "un autre processus",
        "moi",
    ]


# --- outages ------------------------------------------------------------------------------------


def test_5xx_then_success_after_back_off(patient_bot, fake_discord, guild, spy):
    fake_discord.add_member(ALICE, "alice")
    fake_discord.fail("GET", "/members/", 500, times=2)

    member = patient_bot.get_member(guild, ALICE)

    assert member["user"]["username"] == "alice"
    assert spy.waits == [0.5, 1.0]
    assert len(fake_discord.calls_to("GET", "/members/")) == 3


def test_5xx_every_time_raises_after_the_last_attempt(patient_bot, fake_discord, guild, spy):
    fake_discord.fail("GET", "/members/", 500, times=3)

    with pytest.raises(DiscordError) as error:
        patient_bot.get_member(guild, ALICE)

    assert error.value.status == 500
    assert error.value.is_retryable
    assert spy.waits == [0.5, 1.0]
    assert len(fake_discord.calls_to("GET", "/members/")) == 3


def test_5xx_is_not_retried_by_default(bot, fake_discord, guild, spy):
    fake_discord.fail("GET", "/members/", 503)

    with pytest.raises(DiscordError) as error:
        bot.get_member(guild, ALICE)

    assert error.value.status == 503
    assert spy.waits == []


def test_create_is_not_sent_twice_after_a_5xx(patient_bot, fake_discord, guild, spy):
    # Discord may have created the channel before failing: a blind retry could make two.
    fake_discord.fail("POST", "/channels$", 500)

    with pytest.raises(DiscordError) as error:
        patient_bot.create_channel(guild, name="partie")

    assert (error.value.status, error.value.is_retryable) == (500, True)
    assert len(fake_discord.calls_to("POST", "/channels$")) == 1
    assert spy.waits == []


def test_message_with_a_nonce_is_retried_after_a_5xx(patient_bot, fake_discord, channel, spy):
    fake_discord.fail("POST", "/messages$", 502)

    patient_bot.send_message(channel, content="Sûr", nonce="effect-7")

    assert spy.waits == [0.5]
    assert len(fake_discord.messages_in(channel)) == 1


def test_4xx_is_never_retried(patient_bot, fake_discord, spy):
    with pytest.raises(DiscordError) as error:
        patient_bot.get_channel("960000000000000000")

    assert error.value.is_not_found
    assert not error.value.is_retryable
    assert spy.waits == []
    assert len(fake_discord.calls_to("GET", "/channels/")) == 1


def test_timeout_is_a_discord_error_without_status(fake_discord, settings, guild, spy):
    settings.DISCORD_HTTP_TIMEOUT = 0.2
    fake_discord.fail("GET", "/roles$", 200, body=[], delay=0.6)

    with pytest.raises(DiscordError) as error, DiscordClient.for_bot(sleep=spy) as client:
        client.list_roles(guild)

    assert error.value.status is None
    assert error.value.is_retryable
    assert "in time" in str(error.value)
    assert spy.waits == []


def test_timeout_is_retried_by_a_patient_client(fake_discord, settings, guild, spy):
    settings.DISCORD_HTTP_TIMEOUT = 0.2
    fake_discord.fail("GET", "/roles$", 200, body=[], delay=0.6)

    with DiscordClient.for_bot(max_attempts=2, sleep=spy) as client:
        roles = client.list_roles(guild)

    assert [r["name"] for r in roles] == ["@everyone"]
    assert spy.waits == [0.5]


# --- deadline -------------------------------------------------------------------------------------


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_deadline_refuses_a_rate_limit_wait_that_would_end_past_it(
    patient_bot, fake_discord, guild, spy
):
    fake_discord.fail("GET", "/roles$", 429, retry_after=5.0)

    with pytest.raises(DiscordError) as error, patient_bot.deadline(2.0):
        patient_bot.list_roles(guild)

    assert error.value.status == 429
    assert error.value.retry_after == 5.0  # the caller reschedules after that
    assert spy.waits == []


def test_deadline_refuses_a_back_off_that_would_end_past_it(patient_bot, fake_discord, guild, spy):
    fake_discord.fail("GET", "/roles$", 503, times=3)

    with pytest.raises(DiscordError) as error, patient_bot.deadline(0.3):
        patient_bot.list_roles(guild)

    assert (error.value.status, error.value.is_retryable) == (503, True)
    assert spy.waits == []
    assert len(fake_discord.calls_to("GET", "/roles$")) == 1


def test_deadline_cuts_the_request_timeout_to_the_time_left(fake_discord, settings, guild, spy):
    settings.DISCORD_HTTP_TIMEOUT = 2.0
    fake_discord.fail("GET", "/roles$", 200, body=[], delay=1.5)

    with DiscordClient.for_bot(sleep=spy) as client:
        started = time.monotonic()
        with pytest.raises(DiscordError) as error, client.deadline(0.2):
            client.list_roles(guild)
        elapsed = time.monotonic() - started

    assert "in time" in str(error.value)
    assert elapsed < 1.2


def test_past_the_deadline_nothing_is_sent(fake_discord, guild, spy):
    clock = Clock()
    with DiscordClient.for_bot(max_attempts=3, sleep=spy, clock=clock) as client:
        with client.deadline(10.0):
            client.list_roles(guild)
            clock.now += 11.0
            with pytest.raises(DiscordError) as error:
                client.list_roles(guild)
        roles = client.list_roles(guild)  # the deadline ended with its block

    assert error.value.is_retryable
    assert "Out of time" in str(error.value)
    assert len(fake_discord.calls_to("GET", "/roles$")) == 2
    assert [r["name"] for r in roles] == ["@everyone"]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v10"


def test_connection_refused_is_a_discord_error_without_status(fake_discord, spy):
    client = DiscordClient.for_bot(base_url=closed_port_url(), max_attempts=3, sleep=spy)
    with client, pytest.raises(DiscordError) as error:
        client.create_role("900000000000000000", name="PJ_x")

    assert error.value.status is None
    assert error.value.is_retryable
    assert "unreachable" in str(error.value)
    # Nothing reached Discord, so even a create is safe to send again.
    assert spy.waits == [0.5, 1.0]


def test_unreadable_answer_is_a_discord_error(bot, fake_discord, guild):
    fake_discord.fail("GET", "/channels$", 200, body="<html>maintenance</html>")

    with pytest.raises(DiscordError) as error:
        bot.list_channels(guild)

    assert error.value.status == 200
    assert error.value.message == "Discord sent an unreadable answer."
    assert not error.value.is_retryable


def test_unreadable_error_answer_keeps_the_status(bot, fake_discord, guild):
    fake_discord.fail("GET", "/channels$", 502, body="<html>Bad gateway</html>")

    with pytest.raises(DiscordError) as error:
        bot.list_channels(guild)

    assert (error.value.status, error.value.message, error.value.is_retryable) == (
        502,
        "Bad Gateway",
        True,
    )


# --- names and caps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("le-donjon-par-gaston", "le-donjon-par-gaston"),
        ("Le Donjon de l'Été", "le-donjon-de-lete"),
        ("  Nuit   blanche\tà Ys ", "nuit-blanche-a-ys"),
        ("🎲 dés 🎲 et cætera", "des-et-ctera"),
        ("snake_case-OK", "snake_case-ok"),
    ],
)
def test_channel_name_is_ascii_lowercase_dashed(slug, expected):
    assert naming.channel_name(slug) == expected


def test_channel_name_fits_discord():
    assert naming.channel_name("a" * 150) == "a" * 100
    # Cut on a dash: no dangling "-".
    assert naming.channel_name("abcd-" * 30) == ("abcd-" * 20).rstrip("-")
    assert len(naming.channel_name("é" * 300)) == 100


def test_role_name_is_pj_with_underscores():
    assert naming.role_name("le-donjon-par-gaston") == "PJ_le-donjon-par-gaston"
    assert naming.role_name("Élan  vital") == "PJ_Elan_vital"
    assert naming.role_name("x" * 120) == "PJ_" + "x" * 97


def test_category_name_keeps_the_template_verbatim():
    assert naming.category_name("🎲 ONE SHOTS {n} 📖", 3) == "🎲 ONE SHOTS 3 📖"
    assert naming.category_name("{n} {curly}", 12) == "12 {curly}"
    long = naming.category_name("C" * 120 + " {n}", 1)
    assert len(long) == 100
    assert long.endswith("…")


def test_truncate_marks_the_cut():
    assert naming.truncate("abc", 3) == "abc"
    assert naming.truncate("abcd", 3) == "ab…"
    assert naming.truncate("mot  suivant", 5) == "mot…"
    cut = naming.truncate("x" * 2001, naming.CONTENT_MAX)
    assert (len(cut), cut[-1]) == (2000, "…")
    assert naming.truncate("x" * 5, 1) == "x"


def test_discord_caps():
    assert (naming.CONTENT_MAX, naming.NAME_MAX) == (2000, 100)
    assert (naming.EMBED_TITLE_MAX, naming.EMBED_DESCRIPTION_MAX, naming.EMBED_FOOTER_MAX) == (
        256,
        4096,
        2048,
    )
    assert (naming.EMBED_FIELD_NAME_MAX, naming.EMBED_FIELD_VALUE_MAX) == (256, 1024)
    assert (naming.EMBED_FIELDS_MAX, naming.EMBEDS_MAX, naming.EMBEDS_TOTAL_MAX) == (25, 10, 6000)
    assert (naming.BUTTONS_PER_ROW_MAX, naming.BUTTON_LABEL_MAX) == (5, 80)


def test_embeds_length_counts_what_discord_counts():
    embeds = [
        {"title": "abc", "description": "de", "footer": {"text": "f"}, "color": 1},
        {"fields": [{"name": "gh", "value": "ijk"}], "author": {"name": "l"}},
    ]
    assert naming.embeds_length(embeds) == 12


def test_permission_bitfields_are_the_documented_sets():
    bits = {
        "ADD_REACTIONS": 6,
        "VIEW_CHANNEL": 10,
        "SEND_MESSAGES": 11,
        "EMBED_LINKS": 14,
        "ATTACH_FILES": 15,
        "READ_MESSAGE_HISTORY": 16,
        "USE_EXTERNAL_EMOJIS": 18,
        "USE_EXTERNAL_STICKERS": 37,
        "SEND_MESSAGES_IN_THREADS": 38,
        "SEND_POLLS": 49,
    }
    gm_only = {
        "MENTION_EVERYONE": 17,
        "CREATE_PUBLIC_THREADS": 35,
        "CREATE_PRIVATE_THREADS": 36,
        "PIN_MESSAGES": 51,
    }
    assert naming.PLAYER == sum(1 << bit for bit in bits.values()) == 563362270661696
    assert naming.PLAYER | sum(1 << bit for bit in gm_only.values()) == naming.GM
    assert naming.GM == 2815265163693120
    assert naming.VIEW_CHANNEL == 1 << 10
    assert (naming.ONESHOT_COLOR, naming.CAMPAIGN_COLOR) == (0x198754, 0x0D6EFD)

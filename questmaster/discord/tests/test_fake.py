"""The fake Discord itself, over raw HTTP: auth, rate-limit headers, errors, guild state."""

import time

import httpx
import pytest

ALICE = "123456789012345678"


@pytest.fixture
def api(fake_discord):
    headers = {"Authorization": f"Bot {fake_discord.state.bot_token}"}
    with httpx.Client(base_url=fake_discord.api_base_url, headers=headers) as client:
        yield client


@pytest.fixture
def guild(fake_discord):
    return fake_discord.state.guild_id


@pytest.mark.parametrize("authorization", [None, "Bot wrong-token", "Bearer fake-bot-token"])
def test_bot_endpoints_need_the_bot_token(fake_discord, guild, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    answer = httpx.get(f"{fake_discord.api_base_url}/guilds/{guild}/channels", headers=headers)

    assert answer.status_code == 401
    assert answer.json() == {"message": "401: Unauthorized", "code": 0}


def test_answers_carry_rate_limit_headers(api, fake_discord, guild):
    first = api.get(f"/guilds/{guild}/channels")
    second = api.get(f"/guilds/{guild}/channels")
    other = api.get(f"/guilds/{guild}/roles")

    assert first.headers["X-RateLimit-Limit"] == "50"
    assert (first.headers["X-RateLimit-Remaining"], second.headers["X-RateLimit-Remaining"]) == (
        "49",
        "48",
    )
    assert 0 < float(first.headers["X-RateLimit-Reset-After"]) <= 1.0
    assert float(first.headers["X-RateLimit-Reset"]) > 1_700_000_000
    assert first.headers["X-RateLimit-Bucket"] == second.headers["X-RateLimit-Bucket"]
    assert other.headers["X-RateLimit-Bucket"] != first.headers["X-RateLimit-Bucket"]
    assert other.headers["X-RateLimit-Remaining"] == "49"


def test_going_past_the_limit_earns_a_429_until_the_window_ends(api, fake_discord):
    fake_discord.state.rate_limit = 1
    fake_discord.state.rate_limit_window = 3.0
    channel = fake_discord.add_channel("partie")["id"]
    other = fake_discord.add_channel("autre")["id"]

    assert api.post(f"/channels/{channel}/messages", json={"content": "1"}).status_code == 200
    limited = api.post(f"/channels/{channel}/messages", json={"content": "2"})
    elsewhere = api.post(f"/channels/{other}/messages", json={"content": "3"})
    fake_discord.advance(3.0)
    later = api.post(f"/channels/{channel}/messages", json={"content": "4"})

    assert limited.status_code == 429
    assert limited.json()["global"] is False
    assert limited.json()["retry_after"] == pytest.approx(3.0, abs=0.2)
    assert limited.headers["Retry-After"] == "3"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Scope"] == "user"
    assert (elsewhere.status_code, later.status_code) == (200, 200)
    assert [m["content"] for m in fake_discord.messages_in(channel)] == ["1", "4"]


def test_a_frozen_clock_moves_only_when_the_test_says(api, fake_discord):
    fake_discord.freeze_clock()
    fake_discord.state.rate_limit = 1
    fake_discord.state.rate_limit_window = 0.05
    channel = fake_discord.add_channel("partie")["id"]

    first = api.post(f"/channels/{channel}/messages", json={"content": "1"})
    time.sleep(0.1)  # the machine's time passes, the fake's does not
    limited = api.post(f"/channels/{channel}/messages", json={"content": "2"})
    fake_discord.advance(0.05)
    later = api.post(f"/channels/{channel}/messages", json={"content": "3"})

    assert (first.status_code, limited.status_code, later.status_code) == (200, 429, 200)
    assert first.headers["X-RateLimit-Reset-After"] == "0.050"
    assert limited.json()["retry_after"] == 0.05


def test_reset_restarts_the_clock(fake_discord):
    frozen = fake_discord.freeze_clock()
    time.sleep(0.01)
    assert fake_discord.now() == frozen

    fake_discord.reset()

    assert fake_discord.now() > frozen


def test_fail_can_answer_a_global_429(api, fake_discord, guild):
    fake_discord.fail("GET", "/roles$", 429, retry_after=2.5, is_global=True)

    answer = api.get(f"/guilds/{guild}/roles")

    assert answer.status_code == 429
    assert answer.json() == {
        "message": "You are being rate limited.",
        "code": 0,
        "retry_after": 2.5,
        "global": True,
    }
    assert answer.headers["X-RateLimit-Global"] == "true"
    assert answer.headers["Retry-After"] == "3"
    assert api.get(f"/guilds/{guild}/roles").status_code == 200  # times=1


def test_fail_can_answer_a_body_that_is_not_json(api, fake_discord, guild):
    fake_discord.fail("GET", "/channels$", 502, body="<html>Bad gateway</html>", times=2)

    answer = api.get(f"/guilds/{guild}/channels")

    assert answer.status_code == 502
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.text == "<html>Bad gateway</html>"


@pytest.mark.parametrize(
    ("method", "path", "message", "code"),
    [
        ("GET", "/channels/960000000000000000", "Unknown Channel", 10003),
        ("DELETE", "/channels/960000000000000000", "Unknown Channel", 10003),
        ("POST", "/channels/960000000000000000/messages", "Unknown Channel", 10003),
        ("PATCH", "/channels/{channel}/messages/960000000000000000", "Unknown Message", 10008),
        ("PUT", "/channels/{channel}/messages/pins/960000000000000000", "Unknown Message", 10008),
        ("DELETE", "/channels/{channel}/permissions/{alice}", "Unknown Overwrite", 10009),
        ("DELETE", "/guilds/{guild}/roles/960000000000000000", "Unknown Role", 10011),
        ("PUT", "/guilds/{guild}/members/{alice}/roles/960000000000000000", "Unknown Role", 10011),
        ("PUT", "/guilds/{guild}/members/960000000000000000/roles/{role}", "Unknown Member", 10007),
        ("GET", "/guilds/960000000000000000/channels", "Unknown Guild", 10004),
    ],
)
def test_unknown_ids_answer_404_with_discord_codes(api, fake_discord, method, path, message, code):
    fake_discord.add_member(ALICE, "alice")
    path = path.format(
        channel=fake_discord.add_channel("partie")["id"],
        guild=fake_discord.state.guild_id,
        alice=ALICE,
        role=fake_discord.add_role("PJ_x")["id"],
    )

    answer = api.request(method, path, json={"content": "x"} if method == "PATCH" else None)

    assert answer.status_code == 404
    assert answer.json() == {"message": message, "code": code}


def test_messages_are_validated_like_discord(api, fake_discord):
    category = fake_discord.add_category("Catégorie")["id"]
    channel = fake_discord.add_channel("partie", parent_id=category)["id"]

    empty = api.post(f"/channels/{channel}/messages", json={"content": ""})
    too_long = api.post(f"/channels/{channel}/messages", json={"content": "x" * 2001})
    in_category = api.post(f"/channels/{category}/messages", json={"content": "x"})

    assert (empty.status_code, empty.json()["code"]) == (400, 50006)
    assert (too_long.status_code, too_long.json()["code"]) == (400, 50035)
    assert (in_category.status_code, in_category.json()["code"]) == (400, 50008)
    assert fake_discord.messages_in(channel) == []


def test_nonce_without_enforce_nonce_does_not_deduplicate(api, fake_discord):
    channel = fake_discord.add_channel("partie")["id"]

    for _ in range(2):
        api.post(f"/channels/{channel}/messages", json={"content": "x", "nonce": "n1"})

    assert len(fake_discord.messages_in(channel)) == 2


def test_text_channel_names_are_cleaned_like_discord(api, fake_discord, guild):
    answer = api.post(f"/guilds/{guild}/channels", json={"name": "Le Donjon", "type": 0})
    category = api.post(f"/guilds/{guild}/channels", json={"name": "🎲 CAMPAGNES 1 📖", "type": 4})

    assert answer.status_code == 201
    assert answer.json()["name"] == "le-donjon"
    assert category.json()["name"] == "🎲 CAMPAGNES 1 📖"


def test_channel_parent_must_be_a_category(api, fake_discord, guild):
    text = fake_discord.add_channel("partie")["id"]

    answer = api.post(f"/guilds/{guild}/channels", json={"name": "x", "parent_id": text})

    assert (answer.status_code, answer.json()["code"]) == (400, 50035)
    assert fake_discord.channels_named("x") == []


def test_deleting_a_category_leaves_its_channels_without_parent(api, fake_discord):
    category = fake_discord.add_category("Catégorie")["id"]
    fake_discord.add_channel("partie", parent_id=category)

    assert api.delete(f"/channels/{category}").status_code == 200

    assert fake_discord.channels_named("partie")[0]["parent_id"] is None


def test_deleting_a_role_takes_it_from_members(api, fake_discord, guild):
    role = fake_discord.add_role("PJ_partie")
    fake_discord.add_member(ALICE, "alice", roles=[role["id"], "910000000000000001"])

    assert api.delete(f"/guilds/{guild}/roles/{role['id']}").status_code == 204

    assert fake_discord.state.members[ALICE]["roles"] == ["910000000000000001"]
    assert api.delete(f"/guilds/{guild}/roles/{guild}").status_code == 400  # @everyone stays


def test_put_permission_replaces_the_targets_overwrite(api, fake_discord):
    channel = fake_discord.add_channel(
        "partie", permission_overwrites=[{"id": ALICE, "type": 1, "allow": 1024}]
    )["id"]

    api.put(f"/channels/{channel}/permissions/{ALICE}", json={"type": 1, "allow": "2048"})

    assert fake_discord.channels_named("partie")[0]["permission_overwrites"] == [
        {"id": ALICE, "type": 1, "allow": "2048", "deny": "0"}
    ]


def test_reset_forgets_the_guild(fake_discord):
    fake_discord.add_category("Catégorie")
    fake_discord.add_role("PJ_partie")
    fake_discord.fail("GET", "/x", 500)
    fake_discord.state.rate_limit = 1

    fake_discord.reset()

    assert fake_discord.state.channels == {}
    assert [r["name"] for r in fake_discord.state.roles.values()] == ["@everyone"]
    assert fake_discord.role_named("PJ_partie") is None
    assert (fake_discord.state.faults, fake_discord.state.rate_limit) == ([], 50)


def test_unreadable_payload_is_a_400_not_a_hang_up(api, fake_discord, guild):
    answer = api.post(f"/guilds/{guild}/roles", json={"name": "x", "permissions": "beaucoup"})

    assert (answer.status_code, answer.json()["code"]) == (400, 50035)
    assert fake_discord.role_named("x") is None

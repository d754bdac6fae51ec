"""The outbox against the fake Discord: order, failures, claims, dead workers, offline mode.

Most tests give SEND_MESSAGE a handler of their own that posts `payload["text"]` in one channel of
the fake, so they exercise the outbox and not the game workflow; the "killed worker" tests use
the real game set-up handler, whose retry looks Discord objects up by name.
"""

import datetime
import threading

import httpx
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from catalog.models import GameType
from catalog.tests.factories import ChannelFactory
from games.models import Game
from games.tests.factories import GameFactory
from questmaster.discord import naming, outbox
from questmaster.discord.client import DiscordClient
from questmaster.discord.models import DiscordEffect, EffectKind, EffectStatus
from questmaster.discord.outbox import (
    MAX_ATTEMPTS,
    STALE_CLAIM,
    WAKE_UP_MARGIN,
    apply_discord_effects,
    record,
    retry,
    run_pending,
)

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row locks (select_for_update)"
)


class WorkerKilled(BaseException):
    """What stopping the worker looks like from inside (SystemExit, KeyboardInterrupt…)."""


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def bot(fake_discord, slept):
    """The worker's client; it records its sleeps instead of sleeping."""
    with DiscordClient.for_bot(max_attempts=3, sleep=slept.append) as client:
        yield client


@pytest.fixture
def journal(fake_discord, monkeypatch):
    """SEND_MESSAGE effects post their `text` in the #journal channel of the fake."""
    channel = fake_discord.add_channel("journal")["id"]

    def post(effect, client):
        client.send_message(channel, content=effect.payload["text"], nonce=effect.nonce)

    monkeypatch.setitem(outbox._handlers, EffectKind.SEND_MESSAGE, post)
    return channel


def posted(fake_discord, channel) -> list[str]:
    return [m["content"] for m in fake_discord.messages_in(channel)]


def say(text: str, *, game=None, **fields) -> DiscordEffect:
    fields.setdefault("status", EffectStatus.PENDING)
    return DiscordEffect.objects.create(
        kind=EffectKind.SEND_MESSAGE, game=game, payload={"text": text}, **fields
    )


def reload(effect: DiscordEffect) -> DiscordEffect:
    return DiscordEffect.objects.get(pk=effect.pk)


def time_passes(delta: datetime.timedelta) -> None:
    """Move every clock the outbox reads from the database back by `delta`."""
    for effect in DiscordEffect.objects.all():
        DiscordEffect.objects.filter(pk=effect.pk).update(
            run_after=effect.run_after - delta,
            claimed_at=effect.claimed_at - delta if effect.claimed_at else None,
        )
    for wake_up in DBTaskResult.objects.all():
        DBTaskResult.objects.filter(pk=wake_up.pk).update(run_after=wake_up.run_after - delta)


def poison(monkeypatch, kind: EffectKind, exc: Exception) -> list[int]:
    """Make the handler of `kind` raise `exc` every time; returns the attempts it saw."""
    seen = []

    def poisoned(effect, client):
        seen.append(effect.attempts)
        raise exc

    monkeypatch.setitem(outbox._handlers, kind, poisoned)
    return seen


# --- order ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [EffectStatus.FAILED, EffectStatus.CANCELLED, EffectStatus.DONE, EffectStatus.OFFLINE],
)
def test_an_ended_effect_does_not_hold_back_the_later_ones_of_its_game(
    bot, journal, fake_discord, status
):
    game = GameFactory()
    say("avant", game=game, status=status, last_error="[404] Unknown Member")
    later = say("après", game=game)

    summary = run_pending(client=bot)

    assert summary.done == [later.pk]
    assert posted(fake_discord, journal) == ["après"]


def test_a_failed_effect_lets_its_game_go_on_in_the_same_run(bot, journal, fake_discord):
    game = GameFactory()
    refused = say("refusé", game=game)
    later = say("suivant", game=game)
    fake_discord.fail("POST", r"/channels/\d+/messages$", 403, body={"message": "Missing Access"})

    summary = run_pending(client=bot)

    assert (summary.failed, summary.done) == ([refused.pk], [later.pk])
    assert reload(refused).status == EffectStatus.FAILED
    assert posted(fake_discord, journal) == ["suivant"]


def test_a_queued_or_running_effect_keeps_its_game_in_order(bot, journal, fake_discord):
    waiting_game, busy_game, other_game = GameFactory(), GameFactory(), GameFactory()
    say("plus tard", game=waiting_game, run_after=timezone.now() + datetime.timedelta(hours=1))
    held = say("après l'attente", game=waiting_game)
    say("en cours", game=busy_game, status=EffectStatus.RUNNING, claimed_at=timezone.now())
    held_too = say("après le travail en cours", game=busy_game)
    free = say("autre partie", game=other_game)

    summary = run_pending(client=bot)

    assert summary.done == [free.pk]
    assert [reload(e).status for e in (held, held_too)] == [EffectStatus.PENDING] * 2
    assert posted(fake_discord, journal) == ["autre partie"]


# --- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (KeyError("user_id"), "KeyError: 'user_id'"),
        (IntegrityError("duplicate key value"), "IntegrityError: duplicate key value"),
        (httpx.ReadError("connection reset"), "ReadError: connection reset"),
    ],
)
def test_an_unexpected_error_is_recorded_and_retried_and_the_run_goes_on(
    bot, journal, fake_discord, monkeypatch, caplog, exc, error
):
    broken = record(EffectKind.GRANT_ACCESS, game=GameFactory(), user_id="1")
    poison(monkeypatch, EffectKind.GRANT_ACCESS, exc)
    next_one = say("la suite", game=GameFactory())

    before = timezone.now()
    summary = run_pending(client=bot)

    broken = reload(broken)
    assert (summary.retried, summary.done) == ([broken.pk], [next_one.pk])
    assert (broken.status, broken.attempts, broken.last_error) == (EffectStatus.PENDING, 1, error)
    assert broken.run_after >= before + datetime.timedelta(seconds=10)
    assert posted(fake_discord, journal) == ["la suite"]
    [logged] = [r for r in caplog.records if r.name == "questmaster.discord.outbox"]
    assert logged.levelname == "ERROR" and logged.exc_info[1] is exc


def test_a_poisoned_effect_fails_after_max_attempts_and_its_game_goes_on(
    bot, fake_discord, monkeypatch, settings
):
    guild = fake_discord.state.guild_id
    game = GameFactory()
    role = fake_discord.add_role(naming.role_name(game.slug))
    channel = fake_discord.add_channel(game.slug)
    fake_discord.add_member("123456789012345678", "bea", roles=[role["id"]])
    Game.objects.filter(pk=game.pk).update(
        discord_role_id=role["id"], discord_channel_id=channel["id"]
    )
    seen = poison(monkeypatch, EffectKind.GRANT_ACCESS, KeyError("user_id"))
    poisoned = record(EffectKind.GRANT_ACCESS, game=game, user_id="111111111111111111")
    revoke = record(EffectKind.REVOKE_ACCESS, game=game, user_id="123456789012345678")
    cleanup = record(
        EffectKind.CLEANUP_GAME, game=game, channel_id=channel["id"], role_id=role["id"]
    )

    runs = []
    for _ in range(MAX_ATTEMPTS):
        runs.append(run_pending(client=bot))
        if reload(poisoned).status == EffectStatus.FAILED:
            break
        # The revoke and the clean-up do not wait for the failing grant before them.
        assert [reload(e).status for e in (revoke, cleanup)] == [EffectStatus.DONE] * 2
        time_passes(outbox.MAX_BACKOFF)

    poisoned = reload(poisoned)
    assert (poisoned.status, poisoned.attempts) == (EffectStatus.FAILED, MAX_ATTEMPTS)
    assert poisoned.last_error == "KeyError: 'user_id'"
    assert seen == list(range(1, MAX_ATTEMPTS + 1))
    assert len(runs) == MAX_ATTEMPTS
    assert runs[-1].failed == [poisoned.pk]
    assert runs[0].done == [revoke.pk, cleanup.pk]
    assert fake_discord.calls_to(
        "DELETE", rf"/guilds/{guild}/members/123456789012345678/roles/{role['id']}$"
    )
    assert fake_discord.state.channels.get(channel["id"]) is None
    assert fake_discord.role_named(naming.role_name(game.slug)) is None


def test_a_rate_limit_past_the_effect_deadline_is_put_off_not_slept_through(
    bot, journal, fake_discord, slept
):
    effect = say("patience")
    fake_discord.fail("POST", r"/channels/\d+/messages$", 429, retry_after=50.0)

    before = timezone.now()
    summary = run_pending(client=bot)

    assert summary.retried == [effect.pk]
    assert slept == []  # 50 s is longer than an effect may take (EFFECT_DEADLINE)
    assert reload(effect).run_after >= before + datetime.timedelta(seconds=50)


# --- claims -----------------------------------------------------------------------------------


def test_the_claim_counts_the_attempt_before_the_handler_runs(bot, monkeypatch):
    effect = record(EffectKind.GRANT_ACCESS, game=GameFactory(), user_id="1")
    in_database = []

    def kill(effect, client):
        in_database.append(reload(effect).attempts)
        raise WorkerKilled

    monkeypatch.setitem(outbox._handlers, EffectKind.GRANT_ACCESS, kill)

    with pytest.raises(WorkerKilled):
        run_pending(client=bot)

    effect = reload(effect)
    assert in_database == [1]
    assert (effect.status, effect.attempts) == (EffectStatus.RUNNING, 1)


def test_a_handler_sees_a_second_attempt_as_a_retry(bot, monkeypatch):
    effect = record(EffectKind.GRANT_ACCESS, game=GameFactory(), user_id="1")
    seen = poison(monkeypatch, EffectKind.GRANT_ACCESS, KeyError("user_id"))

    run_pending(client=bot)
    time_passes(outbox.MAX_BACKOFF)
    run_pending(client=bot)

    assert seen == [1, 2]
    assert reload(effect).attempts == 2


def test_an_abandoned_claim_comes_back_after_two_minutes(bot, journal, fake_discord):
    now = timezone.now()
    fresh = say("encore à lui", status=EffectStatus.RUNNING, attempts=1, claimed_at=now)
    abandoned = say(
        "repris",
        status=EffectStatus.RUNNING,
        attempts=1,
        claimed_at=now - STALE_CLAIM - datetime.timedelta(seconds=1),
    )

    summary = run_pending(client=bot)

    assert datetime.timedelta(minutes=2) >= STALE_CLAIM
    assert summary.done == [abandoned.pk]
    assert reload(abandoned).attempts == 2
    assert reload(fresh).status == EffectStatus.RUNNING
    assert posted(fake_discord, journal) == ["repris"]


def test_an_abandoned_claim_at_its_last_attempt_fails(bot, journal, fake_discord):
    abandoned = say(
        "de trop",
        status=EffectStatus.RUNNING,
        attempts=MAX_ATTEMPTS,
        claimed_at=timezone.now() - STALE_CLAIM - datetime.timedelta(seconds=1),
    )

    assert run_pending(client=bot).done == []

    abandoned = reload(abandoned)
    assert abandoned.status == EffectStatus.FAILED
    assert abandoned.last_error == (
        "Le processus d'arrière-plan s'est arrêté pendant cette action, à sa dernière "
        "tentative : abandonnée."
    )
    assert posted(fake_discord, journal) == []


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_locked_effect_is_skipped_not_waited_for(fake_discord, journal):
    first, second = say("verrouillée"), say("libre")
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        # Another worker in the middle of claiming `first`.
        from django.db import connection as own_connection

        try:
            with transaction.atomic():
                DiscordEffect.objects.select_for_update().get(pk=first.pk)
                locked.set()
                release.wait(5)
        finally:
            own_connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(5)
        with DiscordClient.for_bot() as client:
            summary = run_pending(client=client, limit=1)
    finally:
        release.set()
        thread.join()

    assert summary.done == [second.pk]
    assert reload(first).status == EffectStatus.PENDING


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_effect(fake_discord, journal):
    effects = [say(f"message {n}") for n in range(12)]
    summaries, errors = [], []

    def worker():
        from django.db import connection as own_connection

        try:
            with DiscordClient.for_bot(max_attempts=3) as client:
                summaries.append(run_pending(client=client))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            own_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    done = [pk for summary in summaries for pk in summary.done]
    assert sorted(done) == [e.pk for e in effects]
    assert sorted(posted(fake_discord, journal)) == sorted(f"message {n}" for n in range(12))
    assert {e.attempts for e in DiscordEffect.objects.all()} == {1}


# --- transactions -----------------------------------------------------------------------------


def test_effects_are_never_applied_inside_a_transaction(bot, journal, fake_discord):
    effect = say("jamais sous verrou")

    with transaction.atomic(), pytest.raises(RuntimeError, match="outside any database"):
        run_pending(client=bot)

    assert reload(effect).status == EffectStatus.PENDING
    assert fake_discord.calls_to("POST", "/messages") == []


@pytest.mark.django_db(transaction=True)
def test_discord_is_called_outside_any_transaction(fake_discord, journal):
    seen = []

    class Watch(httpx.HTTPTransport):
        def handle_request(self, request):
            seen.append(connection.in_atomic_block)
            return super().handle_request(request)

    say("un")
    say("deux", game=GameFactory())

    with DiscordClient.for_bot(transport=Watch()) as client:
        summary = run_pending(client=client)

    assert len(summary.done) == 2
    assert seen == [False, False]


# --- dead workers -----------------------------------------------------------------------------


@pytest.fixture
def club(fake_discord, settings):
    """The server the game set-up works in: announcements channel, one one-shot category."""
    settings.DISCORD_POSTS_CHANNEL_ID = fake_discord.add_channel("annonces")["id"]
    category = fake_discord.add_category("🎲 ONE SHOTS 1 📖")
    ChannelFactory(discord_id=category["id"], name=category["name"], type=GameType.ONESHOT)
    return category["id"]


@pytest.mark.parametrize("dies_after", ["create_role", "create_channel"])
def test_a_worker_killed_mid_effect_is_replaced_and_creates_nothing_twice(
    fake_discord, club, dies_after
):
    game = GameFactory(type=GameType.ONESHOT)
    effect = record(EffectKind.SETUP_GAME, game=game)
    DBTaskResult.objects.all().delete()  # the wake-up recorded with the effect: done

    with DiscordClient.for_bot(max_attempts=3) as dying:
        create = getattr(dying, dies_after)

        def create_then_die(*args, **kwargs):
            create(*args, **kwargs)  # Discord created it…
            raise WorkerKilled  # …and the worker died before storing its id

        setattr(dying, dies_after, create_then_die)
        with pytest.raises(WorkerKilled):
            run_pending(client=dying)

    effect = reload(effect)
    assert (effect.status, effect.attempts) == (EffectStatus.RUNNING, 1)
    # The run scheduled its wake-up before applying anything.
    [wake_up] = DBTaskResult.objects.all()
    assert wake_up.run_after == effect.claimed_at + STALE_CLAIM + WAKE_UP_MARGIN
    with DiscordClient.for_bot() as client:
        assert run_pending(client=client).done == []  # the claim is not stale yet

    time_passes(STALE_CLAIM + WAKE_UP_MARGIN)
    assert list(DBTaskResult.objects.ready()) == [wake_up]
    apply_discord_effects.call()  # what the worker does with the wake-up

    effect = reload(effect)
    game.refresh_from_db()
    assert (effect.status, effect.attempts) == (EffectStatus.DONE, 2)
    [channel] = fake_discord.channels_named(naming.channel_name(game.slug))
    roles = [r for r in fake_discord.state.roles.values() if r["name"] == f"PJ_{game.slug}"]
    assert [r["id"] for r in roles] == [game.discord_role_id]
    assert channel["id"] == game.discord_channel_id
    assert channel["parent_id"] == club


def test_a_run_keeps_one_wake_up_after_its_latest_claim_and_drops_it_at_the_end(
    bot, journal, fake_discord, monkeypatch
):
    for n in range(3):
        say(f"message {n}", game=GameFactory())
    scheduled = []

    def post_and_look(effect, client):
        wake_ups = list(DBTaskResult.objects.values_list("run_after", flat=True))
        scheduled.append((wake_ups, effect.claimed_at))
        client.send_message(journal, content=effect.payload["text"])

    monkeypatch.setitem(outbox._handlers, EffectKind.SEND_MESSAGE, post_and_look)

    summary = run_pending(client=bot)

    assert len(summary.done) == 3
    # One wake-up for the whole run, there before each handler ran, after its claim went stale
    # (a long run must not leave its last claims uncovered)…
    assert [wake_ups for wake_ups, _ in scheduled] == [
        [claimed_at + STALE_CLAIM + WAKE_UP_MARGIN] for _, claimed_at in scheduled
    ]
    # …and gone once the run ended with nothing left to do.
    assert DBTaskResult.objects.count() == 0


def test_a_run_that_puts_off_retries_leaves_one_wake_up_for_the_first(bot, journal, fake_discord):
    for n in range(3):
        say(f"message {n}", game=GameFactory())
    fake_discord.fail("POST", r"/channels/\d+/messages$", 503, times=9)

    summary = run_pending(client=bot)

    assert len(summary.retried) == 3
    [wake_up] = DBTaskResult.objects.all()
    first_due = min(reload(e).run_after for e in DiscordEffect.objects.all())
    assert wake_up.run_after == first_due


# --- offline ----------------------------------------------------------------------------------


def test_offline_effects_are_recorded_as_not_sent_and_never_sent_later(
    settings, fake_discord, journal
):
    settings.DISCORD_BOT_TOKEN = ""  # offline: no token, whatever DISCORD_OFFLINE says
    effect = record(EffectKind.SEND_MESSAGE, game=GameFactory(), text="vieux ping")

    assert reload(effect).status == EffectStatus.OFFLINE
    assert reload(effect).get_status_display() == "Non envoyée (hors ligne)"
    assert DBTaskResult.objects.count() == 0  # nothing wakes the worker
    assert run_pending().done == []

    settings.DISCORD_BOT_TOKEN = fake_discord.state.bot_token  # weeks later, a token
    with DiscordClient.for_bot() as client:
        assert run_pending(client=client).done == []
    assert retry(DiscordEffect.objects.all()) == 0

    assert reload(effect).status == EffectStatus.OFFLINE
    assert posted(fake_discord, journal) == []
    assert list(DiscordEffect.objects.unfinished()) == []


def test_staff_may_send_an_offline_effect_explicitly_once_online(settings, fake_discord, journal):
    settings.DISCORD_BOT_TOKEN = ""
    effect = record(EffectKind.SEND_MESSAGE, game=GameFactory(), text="toujours utile")
    assert outbox.send_offline(DiscordEffect.objects.all()) == 0  # still offline

    settings.DISCORD_BOT_TOKEN = fake_discord.state.bot_token
    assert outbox.send_offline(DiscordEffect.objects.all()) == 1
    with DiscordClient.for_bot() as client:
        summary = run_pending(client=client)

    assert summary.done == [effect.pk]
    assert posted(fake_discord, journal) == ["toujours utile"]


# --- access taken away never waits behind a failing grant -----------------------------------


@pytest.mark.parametrize("kind", [EffectKind.REVOKE_ACCESS, EffectKind.CLEANUP_GAME])
def test_a_revoke_or_clean_up_runs_ahead_of_a_retrying_effect(bot, monkeypatch, kind):
    game = GameFactory()
    ran = []
    monkeypatch.setitem(outbox._handlers, kind, lambda effect, client: ran.append(effect.pk))
    DiscordEffect.objects.create(
        kind=EffectKind.GRANT_ACCESS,
        game=game,
        payload={"user_id": "123456789012345678"},
        attempts=1,
        last_error="[500] Discord is down",
        run_after=timezone.now() + datetime.timedelta(minutes=10),
    )
    taken_away = DiscordEffect.objects.create(kind=kind, game=game, payload={})

    summary = run_pending(client=bot)

    assert summary.done == ran == [taken_away.pk]


def test_a_revoke_still_waits_for_a_grant_not_tried_yet(bot, monkeypatch):
    game = GameFactory()
    monkeypatch.setitem(outbox._handlers, EffectKind.GRANT_ACCESS, lambda effect, client: None)
    monkeypatch.setitem(outbox._handlers, EffectKind.REVOKE_ACCESS, lambda effect, client: None)
    grant = DiscordEffect.objects.create(
        kind=EffectKind.GRANT_ACCESS, game=game, payload={"user_id": "123456789012345678"}
    )
    revoke = DiscordEffect.objects.create(
        kind=EffectKind.REVOKE_ACCESS, game=game, payload={"user_id": "123456789012345678"}
    )

    assert run_pending(client=bot).done == [grant.pk, revoke.pk]

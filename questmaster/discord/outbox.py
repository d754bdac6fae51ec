"""Durable Discord work: record effects with the change that causes them, apply them later.

`record()` writes a `DiscordEffect` row — and a task of the database task backend that wakes the
worker — inside the caller's transaction: if the change rolls back, so does the work. Offline (no
bot token, `questmaster.discord.is_offline()`), the row is recorded as OFFLINE ("not sent") and
nothing wakes the worker: offline work is never sent on its own, not even once a token is
configured (weeks-old pings would make no sense). Staff may still send some of it by hand
(`send_offline()`, an admin action), once Discord is online.

The worker (`manage.py db_worker`) runs `apply_discord_effects` → `run_pending()`, which applies
due effects one at a time, outside any transaction (no Discord call ever holds a database lock;
`run_pending` and `run_effect` refuse to run inside an atomic block):

- Order. An effect waits while an earlier effect of its game is still queued or under way
  (PENDING or RUNNING), so a game's effects apply in the order they were recorded. An effect that
  ended — DONE, FAILED, CANCELLED, OFFLINE — holds nothing back: one failed grant never blocks the
  game's later revokes, notices or clean-up. Taking access away (a revoke, the clean-up) does
  not even wait behind an effect that is being retried after a failure (the grant handler checks
  that the player still holds a seat, so a revoke running ahead of it is safe).
- Claim. An effect is claimed (RUNNING, `claimed_at`) and its attempt counted in the same UPDATE,
  so a worker killed mid-effect still used an attempt; handlers read `effect.attempts > 1` as
  "a previous attempt may have done part of this". On PostgreSQL the claim takes the row with
  `SELECT … FOR UPDATE SKIP LOCKED` in a short transaction; elsewhere (SQLite) a compare-and-set
  UPDATE. Either way two workers never run the same effect.
- Outcome. Any exception of a handler — a `DiscordError` or anything else (a bug, a database
  error) — is recorded in `last_error`; a retryable one (network, 429, 5xx, any unexpected error)
  is tried again after an exponential back-off, and after MAX_ATTEMPTS attempts the effect ends
  FAILED. The run always goes on with the next effect.
- Dead workers. Each handler runs under a client deadline (EFFECT_DEADLINE: requests are cut
  short, rate-limit sleeps refused past it), so a live worker finishes an effect well within
  STALE_CLAIM. A claim older than that belongs to a dead worker: the effect is queued again (or
  FAILED, when that was its last attempt). A run that claims something keeps one wake-up of the
  worker scheduled for when its latest claim would be stale (set before each handler runs), so
  a killed run is taken up again even if nothing new is recorded; a run that ends normally moves
  that wake-up to its first deferred retry, or drops it.

Handlers must be idempotent: an effect may run twice (a crash after Discord answered, a retry).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django.utils.translation import gettext

from questmaster.discord import is_offline
from questmaster.discord.client import DiscordClient, DiscordError
from questmaster.discord.models import DiscordEffect, EffectKind, EffectStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = datetime.timedelta(minutes=30)
# A handler's Discord calls end within this (see `DiscordClient.deadline`): a request may still
# be under way when it runs out, for at most its own timeout, itself cut to the time left.
EFFECT_DEADLINE = datetime.timedelta(seconds=45)
# A claimed effect whose worker died is taken up again after this long: comfortably more than a
# live handler can take under its deadline.
STALE_CLAIM = datetime.timedelta(minutes=2)
# The wake-up of a run comes this long after its claims turned stale.
WAKE_UP_MARGIN = datetime.timedelta(seconds=5)

Handler = Callable[[DiscordEffect, DiscordClient], None]
_handlers: dict[str, Handler] = {}


def handler(kind: EffectKind) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _handlers[kind] = func
        return func

    return register


def record(kind: EffectKind, *, game=None, actor=None, **payload) -> DiscordEffect:
    """Record Discord work in the current transaction (offline mode: recorded, never sent)."""
    offline = is_offline()
    effect = DiscordEffect.objects.create(
        kind=kind,
        game=game,
        payload=payload,
        status=EffectStatus.OFFLINE if offline else EffectStatus.PENDING,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if not offline:
        apply_discord_effects.enqueue()
    return effect


@dataclass
class RunSummary:
    done: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _refuse_in_transaction() -> None:
    """Discord calls never run inside a transaction: they would hold its locks for as long as
    Discord takes, and a rollback would not undo them. (The atomic blocks a test case wraps each
    test in do not count: the test stands for the worker's autocommit.)"""
    if any(not block._from_testcase for block in connection.atomic_blocks):
        raise RuntimeError("Discord effects are applied outside any database transaction.")


# Taking access away and cleaning up never wait behind an effect that is failing: a removed
# player must not keep the channel while a grant retries. (A grant that runs later checks
# that the player still has a seat, so running ahead of it is safe.)
NEVER_WAIT_BEHIND_FAILURES = (EffectKind.REVOKE_ACCESS, EffectKind.CLEANUP_GAME)


def _runnable(now: datetime.datetime):
    """Pending effects due now, whose game has no earlier effect queued or under way."""
    earlier_in_flight = DiscordEffect.objects.in_flight().filter(
        game=OuterRef("game"), pk__lt=OuterRef("pk")
    )
    retrying = Q(status=EffectStatus.PENDING, attempts__gt=0)
    return (
        DiscordEffect.objects.filter(status=EffectStatus.PENDING, run_after__lte=now)
        .filter(
            Q(game__isnull=True)
            | ~Exists(earlier_in_flight)
            | (
                Q(kind__in=NEVER_WAIT_BEHIND_FAILURES)
                & ~Exists(earlier_in_flight.exclude(retrying))
            )
        )
        .order_by("pk")
    )


def _release_stale_claims(now: datetime.datetime) -> None:
    """Give back the effects claimed by a worker that died (their attempt is already counted)."""
    stale = DiscordEffect.objects.filter(
        status=EffectStatus.RUNNING, claimed_at__lt=now - STALE_CLAIM
    )
    stale.filter(attempts__lt=MAX_ATTEMPTS).update(
        status=EffectStatus.PENDING,
        run_after=now,
        last_error=gettext("The worker stopped while applying this effect; it is tried again."),
    )
    stale.update(
        status=EffectStatus.FAILED,
        last_error=gettext(
            "The worker stopped while applying this effect, at its last attempt: given up."
        ),
    )


def _claim(now: datetime.datetime) -> DiscordEffect | None:
    claimed = {"status": EffectStatus.RUNNING, "claimed_at": now, "attempts": F("attempts") + 1}
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL: lock the first runnable row; a concurrent worker skips it and takes the
        # next one instead of waiting. The lock lasts this short transaction only.
        with transaction.atomic():
            pk = (
                _runnable(now)
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)
                .first()
            )
            if pk is None:
                return None
            DiscordEffect.objects.filter(pk=pk).update(**claimed)
        return DiscordEffect.objects.get(pk=pk)
    for pk in _runnable(now).values_list("pk", flat=True)[:5]:
        # SQLite: compare-and-set, only one worker wins an effect.
        if DiscordEffect.objects.filter(pk=pk, status=EffectStatus.PENDING).update(**claimed):
            return DiscordEffect.objects.get(pk=pk)
    return None


def _backoff(attempts: int, retry_after: float | None) -> datetime.timedelta:
    delay = datetime.timedelta(seconds=min(2**attempts * 5, MAX_BACKOFF.total_seconds()))
    if retry_after:
        delay = max(delay, datetime.timedelta(seconds=retry_after))
    return delay


def run_effect(effect: DiscordEffect, client: DiscordClient) -> str:
    """Apply one claimed effect and record the outcome: "done", "retry" or "failed".

    The claim counted the attempt already. Whatever the handler raises becomes the outcome;
    only a `BaseException` (the worker being stopped) leaves the effect RUNNING, for a later run
    to take up once its claim is stale."""
    _refuse_in_transaction()
    retry_after = None
    try:
        with client.deadline(EFFECT_DEADLINE.total_seconds()):
            _handlers[effect.kind](effect, client)
    except DiscordError as exc:
        error, retryable, retry_after = str(exc), exc.is_retryable, exc.retry_after
        logger.warning("Discord effect %s: %s", effect, exc)
    except Exception as exc:
        # A bug or a database error: maybe passing (a deadlock), maybe not; MAX_ATTEMPTS bounds it.
        error, retryable = f"{type(exc).__name__}: {exc}", True
        logger.exception("Discord effect %s: unexpected error", effect)
    else:
        error = None
    now = timezone.now()
    if error is None:
        changes = {"status": EffectStatus.DONE, "done_at": now, "last_error": ""}
        outcome = "done"
    elif retryable and effect.attempts < MAX_ATTEMPTS:
        changes = {
            "status": EffectStatus.PENDING,
            "run_after": now + _backoff(effect.attempts, retry_after),
            "last_error": error[:2000],
        }
        outcome = "retry"
    else:
        changes = {"status": EffectStatus.FAILED, "last_error": error[:2000]}
        outcome = "failed"
    # Only while the claim is still ours: never overwrite the run of another worker.
    mine = DiscordEffect.objects.filter(
        pk=effect.pk, status=EffectStatus.RUNNING, claimed_at=effect.claimed_at
    )
    if not mine.update(**changes):
        logger.warning("Discord effect %s: claim lost, outcome %s not recorded", effect, outcome)
    for name, value in changes.items():
        setattr(effect, name, value)
    if outcome == "failed":
        logger.error("Discord effect %s failed after %d attempt(s)", effect, effect.attempts)
    return outcome


def _set_wake_up(wake_up, run_after: datetime.datetime | None):
    """This run's one wake-up of the worker, set to `run_after` (None: dropped).

    The task row is moved while no worker has taken it; once one has, a new one is enqueued."""
    from django_tasks_db.models import DBTaskResult

    if wake_up is not None:
        waiting = DBTaskResult.objects.filter(id=wake_up.id, status=TaskResultStatus.READY)
        if run_after is None:
            waiting.delete()
            return None
        if waiting.update(run_after=run_after):
            return wake_up
    if run_after is None:
        return None
    return apply_discord_effects.using(run_after=run_after).enqueue()


def run_pending(*, client: DiscordClient | None = None, limit: int = 500) -> RunSummary:
    """Apply due effects until none is left (or `limit` were tried). Outside any transaction."""
    summary = RunSummary()
    if client is None and is_offline():
        return summary
    _refuse_in_transaction()
    own_client = client is None
    client = client or DiscordClient.for_bot(max_attempts=3)
    wake_up = None
    more = False
    _release_stale_claims(timezone.now())
    try:
        for _ in range(limit):
            effect = _claim(timezone.now())
            if effect is None:
                break
            # Before the handler runs: if this worker dies, the wake-up finds this claim
            # stale and applies the effect again.
            wake_up = _set_wake_up(wake_up, effect.claimed_at + STALE_CLAIM + WAKE_UP_MARGIN)
            outcome = run_effect(effect, client)
            {"done": summary.done, "retry": summary.retried, "failed": summary.failed}[
                outcome
            ].append(effect.pk)
        else:
            more = True
    finally:
        if own_client:
            client.close()
    if wake_up is not None:
        # This run ended: its wake-up now serves the retries it put off (one wake-up per run,
        # however many effects it deferred), or the effects the limit left for later.
        next_due = (
            timezone.now()
            if more
            else DiscordEffect.objects.filter(pk__in=summary.retried, status=EffectStatus.PENDING)
            .order_by("run_after")
            .values_list("run_after", flat=True)
            .first()
        )
        _set_wake_up(wake_up, next_due)
    return summary


def retry(effects) -> int:
    """Staff asked to try failed work again (effects recorded offline are left alone)."""
    with transaction.atomic():
        count = effects.filter(status=EffectStatus.FAILED).update(
            status=EffectStatus.PENDING, run_after=timezone.now(), attempts=0
        )
        if count and not is_offline():
            apply_discord_effects.enqueue()
    return count


def send_offline(effects) -> int:
    """Staff chose to send, now, work recorded while Discord was offline (never done on its own:
    it may be stale). Nothing happens while Discord is still offline."""
    if is_offline():
        return 0
    with transaction.atomic():
        count = effects.filter(status=EffectStatus.OFFLINE).update(
            status=EffectStatus.PENDING, run_after=timezone.now(), attempts=0
        )
        if count:
            apply_discord_effects.enqueue()
    return count


def cancel(effects) -> int:
    """Staff gave up on some work: a cancelled effect no longer holds back its game's next ones
    (a running one belongs to the worker and is left alone)."""
    with transaction.atomic():
        count = effects.filter(status__in=[EffectStatus.PENDING, EffectStatus.FAILED]).update(
            status=EffectStatus.CANCELLED
        )
        if count and not is_offline():
            apply_discord_effects.enqueue()  # the effects it held back may run now
    return count


@task()
def apply_discord_effects() -> None:
    run_pending()

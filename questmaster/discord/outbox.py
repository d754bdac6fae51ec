"""Durable Discord work: record effects with the change that causes them, apply them later.

`record()` writes a `DiscordEffect` row — and, online, a task of the database task backend that
wakes the worker — inside the caller's transaction: if the change rolls back, so does the work.
The worker (`manage.py db_worker`) runs `apply_discord_effects`, which applies pending effects in
order, one game at a time, outside any transaction, with retries and back-off. Handlers must be
idempotent: an effect may run twice (a crash after Discord answered, a retry).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.tasks import task
from django.utils import timezone

from questmaster.discord.client import DiscordClient, DiscordError
from questmaster.discord.models import DiscordEffect, EffectKind, EffectStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = datetime.timedelta(minutes=30)
# A claimed effect whose worker died is taken up again after this long.
STALE_CLAIM = datetime.timedelta(minutes=10)

Handler = Callable[[DiscordEffect, DiscordClient], None]
_handlers: dict[str, Handler] = {}


def handler(kind: EffectKind) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _handlers[kind] = func
        return func

    return register


def record(kind: EffectKind, *, game=None, actor=None, **payload) -> DiscordEffect:
    """Record Discord work in the current transaction (offline mode: recorded, never sent)."""
    effect = DiscordEffect.objects.create(
        kind=kind,
        game=game,
        payload=payload,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if not settings.DISCORD_OFFLINE:
        apply_discord_effects.enqueue()
    return effect


@dataclass
class RunSummary:
    done: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _runnable(now: datetime.datetime):
    """Pending effects due now, whose game has no earlier unfinished effect."""
    earlier_unfinished = DiscordEffect.objects.unfinished().filter(
        game=OuterRef("game"), pk__lt=OuterRef("pk")
    )
    return (
        DiscordEffect.objects.filter(status=EffectStatus.PENDING, run_after__lte=now)
        .filter(Q(game__isnull=True) | ~Exists(earlier_unfinished))
        .order_by("pk")
    )


def _claim(now: datetime.datetime) -> DiscordEffect | None:
    # Give back effects claimed by a worker that died.
    DiscordEffect.objects.filter(
        status=EffectStatus.RUNNING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=EffectStatus.PENDING)
    for effect in _runnable(now)[:5]:
        # Compare-and-set: only one worker wins an effect, without holding a lock.
        won = DiscordEffect.objects.filter(pk=effect.pk, status=EffectStatus.PENDING).update(
            status=EffectStatus.RUNNING, claimed_at=now
        )
        if won:
            effect.refresh_from_db()
            return effect
    return None


def _backoff(attempts: int, retry_after: float | None) -> datetime.timedelta:
    delay = datetime.timedelta(seconds=min(2**attempts * 5, MAX_BACKOFF.total_seconds()))
    if retry_after:
        delay = max(delay, datetime.timedelta(seconds=retry_after))
    return delay


def run_effect(effect: DiscordEffect, client: DiscordClient) -> str:
    """Apply one claimed effect and record the outcome: "done", "retry" or "failed"."""
    now = timezone.now()
    effect.attempts += 1
    try:
        _handlers[effect.kind](effect, client)
    except DiscordError as exc:
        effect.last_error = str(exc)[:2000]
        if exc.is_retryable and effect.attempts < MAX_ATTEMPTS:
            effect.status = EffectStatus.PENDING
            effect.run_after = now + _backoff(effect.attempts, exc.retry_after)
            outcome = "retry"
        else:
            effect.status = EffectStatus.FAILED
            outcome = "failed"
        logger.warning("Discord effect %s: %s (%s)", effect, exc, outcome)
    else:
        effect.status = EffectStatus.DONE
        effect.done_at = now
        effect.last_error = ""
        outcome = "done"
    effect.save(update_fields=["attempts", "status", "run_after", "last_error", "done_at"])
    return outcome


def run_pending(*, client: DiscordClient | None = None, limit: int = 500) -> RunSummary:
    """Apply due effects until none is left (or `limit` were tried)."""
    summary = RunSummary()
    if settings.DISCORD_OFFLINE and client is None:
        return summary
    own_client = client is None
    client = client or DiscordClient.for_bot(max_attempts=3)
    try:
        for _ in range(limit):
            effect = _claim(timezone.now())
            if effect is None:
                break
            outcome = run_effect(effect, client)
            {"done": summary.done, "retry": summary.retried, "failed": summary.failed}[
                outcome
            ].append(effect.pk)
    finally:
        if own_client:
            client.close()
    # Wake the worker again when the retries this run put off are due: one wake-up per run
    # that deferred something, so concurrent or repeated runs do not pile up wake-ups.
    next_due = (
        DiscordEffect.objects.filter(pk__in=summary.retried, status=EffectStatus.PENDING)
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    if next_due and not settings.DISCORD_OFFLINE:
        apply_discord_effects.using(run_after=next_due).enqueue()
    return summary


def retry(effects) -> int:
    """Staff asked to try failed work again."""
    with transaction.atomic():
        count = effects.filter(status=EffectStatus.FAILED).update(
            status=EffectStatus.PENDING, run_after=timezone.now(), attempts=0
        )
        if count and not settings.DISCORD_OFFLINE:
            apply_discord_effects.enqueue()
    return count


def cancel(effects) -> int:
    """Staff gave up on some work: a cancelled effect no longer holds back its game's next ones
    (a running one belongs to the worker and is left alone)."""
    with transaction.atomic():
        count = effects.filter(status__in=[EffectStatus.PENDING, EffectStatus.FAILED]).update(
            status=EffectStatus.CANCELLED
        )
        if count and not settings.DISCORD_OFFLINE:
            apply_discord_effects.enqueue()  # the effects it held back may run now
    return count


@task()
def apply_discord_effects() -> None:
    run_pending()

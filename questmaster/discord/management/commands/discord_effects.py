"""`manage.py discord_effects [--retry-failed] [--run]`: the outbox, for operators.

Lists the Discord effects not done yet (pending, running, failed) with their last error;
`--retry-failed` queues the failed ones again; `--run` applies the due ones now instead of
waiting for the worker. Listing and retrying work offline; running needs the bot. Effects
recorded offline are counted, never queued: staff may send them from the admin.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from questmaster.discord.management import bot_client
from questmaster.discord.models import DiscordEffect, EffectStatus
from questmaster.discord.outbox import retry, run_pending

SHOWN = 200
ERROR_WIDTH = 80


class Command(BaseCommand):
    help = "List the Discord effects not done yet; retry the failed ones; apply the due ones."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--retry-failed", action="store_true", help="Queue the failed effects again."
        )
        parser.add_argument("--run", action="store_true", help="Apply the due effects now.")

    def handle(self, *args, retry_failed: bool = False, run: bool = False, **options) -> None:
        if run:
            # Offline, this raises before anything changed.
            with bot_client() as client:
                self._retry(retry_failed)
                self.stdout.write("Applying the due Discord effects…")
                summary = run_pending(client=client)
            self.stdout.write(
                f"{len(summary.done)} done, {len(summary.retried)} to retry later, "
                f"{len(summary.failed)} failed."
            )
        else:
            self._retry(retry_failed)
        self._list()

    def _retry(self, retry_failed: bool) -> None:
        if retry_failed:
            count = retry(DiscordEffect.objects.all())
            self.stdout.write(f"{count} failed effect(s) queued again.")

    def _list(self) -> None:
        offline = DiscordEffect.objects.filter(status=EffectStatus.OFFLINE).count()
        if offline:
            self.stdout.write(
                f"{offline} Discord effect(s) recorded offline, never sent "
                "(send them from the admin if they are still wanted)."
            )
        effects = DiscordEffect.objects.unfinished().select_related("game").order_by("pk")
        total = effects.count()
        if not total:
            self.stdout.write("No pending or failed Discord effects.")
            return
        self.stdout.write(f"{total} Discord effect(s) not done yet:")
        self.stdout.write(
            f"  {'id':>6}  {'kind':<20}  {'status':<8}  {'tries':>5}  {'not before':<16}  game"
        )
        for effect in effects[:SHOWN]:
            game = effect.game.slug if effect.game else "—"
            line = (
                f"  {effect.pk:>6}  {effect.kind:<20}  {effect.status:<8}  {effect.attempts:>5}"
                f"  {timezone.localtime(effect.run_after):%Y-%m-%d %H:%M}  {game}"
            )
            if effect.last_error:
                error = " ".join(effect.last_error.split())[:ERROR_WIDTH]
                line += f"\n          last error: {error}"
            failed = effect.status == EffectStatus.FAILED
            self.stdout.write(self.style.ERROR(line) if failed else line)
        if total > SHOWN:
            self.stdout.write(f"  … and {total - SHOWN} more.")

"""Badge quantities feed the members' and the club's statistics, which are cached: any change of
a `UserTrophy` — through the services, the admin form, its inline on the member page, or an
admin action — makes those figures stale once it commits.

This is cache bookkeeping, not a rule: saves and deletes are caught here, and the few paths that
change quantities with an UPDATE (`award_trophy`, `UserTrophy.increment`, the admin's −1) call
`badges_changed` themselves."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from games.statistics import forget_club_stats, forget_member_stats
from trophies.models import UserTrophy


def badges_changed(user_ids: Iterable[int]) -> None:
    user_ids = list(user_ids)

    def forget() -> None:
        forget_member_stats(user_ids)
        forget_club_stats()

    transaction.on_commit(forget)


@receiver(post_save, sender=UserTrophy)
@receiver(post_delete, sender=UserTrophy)
def _badge_saved_or_deleted(sender, instance: UserTrophy, **kwargs) -> None:
    badges_changed([instance.user_id])

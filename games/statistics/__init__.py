"""Statistics of the club and of each member (original-domain §6), computed in the database.

`member` holds a member's dashboard figures, `club` the club's page and monthly report. Both
count only non-draft games, and "played" only through `GameSessionQuerySet.played_by` (attendance
where it was marked, the registration where not).

A member's figures are cached; the cache key carries a per-member version that
`forget_member_stats` bumps whenever one of their games, sessions, registrations, attendances
or badges changes (the services call it once their transaction commits), so a figure is never
stale and nothing has to find and delete old keys.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

STATS_TIMEOUT = 60 * 60 * 24  # a version bump makes old entries unreachable before this


def _version_key(user_id: int) -> str:
    return f"member-stats-version:{user_id}"


def member_stats_key(user_id: int, name: str) -> str:
    """The cache key of figure set `name` of a member, at their current version."""
    version = cache.get(_version_key(user_id), 0)
    return f"member-stats:{user_id}:{version}:{name}"


def forget_member_stats(user_ids: Iterable[int | None]) -> None:
    """Make every cached figure of these members stale (a new version number)."""
    for user_id in {pk for pk in user_ids if pk is not None}:
        key = _version_key(user_id)
        try:
            cache.incr(key)
        except ValueError:  # no version yet: start one (older entries used version 0)
            cache.add(key, 1, timeout=None) or cache.incr(key)


CLUB_VERSION_KEY = "club-stats-version"


def club_stats_key(name: str) -> str:
    """The cache key of the club's figure set `name`, at the current club version."""
    return f"club-stats:{cache.get(CLUB_VERSION_KEY, 0)}:{name}"


def forget_club_stats() -> None:
    """Make every cached club figure stale (a new version number)."""
    try:
        cache.incr(CLUB_VERSION_KEY)
    except ValueError:
        cache.add(CLUB_VERSION_KEY, 1, timeout=None) or cache.incr(CLUB_VERSION_KEY)

"""A member's dashboard: their agenda and the figures of "Mes statistiques" (original-domain §6.1).

"Played" goes through `GameSessionQuerySet.played_by` and "run" through `run_by`, on non-draft
games only. The figures come from five grouped queries whatever the member's history; the agenda
from two. `member_dashboard_stats` caches the figures under the member's versioned key until
their data changes (`forget_member_stats`), a session of theirs ends or the month turns.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import User
from catalog.models import GameType
from games.models import Attendance, Game, GameSession, Registration, RegistrationState
from games.statistics import STATS_TIMEOUT, member_stats_key
from trophies.models import UserTrophy

TOP_SYSTEMS = 3
RHYTHM_MONTHS = 12
PAST_AGENDA_ROWS = 3


def share(part: int, whole: int) -> int:
    """A whole percentage; 0 when there is nothing to share."""
    return round(part * 100 / whole) if whole else 0


def _hours(duration: datetime.timedelta | None) -> float:
    return duration.total_seconds() / 3600 if duration else 0.0


# --- which sessions and games are the member's ------------------------------------------------


def member_sessions(user) -> QuerySet[GameSession]:
    """Sessions of non-draft games the member runs or plays, with `as_gm` (the two never
    overlap: `played_by` leaves out the member's own games)."""
    sessions = GameSession.objects.counted()
    return (sessions.run_by(user) | sessions.played_by(user)).annotate(
        as_gm=ExpressionWrapper(Q(game__gm=user), output_field=BooleanField())
    )


def member_games(user) -> QuerySet[Game]:
    """GM games (their non-draft games) and player games (a session they played, or a seat),
    with `as_gm`; a GM seated in their own game counts once, as GM.

    A session is played where the member was marked present, or was not marked and holds a
    seat (`played_by`), so "a session played or a seat" is "marked present somewhere or a
    seat": two plain lists of game ids, which the database hashes once, where a per-game
    `played_by` subquery would run for every game of the club."""
    seated = Registration.objects.filter(player=user, state=RegistrationState.REGISTERED)
    present = Attendance.objects.filter(player=user, present=True)
    return (
        Game.objects.published()
        .filter(
            Q(gm=user)
            | Q(pk__in=seated.values("game_id"))
            | Q(pk__in=present.values("session__game_id"))
        )
        .annotate(as_gm=ExpressionWrapper(Q(gm=user), output_field=BooleanField()))
    )


# --- agenda -------------------------------------------------------------------------------------


@dataclass
class Agenda:
    past: list[GameSession]
    upcoming: list[GameSession]


def cached_member_agenda(user, *, limit: int) -> Agenda:
    """`member_agenda` from the cache while the member's version holds and no session of
    theirs has started since (a start moves a row from "upcoming" to "past"). The relative
    badges are drawn when the page is rendered, so they stay right."""
    now = timezone.now()
    key = member_stats_key(user.pk, f"agenda-{limit}")
    agenda = cache.get(key)
    if agenda is None or (agenda.upcoming and agenda.upcoming[0].start <= now):
        agenda = member_agenda(user, limit=limit, now=now)
        left = (
            (agenda.upcoming[0].start - now).total_seconds() if agenda.upcoming else STATS_TIMEOUT
        )
        cache.set(key, agenda, timeout=max(1, min(STATS_TIMEOUT, int(left) + 1)))
    return agenda


def member_agenda(user, *, limit: int, now: datetime.datetime | None = None) -> Agenda:
    """The last three sessions started (oldest first) and the next `limit` ones."""
    now = now or timezone.now()
    rows = member_sessions(user).select_related("game__system", "game__vtt")
    past = list(rows.filter(start__lt=now).order_by("-start", "-pk")[:PAST_AGENDA_ROWS])
    upcoming = list(rows.filter(start__gte=now).order_by("start", "pk")[:limit])
    return Agenda(past=past[::-1], upcoming=upcoming)


# --- figures ------------------------------------------------------------------------------------


@dataclass
class Split:
    """A count of sessions and one of games, e.g. for one system or one month."""

    sessions: int = 0
    games: int = 0


@dataclass
class RankedSystem:
    name: str
    count: int


@dataclass
class Acquaintance:
    user_id: int
    name: str
    discord_id: str
    avatar: str  # Discord's hash: the URL is built when shown (static URLs change on deploy)
    games: int

    @property
    def avatar_url(self) -> str:
        return User(discord_id=self.discord_id, avatar=self.avatar).avatar_url


@dataclass
class MemberStats:
    hours_player: int = 0
    hours_gm: int = 0
    hours_total: int = 0
    badges: int = 0
    games_count: int = 0
    sessions_count: int = 0
    # Percentages, "sessions" and "games" bases.
    gm_share: Split = field(default_factory=Split)
    oneshot_share: Split = field(default_factory=Split)
    rhythm: list[tuple[str, Split]] = field(default_factory=list)
    # By games and by sessions, as player and as GM.
    top_systems: dict[str, dict[str, list[RankedSystem]]] = field(default_factory=dict)
    gms_met: list[Acquaintance] = field(default_factory=list)
    players_met: list[Acquaintance] = field(default_factory=list)
    # When a figure changes by the clock alone: a session ends, or the month turns.
    valid_until: datetime.datetime | None = None

    @property
    def rhythm_sessions(self) -> list[tuple[str, int]]:
        return [(label, split.sessions) for label, split in self.rhythm]

    @property
    def rhythm_games(self) -> list[tuple[str, int]]:
        return [(label, split.games) for label, split in self.rhythm]


def _months(now: datetime.datetime) -> list[tuple[int, int]]:
    """(year, month) of the last twelve calendar months in the club time zone, oldest first."""
    local = timezone.localtime(now)
    index = local.year * 12 + local.month - 1
    return [(i // 12, i % 12 + 1) for i in range(index - RHYTHM_MONTHS + 1, index + 1)]


def _month_start(year: int, month: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, 1))


def _top(counter: dict[str, int]) -> list[RankedSystem]:
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0].casefold()))
    return [RankedSystem(name, count) for name, count in ranked[:TOP_SYSTEMS]]


def _acquaintances(rows) -> list[Acquaintance]:
    people = [
        Acquaintance(
            user_id=row["person"],
            name=row["name"],
            discord_id=row["discord_id"],
            avatar=row["avatar"],
            games=row["games"],
        )
        for row in rows
    ]
    return sorted(people, key=lambda person: (-person.games, person.name.casefold()))


def compute_member_stats(user, *, now: datetime.datetime | None = None) -> MemberStats:
    """Every figure of §6.1 for `user`, in five queries whatever their history."""
    now = now or timezone.now()
    stats = MemberStats()
    ended = Q(end__lte=now)

    # 1. Sessions by role, type, system and month (club time zone): counts, played time of the
    # ended ones, distinct games. A game has one role, type and system, so its distinct count
    # in a group adds up across groups.
    months = _months(now)
    year, month = months[-1]
    next_month = _month_start(year + month // 12, month % 12 + 1)
    session_rows = (
        member_sessions(user)
        .annotate(month=TruncMonth("start", tzinfo=timezone.get_current_timezone()))
        .values("as_gm", "game__type", "game__system__name", "month")
        .annotate(
            count=Count("pk"),
            games=Count("game", distinct=True),
            played=Sum(
                ExpressionWrapper(F("end") - F("start"), output_field=DurationField()),
                filter=ended,
            ),
            next_end=Min("end", filter=~ended),
        )
        .order_by()
    )
    played = {True: datetime.timedelta(), False: datetime.timedelta()}
    sessions = {True: 0, False: 0}
    oneshot_sessions = 0
    systems = {
        (role, basis): defaultdict(int) for role in (True, False) for basis in ("sessions", "games")
    }
    by_month = {month: Split() for month in months}
    next_ends = []
    for row in session_rows:
        role = bool(row["as_gm"])
        sessions[role] += row["count"]
        played[role] += row["played"] or datetime.timedelta()
        if row["game__type"] == GameType.ONESHOT:
            oneshot_sessions += row["count"]
        systems[role, "sessions"][row["game__system__name"]] += row["count"]
        month = timezone.localtime(row["month"])
        if (split := by_month.get((month.year, month.month))) is not None:
            split.sessions += row["count"]
            split.games += row["games"]
        if row["next_end"] is not None:
            next_ends.append(row["next_end"])
    stats.rhythm = [
        (f"{month:02d}/{year % 100:02d}", by_month[year, month]) for year, month in months
    ]

    # 2. Games by role, type and system.
    member_game_set = member_games(user)
    game_rows = member_game_set.values("as_gm", "type", "system__name").annotate(n=Count("pk"))
    games = {True: 0, False: 0}
    oneshot_games = 0
    for row in game_rows.order_by():
        role = bool(row["as_gm"])
        games[role] += row["n"]
        if row["type"] == GameType.ONESHOT:
            oneshot_games += row["n"]
        systems[role, "games"][row["system__name"]] += row["n"]

    hours_player, hours_gm = _hours(played[False]), _hours(played[True])
    stats.hours_player, stats.hours_gm = round(hours_player), round(hours_gm)
    stats.hours_total = round(hours_player + hours_gm)
    stats.sessions_count = sessions[True] + sessions[False]
    stats.games_count = games[True] + games[False]
    stats.gm_share = Split(
        sessions=share(sessions[True], stats.sessions_count),
        games=share(games[True], stats.games_count),
    )
    stats.oneshot_share = Split(
        sessions=share(oneshot_sessions, stats.sessions_count),
        games=share(oneshot_games, stats.games_count),
    )
    stats.top_systems = {
        role_name: {basis: _top(systems[role, basis]) for basis in ("games", "sessions")}
        for role_name, role in (("player", False), ("gm", True))
    }

    # 3. Badges: the sum of quantities.
    stats.badges = UserTrophy.objects.filter(user=user).aggregate(n=Sum("quantity"))["n"] or 0

    # 4. GMs met: the GMs of their player games, with the number of games shared.
    player_games = member_game_set.filter(as_gm=False)
    stats.gms_met = _acquaintances(
        player_games.values(person=F("gm"))
        .annotate(
            name=F("gm__display_name"),
            discord_id=F("gm__discord_id"),
            avatar=F("gm__avatar"),
            games=Count("pk"),
        )
        .order_by()
    )

    # 5. Players met: the other seated players of any of their games (not the games' GMs).
    stats.players_met = _acquaintances(
        Registration.objects.filter(
            state=RegistrationState.REGISTERED, game__in=member_game_set.values("pk")
        )
        .exclude(player=user)
        .exclude(player=F("game__gm"))
        .values(person=F("player"))
        .annotate(
            name=F("player__display_name"),
            discord_id=F("player__discord_id"),
            avatar=F("player__avatar"),
            games=Count("game", distinct=True),
        )
        .order_by()
    )

    stats.valid_until = min([*next_ends, next_month])
    return stats


def member_dashboard_stats(user, *, now: datetime.datetime | None = None) -> MemberStats:
    """The member's figures, from the cache when their version has not moved."""
    now = now or timezone.now()
    key = member_stats_key(user.pk, "dashboard")
    stats = cache.get(key)
    if stats is None or (stats.valid_until and stats.valid_until <= now):
        stats = compute_member_stats(user, now=now)
        left = (stats.valid_until - now).total_seconds() if stats.valid_until else STATS_TIMEOUT
        cache.set(key, stats, timeout=max(1, min(STATS_TIMEOUT, int(left) + 1)))
    return stats

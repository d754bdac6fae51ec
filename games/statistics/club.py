"""The club's statistics (original-domain §6.2) and monthly report (§6.3), for `/stats/`.

Only non-draft games count (`Game.objects.published()`, `GameSession.objects.counted()`);
archived games do. Months are calendar months in the club's time zone, and a session belongs to
the month it starts in (the original dropped a session that crossed the end of a month).

Both figure sets are cached under the club-wide version that `forget_club_stats` bumps: the
services call it once any game, session, registration, attendance or badge change commits, so
a cached figure is never older than the data. Two things change without any such write, and
are handled here: the passing of time (a session ending adds hours; a new month moves the
12-month window), through the `valid_until` stored with the overview; and the reference counts
(systems, VTTs, members, badges) edited in the admin or at sign-up, which are read live in one
small query instead of being cached.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, DurationField, F, Min, Q, Sum
from django.db.models.functions import Now, TruncMonth
from django.utils import timezone

from accounts.models import User
from catalog.models import GameType, System, Vtt
from games.models import Game, GameSession, Registration, RegistrationState, Restriction
from games.statistics import club_stats_key, forget_club_stats
from trophies.models import UserTrophy

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "Catalogue",
    "MonthlyReport",
    "Overview",
    "catalogue",
    "club_overview",
    "forget_club_stats",  # the one club-wide version (games.statistics), re-exported here
    "monthly_report",
    "percent",
]

# The months the report accepts: both neighbours of any of them are still valid dates.
MIN_YEAR, MAX_YEAR = 1970, 2999
TOP_SIZE = 10
RHYTHM_MONTHS = 12
REPORT_TIMEOUT = 60 * 60  # a version bump makes entries unreachable sooner; this bounds names


def percent(part: int, total: int) -> int:
    """A whole percentage, halves rounded up; 0 when there is nothing to divide."""
    if not total:
        return 0
    return int((Decimal(part) * 100 / Decimal(total)).quantize(Decimal(1), ROUND_HALF_UP))


def _hours(duration: datetime.timedelta | None) -> int:
    seconds = Decimal((duration or datetime.timedelta()).total_seconds())
    return int((seconds / 3600).quantize(Decimal(1), ROUND_HALF_UP))


def _club_zone() -> ZoneInfo:
    return timezone.get_current_timezone()


def month_start(year: int, month: int) -> datetime.datetime:
    """Midnight on the 1st of the month, club time."""
    return datetime.datetime(year, month, 1, tzinfo=_club_zone())


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def current_month() -> tuple[int, int]:
    today = timezone.localdate()
    return today.year, today.month


# --- reference counts (live) ------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    systems: int
    vtts: int
    badges: int  # total quantity awarded, not the number of badge definitions
    members: int  # every member, inactive ones included


def catalogue() -> Catalogue:
    """The reference counts, in one query of four scalar sub-selects.

    Not cached: systems and VTTs change in the admin and members at sign-up, none of which
    goes through the services that bump the club version, and this costs well under a ms."""
    quote = connection.ops.quote_name
    counts = [
        f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in (System, Vtt, User)
    ]
    badges = (
        f"(SELECT COALESCE(SUM({quote('quantity')}), 0) FROM {quote(UserTrophy._meta.db_table)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(counts)}, {badges}")
        systems, vtts, members, badge_total = cursor.fetchone()
    return Catalogue(systems=systems, vtts=vtts, badges=int(badge_total), members=members)


# --- overview (cached) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """Two complementary counts and their whole percentages (which add up to 100)."""

    first: int
    second: int

    @property
    def first_percent(self) -> int:
        return percent(self.first, self.first + self.second)

    @property
    def second_percent(self) -> int:
        return 100 - self.first_percent if self.first + self.second else 0


@dataclass(frozen=True)
class RhythmMonth:
    year: int
    month: int
    sessions: int
    games: int

    @property
    def label(self) -> str:
        return f"{self.month:02d}/{self.year % 100:02d}"


@dataclass(frozen=True)
class RestrictionRow:
    restriction: str
    count: int
    percent: int

    @property
    def label(self) -> str:
        return Restriction(self.restriction).label


@dataclass
class Overview:
    games: int
    sessions: int
    ended_sessions: int
    hours: int
    type_by_games: Share  # one-shot, campaign
    type_by_sessions: Share
    role_by_games: Share  # GM seats (one a game), player seats (one a registration)
    role_by_sessions: Share  # GM seats (one a session), player seats (sessions × players)
    top_systems: dict[str, list[tuple[str, int]]]  # "all" / "oneshot" / "campaign"
    top_vtts: dict[str, list[tuple[str, int]]]
    rhythm: list[RhythmMonth]
    restrictions: list[RestrictionRow]
    valid_until: datetime.datetime  # the next session end or month change: figures move then
    cache_key: str = ""  # where it is cached, at the club version it was computed for

    @property
    def fragment_key(self) -> str:
        """What the page's cached HTML of these figures varies on."""
        return f"{self.cache_key}:{self.valid_until.isoformat()}"

    @property
    def rhythm_sessions(self) -> list[tuple[str, int]]:
        return [(month.label, month.sessions) for month in self.rhythm]

    @property
    def rhythm_games(self) -> list[tuple[str, int]]:
        return [(month.label, month.games) for month in self.rhythm]


def _top(rows: list[dict], key: str) -> list[tuple[str, int]]:
    ranked = sorted((row for row in rows if row[key]), key=lambda row: (-row[key], row["label"]))
    return [(row["label"], row[key]) for row in ranked[:TOP_SIZE]]


def _tops(games, field_name: str) -> dict[str, list[tuple[str, int]]]:
    rows = list(
        games.exclude(**{f"{field_name}__isnull": True})
        .values(label=F(f"{field_name}__name"))
        .annotate(
            all=Count("pk"),
            oneshot=Count("pk", filter=Q(type=GameType.ONESHOT)),
            campaign=Count("pk", filter=Q(type=GameType.CAMPAIGN)),
        )
        .order_by()
    )
    return {key: _top(rows, key) for key in ("all", "oneshot", "campaign")}


def _rhythm(sessions, now: datetime.datetime) -> tuple[list[RhythmMonth], datetime.datetime]:
    local = timezone.localtime(now)
    months = [
        shift_month(local.year, local.month, -back) for back in range(RHYTHM_MONTHS - 1, -1, -1)
    ]
    first, after = month_start(*months[0]), month_start(*shift_month(local.year, local.month, 1))
    counts = {
        (row["month"].year, row["month"].month): row
        for row in sessions.filter(start__gte=first, start__lt=after)
        .annotate(month=TruncMonth("start", tzinfo=_club_zone()))
        .values("month")
        .annotate(sessions=Count("pk"), games=Count("game", distinct=True))
        .order_by()
    }
    rhythm = [
        RhythmMonth(
            year=year,
            month=month,
            sessions=counts.get((year, month), {}).get("sessions", 0),
            games=counts.get((year, month), {}).get("games", 0),
        )
        for year, month in months
    ]
    return rhythm, after


def _compute_overview() -> Overview:
    now = timezone.now()
    games = Game.objects.published()
    sessions = GameSession.objects.counted()

    game_counts = games.aggregate(
        total=Count("pk"),
        oneshot=Count("pk", filter=Q(type=GameType.ONESHOT)),
        **{
            f"restriction_{index}": Count("pk", filter=Q(restriction=value))
            for index, value in enumerate(Restriction.values)
        },
    )
    session_counts = sessions.aggregate(
        total=Count("pk"),
        oneshot=Count("pk", filter=Q(game__type=GameType.ONESHOT)),
        next_end=Min("end", filter=Q(end__gt=Now())),
    )
    ended = sessions.ended().aggregate(
        count=Count("pk"), duration=Sum(F("end") - F("start"), output_field=DurationField())
    )
    # A player seat is a registration (one per game) or a registration × a session of its
    # game: joining the sessions counts the latter as rows.
    seats = Registration.objects.filter(
        state=RegistrationState.REGISTERED, game__in=games
    ).aggregate(
        games=Count("pk", distinct=True),
        sessions=Count("game__sessions"),
    )
    rhythm, next_month = _rhythm(sessions, now)

    total_games, total_sessions = game_counts["total"], session_counts["total"]
    next_end = session_counts["next_end"]
    return Overview(
        games=total_games,
        sessions=total_sessions,
        ended_sessions=ended["count"],
        hours=_hours(ended["duration"]),
        type_by_games=Share(game_counts["oneshot"], total_games - game_counts["oneshot"]),
        type_by_sessions=Share(
            session_counts["oneshot"], total_sessions - session_counts["oneshot"]
        ),
        role_by_games=Share(total_games, seats["games"]),
        role_by_sessions=Share(total_sessions, seats["sessions"]),
        top_systems=_tops(games, "system"),
        top_vtts=_tops(games, "vtt"),
        rhythm=rhythm,
        restrictions=[
            RestrictionRow(
                restriction=value,
                count=game_counts[f"restriction_{index}"],
                percent=percent(game_counts[f"restriction_{index}"], total_games),
            )
            for index, value in enumerate(Restriction.values)
        ],
        valid_until=min(next_end, next_month) if next_end else next_month,
    )


def club_overview() -> Overview:
    """The global figures, from the cache while nothing changed and no session ended since."""
    key = club_stats_key("overview")
    overview = cache.get(key)
    if overview is None or overview.valid_until <= timezone.now():
        overview = _compute_overview()
        overview.cache_key = key
        cache.set(key, overview, REPORT_TIMEOUT)
    return overview


# --- monthly report (cached per month) --------------------------------------------------------


@dataclass(frozen=True)
class ReportGame:
    slug: str
    name: str
    gm_name: str
    sessions: int


@dataclass(frozen=True)
class ReportSystem:
    name: str
    games: list[ReportGame]

    @property
    def sessions(self) -> int:
        return sum(game.sessions for game in self.games)


@dataclass(frozen=True)
class RankedGm:
    rank: int
    gm_id: int
    name: str
    sessions: int


@dataclass
class MonthlyReport:
    year: int
    month: int
    oneshot_sessions: int = 0
    campaign_sessions: int = 0
    oneshots: list[ReportSystem] = field(default_factory=list)
    campaigns: list[ReportSystem] = field(default_factory=list)
    gms: list[RankedGm] = field(default_factory=list)
    cache_key: str = ""  # where it is cached, at the club version it was computed for

    @property
    def total_sessions(self) -> int:
        return self.oneshot_sessions + self.campaign_sessions

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def last_day(self) -> datetime.date:
        year, month = shift_month(self.year, self.month, 1)
        return datetime.date(year, month, 1) - datetime.timedelta(days=1)

    @property
    def previous(self) -> tuple[int, int] | None:
        year, month = shift_month(self.year, self.month, -1)
        return (year, month) if year >= MIN_YEAR else None

    @property
    def next(self) -> tuple[int, int] | None:
        year, month = shift_month(self.year, self.month, 1)
        return (year, month) if year <= MAX_YEAR else None


def _by_system(rows: list[dict]) -> list[ReportSystem]:
    systems: dict[str, list[ReportGame]] = defaultdict(list)
    for row in rows:
        systems[row["system"]].append(
            ReportGame(
                slug=row["slug"], name=row["name"], gm_name=row["gm_name"], sessions=row["sessions"]
            )
        )
    return [
        ReportSystem(
            name=name, games=sorted(games, key=lambda game: (-game.sessions, game.name, game.slug))
        )
        for name, games in sorted(systems.items(), key=lambda item: item[0].lower())
    ]


def _compute_report(year: int, month: int) -> MonthlyReport:
    rows = list(
        GameSession.objects.counted()
        .filter(
            start__gte=month_start(year, month), start__lt=month_start(*shift_month(year, month, 1))
        )
        .values("game_id")
        .annotate(
            sessions=Count("pk"),
            slug=F("game__slug"),
            name=F("game__name"),
            type=F("game__type"),
            system=F("game__system__name"),
            gm_id=F("game__gm_id"),
            gm_name=F("game__gm__display_name"),
        )
        .order_by()
    )
    oneshots = [row for row in rows if row["type"] == GameType.ONESHOT]
    campaigns = [row for row in rows if row["type"] != GameType.ONESHOT]

    # Grouped by member, never by display name: two members may share one.
    per_gm: dict[int, dict] = {}
    for row in rows:
        gm = per_gm.setdefault(row["gm_id"], {"name": row["gm_name"], "sessions": 0})
        gm["sessions"] += row["sessions"]
    ranking = sorted(
        per_gm.items(), key=lambda item: (-item[1]["sessions"], item[1]["name"].lower(), item[0])
    )
    gms = [
        RankedGm(rank=rank, gm_id=gm_id, name=gm["name"], sessions=gm["sessions"])
        for rank, (gm_id, gm) in enumerate(ranking, start=1)
    ]
    return MonthlyReport(
        year=year,
        month=month,
        oneshot_sessions=sum(row["sessions"] for row in oneshots),
        campaign_sessions=sum(row["sessions"] for row in campaigns),
        oneshots=_by_system(oneshots),
        campaigns=_by_system(campaigns),
        gms=gms,
    )


def monthly_report(year: int, month: int) -> MonthlyReport:
    """The report of a calendar month (club time), from the cache while nothing changed."""
    key = club_stats_key(f"month:{year}-{month:02d}")
    report = cache.get(key)
    if report is None:
        report = _compute_report(year, month)
        report.cache_key = key
        cache.set(key, report, REPORT_TIMEOUT)
    return report

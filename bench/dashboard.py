"""Time a member's dashboard: `/` and its "Mes statistiques" panel, first visit and warm.

    DATABASE_URL=... .venv/bin/python bench/dashboard.py [-n 50] [--user DISCORD_ID]

Requests go through Django's test Client in this process (DEBUG off, the database of
DATABASE_URL, the cache of CACHE_URL — local memory by default), so that a "first visit" can
make the member's cached figures stale before each request (`forget_member_stats`, as a change to
their games does). Without --user, the member with the most games (run or seated in) is chosen.
Seed the data with seed_bench.py. Prints the median and 95th percentile in ms and the queries of
one request.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questmaster.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")

FRAGMENT = {"HX-Request": "true"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=50, help="timed requests per line")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--user", help="Discord id of the member (default: the busiest one)")
    return parser.parse_args()


def summary(samples: list[float]) -> tuple[float, float]:
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else 0
    return statistics.median(samples), p95


def busiest_member():
    from django.db.models import Count, Q

    from accounts.models import User
    from games.models import GameStatus, RegistrationState

    return (
        User.objects.annotate(
            games=Count(
                "games_as_gm", filter=~Q(games_as_gm__status=GameStatus.DRAFT), distinct=True
            )
            + Count(
                "registrations",
                filter=Q(registrations__state=RegistrationState.REGISTERED),
                distinct=True,
            )
        )
        .order_by("-games", "pk")
        .first()
    )


def main() -> int:
    args = parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    from accounts.models import User
    from games.models import GameSession
    from games.statistics import forget_member_stats

    # Not setup_test_environment(): its template instrumentation would be timed too.
    override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    member = User.objects.get(discord_id=args.user) if args.user else busiest_member()
    if member is None:
        sys.exit("No member: seed the database first (bench/seed_bench.py).")
    client = Client()
    client.force_login(member)
    sessions = GameSession.objects.counted()
    played = sessions.played_by(member).count()
    run = sessions.run_by(member).count()

    def forget() -> None:
        forget_member_stats([member.pk])

    def keep() -> None:
        pass

    home, panel = reverse("home"), reverse("games:dashboard_stats")
    lines = [
        ("/ (agenda, open games)", [(home, {})], keep),
        ("panel, first visit", [(panel, FRAGMENT)], forget),
        ("panel, warm", [(panel, FRAGMENT)], keep),
        ("first visit: / + panel", [(home, {}), (panel, FRAGMENT)], forget),
        ("warm: / + panel", [(home, {}), (panel, FRAGMENT)], keep),
    ]
    print(
        f"test Client, {connection.vendor} ({connection.settings_dict['NAME']}) — "
        f"{member.display_name}: {played} sessions played, {run} run — "
        f"{args.requests} requests per line after {args.warmup} warm-up"
    )
    print(f"{'':<26} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, requests, before in lines:
        for _ in range(args.warmup):
            before()
            for path, headers in requests:
                client.get(path, headers=headers)
        samples = []
        for _ in range(args.requests):
            before()
            started = time.perf_counter()
            for path, headers in requests:
                response = client.get(path, headers=headers)
                assert response.status_code == 200, (path, response.status_code)
            samples.append((time.perf_counter() - started) * 1000)
        before()
        with CaptureQueriesContext(connection) as ctx:
            for path, headers in requests:
                client.get(path, headers=headers)
        median, p95 = summary(samples)
        print(f"{label:<26} {median:>10.1f} {p95:>8.1f} {len(ctx.captured_queries):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

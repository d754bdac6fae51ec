"""Time the members' reference pages: the badge leaderboard first, then a member's badges, a
profile, `/systemes/` and `/vtts/` (median and 95th percentile in ms, queries per request).

    DATABASE_URL=... .venv/bin/python bench/badges_page.py --award   # once, after seed_bench.py
    DATABASE_URL=... .venv/bin/python bench/badges_page.py [-n 200]
    .venv/bin/python bench/badges_page.py http://127.0.0.1:8000 [-n 200]   # a running server

`--award` gives the badges the archive gives (original-domain §5.2) for every archived game of
the seeded data — +1 GM badge to its GM, +1 player badge to each registered player — in a few
bulk statements, unless badges were already awarded. Seed the games with seed_bench.py first.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questmaster.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")

from list_pages import DjangoClient, HttpClient, summary  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", nargs="?", help="a running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("-n", "--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--award", action="store_true", help="award the archive's badges first")
    return parser.parse_args()


def award_archive_badges() -> int:
    """Bulk version of the archive's awards, for the benchmark data only."""
    from django.db import transaction
    from django.db.models import Count, Q

    from accounts.models import User
    from catalog.models import GameType
    from games.models import GameStatus, Registration, RegistrationState
    from trophies.models import (
        RESERVED_TROPHIES,
        TROPHY_CAMPAIGN,
        TROPHY_CAMPAIGN_GM,
        TROPHY_OS,
        TROPHY_OS_GM,
        Trophy,
        UserTrophy,
    )

    if UserTrophy.objects.exists():
        print("Badges already awarded: nothing added.")
        return 0
    with transaction.atomic():
        for pk, (name, icon) in RESERVED_TROPHIES.items():
            Trophy.objects.get_or_create(pk=pk, defaults={"name": name, "icon": icon})
        rows = []
        archived = Q(games_as_gm__status=GameStatus.ARCHIVED)
        campaign = Q(games_as_gm__type=GameType.CAMPAIGN)
        gms = User.objects.annotate(
            os=Count("games_as_gm", filter=archived & ~campaign),
            campaign=Count("games_as_gm", filter=archived & campaign),
        ).filter(Q(os__gt=0) | Q(campaign__gt=0))
        for gm in gms:
            rows += [UserTrophy(user=gm, trophy_id=TROPHY_OS_GM, quantity=gm.os)] * bool(gm.os)
            rows += [
                UserTrophy(user=gm, trophy_id=TROPHY_CAMPAIGN_GM, quantity=gm.campaign)
            ] * bool(gm.campaign)
        seats = (
            Registration.objects.filter(
                state=RegistrationState.REGISTERED,
                game__status=GameStatus.ARCHIVED,
            )
            .values("player_id", "game__type")
            .annotate(games=Count("pk"))
        )
        for seat in seats:
            trophy = TROPHY_CAMPAIGN if seat["game__type"] == GameType.CAMPAIGN else TROPHY_OS
            rows.append(
                UserTrophy(user_id=seat["player_id"], trophy_id=trophy, quantity=seat["games"])
            )
        UserTrophy.objects.bulk_create(rows)
    print(f"{len(rows)} badge rows awarded.")
    return len(rows)


def time_page(client, label: str, path: str, args: argparse.Namespace) -> None:
    for _ in range(args.warmup):
        client.get(path, {})
    samples = []
    for _ in range(args.requests):
        started = time.perf_counter()
        status, body = client.get(path, {})
        samples.append((time.perf_counter() - started) * 1000)
    median, p95 = summary(samples)
    queries = client.queries(path, {})
    print(
        f"{label:<22} {status:>6} {median:>10.1f} {p95:>8.1f} "
        f"{'—' if queries is None else queries:>8} {len(body.encode()) / 1024:>6.1f}"
    )


def main() -> int:
    args = parse_args()
    if args.base_url:
        client = HttpClient(args.base_url)
    else:
        client = DjangoClient(None)
        if args.award:
            award_archive_badges()
    # The public pages first, anonymously; then a member's pages, signed in as the member with
    # the most badges (test Client only).
    pages = [("leaderboard", "/badges/classement/"), ("systems", "/systemes/"), ("vtts", "/vtts/")]
    print(f"{client.describe()} — {args.requests} requests per page after {args.warmup} warm-up")
    print(f"{'page':<22} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'KiB':>6}")
    for label, path in pages:
        time_page(client, label, path, args)
    if not args.base_url:
        from trophies.models import UserTrophy

        top = UserTrophy.objects.order_by("-quantity", "pk").select_related("user").first()
        if top is not None:
            client.client.force_login(top.user)
            time_page(client, "my badges", "/badges/", args)
            time_page(client, "profile (top member)", f"/membres/{top.user.pk}/", args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

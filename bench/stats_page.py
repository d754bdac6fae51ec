"""Time the club statistics page: `/stats/` and a past month's report, warm and cold.

    DATABASE_URL=... .venv/bin/python bench/stats_page.py [-n 100]
    .venv/bin/python bench/stats_page.py http://127.0.0.1:8000 [-n 200]

Without a URL, requests go through Django's test Client in this process (DEBUG off, the
database of DATABASE_URL): "warm" requests find the figures in the cache, "cold" ones follow a
`cache.clear()` (everything computed again), and each row gives the queries of one request.
With a URL, a running server is timed over HTTP: warm as above; its cache cannot be cleared
from here, so "cold" is the first visit of each of N different past months (the month's report
computed, the overview still cached; 24 months, so 24 samples at most). Seed the data with
seed_bench.py.
"""

import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from list_pages import DjangoClient, HttpClient, parse_args, summary

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questmaster.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
FRAGMENT = {"HX-Request": "true"}
COLD_MONTHS = 24  # over HTTP, the months before the one timed warm (the seeded data spans them)


def month_path(year: int, month: int) -> str:
    return f"/stats/?year={year}&month={month}"


def past_months(count: int) -> list[tuple[int, int]]:
    """`count` distinct months before the current one (club time), newest first."""
    import django

    django.setup()
    from games.statistics.club import current_month, shift_month

    year, month = current_month()
    return [shift_month(year, month, -back) for back in range(1, count + 1)]


def time_requests(client, paths: list[str], headers: dict, before=None) -> list[float]:
    samples = []
    for path in paths:
        if before:
            before()
        started = time.perf_counter()
        status, _body = client.get(path, headers)
        samples.append((time.perf_counter() - started) * 1000)
        if status >= 500:
            sys.exit(f"{path}: HTTP {status}")
    return samples


def main() -> int:
    args = parse_args()
    in_process = not args.base_url
    client = DjangoClient(args.user) if in_process else HttpClient(args.base_url)
    if in_process:
        from django.core.cache import cache

        clear = cache.clear
    months = past_months(3 + COLD_MONTHS)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # django.setup() made it talkative
    report = month_path(*months[2])  # three months ago: a full, finished month
    pages = [
        ("/stats/", "/stats/", {}),
        ("past month, page", report, {}),
        ("past month, htmx", report, FRAGMENT),
    ]

    print(f"{client.describe()} — {args.requests} requests per row after {args.warmup} warm-up")
    print(
        f"{'page':<20} {'cache':<5} {'status':>6} {'median ms':>10} {'p95 ms':>8} "
        f"{'queries':>8} {'KiB':>6}"
    )
    for label, path, headers in pages:
        for _ in range(args.warmup):
            client.get(path, headers)
        rows = [("warm", time_requests(client, [path] * args.requests, headers), None)]
        if in_process:
            rows.append(
                ("cold", time_requests(client, [path] * args.requests, headers, clear), clear)
            )
        elif path != "/stats/":
            # Over HTTP: the first visit of each of these months is computed.
            fresh = [month_path(*m) for m in months[3:]]
            rows.append(("cold", time_requests(client, fresh, headers), None))
        for kind, samples, before in rows:
            if before:
                before()
            status, body = client.get(path, headers)
            if before:
                before()
            queries = client.queries(path, headers)
            median, p95 = summary(samples)
            print(
                f"{label:<20} {kind:<5} {status:>6} {median:>10.1f} {p95:>8.1f} "
                f"{'—' if queries is None else queries:>8} {len(body.encode()) / 1024:>6.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time the game list pages: median and 95th percentile in ms, and queries per request.

    DATABASE_URL=... .venv/bin/python bench/list_pages.py [-n 50] [--user DISCORD_ID]
    .venv/bin/python bench/list_pages.py http://127.0.0.1:8000 [-n 50]

Without a URL, requests go through Django's test Client in this process (DEBUG off, the
database of DATABASE_URL), and each page's queries are counted. With a URL, a running server is
timed over HTTP (no query counts: they happen in the server). Seed the data with seed_bench.py.
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questmaster.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")

PAGES = [
    ("dashboard", "/"),
    ("list", "/annonces/"),
    ("list, filtered", "/annonces/?status=open&status=closed&name=a"),
    ("list, htmx fragment", "/annonces/?status=open&status=closed&name=a"),
    ("list, last page", "/annonces/?status=open&status=closed&status=archived&page=9999"),
]
FRAGMENT = {"HX-Request": "true"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", nargs="?", help="a running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("-n", "--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--user", help="Discord id of a member to sign in as (test Client only)")
    return parser.parse_args()


def summary(samples: list[float]) -> tuple[float, float]:
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else 0
    return statistics.median(samples), p95


def first_game_url(html: str) -> str:
    match = re.search(r'class="card-link" href="(/annonces/[^"]+/)"', html)
    if not match:
        sys.exit("No game card on /annonces/: seed the database first (bench/seed_bench.py).")
    return match.group(1)


class DjangoClient:
    """In-process requests, with the queries of one extra request counted."""

    def __init__(self, user: str | None):
        import django

        django.setup()
        from django.conf import settings
        from django.test import Client
        from django.test.utils import override_settings

        # Not setup_test_environment(): its template instrumentation would be timed too.
        # Production settings want collected static files; the pages only need their URLs.
        override_settings(
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ).enable()
        self.client = Client()
        if user:
            from accounts.models import User

            self.client.force_login(User.objects.get(discord_id=user))

    def get(self, path: str, headers: dict) -> tuple[int, str]:
        response = self.client.get(path, headers=headers)
        return response.status_code, response.content.decode()

    def queries(self, path: str, headers: dict) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            self.client.get(path, headers=headers)
        return len(ctx.captured_queries)

    def describe(self) -> str:
        from django.db import connection

        return f"test Client, {connection.vendor} ({connection.settings_dict['NAME']})"


class HttpClient:
    def __init__(self, base_url: str):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(base_url=self.base_url, timeout=30)

    def get(self, path: str, headers: dict) -> tuple[int, str]:
        response = self.client.get(path, headers=headers)
        return response.status_code, response.text

    def queries(self, path: str, headers: dict) -> None:
        return None

    def describe(self) -> str:
        return f"HTTP, {self.base_url}"


def main() -> int:
    args = parse_args()
    client = HttpClient(args.base_url) if args.base_url else DjangoClient(args.user)
    _status, html = client.get("/annonces/", {})
    pages = [*PAGES, ("game page", first_game_url(html))]

    print(f"{client.describe()} — {args.requests} requests per page after {args.warmup} warm-up")
    print(f"{'page':<22} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'KiB':>6}")
    for label, path in pages:
        headers = FRAGMENT if "htmx" in label else {}
        for _ in range(args.warmup):
            client.get(path, headers)
        samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            status, body = client.get(path, headers)
            samples.append((time.perf_counter() - started) * 1000)
        median, p95 = summary(samples)
        queries = client.queries(path, headers)
        print(
            f"{label:<22} {status:>6} {median:>10.1f} {p95:>8.1f} "
            f"{'—' if queries is None else queries:>8} {len(body.encode()) / 1024:>6.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

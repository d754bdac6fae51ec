"""Seat booking under a burst: 100 players POST /inscription/ at once on a 5-seat open game.

It runs against a real multi-worker server on PostgreSQL, so what keeps the count right is the
row lock of `games.services.register_player` — not a single process, not SQLite's global write
lock. Run it from the project root, with PostgreSQL reachable:

    DATABASE_URL=postgres://questmaster:questmaster@127.0.0.1:5432/questmaster \\
        .venv/bin/python bench/registration_burst.py [--players 100] [--seats 5] \\
        [--workers 4] [--concurrency 100] [--keep]

By default it creates a throw-away database beside DATABASE_URL's (`<name>_bench`, the role needs
CREATEDB), migrates it, starts gunicorn with 4 workers on a free 127.0.0.1 port, creates the game,
the player members and their signed-in sessions (server side, with the session engine; the
session and CSRF cookies are set on each request), fires the POSTs from a bounded thread pool
released all at once, prints the status codes, latencies and final counts, then stops gunicorn and
drops the database (`--keep` keeps it).

With `--url http://127.0.0.1:8000`, it uses a server already running on DATABASE_URL's database
instead (same SECRET_KEY in both, or the sessions are refused): the bench rows are created there
and deleted at the end.

Exit status 0 only if exactly `seats` players are registered, all the others are on the waiting
list, and every answer is the post/redirect/get 302 (in particular: no 5xx).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REQUEST_TIMEOUT = 30.0  # seconds per request
BURST_TIMEOUT = 180.0  # seconds for the whole burst
SERVER_START_TIMEOUT = 30.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100)
    parser.add_argument("--seats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--concurrency", type=int, default=100, help="client threads (bounded by --players)"
    )
    parser.add_argument("--url", help="a running server on DATABASE_URL's database")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    return parser.parse_args()


def bench_database_url(url: str) -> tuple[str, str, str]:
    """(bench database URL, its name, the maintenance database URL)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench"
    bench = urlunsplit(parts._replace(path=f"/{name}"))
    admin = urlunsplit(parts._replace(path="/postgres"))
    return bench, name, admin


def psycopg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def recreate_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(psycopg_url(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(psycopg_url(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(workers: int, log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "questmaster.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_until_up(base_url: str, process: subprocess.Popen | None) -> None:
    import httpx

    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit("gunicorn exited before answering; see its log above.")
        try:
            # Any HTTP answer will do: the registration URL refuses GET with a 405.
            httpx.get(f"{base_url}/annonces/x/inscription/", timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"No answer from {base_url} after {SERVER_START_TIMEOUT:.0f} s.")


def create_data(players: int, seats: int, tag: str):
    """The game, its GM and the players, each with a signed-in session; returns
    (game, [(session key, CSRF token)])."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import User
    from catalog.models import System
    from games.models import Game, GameSession, GameStatus

    base = 800_000_000_000_000_000 + int(time.time()) % 1_000_000 * 1_000
    gm = User.objects.create_user(
        str(base), display_name=f"MJ {tag}", username=f"mj{tag}", is_player=True, is_gm=True
    )
    system, _created = System.objects.get_or_create(name="Système de banc d'essai")
    start = timezone.now() + datetime.timedelta(days=7)
    game = Game.objects.create(
        name=f"Banc d'essai {tag}",
        slug=f"banc-d-essai-{tag}",
        gm=gm,
        system=system,
        description="Partie créée par bench/registration_burst.py.",
        date=start,
        party_size=seats,
        status=GameStatus.OPEN,
        published_at=timezone.now(),
    )
    GameSession.objects.create(game=game, start=start, end=start + game.session_duration)
    unusable = make_password(None)
    members = User.objects.bulk_create(
        User(
            discord_id=str(base + 1 + n),
            display_name=f"Joueur·euse {tag}-{n}",
            username=f"p{tag}{n}",
            is_player=True,
            password=unusable,
        )
        for n in range(players)
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    cookies = []
    for member in User.objects.filter(pk__in=[m.pk for m in members]).order_by("pk"):
        session = store()
        session[SESSION_KEY] = str(member.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = member.get_session_auth_hash()
        session.create()
        cookies.append((session.session_key, get_random_string(32)))
    return game, gm, cookies


def burst(base_url: str, slug: str, cookies, concurrency: int):
    """All the POSTs, released at once from a bounded pool; (status, seconds) per request."""
    import httpx
    from django.conf import settings

    url = f"{base_url}/annonces/{slug}/inscription/"
    start = threading.Event()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    with httpx.Client(timeout=REQUEST_TIMEOUT, limits=limits) as client:

        def post(session_key: str, csrf: str):
            start.wait(timeout=BURST_TIMEOUT)
            began = time.perf_counter()
            try:
                response = client.post(
                    url,
                    data={"confirm": "on"},
                    headers={
                        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}; "
                        f"{settings.CSRF_COOKIE_NAME}={csrf}",
                        "X-CSRFToken": csrf,
                    },
                )
                status = response.status_code
                if status == 302 and response.headers["location"].startswith("/login/"):
                    status = "302 sign-in"  # the session was refused: not a booking at all
            except httpx.HTTPError as error:
                status = type(error).__name__
            return status, time.perf_counter() - began

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures = [pool.submit(post, *pair) for pair in cookies]
            time.sleep(0.2)  # let the first threads reach the start line
            began = time.perf_counter()
            start.set()
            results = [f.result() for f in as_completed(futures, timeout=BURST_TIMEOUT)]
            elapsed = time.perf_counter() - began
    return results, elapsed


def report(results, elapsed: float, game, players: int, seats: int) -> bool:
    from games.models import GameEvent, GameEventAction, RegistrationState

    statuses = collections.Counter(status for status, _seconds in results)
    latencies = sorted(seconds * 1000 for _status, seconds in results)
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]
    game.refresh_from_db()
    states = collections.Counter(game.registrations.values_list("state", flat=True))
    registered = states[RegistrationState.REGISTERED]
    waitlisted = states[RegistrationState.WAITLISTED]
    events = GameEvent.objects.filter(game=game, action=GameEventAction.REGISTER).count()
    server_errors = sum(n for s, n in statuses.items() if not isinstance(s, int) or s >= 500)

    print(f"requests       {len(results)} in {elapsed:.2f} s ({len(results) / elapsed:.0f}/s)")
    print(f"status codes   {dict(sorted(statuses.items(), key=str))}")
    print(
        f"latency (ms)   median {statistics.median(latencies):.0f} · p95 {p95:.0f} · "
        f"max {latencies[-1]:.0f}"
    )
    print(f"registered     {registered} (expected {seats})")
    print(f"waitlisted     {waitlisted} (expected {players - seats})")
    print(f"register audit {events} line(s)")
    print(f"game           {game.status} ({game.closed_reason or '-'})")
    ok = (
        registered == seats
        and waitlisted == players - seats
        and events == seats
        and statuses == collections.Counter({302: players})
        and server_errors == 0
    )
    print("OK" if ok else "FAILED")
    return ok


def delete_data(game, gm, session_keys) -> None:
    from importlib import import_module

    from django.conf import settings

    from accounts.models import User

    player_ids = list(game.registrations.values_list("player_id", flat=True))
    game.delete()
    User.objects.filter(pk__in=player_ids).delete()
    gm.delete()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store().delete(key)


def main() -> int:
    args = parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (see the docstring).")
    args.concurrency = max(1, min(args.concurrency, args.players))

    # One key for this process and the server: session hashes are signed with it.
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "questmaster.settings",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DISCORD_BOT_TOKEN": "",  # offline: Discord effects are recorded, never sent
        }
    )
    admin_url = name = None
    if not args.url:
        bench_url, name, admin_url = bench_database_url(database_url)
        recreate_database(admin_url, name)
        os.environ["DATABASE_URL"] = bench_url

    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    with tempfile.NamedTemporaryFile("w+", prefix="gunicorn-bench-", suffix=".log") as log:
        return run(args, log, name, admin_url)


def run(args: argparse.Namespace, log, name: str | None, admin_url: str | None) -> int:
    from django.core.management import call_command
    from django.db import connections

    process = None
    game = gm = None
    cookies = []
    try:
        if not args.url:
            print(f"database       {name} (migrating…)")
            call_command("migrate", verbosity=0)
            process, base_url = start_gunicorn(args.workers, log)
            print(f"server         gunicorn, {args.workers} workers, {base_url}")
        else:
            base_url = args.url.rstrip("/")
            print(f"server         {base_url}")
        tag = secrets.token_hex(3)
        game, gm, cookies = create_data(args.players, args.seats, tag)
        connections.close_all()  # no connection held while the server works
        wait_until_up(base_url, process)
        print(
            f"burst          {args.players} players → /annonces/{game.slug}/inscription/ "
            f"({args.seats} seats, {args.concurrency} client threads)"
        )
        results, elapsed = burst(base_url, game.slug, cookies, args.concurrency)
        ok = report(results, elapsed, game, args.players, args.seats)
        if not ok:
            log.seek(0)
            print("--- gunicorn log (last lines) ---")
            print("".join(log.readlines()[-40:]))
        return 0 if ok else 1
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if args.url and game is not None:
            delete_data(game, gm, [key for key, _csrf in cookies])
        connections.close_all()
        if admin_url and not args.keep:
            drop_database(admin_url, name)


if __name__ == "__main__":
    sys.exit(main())

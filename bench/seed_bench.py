"""Fill the database of DATABASE_URL with a club's worth of data for the list benchmarks.

    DATABASE_URL=... .venv/bin/python bench/seed_bench.py [--games 2000] [--registrations 10000]

2,000 games (every status, type, rating, some special-event games, 1–4 sessions each), 100 GMs,
3,000 players and 10,000 registrations (registered, waiting list, candidates), written with
bulk_create in one transaction. It refuses a database that already has games unless --force
(then it adds a second batch beside them). Run `manage.py migrate` on that database first.
"""

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questmaster.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")

WORDS = [
    "ombres",
    "brumes",
    "masques",
    "dragon",
    "citadelle",
    "nuit",
    "cendres",
    "abysses",
    "couronne",
    "forêt",
    "loups",
    "tempête",
    "chroniques",
    "secrets",
    "ruines",
    "étoiles",
    "marais",
    "serment",
    "lames",
    "horizon",
    "mystères",
    "trône",
    "sang",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=2_000)
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--gms", type=int, default=100)
    parser.add_argument("--players", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=1, help="random seed (same data each run)")
    parser.add_argument("--force", action="store_true", help="add games to a non-empty database")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from catalog.models import GameType, SpecialEvent, System, Vtt
    from games.models import (
        ClosedReason,
        Game,
        GameSession,
        GameStatus,
        Length,
        Registration,
        RegistrationState,
        Restriction,
    )

    if Game.objects.exists() and not args.force:
        print(
            f"Refusing: {connection.settings_dict['NAME']} already has "
            f"{Game.objects.count()} games. Use an empty database, or --force to add more.",
            file=sys.stderr,
        )
        return 1

    rng = random.Random(args.seed)
    run = int(time.time())  # 10 digits: keeps ids and slugs of several runs apart
    now = timezone.now()
    started = time.perf_counter()
    unusable = make_password(None)

    def users(prefix: str, label: str, count: int, **flags) -> list:
        return User.objects.bulk_create(
            User(
                discord_id=f"{prefix}{run}{n:06d}",
                display_name=f"{label} {n}",
                username=f"bench{prefix}{run}{n}",
                password=unusable,
                is_player=True,
                **flags,
            )
            for n in range(count)
        )

    with transaction.atomic():
        gms = users("8", "MJ", args.gms, is_gm=True)
        players = users("9", "Joueur·euse", args.players)
        systems = [System.objects.get_or_create(name=f"Système {n}")[0] for n in range(30)]
        vtts = [Vtt.objects.get_or_create(name=f"VTT {n}")[0] for n in range(8)]
        events = [
            SpecialEvent.objects.get_or_create(
                name=name, defaults={"emoji": emoji, "color": "#ff7518", "active": active}
            )[0]
            for name, emoji, active in [("Halloween", "🎃", True), ("Noël", "🎄", False)]
        ]

        statuses = rng.choices(
            [GameStatus.OPEN, GameStatus.CLOSED, GameStatus.ARCHIVED, GameStatus.DRAFT],
            weights=[35, 20, 40, 5],
            k=args.games,
        )
        games = []
        for n, status in enumerate(statuses):
            event = rng.choice(events) if rng.random() < 0.08 else None
            game_type = GameType.ONESHOT if event or rng.random() < 0.6 else GameType.CAMPAIGN
            games.append(
                Game(
                    slug=f"bench-{run}-{n}",
                    name=" ".join(rng.sample(WORDS, 3)).capitalize(),
                    type=game_type,
                    special_event=event,
                    gm=rng.choice(gms),
                    system=rng.choice(systems),
                    vtt=rng.choice([*vtts, None]),
                    description="Partie de démonstration pour les mesures.",
                    date=now + datetime.timedelta(days=rng.uniform(-365, 120)),
                    length=Length.ONE if game_type == GameType.ONESHOT else Length.TEN_PLUS,
                    party_size=rng.randint(2, 6),
                    party_selection=rng.random() < 0.1,
                    restriction=rng.choices(list(Restriction), weights=[70, 20, 10])[0],
                    status=status,
                    closed_reason=ClosedReason.FULL if status == GameStatus.CLOSED else "",
                    published_at=None if status == GameStatus.DRAFT else now,
                )
            )
        games = Game.objects.bulk_create(games, batch_size=500)

        sessions = []
        for game in games:
            if game.status == GameStatus.DRAFT:
                continue
            for week in range(rng.randint(1, 4)):
                start = game.date + datetime.timedelta(weeks=week)
                sessions.append(
                    GameSession(game=game, start=start, end=start + datetime.timedelta(hours=3.5))
                )
        GameSession.objects.bulk_create(sessions, batch_size=1_000)

        published = [game for game in games if game.status != GameStatus.DRAFT]
        seated: dict[int, int] = {}
        pairs: set[tuple[int, int]] = set()
        registrations = []
        while len(registrations) < args.registrations:
            game, player = rng.choice(published), rng.choice(players)
            if (game.pk, player.pk) in pairs:
                continue
            pairs.add((game.pk, player.pk))
            if game.party_selection and rng.random() < 0.5:
                state = RegistrationState.CANDIDATE
            elif seated.get(game.pk, 0) < game.party_size:
                state = RegistrationState.REGISTERED
                seated[game.pk] = seated.get(game.pk, 0) + 1
            else:
                state = RegistrationState.WAITLISTED
            registrations.append(Registration(game=game, player=player, state=state))
        Registration.objects.bulk_create(registrations, batch_size=1_000)

    elapsed = time.perf_counter() - started
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: {len(games)} games, "
        f"{len(sessions)} sessions, {len(gms) + len(players)} members, "
        f"{len(registrations)} registrations in {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

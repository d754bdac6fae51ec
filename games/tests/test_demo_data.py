import itertools
from collections import Counter
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.demo import DEMO_PERSONAS
from accounts.models import User
from catalog.models import Channel, GameType, SpecialEvent
from games.models import (
    ClosedReason,
    Game,
    GameEvent,
    GameEventAction,
    GameSession,
    GameStatus,
    Registration,
    RegistrationState,
)
from trophies.models import (
    TROPHY_CAMPAIGN,
    TROPHY_CAMPAIGN_GM,
    TROPHY_OS,
    TROPHY_OS_GM,
    UserTrophy,
)

DEMO_APPS = ("accounts", "catalog", "games", "trophies", "auth")


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """Load the demo once for the module, in a transaction rolled back at the end.

    Each test still runs in its own savepoint (pytest-django's `db`), like setUpTestData.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("demo_data", force=True, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_output, db):
    return demo_output


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app_label in DEMO_APPS
        for model in apps.get_app_config(app_label).get_models()
    } | {"group permissions": apps.get_model("auth", "Group").permissions.through.objects.count()}


def test_demo_data_creates_the_personas_with_fixed_ids(demo):
    camille = User.objects.get(discord_id="100000000000000001")
    gaspard = User.objects.get(discord_id="100000000000000002")
    alix = User.objects.get(discord_id="100000000000000003")

    assert (camille.display_name, camille.username) == ("Camille Joueuse", "camille")
    assert (camille.is_player, camille.is_gm, camille.is_staff, camille.is_superuser) == (
        True,
        False,
        False,
        False,
    )
    assert (gaspard.display_name, gaspard.username) == ("Gaspard MJ", "gaspard")
    assert (gaspard.is_player, gaspard.is_gm, gaspard.is_staff) == (True, True, False)
    assert (alix.display_name, alix.username) == ("Alix Admin", "alix")
    assert (alix.is_player, alix.is_gm, alix.is_staff, alix.is_superuser) == (
        True,
        True,
        True,
        True,
    )
    assert [p.discord_id for p in DEMO_PERSONAS.values()] == [
        "100000000000000001",
        "100000000000000002",
        "100000000000000003",
    ]
    assert not alix.has_usable_password()
    assert "Camille Joueuse (Discord id 100000000000000001)" in demo


def test_demo_data_creates_a_club_of_members(demo):
    assert User.objects.count() == 36
    assert not User.objects.filter(is_player=False).exists()
    assert User.objects.filter(is_gm=True).count() == 7
    assert 1 <= User.objects.exclude(not_player_as_of=None).count() <= 2


def test_demo_data_covers_every_status_type_and_closed_reason(demo):
    states = set(Game.objects.values_list("status", "closed_reason"))
    assert states == {
        (GameStatus.DRAFT, ""),
        (GameStatus.OPEN, ""),
        (GameStatus.CLOSED, ClosedReason.FULL),
        (GameStatus.CLOSED, ClosedReason.MANUAL),
        (GameStatus.CLOSED, ClosedReason.SILENT),
        (GameStatus.ARCHIVED, ""),
    }
    assert 20 <= Game.objects.count() <= 30
    assert set(Game.objects.values_list("type", flat=True)) == set(GameType.values)
    assert Game.objects.filter(party_selection=True).exists()
    assert Game.objects.filter(session_length__gte=10).exists()
    halloween = SpecialEvent.objects.get(name="Halloween")
    assert (halloween.active, halloween.emoji, halloween.color) == (True, "🎃", "#ff7518")
    assert not SpecialEvent.objects.get(name="Convention d'hiver").active
    event_games = Game.objects.exclude(special_event=None)
    assert event_games.exists()
    assert set(event_games.values_list("type", flat=True)) == {GameType.ONESHOT}


def test_demo_data_passes_model_validation(demo):
    for model in (Game, GameSession, Registration, GameEvent, UserTrophy, Channel, User):
        for obj in model.objects.all():
            obj.full_clean(exclude=["password"] if model is User else None)
    for game in Game.objects.all():
        assert set(game.classification) == {"action", "investigation", "interaction", "horror"}
        assert game.slug.startswith(game.slug_base())


def test_demo_data_publishes_every_game_but_drafts(demo):
    for game in Game.objects.all():
        if game.status == GameStatus.DRAFT:
            assert (game.discord_channel_id, game.discord_role_id, game.discord_message_id) == (
                "",
                "",
                "",
            )
            assert not game.sessions.exists()
            assert not game.registrations.exists()
            assert game.published_at is None
            assert list(game.events.values_list("action", flat=True)) in (
                ["create"],
                ["edit", "create"],
            )
        else:
            assert game.discord_channel_id and game.discord_role_id and game.discord_briefing_id
            assert game.created_at < game.published_at < timezone.now()
            announced = game.status in (GameStatus.OPEN, GameStatus.CLOSED) and (
                game.closed_reason != ClosedReason.SILENT
            )
            assert bool(game.discord_message_id) == announced
            assert game.sessions.exists()
            assert game.events.filter(action=GameEventAction.CREATE, actor=game.gm).exists()


def test_demo_data_never_overbooks_a_game(demo):
    games = Game.objects.annotate(
        seats=Count("registrations", filter=Q(registrations__state=RegistrationState.REGISTERED))
    )
    for game in games:
        assert game.seats <= game.party_size, game.name
        is_full = game.seats == game.party_size
        if game.status == GameStatus.CLOSED and game.closed_reason == ClosedReason.FULL:
            assert is_full, game.name
        if game.status in (GameStatus.OPEN, GameStatus.CLOSED) and not game.party_selection:
            assert is_full == (game.closed_reason == ClosedReason.FULL), game.name
        waiting = game.registrations.filter(state=RegistrationState.WAITLISTED)
        if waiting.exists():
            assert game.closed_reason == ClosedReason.FULL, game.name
        if game.registrations.filter(state=RegistrationState.CANDIDATE).exists():
            assert game.party_selection, game.name
    assert Registration.objects.filter(state=RegistrationState.WAITLISTED).count() >= 2
    assert Registration.objects.exclude(added_by=None).exists()


def test_demo_data_sessions_never_overlap_within_a_game(demo):
    for game in Game.objects.prefetch_related("sessions"):
        sessions = list(game.sessions.order_by("start"))
        for earlier, later in itertools.pairwise(sessions):
            assert earlier.end <= later.start, game.name
        for session in sessions:
            assert 0 < (session.end - session.start).total_seconds() <= 24 * 3600
        if sessions:
            assert sessions[0].start == game.date
    archived = GameSession.objects.filter(game__status=GameStatus.ARCHIVED)
    assert archived.exists()
    assert max(archived.values_list("end", flat=True)) < timezone.now()


def test_demo_data_tells_each_game_story_in_order(demo):
    full = Game.objects.filter(closed_reason=ClosedReason.FULL).first()
    actions = list(full.events.order_by("timestamp", "pk").values_list("action", "actor"))
    assert actions[0] == (GameEventAction.CREATE, full.gm_id)
    assert actions[1] == (GameEventAction.EDIT, full.gm_id)
    auto_close = full.events.get(actor=None, action=GameEventAction.EDIT)
    assert auto_close.description == (
        "Annonce fermée automatiquement après avoir atteint le nombre max de joueur·euses "
        f"({full.party_size})."
    )
    for registration in full.registrations.filter(state=RegistrationState.REGISTERED):
        assert full.events.filter(
            action=GameEventAction.REGISTER, subject=registration.player
        ).exists()
    assert GameEvent.objects.filter(
        description="L'annonce a été publiée et ouverte."
    ).count() == Game.objects.exclude(discord_message_id="").count() + (
        Game.objects.filter(status=GameStatus.ARCHIVED).count()
    )


def test_demo_data_awards_badges_for_archived_games(demo):
    expected: Counter[tuple[int, int]] = Counter()
    for game in Game.objects.filter(status=GameStatus.ARCHIVED):
        campaign = game.type == GameType.CAMPAIGN
        expected[(game.gm_id, TROPHY_CAMPAIGN_GM if campaign else TROPHY_OS_GM)] += 1
        for player_id in game.registrations.filter(state=RegistrationState.REGISTERED).values_list(
            "player_id", flat=True
        ):
            expected[(player_id, TROPHY_CAMPAIGN if campaign else TROPHY_OS)] += 1

    held = {
        (user_id, trophy_id): quantity
        for user_id, trophy_id, quantity in UserTrophy.objects.values_list(
            "user_id", "trophy_id", "quantity"
        )
    }

    assert held == dict(expected)
    assert {trophy for _user, trophy in held} == {1, 2, 3, 4}


def test_demo_data_categories_hold_the_running_games(demo):
    running = Game.objects.filter(status__in=[GameStatus.OPEN, GameStatus.CLOSED])
    assert not running.filter(discord_category=None).exists()
    assert not Game.objects.exclude(pk__in=running).exclude(discord_category=None).exists()
    for category in Channel.objects.all():
        assert category.size == category.games.count() > 0
        assert set(category.games.values_list("type", flat=True)) == {category.type}
        assert category.name.startswith("🎲 ")
    assert set(Channel.objects.values_list("type", flat=True)) == set(GameType.values)


def test_demo_data_twice_changes_nothing(demo):
    before = row_counts()

    out = StringIO()
    call_command("demo_data", force=True, stdout=out)

    assert row_counts() == before
    assert "Demo data already present: nothing to create." in out.getvalue()


def test_demo_data_refuses_to_run_without_debug(demo, settings):
    settings.DEBUG = False
    User.objects.filter(discord_id="100000000000000001").delete()
    before = row_counts()

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_data")

    assert row_counts() == before

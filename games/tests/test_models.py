"""Rules of games, sessions and registrations, checked twice: by model validation (what the
forms and the admin show) and by the database itself (what holds when validation is bypassed)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import GameType
from catalog.tests.factories import SpecialEventFactory, SystemFactory
from games.models import (
    ClosedReason,
    Game,
    GameEvent,
    GameSession,
    GameStatus,
    Registration,
    RegistrationState,
)
from games.tests.factories import (
    GameEventFactory,
    GameFactory,
    GameSessionFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

NBSP = "\xa0"
START = datetime.datetime(2031, 3, 14, 20, 0, tzinfo=datetime.UTC)
ALL_ZERO = {"action": 0, "investigation": 0, "interaction": 0, "horror": 0}

MSG_CLASSIFICATION_KEYS = (
    "La classification doit indiquer exactement : action, investigation, interaction, horreur."
)
MSG_CLASSIFICATION_LEVEL = (
    "Chaque niveau de classification vaut 0 (absent), 1 (mineur) ou 2 (majeur)."
)
MSG_UNKNOWN_AMBIENCE = (
    "Ambiance inconnue : choisissez parmi décontractée, sérieuse, comique et épique."
)
MSG_SESSION_ORDER = "La session doit se terminer après son début."
MSG_SESSION_24H = "Une session ne peut pas durer plus de 24 heures."


def invalid_choice(value: str) -> str:
    return f"La valeur «{NBSP}'{value}'{NBSP}» n’est pas un choix valide."


def assert_refused(instance, errors: dict) -> None:
    """Validation refuses the instance with exactly `errors`, and the database is untouched."""
    model = type(instance)
    before = list(model.objects.order_by("pk").values())
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
        instance.save()
    assert exc.value.message_dict == errors
    assert list(model.objects.order_by("pk").values()) == before


def assert_db_refuses_update(instance, **values) -> None:
    model = type(instance)
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=instance.pk).update(**values)


def update_in_db(instance, **values):
    model = type(instance)
    with transaction.atomic():
        assert model.objects.filter(pk=instance.pk).update(**values) == 1
    return model.objects.get(pk=instance.pk)


# --- Game: party size -------------------------------------------------------------------------


@pytest.mark.parametrize("party_size", [1, 99])
def test_game_party_size_boundary_is_valid(party_size):
    game = GameFactory()
    game.party_size = party_size

    game.full_clean()
    game.save()

    game.refresh_from_db()
    assert game.party_size == party_size


@pytest.mark.parametrize(
    ("party_size", "message"),
    [
        (0, "Assurez-vous que cette valeur est supérieure ou égale à 1."),
        (100, "Assurez-vous que cette valeur est inférieure ou égale à 99."),
    ],
)
def test_game_party_size_out_of_range_refused_by_validation(party_size, message):
    game = GameFactory()
    game.party_size = party_size

    assert_refused(game, {"party_size": [message]})


@pytest.mark.parametrize("party_size", [1, 99])
def test_game_party_size_boundary_accepted_by_database(party_size):
    game = update_in_db(GameFactory(), party_size=party_size)

    assert game.party_size == party_size


@pytest.mark.parametrize("party_size", [0, 100])
def test_game_party_size_out_of_range_refused_by_database(party_size):
    assert_db_refuses_update(GameFactory(), party_size=party_size)

    with pytest.raises(IntegrityError), transaction.atomic():
        GameFactory(party_size=party_size)


# --- Game: session length ---------------------------------------------------------------------


@pytest.mark.parametrize("hours", [Decimal("0.5"), Decimal("12.0"), Decimal("24.0")])
def test_game_session_length_boundary_is_valid(hours):
    game = GameFactory()
    game.session_length = hours

    game.full_clean()
    game.save()

    game.refresh_from_db()
    assert game.session_length == hours


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (Decimal("0"), "Assurez-vous que cette valeur est supérieure ou égale à 0.5."),
        (Decimal("0.4"), "Assurez-vous que cette valeur est supérieure ou égale à 0.5."),
        (Decimal("24.5"), "Assurez-vous que cette valeur est inférieure ou égale à 24."),
    ],
)
def test_game_session_length_out_of_range_refused_by_validation(hours, message):
    game = GameFactory()
    game.session_length = hours

    assert_refused(game, {"session_length": [message]})


@pytest.mark.parametrize("hours", [Decimal("0.5"), Decimal("12.0"), Decimal("24.0")])
def test_game_session_length_boundary_accepted_by_database(hours):
    # 12 h must fit: the original column overflowed at 10 h.
    game = update_in_db(GameFactory(), session_length=hours)

    assert game.session_length == hours


@pytest.mark.parametrize("hours", [Decimal("0"), Decimal("0.4"), Decimal("24.5")])
def test_game_session_length_out_of_range_refused_by_database(hours):
    assert_db_refuses_update(GameFactory(), session_length=hours)

    with pytest.raises(IntegrityError), transaction.atomic():
        GameFactory(session_length=hours)


# --- Game: classification ---------------------------------------------------------------------

VALID_CLASSIFICATIONS = [
    {},
    ALL_ZERO,
    {"action": 1, "investigation": 1, "interaction": 1, "horror": 1},
    {"action": 2, "investigation": 2, "interaction": 2, "horror": 2},
    {"action": 0, "investigation": 1, "interaction": 2, "horror": 1},
]


@pytest.mark.parametrize("classification", VALID_CLASSIFICATIONS)
def test_game_classification_is_valid(classification):
    game = GameFactory()
    game.classification = classification

    game.full_clean()
    game.save()

    game.refresh_from_db()
    assert game.classification == classification


@pytest.mark.parametrize(
    ("classification", "message"),
    [
        ({"action": 1, "investigation": 0, "interaction": 0}, MSG_CLASSIFICATION_KEYS),
        ({**ALL_ZERO, "romance": 1}, MSG_CLASSIFICATION_KEYS),
        ([0, 1, 2, 0], MSG_CLASSIFICATION_KEYS),
        ({**ALL_ZERO, "action": 3}, MSG_CLASSIFICATION_LEVEL),
        ({**ALL_ZERO, "horror": -1}, MSG_CLASSIFICATION_LEVEL),
        ({**ALL_ZERO, "action": "1"}, MSG_CLASSIFICATION_LEVEL),
        ({**ALL_ZERO, "investigation": True}, MSG_CLASSIFICATION_LEVEL),
    ],
)
def test_game_classification_invalid_refused_by_validation(classification, message):
    game = GameFactory()
    game.classification = classification

    assert_refused(game, {"classification": [message]})


@pytest.mark.parametrize("classification", VALID_CLASSIFICATIONS)
def test_game_classification_accepted_by_database(classification):
    game = update_in_db(GameFactory(), classification=classification)

    assert game.classification == classification


@pytest.mark.parametrize(
    "classification",
    [
        {"action": 1, "investigation": 0, "interaction": 0},
        {**ALL_ZERO, "action": 3},
        {**ALL_ZERO, "horror": -1},
        {**ALL_ZERO, "action": "1"},
        {**ALL_ZERO, "investigation": True},
        {**ALL_ZERO, "horror": None},
        [0, 1, 2, 0],
    ],
)
def test_game_classification_invalid_refused_by_database(classification):
    assert_db_refuses_update(GameFactory(), classification=classification)


def test_game_classification_extra_key_only_refused_by_validation():
    # Counting JSON keys is not portable between SQLite and PostgreSQL, so the check constraint
    # only demands the four axes with valid levels; an extra key is caught by validation alone.
    classification = {**ALL_ZERO, "romance": 1}

    game = update_in_db(GameFactory(), classification=classification)

    assert game.classification == classification


# --- Game: ambience ---------------------------------------------------------------------------


@pytest.mark.parametrize("ambience", [[], ["chill", "epic"], ["chill", "serious", "comic", "epic"]])
def test_game_ambience_is_valid(ambience):
    game = GameFactory()
    game.ambience = ambience

    game.full_clean()
    game.save()

    game.refresh_from_db()
    assert game.ambience == ambience


@pytest.mark.parametrize(
    ("ambience", "message"),
    [
        (["boring"], MSG_UNKNOWN_AMBIENCE),
        (["chill", "boring"], MSG_UNKNOWN_AMBIENCE),
        ("chill", MSG_UNKNOWN_AMBIENCE),
        ({"chill": True}, MSG_UNKNOWN_AMBIENCE),
        (["epic", "epic"], "Chaque ambiance ne peut être choisie qu’une fois."),
    ],
)
def test_game_ambience_invalid_refused_by_validation(ambience, message):
    game = GameFactory()
    game.ambience = ambience

    assert_refused(game, {"ambience": [message]})


# --- Game: choices ----------------------------------------------------------------------------

CHOICE_FIELDS = ["type", "status", "restriction", "xp", "characters", "frequency", "length"]


@pytest.mark.parametrize("field", CHOICE_FIELDS)
def test_game_unknown_choice_refused_by_validation(field):
    game = GameFactory()
    setattr(game, field, "bogus")

    assert_refused(game, {field: [invalid_choice("bogus")]})


@pytest.mark.parametrize("field", CHOICE_FIELDS)
def test_game_unknown_choice_refused_by_database(field):
    assert_db_refuses_update(GameFactory(), **{field: "bogus"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "campaign"),
        ("status", "archived"),
        ("restriction", "18+"),
        ("xp", "seasoned"),
        ("characters", "pregen"),
        ("frequency", ""),
        ("frequency", "bi-weekly"),
        ("length", "20+ sessions"),
    ],
)
def test_game_known_choice_accepted_at_both_levels(field, value):
    game = GameFactory()
    setattr(game, field, value)
    game.full_clean()

    game = update_in_db(game, **{field: value})

    assert getattr(game, field) == value


# --- Game: closed reason and special events ---------------------------------------------------


def test_game_closed_without_reason_refused_by_validation():
    game = GameFactory()
    game.status = GameStatus.CLOSED

    assert_refused(game, {"closed_reason": ["Indiquez pourquoi l'annonce est fermée."]})


@pytest.mark.parametrize("status", [GameStatus.DRAFT, GameStatus.OPEN, GameStatus.ARCHIVED])
def test_game_not_closed_with_reason_refused_by_validation(status):
    game = GameFactory(status=status)
    game.closed_reason = ClosedReason.FULL

    assert_refused(game, {"closed_reason": ["Seule une annonce fermée a un motif de fermeture."]})


@pytest.mark.parametrize("reason", ClosedReason.values)
def test_game_closed_with_reason_is_valid(reason):
    game = GameFactory(status=GameStatus.CLOSED, closed_reason=reason)

    game.full_clean()

    assert update_in_db(game, closed_reason=reason).closed_reason == reason


def test_game_closed_without_reason_refused_by_database():
    assert_db_refuses_update(GameFactory(), status=GameStatus.CLOSED)

    with pytest.raises(IntegrityError), transaction.atomic():
        GameFactory(status=GameStatus.CLOSED, closed_reason="")


def test_game_closed_with_unknown_reason_refused_by_database():
    assert_db_refuses_update(GameFactory(closed=True), closed_reason="bogus")


@pytest.mark.parametrize("status", [GameStatus.DRAFT, GameStatus.OPEN, GameStatus.ARCHIVED])
def test_game_not_closed_with_reason_refused_by_database(status):
    assert_db_refuses_update(GameFactory(status=status), closed_reason=ClosedReason.FULL)


def test_game_reopened_without_clearing_reason_refused_by_database():
    assert_db_refuses_update(GameFactory(closed=True), status=GameStatus.OPEN)


def test_game_special_event_campaign_refused_by_validation():
    game = GameFactory(special_event=SpecialEventFactory())
    game.type = GameType.CAMPAIGN

    assert_refused(game, {"type": ["Les parties d’un événement sont des one shots."]})


def test_game_special_event_campaign_refused_by_database():
    game = GameFactory(special_event=SpecialEventFactory())

    assert_db_refuses_update(game, type=GameType.CAMPAIGN)
    with pytest.raises(IntegrityError), transaction.atomic():
        GameFactory(special_event=SpecialEventFactory(), type=GameType.CAMPAIGN)


def test_game_special_event_oneshot_and_plain_campaign_are_valid():
    event_game = GameFactory(special_event=SpecialEventFactory(), type=GameType.ONESHOT)
    campaign = GameFactory(type=GameType.CAMPAIGN)

    event_game.full_clean()
    campaign.full_clean()


# --- Game: slug -------------------------------------------------------------------------------


def test_game_duplicate_slug_refused_by_validation():
    GameFactory(slug="la-nuit-des-masques")
    game = GameFactory()
    game.slug = "la-nuit-des-masques"

    assert_refused(game, {"slug": ["Un objet Annonce avec ce champ Adresse (slug) existe déjà."]})


def test_game_duplicate_slug_refused_by_database():
    GameFactory(slug="la-nuit-des-masques")

    with pytest.raises(IntegrityError), transaction.atomic():
        GameFactory(slug="la-nuit-des-masques")


@pytest.fixture
def testgm(db):
    return UserFactory(display_name="Test GM", username="testgm", is_gm=True)


def new_game(gm, name: str) -> Game:
    return Game(
        name=name,
        gm=gm,
        system=SystemFactory(),
        description="Une enquête.",
        date=START,
    )


def test_game_save_with_unique_slug_uses_name_and_gm_username(testgm):
    game = new_game(testgm, "My Game")

    game.save_with_unique_slug()

    assert Game.objects.get(pk=game.pk).slug == "my-game-par-testgm"


def test_game_save_with_unique_slug_numbers_homonyms(testgm):
    slugs = []
    for _ in range(3):
        game = new_game(testgm, "My Game")
        game.save_with_unique_slug()
        slugs.append(game.slug)

    assert slugs == ["my-game-par-testgm", "my-game-par-testgm-2", "my-game-par-testgm-3"]
    assert sorted(Game.objects.values_list("slug", flat=True)) == sorted(slugs)


def test_game_save_with_unique_slug_keeps_own_slug_on_resave(testgm):
    game = new_game(testgm, "My Game")
    game.save_with_unique_slug()

    game.save_with_unique_slug()

    assert game.slug == "my-game-par-testgm"
    assert Game.objects.count() == 1


def test_game_save_with_unique_slug_transliterates_to_ascii(testgm):
    game = new_game(testgm, "Les Épées de Noël 🎄 à Château-Thierry")

    game.save_with_unique_slug()

    assert game.slug == "les-epees-de-noel-a-chateau-thierry-par-testgm"


def test_game_slug_base_of_very_long_name_is_at_most_90_characters(testgm):
    game = new_game(testgm, "La très longue nuit " * 15)

    base = game.slug_base()

    assert len(game.name) == 300
    assert len(base) <= 90
    assert base.startswith("la-tres-longue-nuit-la-tres-longue-nuit")
    assert not base.endswith("-")


def test_game_save_with_unique_slug_suffix_fits_after_long_base(testgm):
    # 255 characters is the longest name the column accepts.
    name = ("La très longue nuit " * 13)[:255]
    first, second = new_game(testgm, name), new_game(testgm, name)

    first.save_with_unique_slug()
    second.save_with_unique_slug()

    assert len(first.slug) <= 90
    assert second.slug == f"{first.slug}-2"
    first.full_clean()
    second.full_clean()


def test_game_save_with_unique_slug_falls_back_to_display_name(db):
    gm = UserFactory(display_name="Gaston MJ", username="")
    game = new_game(gm, "My Game")

    game.save_with_unique_slug()

    assert game.slug == "my-game-par-gaston-mj"


# --- GameSession ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (datetime.timedelta(0), MSG_SESSION_ORDER),
        (datetime.timedelta(hours=-1), MSG_SESSION_ORDER),
        (datetime.timedelta(hours=24, minutes=1), MSG_SESSION_24H),
    ],
)
def test_session_bad_duration_refused_by_validation(duration, message):
    session = GameSession(game=GameFactory(date=START), start=START, end=START + duration)

    assert_refused(session, {"end": [message]})


@pytest.mark.parametrize("duration", [datetime.timedelta(minutes=1), datetime.timedelta(hours=24)])
def test_session_duration_boundary_is_valid(duration):
    session = GameSession(game=GameFactory(date=START), start=START, end=START + duration)

    session.full_clean()
    session.save()

    assert GameSession.objects.get().duration == duration


@pytest.mark.parametrize(
    "duration",
    [
        datetime.timedelta(0),
        datetime.timedelta(hours=-1),
        datetime.timedelta(hours=24, minutes=1),
        datetime.timedelta(hours=24, microseconds=1),
    ],
)
def test_session_bad_duration_refused_by_database(duration):
    game = GameFactory(date=START)

    with pytest.raises(IntegrityError), transaction.atomic():
        GameSession.objects.create(game=game, start=START, end=START + duration)

    session = GameSessionFactory(game=game, start=START, end=START + datetime.timedelta(hours=3))
    assert_db_refuses_update(session, end=START + duration)


def test_session_24_hours_accepted_by_database():
    session = GameSessionFactory(start=START, end=START + datetime.timedelta(hours=3))

    session = update_in_db(session, end=START + datetime.timedelta(hours=24))

    assert session.duration == datetime.timedelta(hours=24)


@pytest.mark.parametrize(
    ("start_hour", "hours"),
    [
        (22, 3),  # starts during the existing 20:00–23:00 session
        (19, 2),  # ends during it
        (21, 1),  # inside it
        (19, 5),  # around it
        (20, 3),  # same times
    ],
)
def test_session_overlap_within_game_refused_by_validation(start_hour, hours):
    game = GameFactory(date=START)
    GameSessionFactory(game=game, start=START, end=START + datetime.timedelta(hours=3))
    start = START.replace(hour=start_hour)
    session = GameSession(game=game, start=start, end=start + datetime.timedelta(hours=hours))

    assert_refused(
        session, {"__all__": ["Cette session chevauche une autre session de la partie."]}
    )


@pytest.mark.parametrize(("start_hour", "hours"), [(23, 3), (17, 3)])
def test_session_touching_another_is_valid(start_hour, hours):
    game = GameFactory(date=START)
    GameSessionFactory(game=game, start=START, end=START + datetime.timedelta(hours=3))
    start = START.replace(hour=start_hour)
    session = GameSession(game=game, start=start, end=start + datetime.timedelta(hours=hours))

    session.full_clean()
    session.save()

    assert game.sessions.count() == 2


def test_session_same_times_in_another_game_is_valid():
    GameSessionFactory(start=START, end=START + datetime.timedelta(hours=3))
    session = GameSession(
        game=GameFactory(date=START), start=START, end=START + datetime.timedelta(hours=3)
    )

    session.full_clean()


def test_session_edited_in_place_does_not_overlap_itself():
    session = GameSessionFactory(start=START, end=START + datetime.timedelta(hours=3))
    session.end = START + datetime.timedelta(hours=4)

    session.full_clean()


def test_game_delete_cascades_to_sessions_events_and_registrations():
    game = GameFactory()
    GameSessionFactory(game=game)
    GameEventFactory(game=game)
    RegistrationFactory(game=game)
    other = GameFactory()
    GameSessionFactory(game=other)
    GameEventFactory(game=other)
    RegistrationFactory(game=other)

    game.delete()

    assert list(GameSession.objects.values_list("game", flat=True)) == [other.pk]
    assert list(GameEvent.objects.values_list("game", flat=True)) == [other.pk]
    assert list(Registration.objects.values_list("game", flat=True)) == [other.pk]


# --- Registration -----------------------------------------------------------------------------


def test_registration_duplicate_player_refused_by_validation():
    registration = RegistrationFactory()
    duplicate = Registration(
        game=registration.game, player=registration.player, state=RegistrationState.WAITLISTED
    )

    assert_refused(duplicate, {"__all__": ["Cette personne est déjà inscrite à cette partie."]})


def test_registration_duplicate_player_refused_by_database():
    registration = RegistrationFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationFactory(game=registration.game, player=registration.player)


def test_registration_same_player_in_another_game_is_valid():
    registration = RegistrationFactory()
    other = Registration(game=GameFactory(), player=registration.player)

    other.full_clean()
    other.save()

    assert registration.player.registrations.count() == 2


def test_registration_unknown_state_refused_by_validation():
    registration = RegistrationFactory()
    registration.state = "bogus"

    assert_refused(registration, {"state": [invalid_choice("bogus")]})


def test_registration_unknown_state_refused_by_database():
    assert_db_refuses_update(RegistrationFactory(), state="bogus")


@pytest.mark.parametrize("state", RegistrationState.values)
def test_registration_known_state_accepted_by_database(state):
    assert update_in_db(RegistrationFactory(), state=state).state == state


# --- GameQuerySet -----------------------------------------------------------------------------


@pytest.fixture
def draft_and_open(gm):
    return GameFactory(name="Brouillon", gm=gm, draft=True), GameFactory(name="Ouverte", gm=gm)


def test_game_visible_to_anonymous_hides_drafts(draft_and_open):
    visible = Game.objects.visible_to(AnonymousUser())

    assert list(visible.values_list("name", flat=True)) == ["Ouverte"]


def test_game_visible_to_other_member_hides_drafts(draft_and_open, outsider):
    visible = Game.objects.visible_to(outsider)

    assert list(visible.values_list("name", flat=True)) == ["Ouverte"]


def test_game_visible_to_other_gm_hides_drafts(draft_and_open, other_gm):
    visible = Game.objects.visible_to(other_gm)

    assert list(visible.values_list("name", flat=True)) == ["Ouverte"]


def test_game_visible_to_own_gm_shows_drafts(draft_and_open, gm):
    visible = Game.objects.visible_to(gm).order_by("name")

    assert list(visible.values_list("name", flat=True)) == ["Brouillon", "Ouverte"]


def test_game_visible_to_superuser_shows_drafts(draft_and_open, staff):
    visible = Game.objects.visible_to(staff).order_by("name")

    assert list(visible.values_list("name", flat=True)) == ["Brouillon", "Ouverte"]


def test_game_in_listing_order_sorts_by_status_then_upcoming_then_past():
    now = timezone.now()

    def at(days: int) -> datetime.datetime:
        return now + datetime.timedelta(days=days)

    # Created shuffled so that neither pk nor the default ordering gives the expected order.
    GameFactory(name="closed past", closed=True, date=at(-3))
    GameFactory(name="open past old", date=at(-10))
    GameFactory(name="archived", archived=True, date=at(-30))
    GameFactory(name="open upcoming far", date=at(10))
    GameFactory(name="draft", draft=True, date=at(40))
    GameFactory(name="open past recent", date=at(-1))
    GameFactory(name="closed upcoming", closed=True, date=at(5))
    GameFactory(name="open upcoming near", date=at(1))

    names = list(Game.objects.in_listing_order().values_list("name", flat=True))

    assert names == [
        "draft",
        "open upcoming near",
        "open upcoming far",
        "open past recent",
        "open past old",
        "closed upcoming",
        "closed past",
        "archived",
    ]


def test_game_with_player_count_counts_registered_only():
    game = GameFactory(name="pleine")
    RegistrationFactory.create_batch(2, game=game, state=RegistrationState.REGISTERED)
    RegistrationFactory(game=game, state=RegistrationState.WAITLISTED)
    RegistrationFactory(game=game, state=RegistrationState.CANDIDATE)
    GameFactory(name="vide")
    waiting_only = GameFactory(name="attente")
    RegistrationFactory(game=waiting_only, state=RegistrationState.WAITLISTED)

    counts = dict(Game.objects.with_player_count().values_list("name", "player_count"))

    assert counts == {"pleine": 2, "vide": 0, "attente": 0}


def test_registration_waitlisted_is_first_in_first_out():
    game = GameFactory()
    now = timezone.now()
    later = RegistrationFactory(
        game=game, state=RegistrationState.WAITLISTED, created_at=now + datetime.timedelta(hours=2)
    )
    first = RegistrationFactory(game=game, state=RegistrationState.WAITLISTED, created_at=now)
    middle = RegistrationFactory(
        game=game, state=RegistrationState.WAITLISTED, created_at=now + datetime.timedelta(hours=1)
    )
    RegistrationFactory(
        game=game, state=RegistrationState.REGISTERED, created_at=now - datetime.timedelta(days=1)
    )
    RegistrationFactory(game=game, state=RegistrationState.CANDIDATE, created_at=now)

    assert list(game.registrations.waitlisted()) == [first, middle, later]

import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.tests.factories import SystemFactory
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


class GameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Game

    name = factory.Sequence(lambda n: f"La Partie {n}")
    slug = factory.Sequence(lambda n: f"la-partie-{n}")
    gm = factory.SubFactory(UserFactory, is_gm=True)
    system = factory.SubFactory(SystemFactory)
    description = "Une enquête dans les brumes de Kingsport."
    date = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    status = GameStatus.OPEN

    class Params:
        draft = factory.Trait(status=GameStatus.DRAFT)
        closed = factory.Trait(status=GameStatus.CLOSED, closed_reason=ClosedReason.MANUAL)
        archived = factory.Trait(status=GameStatus.ARCHIVED)


class GameSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GameSession

    game = factory.SubFactory(GameFactory)
    start = factory.LazyAttribute(lambda o: o.game.date)
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(hours=3))


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    game = factory.SubFactory(GameFactory)
    player = factory.SubFactory(UserFactory)
    state = RegistrationState.REGISTERED


class GameEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GameEvent

    game = factory.SubFactory(GameFactory)
    action = GameEventAction.EDIT
    description = "Le contenu de l'annonce a été édité."

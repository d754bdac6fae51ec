import factory

from accounts.tests.factories import UserFactory
from trophies.models import Trophy, UserTrophy


class TrophyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trophy

    name = factory.Sequence(lambda n: f"Badge {n}")


class UserTrophyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserTrophy

    user = factory.SubFactory(UserFactory)
    trophy = factory.SubFactory(TrophyFactory)
    quantity = 1

import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("discord_id",)

    discord_id = factory.Sequence(lambda n: str(100_000_000_000_000_000 + n))
    display_name = factory.Sequence(lambda n: f"Membre {n}")
    username = factory.Sequence(lambda n: f"membre{n}")
    is_player = True
    password = factory.django.Password(None)

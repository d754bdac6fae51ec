import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("discord_id",)

    # Far from the demo personas' ids (100000000000000001–3).
    discord_id = factory.Sequence(lambda n: str(400_000_000_000_000_000 + n))
    display_name = factory.Sequence(lambda n: f"Membre {n}")
    username = factory.Sequence(lambda n: f"membre{n}")
    is_player = True
    password = factory.django.Password(None)

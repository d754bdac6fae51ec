import factory

from catalog.models import Channel, GameType, PostChannel, SpecialEvent, System, Vtt


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = System
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Système {n}")


class VttFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vtt
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"VTT {n}")


class SpecialEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialEvent

    name = factory.Sequence(lambda n: f"Événement {n}")
    emoji = "🎃"
    color = "#ff7518"
    active = True


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    discord_id = factory.Sequence(lambda n: str(200_000_000_000_000_000 + n))
    name = factory.Sequence(lambda n: f"🎲 ONE SHOTS {n} 📖")
    type = GameType.ONESHOT
    size = 0


class PostChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostChannel

    label = factory.Sequence(lambda n: f"Salon {n}")
    discord_id = factory.Sequence(lambda n: str(300_000_000_000_000_000 + n))

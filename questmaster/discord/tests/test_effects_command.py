"""`manage.py discord_effects` and the effects recorded offline."""

import io

import pytest
from django.core.management import call_command

from questmaster.discord.models import DiscordEffect, EffectKind, EffectStatus

pytestmark = pytest.mark.django_db


def effects_command(*args: str) -> str:
    out = io.StringIO()
    call_command("discord_effects", *args, stdout=out)
    return out.getvalue()


def test_offline_effects_are_counted_not_listed_nor_queued_again(settings):
    settings.DISCORD_BOT_TOKEN = ""
    for _ in range(2):
        DiscordEffect.objects.create(kind=EffectKind.SEND_MESSAGE, status=EffectStatus.OFFLINE)

    output = effects_command("--retry-failed")

    assert output.splitlines() == [
        "0 failed effect(s) queued again.",
        "2 Discord effect(s) recorded offline, never sent "
        "(send them from the admin if they are still wanted).",
        "No pending or failed Discord effects.",
    ]
    assert set(DiscordEffect.objects.values_list("status", flat=True)) == {EffectStatus.OFFLINE}

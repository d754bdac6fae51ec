from django.db import migrations


def mark_offline_effects(apps, schema_editor):
    """On a site still offline, the effects waiting in the queue were recorded offline: mark
    them so, so that configuring a token later does not send weeks-old work."""
    from questmaster.discord import is_offline

    if is_offline():
        DiscordEffect = apps.get_model("bot", "DiscordEffect")
        DiscordEffect.objects.filter(status="pending").update(status="offline")


def unmark_offline_effects(apps, schema_editor):
    DiscordEffect = apps.get_model("bot", "DiscordEffect")
    DiscordEffect.objects.filter(status="offline").update(status="pending")


class Migration(migrations.Migration):
    dependencies = [
        ("bot", "0002_offline_status"),
    ]

    operations = [
        migrations.RunPython(mark_offline_effects, unmark_offline_effects),
    ]

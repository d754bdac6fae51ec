"""The Discord outbox in the admin: list, retry and cancel effects."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.tests.factories import UserFactory
from games.tests.factories import GameFactory
from questmaster.discord.client import DiscordClient
from questmaster.discord.models import DiscordEffect, EffectKind, EffectStatus
from questmaster.discord.outbox import run_pending

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:bot_discordeffect_changelist"
OFFLINE_BANNER = "Offline mode: these actions are recorded but not sent."


def _effect(**fields) -> DiscordEffect:
    fields.setdefault("game", GameFactory())
    fields.setdefault("kind", EffectKind.REFRESH_ANNOUNCEMENT)
    return DiscordEffect.objects.create(**fields)


def _flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _act(client, action: str, effects) -> object:
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [e.pk for e in effects]}
    )


def _statuses(*effects) -> list[str]:
    return [DiscordEffect.objects.get(pk=e.pk).status for e in effects]


@pytest.fixture
def outbox_manager(client):
    """A staff member who may follow and steer the outbox, nothing else (roles fresh: no
    re-check against Discord when the fake one is online)."""
    user = UserFactory(is_staff=True, roles_synced_at=timezone.now())
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_discordeffect", "change_discordeffect"])
    )
    client.force_login(user)
    return client


def _add_effects(count: int) -> None:
    for _ in range(count):
        _effect(created_by=UserFactory(), status=EffectStatus.FAILED, last_error="[500] Oups")
        _effect(game=None, kind=EffectKind.CLEANUP_GAME)


def test_changelist_query_count_does_not_grow(client, staff):
    client.force_login(staff)
    _add_effects(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse(CHANGELIST)).status_code == 200

    _add_effects(5)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(CHANGELIST)).status_code == 200

    assert len(many.captured_queries) == len(one.captured_queries)


def test_changelist_shows_game_link_status_and_short_error(client, staff):
    client.force_login(staff)
    game = GameFactory(name="Les Ombres d'Esteren")
    _effect(game=game, status=EffectStatus.FAILED, last_error="[403] Missing Access " + "x" * 200)

    content = client.get(reverse(CHANGELIST)).content.decode()

    assert f'<a href="{reverse("admin:games_game_change", args=[game.pk])}">' in content
    assert "Les Ombres d&#x27;Esteren" in content
    assert '<span style="display: inline-block; padding: 0 .5em; border-radius: .5em; ' in content
    assert 'background: #dc3545">Échec</span>' in content
    assert "[403] Missing Access" in content
    assert "x" * 100 not in content


def test_changelist_filters_and_searches(client, staff):
    client.force_login(staff)
    failed = _effect(status=EffectStatus.FAILED, last_error="Unknown Channel")
    _effect(status=EffectStatus.DONE)
    named = _effect(game=GameFactory(name="Kingsport"), status=EffectStatus.DONE)

    by_status = client.get(reverse(CHANGELIST), {"status__exact": "failed"})
    by_error = client.get(reverse(CHANGELIST), {"q": "unknown channel"})
    by_game = client.get(reverse(CHANGELIST), {"q": "kingsport"})

    assert list(by_status.context["cl"].result_list) == [failed]
    assert list(by_error.context["cl"].result_list) == [failed]
    assert list(by_game.context["cl"].result_list) == [named]


def test_effects_are_read_only(client, staff):
    client.force_login(staff)
    effect = _effect(status=EffectStatus.FAILED)

    add = client.get(reverse("admin:bot_discordeffect_add"))
    view = client.get(reverse("admin:bot_discordeffect_change", args=[effect.pk]))
    change = client.post(
        reverse("admin:bot_discordeffect_change", args=[effect.pk]), {"status": "done"}
    )
    delete = client.post(
        reverse("admin:bot_discordeffect_delete", args=[effect.pk]), {"post": "yes"}
    )

    assert add.status_code == 403
    assert view.status_code == 200
    assert change.status_code == 403
    assert delete.status_code == 403
    assert _statuses(effect) == [EffectStatus.FAILED]


def test_retry_puts_failed_effects_back_in_the_queue(outbox_manager):
    failed = _effect(status=EffectStatus.FAILED, attempts=8, last_error="[500] Oups")
    done = _effect(status=EffectStatus.DONE, attempts=1)

    response = _act(outbox_manager, "retry_effects", [failed, done])

    assert response.status_code == 302
    assert _statuses(failed, done) == [EffectStatus.PENDING, EffectStatus.DONE]
    assert DiscordEffect.objects.get(pk=failed.pk).attempts == 0
    assert _flashes(response) == [
        gettext("%(count)d failed effect(s) will be tried again.") % {"count": 1}
    ]


def test_retry_without_failed_effect_says_so(outbox_manager):
    pending = _effect()

    response = _act(outbox_manager, "retry_effects", [pending])

    assert _statuses(pending) == [EffectStatus.PENDING]
    assert _flashes(response) == [gettext("No failed effect in the selection.")]


def test_cancel_stops_pending_and_failed_effects_only(outbox_manager):
    pending = _effect()
    failed = _effect(status=EffectStatus.FAILED)
    running = _effect(status=EffectStatus.RUNNING)
    done = _effect(status=EffectStatus.DONE)

    response = _act(outbox_manager, "cancel_effects", [pending, failed, running, done])

    assert _statuses(pending, failed, running, done) == [
        EffectStatus.CANCELLED,
        EffectStatus.CANCELLED,
        EffectStatus.RUNNING,
        EffectStatus.DONE,
    ]
    assert _flashes(response) == [gettext("%(count)d effect(s) cancelled.") % {"count": 2}]


def test_cancel_unblocks_the_later_effects_of_the_game(outbox_manager, fake_discord):
    game = GameFactory()  # not announced: refreshing its announcement has nothing to do
    # Waiting for a retry in an hour: it holds back its game's later effects meanwhile.
    stuck = _effect(
        game=game,
        last_error="[503] Service Unavailable",
        run_after=timezone.now() + datetime.timedelta(hours=1),
    )
    later = _effect(game=game)
    with DiscordClient.for_bot() as bot:
        assert run_pending(client=bot).done == []  # held back by the pending one

    _act(outbox_manager, "cancel_effects", [stuck])
    with DiscordClient.for_bot() as bot:
        summary = run_pending(client=bot)

    assert summary.done == [later.pk]
    assert _statuses(stuck, later) == [EffectStatus.CANCELLED, EffectStatus.DONE]


def test_actions_need_the_change_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_discordeffect"))
    client.force_login(viewer)
    failed = _effect(status=EffectStatus.FAILED)

    listing = client.get(reverse(CHANGELIST))
    response = _act(client, "retry_effects", [failed])

    assert "retry_effects" not in listing.content.decode()
    assert response.status_code == 200  # "no action selected": the action is not offered
    assert _statuses(failed) == [EffectStatus.FAILED]


def test_offline_mode_banner(client, staff, settings):
    client.force_login(staff)
    settings.DISCORD_OFFLINE = True

    offline = client.get(reverse(CHANGELIST)).content.decode()
    settings.DISCORD_OFFLINE = False
    settings.DISCORD_BOT_TOKEN = "a-bot-token"
    # A fresh role check: no re-check against Discord on the next admin page.
    User.objects.filter(pk=staff.pk).update(roles_synced_at=timezone.now())
    online = client.get(reverse(CHANGELIST)).content.decode()

    assert gettext(OFFLINE_BANNER) in offline
    assert gettext(OFFLINE_BANNER) not in online


def test_offline_mode_banner_follows_the_bot_token(client, staff, settings):
    client.force_login(staff)
    settings.DISCORD_OFFLINE = False
    settings.DISCORD_BOT_TOKEN = ""  # no token: offline, whatever DISCORD_OFFLINE says

    content = client.get(reverse(CHANGELIST)).content.decode()

    assert gettext(OFFLINE_BANNER) in content


def test_effects_recorded_offline_have_their_own_status_and_filter(client, staff):
    client.force_login(staff)
    offline = _effect(status=EffectStatus.OFFLINE)
    _effect(status=EffectStatus.PENDING)

    response = client.get(reverse(CHANGELIST), {"status__exact": "offline"})

    assert list(response.context["cl"].result_list) == [offline]
    content = response.content.decode()
    assert "?status__exact=offline" in content  # offered in the status filter
    assert 'background: #8a6d3b">Non envoyée (hors ligne)</span>' in content


def test_retry_leaves_effects_recorded_offline_alone(outbox_manager):
    offline = _effect(status=EffectStatus.OFFLINE)

    response = _act(outbox_manager, "retry_effects", [offline])

    assert _statuses(offline) == [EffectStatus.OFFLINE]
    assert _flashes(response) == ["Aucune action en échec dans la sélection."]


def test_staff_send_effects_recorded_offline_explicitly(outbox_manager, settings):
    settings.DISCORD_BOT_TOKEN = "a-token-at-last"
    settings.DISCORD_OFFLINE = False
    offline = _effect(status=EffectStatus.OFFLINE)
    failed = _effect(status=EffectStatus.FAILED)

    response = _act(outbox_manager, "send_offline_effects", [offline, failed])

    assert _statuses(offline, failed) == [EffectStatus.PENDING, EffectStatus.FAILED]
    assert _flashes(response) == [
        "1 action(s) enregistrée(s) hors ligne mise(s) en file d'attente pour envoi."
    ]


def test_sending_effects_recorded_offline_is_refused_while_offline(outbox_manager, settings):
    settings.DISCORD_BOT_TOKEN = ""
    offline = _effect(status=EffectStatus.OFFLINE)

    response = _act(outbox_manager, "send_offline_effects", [offline])

    assert _statuses(offline) == [EffectStatus.OFFLINE]
    assert _flashes(response) == [
        "Discord est hors ligne (aucun jeton de bot) : rien ne peut être envoyé."
    ]


# --- failed effects on the admin index ----------------------------------------------------------

INDEX = "admin:index"
FAILED_LINK = '<a href="/admin/bot/discordeffect/?status__exact=failed">'


def test_admin_index_shows_the_failed_effects(client, staff):
    client.force_login(staff)
    _effect(status=EffectStatus.FAILED)
    _effect(status=EffectStatus.FAILED)
    _effect(status=EffectStatus.PENDING)

    content = client.get(reverse(INDEX)).content.decode()

    assert f"{FAILED_LINK}2 action(s) Discord en échec</a>" in content


def test_admin_index_says_nothing_without_failed_effects(client, staff):
    client.force_login(staff)
    _effect(status=EffectStatus.DONE)

    content = client.get(reverse(INDEX)).content.decode()

    assert "en échec" not in content


def test_admin_index_hides_failed_effects_from_who_cannot_view_them(client):
    other_staff = UserFactory(is_staff=True)
    other_staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(other_staff)
    _effect(status=EffectStatus.FAILED)

    response = client.get(reverse(INDEX))

    assert response.status_code == 200
    assert "en échec" not in response.content.decode()


def test_admin_index_counts_failed_effects_in_one_query(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_discordeffect"))
    client.force_login(viewer)
    for _ in range(3):
        _effect(status=EffectStatus.FAILED)

    with CaptureQueriesContext(connection) as queries:
        content = client.get(reverse(INDEX)).content.decode()

    assert f"{FAILED_LINK}3 action(s) Discord en échec</a>" in content
    effect_queries = [q["sql"] for q in queries.captured_queries if "bot_discordeffect" in q["sql"]]
    assert len(effect_queries) == 1
    assert "COUNT(" in effect_queries[0]

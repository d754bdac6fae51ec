import pytest
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.models import Channel, ClubSettings, DiscordMessage, SpecialEvent, System, Vtt
from catalog.tests.factories import (
    ChannelFactory,
    PostChannelFactory,
    SpecialEventFactory,
    SystemFactory,
    VttFactory,
)
from games.tests.factories import GameFactory

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_systems(count: int) -> None:
    for system in SystemFactory.create_batch(count, icon="img/favicon.svg"):
        GameFactory.create_batch(2, system=system)


def _add_vtts(count: int) -> None:
    for vtt in VttFactory.create_batch(count, icon="https://example.org/vtt.png"):
        GameFactory.create_batch(2, vtt=vtt)


def _add_events(count: int) -> None:
    for event in SpecialEventFactory.create_batch(count):
        GameFactory(special_event=event)


def _add_channels(count: int) -> None:
    for _ in range(count):
        ChannelFactory(size=46)


def _add_post_channels(count: int) -> None:
    for channel in PostChannelFactory.create_batch(count):
        _message(channel)


def _add_messages(count: int) -> None:
    for _ in range(count):
        _message(PostChannelFactory(), sent_by=UserFactory())


def _message(channel, **fields) -> DiscordMessage:
    return DiscordMessage.objects.create(
        channel=channel,
        channel_discord_id=channel.discord_id,
        channel_label=channel.label,
        content=fields.pop("content", "Ce soir : soirée découverte !"),
        **fields,
    )


CHANGELISTS = [
    ("admin:catalog_system_changelist", _add_systems),
    ("admin:catalog_vtt_changelist", _add_vtts),
    ("admin:catalog_specialevent_changelist", _add_events),
    ("admin:catalog_channel_changelist", _add_channels),
    ("admin:catalog_postchannel_changelist", _add_post_channels),
    ("admin:catalog_discordmessage_changelist", _add_messages),
]


@pytest.mark.parametrize(("url_name", "add_rows"), CHANGELISTS)
def test_changelist_query_count_does_not_grow(client, staff, url_name, add_rows):
    client.force_login(staff)
    ClubSettings.load()
    url = reverse(url_name)
    add_rows(1)
    one = _queries(client, url)

    add_rows(5)

    assert _queries(client, url) == one


@pytest.mark.parametrize(
    ("model", "factory"),
    [
        ("system", SystemFactory),
        ("vtt", VttFactory),
        ("specialevent", SpecialEventFactory),
        ("channel", ChannelFactory),
        ("postchannel", PostChannelFactory),
    ],
)
def test_change_and_add_views_render(client, staff, model, factory):
    client.force_login(staff)
    obj = factory()

    change = client.get(reverse(f"admin:catalog_{model}_change", args=[obj.pk]))
    add = client.get(reverse(f"admin:catalog_{model}_add"))

    assert change.status_code == 200
    assert add.status_code == 200


def test_system_list_counts_games_and_links_to_them(client, staff):
    client.force_login(staff)
    system = SystemFactory(name="L'Appel de Cthulhu")
    GameFactory.create_batch(3, system=system)

    response = client.get(reverse("admin:catalog_system_changelist"))

    assert response.context["cl"].result_list[0].games_count == 3
    link = f"{reverse('admin:games_game_changelist')}?system__id__exact={system.pk}"
    assert link in response.content.decode()


def test_system_duplicate_name_refused(client, staff):
    client.force_login(staff)
    SystemFactory(name="Pathfinder")

    response = client.post(reverse("admin:catalog_system_add"), {"name": "Pathfinder", "icon": ""})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "Un objet Système avec ce champ Nom existe déjà."
    ]
    assert System.objects.filter(name="Pathfinder").count() == 1


def test_vtt_add_creates_vtt(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:catalog_vtt_add"), {"name": "Foundry", "icon": "img/foundry.svg"}
    )

    assert response.status_code == 302
    assert Vtt.objects.get().name == "Foundry"


def test_special_event_colour_refused(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:catalog_specialevent_add"),
        {"name": "Halloween", "emoji": "🎃", "color": "red", "active": "on"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["color"] == [
        "Saisissez une couleur au format #rrggbb, par exemple #198754."
    ]
    assert not SpecialEvent.objects.exists()


def test_special_event_list_shows_escaped_swatch_and_games_link(client, staff):
    client.force_login(staff)
    event = SpecialEventFactory(name="<b>Nuit</b> du jeu", color="#123abc")
    GameFactory.create_batch(2, special_event=event)

    content = client.get(reverse("admin:catalog_specialevent_changelist")).content.decode()

    assert "background: #123abc" in content
    assert "&lt;b&gt;Nuit&lt;/b&gt; du jeu" in content
    assert "<b>Nuit</b>" not in content
    link = f"{reverse('admin:games_game_changelist')}?special_event__id__exact={event.pk}"
    assert f'<a href="{link}">2</a>' in content


def test_special_event_active_editable_from_list(client, staff):
    client.force_login(staff)
    event = SpecialEventFactory(active=False)

    response = client.post(
        reverse("admin:catalog_specialevent_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": event.pk,
            "form-0-active": "on",
            "_save": "Enregistrer",
        },
    )

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.active is True


def test_channel_almost_full_follows_club_threshold(client, staff):
    client.force_login(staff)
    roomy = ChannelFactory(size=30)
    crowded = ChannelFactory(size=45)
    url = reverse("admin:catalog_channel_changelist")

    flags = {c.pk: c.is_almost_full for c in client.get(url).context["cl"].result_list}
    assert flags == {roomy.pk: False, crowded.pk: True}

    club_settings = ClubSettings.load()
    club_settings.discord_category_auto_threshold = 30
    club_settings.save()

    flags = {c.pk: c.is_almost_full for c in client.get(url).context["cl"].result_list}
    assert flags == {roomy.pk: True, crowded.pk: True}


def test_channel_refuses_oversized_category(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:catalog_channel_add"),
        {"discord_id": "200000000000000999", "name": "Trop", "type": "oneshot", "size": "51"},
    )

    assert response.status_code == 200
    assert "size" in response.context["adminform"].form.errors
    assert not Channel.objects.exists()


def test_discord_message_search_and_type_column(client, staff):
    client.force_login(staff)
    channel = PostChannelFactory(label="Annonces")
    _message(channel, content="Soirée découverte")
    _message(channel, content="", embeds=[{"title": "Tournoi"}])

    response = client.get(reverse("admin:catalog_discordmessage_changelist"), {"q": "découverte"})

    assert [m.content for m in response.context["cl"].result_list] == ["Soirée découverte"]
    listing = client.get(reverse("admin:catalog_discordmessage_changelist")).content.decode()
    assert "Tournoi" in listing
    assert "Embed" in listing


def test_club_settings_changelist_opens_the_single_row(client, staff):
    client.force_login(staff)

    response = client.get(reverse("admin:catalog_clubsettings_changelist"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_clubsettings_change", args=[1])
    assert ClubSettings.objects.count() == 1


def test_club_settings_add_only_without_row(client, staff):
    client.force_login(staff)

    before = client.get(reverse("admin:catalog_clubsettings_add"))
    ClubSettings.load()
    after = client.get(reverse("admin:catalog_clubsettings_add"))

    assert before.status_code == 200
    assert after.status_code == 403


def test_club_settings_cannot_be_deleted(client, staff):
    client.force_login(staff)
    ClubSettings.load()

    response = client.post(reverse("admin:catalog_clubsettings_delete", args=[1]), {"post": "yes"})

    assert response.status_code == 403
    assert ClubSettings.objects.count() == 1


def test_club_settings_change_view_shows_environment_values(client, staff, settings):
    settings.DISCORD_GUILD_ID = "500000000000000001"
    client.force_login(staff)
    ClubSettings.load()

    response = client.get(reverse("admin:catalog_clubsettings_change", args=[1]))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "500000000000000001" in form.fields["discord_guild_id"].help_text
    assert "DISCORD_GM_ROLE_ID" in form.fields["discord_gm_role_id"].help_text
    # Every setting is on the page, in one of the sections.
    shown = set(flatten_fieldsets(response.context["adminform"].fieldsets))
    editable = {
        field.name
        for field in ClubSettings._meta.concrete_fields
        if field.editable and not field.primary_key
    }
    assert editable <= shown


def _club_settings_data(**changes) -> dict:
    data = {
        "discord_guild_id": "",
        "discord_guild_name": "Club JDR",
        "discord_gm_role_id": "",
        "discord_admin_role_id": "",
        "discord_player_role_id": "",
        "discord_posts_channel_id": "",
        "discord_admin_channel_id": "",
        "discord_role_auto_threshold": "230",
        "dashboard_agenda_limit": "10",
        "dashboard_open_limit": "8",
        "games_per_page": "12",
        "profile_refresh_batch_size": "20",
        "discord_category_auto_threshold": "45",
        "category_name_template_oneshot": "🎲 ONE SHOTS {n} 📖",
        "category_name_template_campaign": "🎲 CAMPAGNES {n} 📖",
    }
    return {**data, **changes}


def test_club_settings_saved_by_superuser(client, staff):
    client.force_login(staff)
    ClubSettings.load()

    response = client.post(
        reverse("admin:catalog_clubsettings_change", args=[1]),
        _club_settings_data(games_per_page="24", discord_gm_role_id="600000000000000001"),
    )

    assert response.status_code == 302
    club_settings = ClubSettings.load()
    assert club_settings.games_per_page == 24
    assert club_settings.gm_role_id == "600000000000000001"
    assert club_settings.updated_by == staff


def test_club_settings_refuses_out_of_bounds_values(client, staff):
    client.force_login(staff)
    ClubSettings.load()

    response = client.post(
        reverse("admin:catalog_clubsettings_change", args=[1]),
        _club_settings_data(games_per_page="61", category_name_template_oneshot="ONE SHOTS"),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"games_per_page", "category_name_template_oneshot"}
    assert ClubSettings.load().games_per_page == 12


def test_club_settings_only_superusers_change_them(client):
    helper = UserFactory(is_staff=True)
    helper.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_clubsettings", "change_clubsettings"])
    )
    client.force_login(helper)
    ClubSettings.load()
    url = reverse("admin:catalog_clubsettings_change", args=[1])

    view = client.get(url)
    change = client.post(url, _club_settings_data(games_per_page="24"))

    assert view.status_code == 200
    assert "games_per_page" not in view.context["adminform"].form.fields
    assert change.status_code == 403
    assert ClubSettings.load().games_per_page == 12


def test_vtt_group_member_only_manages_vtts(client):
    group = Group.objects.create(name="Gestion des VTT")
    group.permissions.add(
        *Permission.objects.filter(codename__in=["view_vtt", "add_vtt", "change_vtt", "delete_vtt"])
    )
    helper = UserFactory(is_staff=True)
    helper.groups.add(group)
    client.force_login(helper)
    vtt = VttFactory(name="Roll20")

    index = client.get(reverse("admin:index"))
    systems = client.get(reverse("admin:catalog_system_changelist"))
    edit = client.post(
        reverse("admin:catalog_vtt_change", args=[vtt.pk]), {"name": "Roll20 (v2)", "icon": ""}
    )

    models = [
        (app["app_label"], model["object_name"])
        for app in index.context["app_list"]
        for model in app["models"]
    ]
    assert models == [("catalog", "Vtt")]
    assert systems.status_code == 403
    assert edit.status_code == 302
    vtt.refresh_from_db()
    assert vtt.name == "Roll20 (v2)"


def test_discord_message_search_finds_embed_text(client, staff):
    client.force_login(staff)
    channel = PostChannelFactory(label="Annonces")
    _message(channel, content="Soirée découverte")
    tournament = _message(channel, content="", embeds=[{"title": "Grand Tournoi"}])

    response = client.get(reverse("admin:catalog_discordmessage_changelist"), {"q": "tournoi"})

    assert list(response.context["cl"].result_list) == [tournament]

"""The Discord side of the catalogue admin, against the fake Discord: the message composer
(send, edit, delete), the "Recompter les salons" button and the role count on the settings page.

Messages whose French translation is not in the catalogue yet are compared with `gettext()` of
their English source: the assertion holds before and after the translation lands.
"""

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from accounts.models import User
from accounts.tests.factories import UserFactory
from catalog import discord_messages
from catalog.models import Channel, ClubSettings, DiscordMessage, GameType
from catalog.tests.factories import ChannelFactory, PostChannelFactory

pytestmark = pytest.mark.django_db

ADD_URL = "admin:catalog_discordmessage_add"
CHANGELIST_URL = "admin:catalog_discordmessage_changelist"
BLURPLE = 0x5865F2
NO_MENTIONS = {"parse": []}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _fresh(user: User) -> User:
    # A fresh role check keeps the staff re-check middleware away from the fake Discord.
    User.objects.filter(pk=user.pk).update(roles_synced_at=timezone.now())
    return user


@pytest.fixture
def admin_client(client, staff):
    client.force_login(_fresh(staff))
    return client


def _staff_with(*codenames: str) -> User:
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return _fresh(user)


@pytest.fixture
def composer_client(client):
    """A staff member who may write messages (not manage the channels they go to)."""
    user = _staff_with(
        "view_discordmessage",
        "add_discordmessage",
        "change_discordmessage",
        "delete_discordmessage",
    )
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def channels(fake_discord):
    """Two postable channels that exist on the fake Discord."""
    annonces = fake_discord.add_channel("annonces")
    evenements = fake_discord.add_channel("evenements")
    return (
        PostChannelFactory(label="Annonces", discord_id=annonces["id"]),
        PostChannelFactory(label="Événements", discord_id=evenements["id"]),
    )


def _form(channel=None, *, content="", embeds=(), buttons=(), nonce="", submit="_save", **extra):
    """The composer's POST data, as the page submits it."""
    data = {
        "channel": channel.pk if channel else "",
        "content": content,
        "nonce": nonce,
        "embeds-TOTAL_FORMS": str(len(embeds)),
        "embeds-INITIAL_FORMS": "0",
        "buttons-TOTAL_FORMS": str(len(buttons)),
        "buttons-INITIAL_FORMS": "0",
        submit: "1",
    }
    for index, embed in enumerate(embeds):
        for name, value in {"color": "#5865f2", **embed}.items():
            data[f"embeds-{index}-{name}"] = value
    for index, button in enumerate(buttons):
        for name, value in button.items():
            data[f"buttons-{index}-{name}"] = value
    return data | extra


def _calls(fake_discord) -> list[tuple]:
    return [(c.method, c.path, c.body) for c in fake_discord.state.calls]


def _messages_path(channel) -> str:
    return f"/api/v10/channels/{channel.discord_id}/messages"


def _flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _non_field_errors(response) -> list[str]:
    return list(response.context["composer"].form.non_field_errors())


def _send(client, channel, **form) -> DiscordMessage:
    """Send through the composer (following the redirect, which shows "Message sent.")."""
    response = client.post(reverse(ADD_URL), _form(channel, **form), follow=True)
    assert response.redirect_chain == [(reverse(CHANGELIST_URL), 302)], response.context["errors"]
    return DiscordMessage.objects.latest("pk")


# --- compose ------------------------------------------------------------------------------------


def test_compose_page_offers_the_channels_and_an_empty_preview(admin_client, channels):
    response = admin_client.get(reverse(ADD_URL))

    assert response.status_code == 200
    composer = response.context["composer"]
    assert list(composer.form.fields["channel"].queryset) == [channels[0], channels[1]]
    assert len(composer.form["nonce"].value()) == 16
    assert composer.embeds.total_form_count() == 1
    assert composer.buttons.total_form_count() == 1
    content = response.content.decode()
    assert gettext("Nothing to preview yet.") in content
    assert 'name="_preview"' in content


def test_compose_page_without_channel_links_to_adding_one(admin_client):
    response = admin_client.get(reverse(ADD_URL))

    content = response.content.decode()
    assert gettext("No postable channel. Add one to be able to compose a message.") in content
    assert reverse("admin:catalog_postchannel_add") in content


def test_send_posts_on_discord_then_stores_the_message(admin_client, staff, channels, fake_discord):
    annonces = channels[0]
    embed = {
        "title": "Soirée enquête",
        "description": "Vendredi, 20 h 30.",
        "color": "#FF7518",
        "footer": "Club JDR",
        "image_url": "https://example.org/affiche.png",
    }
    button = {"label": "S'inscrire", "url": "https://jdr.example.org/annonces/"}

    response = admin_client.post(
        reverse(ADD_URL),
        _form(annonces, content="Bienvenue à tous !", embeds=[embed], buttons=[button]),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(CHANGELIST_URL)
    assert _calls(fake_discord) == [
        (
            "POST",
            _messages_path(annonces),
            {
                "content": "Bienvenue à tous !",
                "embeds": [
                    {
                        "title": "Soirée enquête",
                        "description": "Vendredi, 20 h 30.",
                        "color": 0xFF7518,
                        "footer": {"text": "Club JDR"},
                        "image": {"url": "https://example.org/affiche.png"},
                    }
                ],
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {
                                "type": 2,
                                "style": 5,
                                "label": "S'inscrire",
                                "url": "https://jdr.example.org/annonces/",
                            }
                        ],
                    }
                ],
                "allowed_mentions": NO_MENTIONS,
            },
        )
    ]
    [posted] = fake_discord.messages_in(annonces.discord_id)
    message = DiscordMessage.objects.get()
    assert message.discord_message_id == posted["id"]
    assert (message.channel, message.channel_discord_id, message.channel_label) == (
        annonces,
        annonces.discord_id,
        "Annonces",
    )
    assert message.content == "Bienvenue à tous !"
    assert message.embeds == [{**embed, "color": "#ff7518"}]
    assert message.buttons == [button]
    assert message.sent_by == staff
    assert message.edited_at is None
    assert _flashes(response) == [gettext("Message sent.")]


def test_send_embed_only_leaves_out_content_and_buttons(admin_client, channels, fake_discord):
    _send(admin_client, channels[0], embeds=[{"title": "Tournoi"}], buttons=[{}])

    assert _calls(fake_discord)[0][2] == {
        "embeds": [{"title": "Tournoi", "color": BLURPLE}],
        "allowed_mentions": NO_MENTIONS,
    }
    message = DiscordMessage.objects.get()
    assert message.content == ""
    assert message.embeds == [
        {"title": "Tournoi", "description": "", "color": "#5865f2", "footer": "", "image_url": ""}
    ]
    assert message.buttons == []


def test_send_pings_only_members_and_roles_written_explicitly(admin_client, channels, fake_discord):
    content = (
        "@everyone @here <@400000000000000001>, <@!400000000000000002> et "
        "<@&910000000000000002> : <@400000000000000001> ouvre la table."
    )

    _send(admin_client, channels[0], content=content)

    assert _calls(fake_discord)[0][2]["allowed_mentions"] == {
        "parse": [],
        "users": ["400000000000000001", "400000000000000002"],
        "roles": ["910000000000000002"],
    }


def test_send_twice_with_the_same_nonce_posts_and_stores_once(admin_client, channels, fake_discord):
    data = _form(channels[0], content="Double clic", nonce="a1b2c3d4e5f60718")

    first = admin_client.post(reverse(ADD_URL), data)
    second = admin_client.post(reverse(ADD_URL), data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert _calls(fake_discord)[0][2] == {
        "content": "Double clic",
        "allowed_mentions": NO_MENTIONS,
        "nonce": "a1b2c3d4e5f60718",
        "enforce_nonce": True,
    }
    assert len(fake_discord.messages_in(channels[0].discord_id)) == 1
    assert DiscordMessage.objects.count() == 1


def test_preview_renders_the_message_and_sends_nothing(admin_client, channels, fake_discord):
    response = admin_client.post(
        reverse(ADD_URL),
        _form(
            channels[0],
            content="Ligne 1\nLigne <b>2</b>",
            embeds=[{"title": "Affiche", "color": "#00ff00", "image_url": "javascript:alert(1)"}],
            buttons=[{"label": "Lien", "url": "https://example.org/"}],
            submit="_preview",
        ),
    )

    assert response.status_code == 200
    assert response.context["preview"] == {
        "content": "Ligne 1\nLigne <b>2</b>",
        "embeds": [
            {
                "title": "Affiche",
                "description": "",
                "footer": "",
                "image_url": "",
                "color": "#00ff00",
            }
        ],
        "buttons": [{"label": "Lien", "url": "https://example.org/"}],
        "is_empty": False,
    }
    content = response.content.decode()
    assert "Ligne 1<br>Ligne &lt;b&gt;2&lt;/b&gt;" in content
    assert 'style="border-left-color: #00ff00"' in content
    assert "javascript:" not in content.split('id="composer-preview-heading"')[1]
    assert fake_discord.state.calls == []
    assert not DiscordMessage.objects.exists()


@pytest.mark.parametrize(
    ("submit", "prefix"), [("_add_embed", "embeds"), ("_add_button", "buttons")]
)
def test_add_row_buttons_add_a_blank_row_and_send_nothing(
    admin_client, channels, fake_discord, submit, prefix
):
    data = _form(channels[0], content="Brouillon", embeds=[{"title": "Un"}], submit=submit)

    response = admin_client.post(reverse(ADD_URL), data)

    assert response.status_code == 200
    composer = response.context["composer"]
    formset = getattr(composer, prefix)
    assert formset.total_form_count() == (2 if prefix == "embeds" else 1)
    if prefix == "embeds":
        assert formset.forms[1]["color"].value() == "#5865f2"
    assert composer.form["content"].value() == "Brouillon"
    assert fake_discord.state.calls == []
    assert not DiscordMessage.objects.exists()


def test_add_row_stops_at_the_discord_limit(admin_client, channels):
    buttons = [{"label": f"B{n}", "url": "https://example.org/"} for n in range(5)]

    response = admin_client.post(
        reverse(ADD_URL), _form(channels[0], content="x", buttons=buttons, submit="_add_button")
    )

    assert response.context["composer"].buttons.total_form_count() == 5
    assert 'name="_add_button"' not in response.content.decode()


# --- validation ---------------------------------------------------------------------------------

LONG_EMBED = {"title": "t" * 256, "description": "d" * 4096, "footer": "f" * 1700}


@pytest.mark.parametrize(
    ("form", "where", "message"),
    [
        (
            {"content": ""},
            "form",
            "Un message doit avoir un contenu ou au moins un embed.",
        ),
        (
            # A colour alone does not make an embed.
            {
                "embeds": [{"color": "#123456"}],
                "buttons": [{"label": "Go", "url": "https://example.org/"}],
            },
            "form",
            "Un message doit avoir un contenu ou au moins un embed.",
        ),
        (
            {"content": "x", "buttons": [{"label": "Go", "url": ""}]},
            ("buttons", 0, "url"),
            "Un bouton doit avoir une URL.",
        ),
        (
            {"content": "x", "buttons": [{"label": "", "url": "https://example.org/"}]},
            ("buttons", 0, "label"),
            "Un bouton doit avoir un libellé.",
        ),
        (
            {"content": "x", "buttons": [{"label": "Go", "url": "ftp://example.org/"}]},
            ("buttons", 0, "url"),
            "L'URL d'un bouton doit commencer par http:// ou https://.",
        ),
        (
            {"content": "x", "buttons": [{"label": "Go", "url": "https://"}]},
            ("buttons", 0, "url"),
            "Saisissez une URL valide.",
        ),
        (
            {"content": "x", "buttons": [{"label": "L" * 81, "url": "https://example.org/"}]},
            ("buttons", 0, "label"),
            "Le libellé d'un bouton ne peut dépasser 80 caractères.",
        ),
        (
            {"content": "x", "buttons": [{"label": "B", "url": "https://example.org/"}] * 6},
            "buttons",
            "Un message peut contenir au plus 5 boutons.",
        ),
        (
            {"embeds": [{"title": "E"}] * 11},
            "embeds",
            "Un message peut contenir au plus 10 embeds.",
        ),
        (
            {"embeds": [{"title": "Couleur", "color": "rouge"}]},
            ("embeds", 0, "color"),
            "Saisissez une couleur au format #rrggbb, par exemple #198754.",
        ),
        (
            {"embeds": [{"title": "t" * 257}]},
            ("embeds", 0, "title"),
            "Assurez-vous que cette valeur comporte au plus 256 caractères (actuellement 257).",
        ),
        (
            {"content": "c" * 2001},
            ("form", "content"),
            "Assurez-vous que cette valeur comporte au plus 2000 caractères (actuellement 2001).",
        ),
    ],
)
def test_composer_refuses_invalid_messages(
    admin_client, channels, fake_discord, form, where, message
):
    response = admin_client.post(reverse(ADD_URL), _form(channels[0], **form))

    assert response.status_code == 200
    composer = response.context["composer"]
    if where == "form":
        assert _non_field_errors(response) == [message]
    elif where in ("embeds", "buttons"):
        assert list(getattr(composer, where).non_form_errors()) == [message]
    elif where[0] == "form":
        assert composer.form.errors[where[1]] == [message]
    else:
        formset, index, field = where
        assert getattr(composer, formset).forms[index].errors[field] == [message]
    assert fake_discord.state.calls == []
    assert not DiscordMessage.objects.exists()


@pytest.mark.parametrize(
    ("form", "where", "english"),
    [
        (
            {"embeds": [{"title": "Affiche", "image_url": "ftp://example.org/a.png"}]},
            ("embeds", 0, "image_url"),
            "An image URL must start with http:// or https://.",
        ),
        (
            {"embeds": [LONG_EMBED, {"title": "t" * 10}]},
            "embeds",
            "The embeds of a message can hold at most 6000 characters in total.",
        ),
        (
            {"content": "x", "channel": "999999"},
            ("form", "channel"),
            "Unknown or unconfigured channel.",
        ),
    ],
)
def test_composer_refuses_with_messages_of_its_own(
    admin_client, channels, fake_discord, form, where, english
):
    data = _form(channels[0], **{k: v for k, v in form.items() if k != "channel"})
    data |= {"channel": form["channel"]} if "channel" in form else {}

    response = admin_client.post(reverse(ADD_URL), data)

    composer = response.context["composer"]
    if where == "embeds":
        errors = list(composer.embeds.non_form_errors())
    elif where[0] == "form":
        errors = composer.form.errors[where[1]]
    else:
        errors = composer.embeds.forms[where[1]].errors[where[2]]
    assert errors == [gettext(english)]
    assert fake_discord.state.calls == []
    assert not DiscordMessage.objects.exists()


def test_embeds_at_exactly_6000_characters_are_accepted(admin_client, channels, fake_discord):
    full = {"title": "t" * 256, "description": "d" * 4096, "footer": "f" * 1648}

    _send(admin_client, channels[0], embeds=[full])

    assert len(fake_discord.messages_in(channels[0].discord_id)) == 1


def test_blank_and_deleted_rows_are_ignored(admin_client, channels, fake_discord):
    _send(
        admin_client,
        channels[0],
        content="Texte",
        embeds=[{"title": "", "color": "#000000"}, {"title": "Retiré", "DELETE": "on"}],
        buttons=[{"label": "", "url": ""}, {"label": "Retiré", "url": "", "DELETE": "on"}],
    )

    assert _calls(fake_discord)[0][2] == {"content": "Texte", "allowed_mentions": NO_MENTIONS}
    message = DiscordMessage.objects.get()
    assert (message.embeds, message.buttons) == ([], [])


def test_discord_error_keeps_the_input_and_stores_nothing(admin_client, channels, fake_discord):
    fake_discord.fail(
        "POST", r"/channels/\d+/messages$", 403, body={"message": "Missing Access", "code": 50001}
    )

    response = admin_client.post(
        reverse(ADD_URL),
        _form(
            channels[0],
            content="À garder",
            embeds=[{"title": "Titre gardé"}],
            buttons=[{"label": "Lien", "url": "https://example.org/"}],
        ),
    )

    assert response.status_code == 200
    assert _non_field_errors(response) == [
        gettext("Discord error: %(error)s") % {"error": "[403] Missing Access"}
    ]
    composer = response.context["composer"]
    assert composer.form["content"].value() == "À garder"
    assert composer.form["channel"].value() == str(channels[0].pk)
    assert composer.embeds.forms[0]["title"].value() == "Titre gardé"
    assert composer.buttons.forms[0]["url"].value() == "https://example.org/"
    assert "Titre gardé" in response.content.decode()
    assert not DiscordMessage.objects.exists()


def test_discord_error_detail_with_a_percent_sign_is_shown_as_is(
    admin_client, channels, fake_discord
):
    fake_discord.fail("POST", r"/messages$", 400, body={"message": "100%d broken", "code": 0})

    response = admin_client.post(reverse(ADD_URL), _form(channels[0], content="x"))

    assert _non_field_errors(response) == [
        gettext("Discord error: %(error)s") % {"error": "[400] 100%d broken"}
    ]


SAVED_OFFLINE = "Message enregistré : le site est hors ligne, rien n'a été envoyé à Discord."


def _go_offline(settings) -> None:
    settings.DISCORD_OFFLINE = True
    settings.DISCORD_BOT_TOKEN = ""


def test_offline_mode_saves_the_message_and_says_nothing_was_sent(
    admin_client, staff, channels, fake_discord, settings
):
    _go_offline(settings)

    page = admin_client.get(reverse(ADD_URL))
    response = admin_client.post(reverse(ADD_URL), _form(channels[0], content="Hors ligne"))

    assert gettext("Discord offline mode: no message can be sent to Discord.") in (
        page.content.decode()
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(CHANGELIST_URL)
    assert _flashes(response) == [SAVED_OFFLINE]
    message = DiscordMessage.objects.get()
    assert (message.content, message.channel, message.sent_by) == ("Hors ligne", channels[0], staff)
    assert message.discord_message_id is None
    assert fake_discord.state.calls == []
    assert fake_discord.messages_in(channels[0].discord_id) == []


def test_offline_mode_edit_changes_the_row_only(admin_client, channels, fake_discord, settings):
    message = _send(admin_client, channels[0], content="Avant")
    fake_discord.state.calls.clear()
    _go_offline(settings)

    response = admin_client.post(_change_url(message), _form(channels[1], content="Après"))

    assert response.status_code == 302
    assert _flashes(response) == [SAVED_OFFLINE]
    edited = DiscordMessage.objects.get()
    assert (edited.content, edited.channel) == ("Après", channels[1])
    assert edited.discord_message_id == message.discord_message_id
    assert edited.edited_at is not None
    assert fake_discord.state.calls == []
    assert fake_discord.messages_in(channels[0].discord_id)[0]["content"] == "Avant"


def test_message_saved_offline_is_posted_once_saved_online(
    admin_client, channels, fake_discord, settings
):
    bot_token = settings.DISCORD_BOT_TOKEN
    _go_offline(settings)
    admin_client.post(reverse(ADD_URL), _form(channels[0], content="Plus tard"), follow=True)
    message = DiscordMessage.objects.get()
    settings.DISCORD_OFFLINE, settings.DISCORD_BOT_TOKEN = False, bot_token

    response = admin_client.post(_change_url(message), _form(channels[0], content="Maintenant"))

    assert _flashes(response) == [gettext("Message updated.")]
    [posted] = fake_discord.messages_in(channels[0].discord_id)
    assert posted["content"] == "Maintenant"
    assert DiscordMessage.objects.get().discord_message_id == posted["id"]


# --- edit ---------------------------------------------------------------------------------------


def _change_url(message: DiscordMessage) -> str:
    return reverse("admin:catalog_discordmessage_change", args=[message.pk])


def test_change_page_shows_the_message_in_the_composer(admin_client, channels):
    message = _send(
        admin_client,
        channels[1],
        content="Avant",
        embeds=[{"title": "Tournoi", "color": "#00ff00"}],
        buttons=[{"label": "Lien", "url": "https://example.org/"}],
    )

    response = admin_client.get(_change_url(message))

    assert response.status_code == 200
    composer = response.context["composer"]
    assert composer.form["channel"].value() == channels[1].pk
    assert composer.form["content"].value() == "Avant"
    assert composer.embeds.forms[0]["title"].value() == "Tournoi"
    assert composer.embeds.forms[0]["color"].value() == "#00ff00"
    assert composer.buttons.forms[0]["label"].value() == "Lien"
    assert response.context["preview"]["embeds"][0]["title"] == "Tournoi"
    help_text = gettext(
        "Changing the channel posts the message again in the new channel and deletes the old one."
    )
    assert help_text in response.content.decode()


def test_edit_in_the_same_channel_patches_the_message(admin_client, channels, fake_discord):
    annonces = channels[0]
    message = _send(
        admin_client,
        annonces,
        content="Avant",
        buttons=[{"label": "Lien", "url": "https://example.org/"}],
    )
    fake_discord.state.calls.clear()

    response = admin_client.post(
        _change_url(message),
        _form(annonces, content="", embeds=[{"title": "Après", "color": "#112233"}]),
    )

    assert response.status_code == 302
    # Empty content and no buttons clear them on Discord.
    assert _calls(fake_discord) == [
        (
            "PATCH",
            f"{_messages_path(annonces)}/{message.discord_message_id}",
            {
                "content": "",
                "embeds": [{"title": "Après", "color": 0x112233}],
                "components": [],
                "allowed_mentions": NO_MENTIONS,
            },
        )
    ]
    [on_discord] = fake_discord.messages_in(annonces.discord_id)
    assert (on_discord["content"], on_discord["components"]) == ("", [])
    edited = DiscordMessage.objects.get()
    assert edited.discord_message_id == message.discord_message_id
    assert edited.content == ""
    assert edited.embeds[0]["title"] == "Après"
    assert edited.buttons == []
    assert edited.sent_at == message.sent_at
    assert edited.edited_at is not None
    assert gettext("Message updated.") in _flashes(response)


def test_edit_into_another_channel_reposts_and_deletes_the_old(
    admin_client, channels, fake_discord
):
    annonces, evenements = channels
    message = _send(admin_client, annonces, content="Déménage")
    old_id = message.discord_message_id
    fake_discord.state.calls.clear()

    response = admin_client.post(
        _change_url(message), _form(evenements, content="Déménagé", nonce="0123456789abcdef")
    )

    assert response.status_code == 302
    [posted] = fake_discord.messages_in(evenements.discord_id)
    assert _calls(fake_discord) == [
        (
            "POST",
            _messages_path(evenements),
            {
                "content": "Déménagé",
                "allowed_mentions": NO_MENTIONS,
                "nonce": "0123456789abcdef",
                "enforce_nonce": True,
            },
        ),
        ("DELETE", f"{_messages_path(annonces)}/{old_id}", None),
    ]
    assert fake_discord.messages_in(annonces.discord_id) == []
    moved = DiscordMessage.objects.get()
    assert moved.discord_message_id == posted["id"]
    assert (moved.channel, moved.channel_discord_id, moved.channel_label) == (
        evenements,
        evenements.discord_id,
        "Événements",
    )


def test_edit_into_another_channel_stands_when_the_old_one_cannot_be_deleted(
    admin_client, channels, fake_discord
):
    annonces, evenements = channels
    message = _send(admin_client, annonces, content="Déménage")
    fake_discord.fail("DELETE", r"/messages/\d+$", 500)

    response = admin_client.post(_change_url(message), _form(evenements, content="Déménagé"))

    assert response.status_code == 302
    moved = DiscordMessage.objects.get()
    assert moved.channel_discord_id == evenements.discord_id
    assert [m["id"] for m in fake_discord.messages_in(evenements.discord_id)] == [
        moved.discord_message_id
    ]


def test_edit_of_a_message_deleted_on_discord_posts_it_again(admin_client, channels, fake_discord):
    annonces = channels[0]
    message = _send(admin_client, annonces, content="Effacé à la main")
    fake_discord.state.messages[annonces.discord_id].clear()

    response = admin_client.post(_change_url(message), _form(annonces, content="Revoilà"))

    assert response.status_code == 302
    [posted] = fake_discord.messages_in(annonces.discord_id)
    assert posted["content"] == "Revoilà"
    assert DiscordMessage.objects.get().discord_message_id == posted["id"]


def test_edit_refused_by_discord_changes_nothing(admin_client, channels, fake_discord):
    annonces = channels[0]
    message = _send(admin_client, annonces, content="Avant")
    fake_discord.fail("PATCH", r"/messages/\d+$", 403, body={"message": "Missing Access"})

    response = admin_client.post(_change_url(message), _form(annonces, content="Après"))

    assert response.status_code == 200
    assert _non_field_errors(response) == [
        gettext("Discord error: %(error)s") % {"error": "[403] Missing Access"}
    ]
    assert response.context["composer"].form["content"].value() == "Après"
    message.refresh_from_db()
    assert (message.content, message.edited_at) == ("Avant", None)
    assert fake_discord.messages_in(annonces.discord_id)[0]["content"] == "Avant"


def test_change_page_of_a_missing_message_says_so(admin_client):
    response = admin_client.get(reverse("admin:catalog_discordmessage_change", args=[4242]))

    assert response.status_code == 302
    assert _flashes(response) == [gettext("Message not found.")]


# --- delete -------------------------------------------------------------------------------------


def test_delete_removes_the_message_on_discord_then_the_row(admin_client, channels, fake_discord):
    annonces = channels[0]
    message = _send(admin_client, annonces, content="À supprimer")
    fake_discord.state.calls.clear()

    response = admin_client.post(
        reverse("admin:catalog_discordmessage_delete", args=[message.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(CHANGELIST_URL)
    assert _calls(fake_discord) == [
        ("DELETE", f"{_messages_path(annonces)}/{message.discord_message_id}", None)
    ]
    assert fake_discord.messages_in(annonces.discord_id) == []
    assert not DiscordMessage.objects.exists()
    assert _flashes(response) == [gettext("Message deleted.")]


def test_delete_removes_the_row_even_when_discord_fails(admin_client, channels, fake_discord):
    message = _send(admin_client, channels[0], content="Coincé")
    fake_discord.fail("DELETE", r"/messages/\d+$", 500)

    response = admin_client.post(
        reverse("admin:catalog_discordmessage_delete", args=[message.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not DiscordMessage.objects.exists()
    warning = gettext(
        "%(count)d message(s) could not be deleted on Discord (offline mode or Discord error): "
        "delete them there by hand."
    ) % {"count": 1}
    assert _flashes(response) == [warning, gettext("Message deleted.")]


def test_delete_of_a_message_already_gone_from_discord_is_quiet(
    admin_client, channels, fake_discord
):
    message = _send(admin_client, channels[0], content="Déjà parti")
    fake_discord.state.messages[channels[0].discord_id].clear()

    response = admin_client.post(
        reverse("admin:catalog_discordmessage_delete", args=[message.pk]), {"post": "yes"}
    )

    assert _flashes(response) == [gettext("Message deleted.")]
    assert not DiscordMessage.objects.exists()


def test_bulk_delete_removes_each_message_on_discord(admin_client, channels, fake_discord):
    annonces, evenements = channels
    first = _send(admin_client, annonces, content="Un")
    second = _send(admin_client, evenements, content="Deux")
    fake_discord.state.calls.clear()

    response = admin_client.post(
        reverse(CHANGELIST_URL),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert sorted(_calls(fake_discord)) == sorted(
        [
            ("DELETE", f"{_messages_path(annonces)}/{first.discord_message_id}", None),
            ("DELETE", f"{_messages_path(evenements)}/{second.discord_message_id}", None),
        ]
    )
    assert fake_discord.messages_in(annonces.discord_id) == []
    assert fake_discord.messages_in(evenements.discord_id) == []
    assert not DiscordMessage.objects.exists()


# --- who may do what ----------------------------------------------------------------------------


def test_staff_with_message_permissions_compose_edit_and_delete(
    composer_client, channels, fake_discord
):
    annonces, evenements = channels

    page = composer_client.get(reverse(ADD_URL))
    message = _send(composer_client, annonces, content="Par un membre du bureau")
    edit = composer_client.post(_change_url(message), _form(evenements, content="Déplacé"))
    delete = composer_client.post(
        reverse("admin:catalog_discordmessage_delete", args=[message.pk]), {"post": "yes"}
    )

    # Not allowed to manage the postable channels: no link to add one.
    assert reverse("admin:catalog_postchannel_add") not in page.content.decode()
    assert message.sent_by == composer_client.user
    assert edit.status_code == 302
    assert delete.status_code == 302
    assert not DiscordMessage.objects.exists()
    assert fake_discord.messages_in(evenements.discord_id) == []


def test_staff_who_may_only_view_messages_get_a_read_only_page(client, channels, fake_discord):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(_fresh(admin))
    message = _send(client, channels[0], content="Lecture seule")
    fake_discord.state.calls.clear()
    client.force_login(_staff_with("view_discordmessage"))

    add = client.get(reverse(ADD_URL))
    view = client.get(_change_url(message))
    change = client.post(_change_url(message), _form(channels[0], content="Piratage"))

    assert add.status_code == 403
    assert view.status_code == 200
    assert "composer" not in view.context
    assert "Lecture seule" in view.content.decode()
    assert change.status_code == 403
    assert DiscordMessage.objects.get().content == "Lecture seule"
    assert fake_discord.state.calls == []


def test_staff_without_message_permissions_are_refused(client, channels, fake_discord):
    client.force_login(_staff_with("view_postchannel"))

    response = client.post(reverse(ADD_URL), _form(channels[0], content="Non"))

    assert response.status_code == 403
    assert fake_discord.state.calls == []


def test_changelist_offers_compose_and_add_channel(admin_client):
    content = admin_client.get(reverse(CHANGELIST_URL)).content.decode()

    assert gettext("Compose a message") in content
    assert reverse(ADD_URL) in content
    assert reverse("admin:catalog_postchannel_add") in content


def test_service_refuses_an_invalid_message_before_calling_discord(channels, fake_discord, staff):
    with pytest.raises(ValidationError) as error:
        discord_messages.send_message(
            channel=channels[0], content="", embeds=[], buttons=[], sent_by=staff
        )

    assert error.value.messages == ["Un message doit avoir un contenu ou au moins un embed."]
    assert fake_discord.state.calls == []


# --- categories ---------------------------------------------------------------------------------

RECONCILE_URL = "admin:catalog_channel_reconcile"


def _category(fake_discord, name, *, size, channels):
    category = fake_discord.add_category(name)
    for index in range(channels):
        fake_discord.add_channel(f"partie-{index}", parent_id=category["id"])
    return ChannelFactory(discord_id=category["id"], name=name, type=GameType.ONESHOT, size=size)


def test_category_list_shows_fill_level_and_the_recount_button(admin_client, fake_discord):
    ChannelFactory(size=12)

    response = admin_client.get(reverse("admin:catalog_channel_changelist"))

    content = response.content.decode()
    assert "12 / 50" in content
    assert f'action="{reverse(RECONCILE_URL)}"' in content
    assert gettext("Recount the channels") in content


def test_recount_corrects_drifted_categories(admin_client, fake_discord):
    drifted = _category(fake_discord, "🎲 ONE SHOTS 1 📖", size=1, channels=3)
    exact = _category(fake_discord, "🎲 ONE SHOTS 2 📖", size=2, channels=2)

    response = admin_client.post(reverse(RECONCILE_URL))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_channel_changelist")
    assert dict(Channel.objects.values_list("pk", "size")) == {drifted.pk: 3, exact.pk: 2}
    assert _flashes(response) == [gettext("%(count)d category(ies) corrected.") % {"count": 1}]


def test_recount_says_when_everything_was_up_to_date(admin_client, fake_discord):
    _category(fake_discord, "🎲 ONE SHOTS 1 📖", size=2, channels=2)

    response = admin_client.post(reverse(RECONCILE_URL))

    assert _flashes(response) == [gettext("All categories were already up to date.")]


def test_recount_warns_about_a_category_gone_from_discord(admin_client, fake_discord):
    gone = ChannelFactory(discord_id="200000000000000777", name="🎲 ONE SHOTS 9 📖", size=4)

    response = admin_client.post(reverse(RECONCILE_URL))

    assert Channel.objects.get().size == 4
    [warning] = _flashes(response)
    assert gone.name in warning
    assert gone.discord_id in warning


def test_recount_reports_a_discord_failure(admin_client, fake_discord):
    _category(fake_discord, "🎲 ONE SHOTS 1 📖", size=1, channels=3)
    fake_discord.fail("GET", r"/guilds/\d+/channels$", 500)

    response = admin_client.post(reverse(RECONCILE_URL))

    assert _flashes(response) == [gettext("Synchronisation with Discord failed.")]
    assert Channel.objects.get().size == 1


def test_recount_in_offline_mode_says_so(admin_client, settings):
    settings.DISCORD_OFFLINE = True
    settings.DISCORD_BOT_TOKEN = ""
    ChannelFactory(size=1)

    response = admin_client.post(reverse(RECONCILE_URL))

    [error] = _flashes(response)
    assert error.startswith(gettext("Synchronisation with Discord failed."))
    assert gettext("Discord offline mode: no bot token is configured.") in error


def test_recount_needs_the_csrf_token(staff, fake_discord):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(_fresh(staff))
    _category(fake_discord, "🎲 ONE SHOTS 1 📖", size=1, channels=3)

    response = browser.post(reverse(RECONCILE_URL))

    assert response.status_code == 403
    assert Channel.objects.get().size == 1


def test_recount_needs_a_post_and_the_change_permission(client, fake_discord):
    client.force_login(_staff_with("view_channel"))
    _category(fake_discord, "🎲 ONE SHOTS 1 📖", size=1, channels=3)

    refused = client.post(reverse(RECONCILE_URL))
    listing = client.get(reverse("admin:catalog_channel_changelist"))
    client.force_login(_staff_with("view_channel", "change_channel"))
    get = client.get(reverse(RECONCILE_URL))
    allowed = client.post(reverse(RECONCILE_URL))

    assert refused.status_code == 403
    assert reverse(RECONCILE_URL) not in listing.content.decode()
    assert get.status_code == 405
    assert allowed.status_code == 302
    assert Channel.objects.get().size == 3


# --- role count ---------------------------------------------------------------------------------


def _settings_page(client):
    ClubSettings.load()
    response = client.get(reverse("admin:catalog_clubsettings_change", args=[1]))
    assert response.status_code == 200
    return response


def _role_count(response) -> str:
    """The read-only role count, as rendered."""
    label = capfirst(gettext("current role count"))
    match = re.search(
        rf"{label}\s*:</label>\s*<div class=\"readonly\">([^<]*)</div>", response.content.decode()
    )
    assert match, "the role count is not on the page"
    return match.group(1)


def test_settings_page_shows_the_role_count_and_caches_it(admin_client, fake_discord):
    fake_discord.add_role("MJ")
    fake_discord.add_role("Joueur")

    first = _settings_page(admin_client)
    fake_discord.add_role("PJ_la-partie")
    second = _settings_page(admin_client)

    assert _role_count(first) == "3 / 250"
    assert _role_count(second) == "3 / 250"  # cached for an hour
    assert len(fake_discord.calls_to("GET", r"/guilds/\d+/roles$")) == 1


def test_settings_page_role_count_is_unknown_offline(admin_client, settings):
    settings.DISCORD_OFFLINE = True
    settings.DISCORD_BOT_TOKEN = ""

    assert _role_count(_settings_page(admin_client)) == gettext("unknown")


def test_settings_page_role_count_is_unknown_when_discord_fails_and_asks_again(
    admin_client, fake_discord
):
    fake_discord.fail("GET", r"/guilds/\d+/roles$", 503)

    failed = _settings_page(admin_client)
    again = _settings_page(admin_client)

    assert _role_count(failed) == gettext("unknown")
    assert _role_count(again) == "1 / 250"

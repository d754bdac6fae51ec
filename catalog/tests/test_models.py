"""Reference data and club settings: validation (what the admin shows) and database constraints
(what holds when validation is bypassed)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction

from catalog.models import (
    Channel,
    ClubSettings,
    DiscordMessage,
    GameType,
    PostChannel,
    SpecialEvent,
    System,
    Vtt,
    validate_buttons,
    validate_embeds,
)
from catalog.tests.factories import (
    ChannelFactory,
    PostChannelFactory,
    SpecialEventFactory,
    SystemFactory,
    VttFactory,
)

pytestmark = pytest.mark.django_db

NBSP = "\xa0"
MSG_SNOWFLAKE = "Un identifiant Discord est un nombre de 17 à 21 chiffres."
MSG_BLANK = "Ce champ ne peut pas être vide."
INVALID_BOGUS = f"La valeur «{NBSP}'bogus'{NBSP}» n’est pas un choix valide."
MSG_HEX = "Saisissez une couleur au format #rrggbb, par exemple #198754."


def at_least(limit) -> str:
    return f"Assurez-vous que cette valeur est supérieure ou égale à {limit}."


def at_most(limit) -> str:
    return f"Assurez-vous que cette valeur est inférieure ou égale à {limit}."


def too_long(limit: int, actual: int) -> str:
    return (
        f"Assurez-vous que cette valeur comporte au plus {limit} caractères "
        f"(actuellement {actual})."
    )


def assert_refused(instance, errors: dict) -> None:
    """Validation refuses the instance with exactly `errors`, and the database is untouched."""
    model = type(instance)
    before = list(model.objects.order_by("pk").values())
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
        instance.save()
    assert exc.value.message_dict == errors
    assert list(model.objects.order_by("pk").values()) == before


def assert_db_refuses_update(instance, error=IntegrityError, **values) -> None:
    model = type(instance)
    with pytest.raises(error), transaction.atomic():
        model.objects.filter(pk=instance.pk).update(**values)


def update_in_db(instance, **values):
    model = type(instance)
    with transaction.atomic():
        assert model.objects.filter(pk=instance.pk).update(**values) == 1
    return model.objects.get(pk=instance.pk)


def db_error_for_length(value: str, max_length: int) -> type[Exception]:
    # PostgreSQL refuses an over-long value before looking at the check constraints;
    # SQLite ignores varchar lengths, so the check constraint is what refuses it there.
    if len(value) > max_length and connection.vendor == "postgresql":
        return DataError
    return IntegrityError


# --- System, Vtt, SpecialEvent: unique names --------------------------------------------------


@pytest.mark.parametrize(
    ("model", "factory", "message"),
    [
        (System, SystemFactory, "Un objet Système avec ce champ Nom existe déjà."),
        (Vtt, VttFactory, "Un objet VTT avec ce champ Nom existe déjà."),
        (SpecialEvent, SpecialEventFactory, "Un objet Événement avec ce champ Nom existe déjà."),
    ],
)
def test_catalog_duplicate_name_refused_by_validation(model, factory, message):
    factory(name="L'Appel de Cthulhu")

    assert_refused(model(name="L'Appel de Cthulhu"), {"name": [message]})


@pytest.mark.parametrize("model", [System, Vtt, SpecialEvent])
def test_catalog_duplicate_name_refused_by_database(model):
    model.objects.create(name="L'Appel de Cthulhu")

    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(name="L'Appel de Cthulhu")

    assert model.objects.count() == 1


@pytest.mark.parametrize("model", [System, Vtt, SpecialEvent])
def test_catalog_distinct_names_are_valid(model):
    model.objects.create(name="L'Appel de Cthulhu")
    other = model(name="L'Appel de Cthulhu 7e édition")

    other.full_clean()
    other.save()

    assert model.objects.count() == 2


# --- SpecialEvent: colour ---------------------------------------------------------------------


@pytest.mark.parametrize("color", ["#aabbcc", "#AABBCC", "#198754", ""])
def test_special_event_color_is_valid(color):
    event = SpecialEvent(name="Halloween", color=color)

    event.full_clean()
    event.save()

    assert update_in_db(event, color=color).color == color


@pytest.mark.parametrize("color", ["red", "#abc", "aabbcc", "#gggggg"])
def test_special_event_bad_color_refused_by_validation(color):
    assert_refused(SpecialEvent(name="Halloween", color=color), {"color": [MSG_HEX]})


@pytest.mark.parametrize("color", ["red", "#abc", "aabbcc", "#gggggg"])
def test_special_event_bad_color_refused_by_database(color):
    event = SpecialEventFactory(color="#aabbcc")

    assert_db_refuses_update(event, color=color)
    with pytest.raises(IntegrityError), transaction.atomic():
        SpecialEvent.objects.create(name="Halloween", color=color)


@pytest.mark.parametrize(
    ("color", "expected"), [("#aabbcc", 0xAABBCC), ("#198754", 1673044), ("", None)]
)
def test_special_event_color_int(color, expected):
    assert SpecialEvent(name="Halloween", color=color).color_int == expected


def test_special_event_active_lists_active_events_only():
    SpecialEventFactory(name="Halloween", active=True)
    SpecialEventFactory(name="Noël", active=False)

    assert list(SpecialEvent.objects.active().values_list("name", flat=True)) == ["Halloween"]


# --- Channel (Discord category) ---------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 50])
def test_channel_size_boundary_is_valid(size):
    channel = ChannelFactory()
    channel.size = size

    channel.full_clean()

    assert update_in_db(channel, size=size).size == size


def test_channel_size_over_capacity_refused_by_validation():
    channel = ChannelFactory()
    channel.size = 51

    assert_refused(channel, {"size": [at_most(50)]})


@pytest.mark.parametrize("size", [51, 1000])
def test_channel_size_over_capacity_refused_by_database(size):
    assert_db_refuses_update(ChannelFactory(), size=size)

    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelFactory(size=size)


def test_channel_unknown_type_refused_by_validation():
    channel = ChannelFactory()
    channel.type = "bogus"

    assert_refused(channel, {"type": [INVALID_BOGUS]})


def test_channel_unknown_type_refused_by_database():
    assert_db_refuses_update(ChannelFactory(), type="bogus")


@pytest.mark.parametrize(
    ("discord_id", "messages"),
    [
        ("1" * 16, [MSG_SNOWFLAKE]),
        ("12345678901234567a", [MSG_SNOWFLAKE]),
        ("", [MSG_BLANK]),
    ],
)
def test_channel_bad_discord_id_refused_by_validation(discord_id, messages):
    channel = ChannelFactory()
    channel.discord_id = discord_id

    assert_refused(channel, {"discord_id": messages})


@pytest.mark.parametrize("discord_id", ["1" * 16, "1" * 22, "12345678901234567a", ""])
def test_channel_bad_discord_id_refused_by_database(discord_id):
    assert_db_refuses_update(
        ChannelFactory(), error=db_error_for_length(discord_id, 21), discord_id=discord_id
    )


def test_channel_duplicate_discord_id_refused_at_both_levels():
    ChannelFactory(discord_id="123456789012345678")

    assert_refused(
        Channel(discord_id="123456789012345678", type=GameType.ONESHOT),
        {
            "discord_id": [
                "Un objet Catégorie Discord avec ce champ Identifiant Discord existe déjà."
            ]
        },
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelFactory(discord_id="123456789012345678")


def test_channel_with_room_excludes_full_categories():
    ChannelFactory(name="vide", size=0)
    ChannelFactory(name="presque", size=49)
    ChannelFactory(name="pleine", size=50)

    names = set(Channel.objects.with_room().values_list("name", flat=True))

    assert names == {"vide", "presque"}


def test_channel_is_full_at_capacity():
    assert [Channel(size=size).is_full for size in (0, 49, 50)] == [False, False, True]


def test_channel_of_type_filters_by_game_type():
    ChannelFactory(name="os", type=GameType.ONESHOT)
    ChannelFactory(name="campagne", type=GameType.CAMPAIGN, size=50)
    ChannelFactory(name="campagne 2", type=GameType.CAMPAIGN)

    campaigns = Channel.objects.of_type(GameType.CAMPAIGN)

    assert set(campaigns.values_list("name", flat=True)) == {"campagne", "campagne 2"}
    assert list(campaigns.with_room().values_list("name", flat=True)) == ["campagne 2"]


# --- PostChannel ------------------------------------------------------------------------------


def test_post_channel_duplicate_discord_id_refused_by_validation():
    PostChannelFactory(discord_id="123456789012345678")

    assert_refused(
        PostChannel(label="Annonces", discord_id="123456789012345678"),
        {
            "discord_id": [
                "Un objet Salon de publication avec ce champ ID du salon Discord existe déjà."
            ]
        },
    )


def test_post_channel_duplicate_discord_id_refused_by_database():
    PostChannelFactory(discord_id="123456789012345678")

    with pytest.raises(IntegrityError), transaction.atomic():
        PostChannelFactory(discord_id="123456789012345678")


@pytest.mark.parametrize(
    ("discord_id", "messages"),
    [("1" * 16, [MSG_SNOWFLAKE]), ("salon-annonces", [MSG_SNOWFLAKE]), ("", [MSG_BLANK])],
)
def test_post_channel_bad_discord_id_refused_by_validation(discord_id, messages):
    assert_refused(PostChannel(label="Annonces", discord_id=discord_id), {"discord_id": messages})


@pytest.mark.parametrize("discord_id", ["1" * 16, "1" * 22, "salon-annonces", ""])
def test_post_channel_bad_discord_id_refused_by_database(discord_id):
    assert_db_refuses_update(
        PostChannelFactory(), error=db_error_for_length(discord_id, 21), discord_id=discord_id
    )


@pytest.mark.parametrize("discord_id", ["1" * 17, "9" * 21])
def test_post_channel_snowflake_is_valid(discord_id):
    channel = PostChannel(label="Annonces", discord_id=discord_id)

    channel.full_clean()
    channel.save()

    assert PostChannel.objects.get().discord_id == discord_id


# --- ClubSettings -----------------------------------------------------------------------------


def test_club_settings_load_creates_singleton_with_defaults():
    assert ClubSettings.objects.count() == 0

    club = ClubSettings.load()

    assert ClubSettings.objects.count() == 1
    assert club.pk == 1
    assert {
        "games_per_page": club.games_per_page,
        "dashboard_agenda_limit": club.dashboard_agenda_limit,
        "dashboard_open_limit": club.dashboard_open_limit,
        "discord_role_auto_threshold": club.discord_role_auto_threshold,
        "profile_refresh_batch_size": club.profile_refresh_batch_size,
        "discord_category_auto_threshold": club.discord_category_auto_threshold,
        "category_name_template_oneshot": club.category_name_template_oneshot,
        "category_name_template_campaign": club.category_name_template_campaign,
        "discord_use_direct_permissions": club.discord_use_direct_permissions,
    } == {
        "games_per_page": 12,
        "dashboard_agenda_limit": 10,
        "dashboard_open_limit": 8,
        "discord_role_auto_threshold": 230,
        "profile_refresh_batch_size": 20,
        "discord_category_auto_threshold": 45,
        "category_name_template_oneshot": "🎲 ONE SHOTS {n} 📖",
        "category_name_template_campaign": "🎲 CAMPAGNES {n} 📖",
        "discord_use_direct_permissions": False,
    }
    club.full_clean()


def test_club_settings_load_returns_the_existing_row():
    first = ClubSettings.load()
    first.games_per_page = 24
    first.save()

    again = ClubSettings.load()

    assert (again.pk, again.games_per_page) == (1, 24)
    assert ClubSettings.objects.count() == 1


def test_club_settings_save_always_targets_the_singleton():
    ClubSettings.load()

    ClubSettings(games_per_page=30).save()

    assert list(ClubSettings.objects.values_list("pk", "games_per_page")) == [(1, 30)]


def test_club_settings_second_row_refused_by_database():
    ClubSettings.load()

    # save() pins the primary key to 1, so create(pk=2) collides with the existing row...
    with pytest.raises(IntegrityError), transaction.atomic():
        ClubSettings.objects.create(pk=2)
    # ...and a row that skips save() is refused by the singleton check constraint.
    with pytest.raises(IntegrityError), transaction.atomic():
        ClubSettings.objects.bulk_create([ClubSettings(pk=2)])

    assert list(ClubSettings.objects.values_list("pk", flat=True)) == [1]


def test_club_settings_other_primary_key_refused_by_database_even_alone():
    with pytest.raises(IntegrityError), transaction.atomic():
        ClubSettings.objects.bulk_create([ClubSettings(pk=2)])

    assert ClubSettings.objects.count() == 0


BOUNDS = [
    ("games_per_page", 1, 60),
    ("dashboard_agenda_limit", 1, 30),
    ("dashboard_open_limit", 1, 30),
    ("discord_role_auto_threshold", 1, 250),
    ("profile_refresh_batch_size", 1, 100),
    ("discord_category_auto_threshold", 1, 50),
]


@pytest.mark.parametrize(("field", "low", "high"), BOUNDS)
def test_club_settings_bounds_are_valid(field, low, high):
    club = ClubSettings.load()
    for value in (low, high):
        setattr(club, field, value)

        club.full_clean()
        club.save()

        assert getattr(ClubSettings.objects.get(), field) == value
        assert getattr(update_in_db(club, **{field: value}), field) == value


@pytest.mark.parametrize(("field", "low", "high"), BOUNDS)
def test_club_settings_below_bound_refused_by_validation(field, low, high):
    club = ClubSettings.load()
    setattr(club, field, low - 1)

    assert_refused(club, {field: [at_least(low)]})


@pytest.mark.parametrize(("field", "low", "high"), BOUNDS)
def test_club_settings_above_bound_refused_by_validation(field, low, high):
    club = ClubSettings.load()
    setattr(club, field, high + 1)

    assert_refused(club, {field: [at_most(high)]})


@pytest.mark.parametrize(("field", "low", "high"), BOUNDS)
def test_club_settings_out_of_bounds_refused_by_database(field, low, high):
    club = ClubSettings.load()

    assert_db_refuses_update(club, **{field: low - 1})
    assert_db_refuses_update(club, **{field: high + 1})


@pytest.mark.parametrize(
    "field", ["category_name_template_oneshot", "category_name_template_campaign"]
)
@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("🎲 ONE SHOTS 📖", "Le modèle de nom doit contenir « {n} »."),
        ("{N}", "Le modèle de nom doit contenir « {n} »."),
        ("   ", "Le modèle de nom ne peut pas être vide."),
        ("", MSG_BLANK),
    ],
)
def test_club_settings_bad_category_template_refused_by_validation(field, template, message):
    club = ClubSettings.load()
    setattr(club, field, template)

    assert_refused(club, {field: [message]})


@pytest.mark.parametrize(
    "field", ["category_name_template_oneshot", "category_name_template_campaign"]
)
@pytest.mark.parametrize("template", ["🎲 ONE SHOTS 📖", ""])
def test_club_settings_bad_category_template_refused_by_database(field, template):
    assert_db_refuses_update(ClubSettings.load(), **{field: template})


@pytest.mark.parametrize(
    "field", ["category_name_template_oneshot", "category_name_template_campaign"]
)
def test_club_settings_category_template_with_placeholder_is_valid(field):
    club = ClubSettings.load()
    setattr(club, field, "{n}")

    club.full_clean()

    assert getattr(update_in_db(club, **{field: "Tables {n}"}), field) == "Tables {n}"


def test_club_settings_category_name_template_by_game_type():
    club = ClubSettings.load()

    assert club.category_name_template(GameType.ONESHOT) == "🎲 ONE SHOTS {n} 📖"
    assert club.category_name_template(GameType.CAMPAIGN) == "🎲 CAMPAGNES {n} 📖"


ID_FIELDS = [
    ("guild_id", "discord_guild_id", "DISCORD_GUILD_ID"),
    ("player_role_id", "discord_player_role_id", "DISCORD_PLAYER_ROLE_ID"),
    ("gm_role_id", "discord_gm_role_id", "DISCORD_GM_ROLE_ID"),
    ("admin_role_id", "discord_admin_role_id", "DISCORD_ADMIN_ROLE_ID"),
    ("posts_channel_id", "discord_posts_channel_id", "DISCORD_POSTS_CHANNEL_ID"),
    ("admin_channel_id", "discord_admin_channel_id", "DISCORD_ADMIN_CHANNEL_ID"),
]


@pytest.mark.parametrize(("prop", "field", "setting"), ID_FIELDS)
def test_club_settings_effective_id_falls_back_to_django_settings(settings, prop, field, setting):
    setattr(settings, setting, "111111111111111111")

    assert getattr(ClubSettings.load(), prop) == "111111111111111111"


@pytest.mark.parametrize(("prop", "field", "setting"), ID_FIELDS)
def test_club_settings_effective_id_override_wins(settings, prop, field, setting):
    setattr(settings, setting, "111111111111111111")
    club = ClubSettings.load()
    setattr(club, field, "222222222222222222")
    club.full_clean()
    club.save()

    assert getattr(ClubSettings.load(), prop) == "222222222222222222"


@pytest.mark.parametrize("field", [field for _prop, field, _setting in ID_FIELDS])
@pytest.mark.parametrize("value", ["1" * 16, "salon", "123456789012345678 "])
def test_club_settings_bad_discord_id_refused_by_validation(field, value):
    club = ClubSettings.load()
    setattr(club, field, value)

    assert_refused(club, {field: [MSG_SNOWFLAKE]})


# --- DiscordMessage: embeds -------------------------------------------------------------------

MSG_EMBED_KEYS = (
    "Chaque embed a un titre, une description, une couleur, un pied de page et une image."
)
MSG_EMBED_EMPTY = "Un embed doit avoir un titre, une description, un pied de page ou une image."


def embed_too_long(field: str, limit: int) -> str:
    return f"Le champ {field} de l'embed doit être un texte d'au plus {limit} caractères."


@pytest.mark.parametrize(
    "embeds",
    [
        [],
        [{"title": "Nouvelle campagne"}],
        [{"description": "Ce soir"}],
        [{"footer": "Le bureau"}],
        [{"image_url": "https://example.com/a.png"}],
        [
            {
                "title": "t" * 256,
                "description": "d" * 4096,
                "footer": "f" * 2048,
                "image_url": "i" * 2000,
                "color": "#198754",
            }
        ],
        [{"title": "Annonce", "color": ""}],
        [{"title": f"Annonce {n}"} for n in range(10)],
    ],
)
def test_validate_embeds_accepts_valid_embeds(embeds):
    validate_embeds(embeds)


@pytest.mark.parametrize(
    ("embeds", "message"),
    [
        ({"title": "Annonce"}, "Les embeds doivent former une liste."),
        ("Annonce", "Les embeds doivent former une liste."),
        (
            [{"title": f"Annonce {n}"} for n in range(11)],
            "Un message peut contenir au plus 10 embeds.",
        ),
        ([{"title": "Annonce", "url": "https://example.com"}], MSG_EMBED_KEYS),
        (["Annonce"], MSG_EMBED_KEYS),
        ([{"title": "t" * 257}], embed_too_long("title", 256)),
        ([{"description": "d" * 4097}], embed_too_long("description", 4096)),
        ([{"footer": "f" * 2049}], embed_too_long("footer", 2048)),
        ([{"image_url": "i" * 2001}], embed_too_long("image_url", 2000)),
        ([{"title": 42}], embed_too_long("title", 256)),
        ([{"title": "Annonce", "color": "red"}], MSG_HEX),
        ([{"title": "Annonce", "color": "#abc"}], MSG_HEX),
        ([{}], MSG_EMBED_EMPTY),
        ([{"title": "", "color": "#198754"}], MSG_EMBED_EMPTY),
        ([{"title": "Annonce"}, {}], MSG_EMBED_EMPTY),
    ],
)
def test_validate_embeds_refuses_with_message(embeds, message):
    with pytest.raises(ValidationError) as exc:
        validate_embeds(embeds)

    assert exc.value.messages == [message]


# --- DiscordMessage: buttons ------------------------------------------------------------------


@pytest.mark.parametrize(
    "buttons",
    [
        [],
        [{"label": "S'inscrire", "url": "https://example.com/inscription"}],
        [{"label": "l" * 80, "url": "http://example.com"}],
        [{"label": f"Lien {n}", "url": f"https://example.com/{n}"} for n in range(5)],
    ],
)
def test_validate_buttons_accepts_valid_buttons(buttons):
    validate_buttons(buttons)


@pytest.mark.parametrize(
    ("buttons", "message"),
    [
        ({"label": "Site", "url": "https://example.com"}, "Les boutons doivent former une liste."),
        (
            [{"label": f"Lien {n}", "url": "https://example.com"} for n in range(6)],
            "Un message peut contenir au plus 5 boutons.",
        ),
        ([{"url": "https://example.com"}], "Chaque bouton a un libellé et une URL."),
        ([{"label": "Site"}], "Chaque bouton a un libellé et une URL."),
        (
            [{"label": "Site", "url": "https://example.com", "emoji": "🎲"}],
            "Chaque bouton a un libellé et une URL.",
        ),
        (["https://example.com"], "Chaque bouton a un libellé et une URL."),
        ([{"label": "", "url": "https://example.com"}], "Un bouton doit avoir un libellé."),
        ([{"label": "   ", "url": "https://example.com"}], "Un bouton doit avoir un libellé."),
        ([{"label": None, "url": "https://example.com"}], "Un bouton doit avoir un libellé."),
        (
            [{"label": "l" * 81, "url": "https://example.com"}],
            "Le libellé d'un bouton ne peut dépasser 80 caractères.",
        ),
        ([{"label": "Site", "url": ""}], "Un bouton doit avoir une URL."),
        ([{"label": "Site", "url": "  "}], "Un bouton doit avoir une URL."),
        (
            [{"label": "Site", "url": "ftp://example.com"}],
            "L'URL d'un bouton doit commencer par http:// ou https://.",
        ),
        (
            [{"label": "Site", "url": "example.com"}],
            "L'URL d'un bouton doit commencer par http:// ou https://.",
        ),
        (
            [{"label": "Site", "url": "javascript:alert(1)"}],
            "L'URL d'un bouton doit commencer par http:// ou https://.",
        ),
    ],
)
def test_validate_buttons_refuses_with_message(buttons, message):
    with pytest.raises(ValidationError) as exc:
        validate_buttons(buttons)

    assert exc.value.messages == [message]


# --- DiscordMessage: model --------------------------------------------------------------------


def new_message(**fields) -> DiscordMessage:
    channel = PostChannelFactory()
    return DiscordMessage(channel=channel, channel_discord_id=channel.discord_id, **fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"content": "Bonsoir à toutes et à tous !"},
        {"embeds": [{"title": "Nouvelle campagne"}]},
        {
            "content": "Inscriptions ouvertes",
            "embeds": [{"title": "Halloween", "color": "#ff7518"}],
            "buttons": [{"label": "S'inscrire", "url": "https://example.com"}],
        },
    ],
)
def test_discord_message_with_content_or_embed_is_valid(fields):
    message = new_message(**fields)

    message.full_clean()
    message.save()

    assert DiscordMessage.objects.count() == 1


@pytest.mark.parametrize("content", ["", "   \n"])
def test_discord_message_without_content_or_embed_refused(content):
    message = new_message(content=content, buttons=[{"label": "Site", "url": "https://a.fr"}])

    assert_refused(message, {"__all__": ["Un message doit avoir un contenu ou au moins un embed."]})


def test_discord_message_bad_embeds_refused_on_the_field():
    message = new_message(content="Annonce", embeds=[{"title": "Annonce", "color": "red"}])

    assert_refused(message, {"embeds": [MSG_HEX]})


def test_discord_message_bad_buttons_refused_on_the_field():
    message = new_message(content="Annonce", buttons=[{"label": "Site", "url": "example.com"}])

    assert_refused(
        message, {"buttons": ["L'URL d'un bouton doit commencer par http:// ou https://."]}
    )


def test_discord_message_bad_channel_id_refused_on_the_field():
    message = new_message(content="Annonce")
    message.channel_discord_id = "salon"

    assert_refused(message, {"channel_discord_id": [MSG_SNOWFLAKE]})


def test_discord_message_content_over_2000_characters_refused():
    message = new_message(content="x" * 2001)

    assert_refused(
        message,
        {"content": [too_long(2000, 2001)]},
    )


@pytest.mark.parametrize(
    ("fields", "preview"),
    [
        ({"content": "Bonsoir"}, "Bonsoir"),
        ({"content": "x" * 100}, "x" * 80),
        ({"content": "Bonsoir", "embeds": [{"title": "Titre"}]}, "Bonsoir"),
        ({"embeds": [{"title": "Titre", "description": "Texte"}]}, "Titre"),
        ({"embeds": [{"description": "d" * 100}]}, "d" * 80),
        ({"embeds": [{"image_url": "https://example.com/a.png"}]}, ""),
        ({}, ""),
    ],
)
def test_discord_message_preview(fields, preview):
    message = DiscordMessage(**fields)

    assert message.preview == preview
    assert str(message) == preview


def test_discord_message_is_embed():
    assert DiscordMessage(content="Bonsoir").is_embed is False
    assert DiscordMessage(embeds=[{"title": "Titre"}]).is_embed is True

"""The game form: create, edit and clone, against every persona."""

import datetime
import html
import zoneinfo

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import SpecialEventFactory, SystemFactory, VttFactory
from games.models import ClosedReason, Game, GameEvent, GameStatus
from games.tests.factories import GameFactory, RegistrationFactory
from games.views.editing import game_create
from questmaster.discord.models import DiscordEffect

pytestmark = pytest.mark.django_db

CREATE_URL = "/annonce/"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def system(db):
    return SystemFactory(name="L'Appel de Cthulhu v7")


def in_days(days: int) -> str:
    moment = timezone.localtime() + datetime.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT20:30")


def form_data(chosen_system, **overrides) -> dict:
    """Every POST field of the form, as the browser sends them."""
    data = {
        "name": "Les Ombres d'Esteren",
        "type": "oneshot",
        "system": chosen_system.pk,
        "vtt": "",
        "date": in_days(7),
        "length": "1 session",
        "session_length": "3.5",
        "frequency": "",
        "party_size": "4",
        "xp": "all",
        "characters": "with_gm",
        "description": "Une enquête dans les brumes.",
        "complement": "",
        "restriction": "all",
        "restriction_tags": "",
        "class-action": "0",
        "class-investigation": "0",
        "class-interaction": "0",
        "class-horror": "0",
        "img": "",
        "action": "draft",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def page(response) -> str:
    return html.unescape(response.content.decode())


def effect_kinds(game) -> list[str]:
    return list(DiscordEffect.objects.filter(game=game).values_list("kind", flat=True))


def event_lines(game) -> list[tuple[str, str]]:
    return list(game.events.order_by("pk").values_list("action", "description"))


# --- who may post -------------------------------------------------------------------------------


def test_create_anonymous_is_sent_to_login(client):
    response = client.get(CREATE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={CREATE_URL}"


@pytest.mark.parametrize("persona", ["player", "outsider"])
def test_create_refused_to_non_gm(client, request, persona, system):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, form_data(system)).status_code == 403
    assert Game.objects.count() == 0


def test_create_refusal_says_why_in_french(player):
    request = RequestFactory().get(CREATE_URL)
    request.user = player

    with pytest.raises(PermissionDenied) as refusal:
        game_create(request)

    assert str(refusal.value) == "Vous devez être MJ pour poster une annonce."


@pytest.mark.parametrize("persona", ["gm", "staff"])
def test_create_form_shown_to_gm_and_staff(client, request, persona, system):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(CREATE_URL)

    content = page(response)
    assert response.status_code == 200
    assert "Nouvelle annonce" in content
    assert 'name="class-action"' in content
    assert "Brouillon" in content
    assert "Ouvrir (sans publier)" in content
    assert "Publier sur Discord" in content
    assert "Retour à l'annonce" not in content


def test_create_form_defaults(client, gm, system):
    client.force_login(gm)

    form = client.get(CREATE_URL).context["form"]

    assert form["type"].value() == "oneshot"
    assert form["party_size"].value() == 4
    assert str(form["session_length"].value()) == "3.5"
    assert form["restriction"].value() == "all"
    assert form["xp"].value() == "all"
    assert form["characters"].value() == "with_gm"
    assert form["class-horror"].value() == 0
    start = form["date"].value()  # naive, in the club's time zone
    assert (start.hour, start.minute) == (20, 30)
    assert start > timezone.localtime().replace(tzinfo=None)


def test_create_page_loads_its_script_with_the_csp_nonce(client, gm):
    client.force_login(gm)

    response = client.get(CREATE_URL)

    nonce = response.context["csp_nonce"]
    assert f'src="/static/js/game-form.js" nonce="{nonce}"' in response.content.decode()


# --- creation -----------------------------------------------------------------------------------


def test_create_draft(client, gm, system):
    vtt = VttFactory(name="Foundry")
    client.force_login(gm)

    response = client.post(
        CREATE_URL,
        form_data(
            system,
            vtt=vtt.pk,
            type="campaign",
            length="~10 sessions",
            session_length="4",
            frequency="bi-weekly",
            party_size="5",
            party_selection="on",
            xp="seasoned",
            characters="pregen",
            complement="Sessions sur Discord.",
            restriction="16+",
            restriction_tags=" violence ,  horreur, ",
            **{"class-action": "2", "class-horror": "1"},
            chill="on",
            epic="on",
        ),
    )

    game = Game.objects.get()
    assert response.status_code == 302
    assert response["Location"] == game.get_absolute_url()
    assert flashes(response) == ["Annonce Les Ombres d'Esteren enregistrée."]
    assert game.slug == "les-ombres-desteren-par-gaston"
    assert game.gm == gm
    assert game.status == GameStatus.DRAFT
    assert game.type == "campaign"
    assert game.special_event is None
    assert game.system == system
    assert game.vtt == vtt
    assert game.length == "~10 sessions"
    assert str(game.session_length) == "4.0"
    assert game.frequency == "bi-weekly"
    assert game.party_size == 5
    assert game.party_selection is True
    assert (game.xp, game.characters, game.restriction) == ("seasoned", "pregen", "16+")
    assert game.restriction_tags == "violence, horreur"
    assert game.classification == {"action": 2, "investigation": 0, "interaction": 0, "horror": 1}
    assert game.ambience == ["chill", "epic"]
    assert game.complement == "Sessions sur Discord."
    assert event_lines(game) == [("create", "Annonce créée avec le statut draft.")]
    assert game.events.get().actor == gm
    assert effect_kinds(game) == []
    assert game.sessions.count() == 0


def test_create_and_publish(client, gm, system):
    client.force_login(gm)

    response = client.post(CREATE_URL, form_data(system, action="open"))

    game = Game.objects.get()
    assert response["Location"] == game.get_absolute_url()
    assert flashes(response) == [
        "Annonce Les Ombres d'Esteren enregistrée et publiée : mode hors ligne, "
        "rien n'a été envoyé à Discord."
    ]
    assert (game.status, game.closed_reason) == (GameStatus.OPEN, "")
    assert game.published_at is not None
    assert effect_kinds(game) == ["setup_game", "announce"]
    assert event_lines(game) == [
        ("create", "Annonce créée avec le statut draft."),
        ("edit", "L'annonce a été publiée et ouverte."),
    ]
    session = game.sessions.get()
    assert session.start == game.date
    assert session.end - session.start == datetime.timedelta(hours=3.5)


def test_create_and_publish_silently(client, gm, system):
    client.force_login(gm)

    response = client.post(CREATE_URL, form_data(system, action="open-silent"))

    game = Game.objects.get()
    assert flashes(response) == [
        "Annonce Les Ombres d'Esteren enregistrée et publiée : mode hors ligne, "
        "rien n'a été envoyé à Discord."
    ]
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.SILENT)
    assert effect_kinds(game) == ["setup_game"]
    assert event_lines(game)[-1] == ("edit", "L'annonce a été ouverte silencieusement.")


def test_create_with_past_date_keeps_the_draft_and_asks_for_confirmation(client, gm, system):
    client.force_login(gm)

    response = client.post(CREATE_URL, form_data(system, action="open", date=in_days(-2)))

    game = Game.objects.get()
    edit_url = reverse("games:edit", kwargs={"slug": game.slug})
    assert game.status == GameStatus.DRAFT
    assert effect_kinds(game) == []
    assert response["Location"] == f"{edit_url}?action=open"
    assert flashes(response) == [
        "La date de la partie est dans le passé : la première session serait créée dans le "
        "passé. Modifiez la date ou confirmez la publication."
    ]

    confirmation = client.get(response["Location"])

    content = page(confirmation)
    assert "Date dans le passé" in content
    assert "Publier quand même" in content
    assert '<input type="hidden" name="confirm_past_date" value="1">' in content
    assert 'name="action" value="open">Publier quand même' in content
    assert f'action="{edit_url}"' in content


def test_past_date_confirmation_publishes_the_draft(client, gm, system):
    client.force_login(gm)
    client.post(CREATE_URL, form_data(system, action="open-silent", date=in_days(-2)))
    game = Game.objects.get()

    response = client.post(
        reverse("games:edit", kwargs={"slug": game.slug}),
        form_data(system, action="open-silent", date=in_days(-2), confirm_past_date="1"),
    )

    game.refresh_from_db()
    assert flashes(response)[-1] == "Annonce modifiée et ouverte."
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.SILENT)
    assert game.sessions.get().start < timezone.now()


def test_create_with_past_date_confirmed_publishes(client, gm, system):
    client.force_login(gm)

    client.post(
        CREATE_URL, form_data(system, action="open", date=in_days(-1), confirm_past_date="1")
    )

    game = Game.objects.get()
    assert game.status == GameStatus.OPEN
    assert effect_kinds(game) == ["setup_game", "announce"]


def test_create_ignores_a_forged_gm_id(client, gm, other_gm, system):
    client.force_login(gm)

    client.post(CREATE_URL, form_data(system, gm_id=other_gm.pk, gm=other_gm.pk))

    assert Game.objects.get().gm == gm


def test_staff_creates_in_their_own_name(client, staff, gm, system):
    client.force_login(staff)

    client.post(CREATE_URL, form_data(system, gm_id=gm.pk))

    game = Game.objects.get()
    assert game.gm == staff
    assert game.slug == "les-ombres-desteren-par-sacha"


def test_create_for_an_active_special_event(client, gm, system):
    event = SpecialEventFactory(name="Halloween", emoji="🎃", color="#ff7518")
    client.force_login(gm)

    form_page = page(client.get(CREATE_URL))
    response = client.post(CREATE_URL, form_data(system, type=f"specialevent-{event.pk}"))

    assert f'value="specialevent-{event.pk}"' in form_page
    assert "--event-color: #ff7518" in form_page
    assert "🎃 Halloween" in form_page
    game = Game.objects.get()
    assert response.status_code == 302
    assert (game.type, game.special_event) == ("oneshot", event)


def test_create_dates_are_in_the_club_time_zone(client, gm, system):
    client.force_login(gm)

    client.post(CREATE_URL, form_data(system, date="2031-07-12T20:30"))

    game = Game.objects.get()
    assert game.date == datetime.datetime(2031, 7, 12, 20, 30, tzinfo=PARIS)
    assert game.date.astimezone(datetime.UTC).hour == 18


def test_create_truncates_the_date_to_the_minute(client, gm, system):
    client.force_login(gm)

    client.post(CREATE_URL, form_data(system, date="2031-01-05T21:15:42"))

    assert Game.objects.get().date == datetime.datetime(2031, 1, 5, 21, 15, tzinfo=PARIS)


def test_create_normalises_an_imgur_page(client, gm, system):
    client.force_login(gm)

    client.post(CREATE_URL, form_data(system, img="https://imgur.com/AbC123x"))

    assert Game.objects.get().img == "https://i.imgur.com/AbC123x.webp"


@pytest.mark.parametrize(
    "url",
    [
        "https://i.imgur.com/AbC123x.png",
        "https://imgur.com/a/AbC123x",
        "https://imgur.com/gallery/AbC123x",
        "https://example.org/image.jpg",
    ],
)
def test_create_keeps_other_image_urls(client, gm, system, url):
    client.force_login(gm)

    client.post(CREATE_URL, form_data(system, img=url))

    assert Game.objects.get().img == url


def test_create_keeps_html_as_text(client, gm, system):
    client.force_login(gm)
    script = "<script>alert('x')</script>"

    client.post(CREATE_URL, form_data(system, name=f"Nuit {script}", description=script))

    game = Game.objects.get()
    assert game.description == script
    assert game.name == f"Nuit {script}"
    detail = client.get(game.get_absolute_url()).content.decode()
    assert "<script>alert" not in detail
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in detail


# --- validation ---------------------------------------------------------------------------------

REQUIRED = "Ce champ est obligatoire."
INVALID_CHOICE = "Sélectionnez un choix valide. {} n’en fait pas partie."


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "", REQUIRED),
        ("name", "x" * 256, "Assurez-vous que cette valeur comporte au plus 255 caractères"),
        ("description", "", REQUIRED),
        (
            "description",
            "x" * 10_001,
            "Assurez-vous que cette valeur comporte au plus 10000 caractères",
        ),
        (
            "complement",
            "x" * 5_001,
            "Assurez-vous que cette valeur comporte au plus 5000 caractères",
        ),
        (
            "restriction_tags",
            "x" * 256,
            "Assurez-vous que cette valeur comporte au plus 255 caractères",
        ),
        ("system", "", REQUIRED),
        (
            "system",
            "999999",
            "Sélectionnez un choix valide. Ce choix ne fait pas partie de ceux disponibles.",
        ),
        (
            "vtt",
            "abc",
            "Sélectionnez un choix valide. Ce choix ne fait pas partie de ceux disponibles.",
        ),
        ("date", "", REQUIRED),
        ("date", "demain soir", "Saisissez une date et une heure valides."),
        ("date", "2031-02-30T20:30", "Saisissez une date et une heure valides."),
        ("party_size", "0", "Assurez-vous que cette valeur est supérieure ou égale à 1."),
        ("party_size", "100", "Assurez-vous que cette valeur est inférieure ou égale à 99."),
        ("party_size", "quatre", "Saisissez un nombre entier."),
        ("session_length", "0", "Assurez-vous que cette valeur est supérieure ou égale à 0.5."),
        ("session_length", "24.5", "Assurez-vous que cette valeur est inférieure ou égale à 24."),
        ("session_length", "2.7", "Assurez-vous que cette valeur est un multiple de la taille"),
        ("class-action", "3", INVALID_CHOICE.format(3)),
        ("class-horror", "-1", INVALID_CHOICE.format(-1)),
        ("class-interaction", "beaucoup", INVALID_CHOICE.format("beaucoup")),
        ("type", "solo", "Choisissez One Shot, Campagne ou un événement spécial actif."),
        ("type", "specialevent-999", "Choisissez One Shot, Campagne ou un événement spécial"),
        ("type", "specialevent-x", "Choisissez One Shot, Campagne ou un événement spécial"),
        ("length", "forever", INVALID_CHOICE.format("forever")),
        ("frequency", "daily", INVALID_CHOICE.format("daily")),
        ("xp", "pro", INVALID_CHOICE.format("pro")),
        ("characters", "npc", INVALID_CHOICE.format("npc")),
        ("restriction", "21+", INVALID_CHOICE.format("21+")),
        ("img", "javascript:alert(1)", "Saisissez une URL valide."),
        ("img", "ftp://example.org/image.png", "Saisissez une URL valide."),
        ("img", "https://", "Saisissez une URL valide."),
        ("action", "publish-now", "Action inconnue : enregistrer, ouvrir ou publier."),
    ],
)
def test_create_refuses_bad_input_in_french(client, gm, system, field, value, error):
    client.force_login(gm)

    response = client.post(CREATE_URL, form_data(system, **{field: value}))

    assert response.status_code == 200
    assert Game.objects.count() == 0
    assert GameEvent.objects.count() == 0
    errors = response.context["form"].errors[field]
    assert any(message.startswith(error) for message in errors), errors
    content = page(response)
    assert "L'annonce n'a pas été enregistrée : corrigez les champs signalés ci-dessous." in content
    assert error in content


def test_create_refuses_an_inactive_special_event(client, gm, system):
    event = SpecialEventFactory(name="Noël", active=False)
    client.force_login(gm)

    form_page = page(client.get(CREATE_URL))
    response = client.post(CREATE_URL, form_data(system, type=f"specialevent-{event.pk}"))

    assert "Noël" not in form_page
    assert response.context["form"].errors["type"] == [
        "Choisissez One Shot, Campagne ou un événement spécial actif."
    ]
    assert Game.objects.count() == 0


def test_create_keeps_everything_typed_on_error(client, gm, system):
    client.force_login(gm)
    data = form_data(
        system,
        name="<b>Le Dé</b> d'or",
        description="Ligne 1\n<i>Ligne 2</i>",
        restriction_tags="gore",
        party_size="100",
        **{"class-action": "2"},
        comic="on",
        img="https://i.imgur.com/AbC123x.png",
    )

    response = client.post(CREATE_URL, data)

    raw = response.content.decode()
    form = response.context["form"]
    assert form["name"].value() == "<b>Le Dé</b> d'or"
    assert form["description"].value() == "Ligne 1\n<i>Ligne 2</i>"
    assert form["restriction_tags"].value() == "gore"
    assert form["party_size"].value() == "100"
    assert form["class-action"].value() == "2"
    assert form["comic"].value() is True
    assert 'value="&lt;b&gt;Le Dé&lt;/b&gt; d&#x27;or"' in raw
    assert "Ligne 1\n&lt;i&gt;Ligne 2&lt;/i&gt;</textarea>" in raw
    assert 'value="100"' in raw
    assert 'aria-invalid="true"' in raw
    # An invalid image never reaches the preview; a valid one does.
    assert 'src="https://i.imgur.com/AbC123x.png"' in raw


# --- slugs --------------------------------------------------------------------------------------


def test_create_same_name_twice_gets_a_suffix(client, gm, system):
    client.force_login(gm)

    client.post(CREATE_URL, form_data(system))
    client.post(CREATE_URL, form_data(system))

    assert sorted(Game.objects.values_list("slug", flat=True)) == [
        "les-ombres-desteren-par-gaston",
        "les-ombres-desteren-par-gaston-2",
    ]


def edit_url(game) -> str:
    return reverse("games:edit", kwargs={"slug": game.slug})


def test_renaming_a_draft_regenerates_its_slug(client, gm, system):
    game = GameFactory(gm=gm, draft=True, name="Ancien nom", slug="ancien-nom-par-gaston")
    GameFactory(name="Nouveau nom", slug="nouveau-nom-par-gaston")
    client.force_login(gm)

    response = client.post(edit_url(game), form_data(system, name="Nouveau nom"))

    game.refresh_from_db()
    assert game.name == "Nouveau nom"
    assert game.slug == "nouveau-nom-par-gaston-2"
    assert response["Location"] == "/annonces/nouveau-nom-par-gaston-2/"
    assert flashes(response) == ["Annonce modifiée."]


def test_a_draft_can_leave_its_special_event(client, gm, system):
    game = GameFactory(gm=gm, draft=True, special_event=SpecialEventFactory())
    client.force_login(gm)

    client.post(edit_url(game), form_data(system, type="campaign"))

    game.refresh_from_db()
    assert (game.type, game.special_event) == ("campaign", None)


def test_editing_a_draft_without_renaming_keeps_its_slug(client, gm, system):
    game = GameFactory(gm=gm, draft=True, name="Les Ombres d'Esteren", slug="mon-slug")
    client.force_login(gm)

    client.post(edit_url(game), form_data(system, description="Autre texte"))

    game.refresh_from_db()
    assert (game.slug, game.description) == ("mon-slug", "Autre texte")


def test_published_game_name_and_type_are_frozen(client, gm, system):
    event = SpecialEventFactory()
    game = GameFactory(
        gm=gm, name="Partie publiée", slug="partie-publiee-par-gaston", special_event=event
    )
    client.force_login(gm)

    form_page = page(client.get(edit_url(game)))
    response = client.post(
        edit_url(game),
        form_data(system, name="Renommée", type="campaign", description="Nouveau texte"),
    )

    game.refresh_from_db()
    assert response.status_code == 302
    assert (game.name, game.slug) == ("Partie publiée", "partie-publiee-par-gaston")
    assert (game.type, game.special_event) == ("oneshot", event)
    assert game.description == "Nouveau texte"
    assert 'name="name" value="Partie publiée"' in form_page
    assert "disabled" in form_page.split('name="name"')[1].split(">")[0]
    assert f'value="specialevent-{event.pk}"' in form_page
    assert "Le nom et le type ne changent plus une fois l'annonce publiée." in form_page


def test_published_game_keeps_its_event_once_the_event_is_over(client, gm, system):
    event = SpecialEventFactory(active=False)
    game = GameFactory(gm=gm, special_event=event)
    client.force_login(gm)

    response = client.post(edit_url(game), form_data(system, party_size="6"))

    game.refresh_from_db()
    assert response.status_code == 302
    assert (game.special_event, game.party_size) == (event, 6)


# --- edit ---------------------------------------------------------------------------------------


def test_edit_anonymous_is_sent_to_login(client):
    game = GameFactory()

    response = client.get(edit_url(game))

    assert response["Location"] == f"/login/?next={edit_url(game)}"


@pytest.mark.parametrize(
    ("persona", "draft", "status"),
    [
        ("player", False, 403),
        ("outsider", False, 403),
        ("other_gm", False, 403),
        ("other_gm", True, 404),
        ("player", True, 404),
    ],
)
def test_edit_refused(client, request, gm, system, persona, draft, status):
    game = GameFactory(gm=gm, draft=draft, description="Texte d'origine")
    client.force_login(request.getfixturevalue(persona))

    assert client.get(edit_url(game)).status_code == status
    assert client.post(edit_url(game), form_data(system, description="Piraté")).status_code == (
        status
    )
    game.refresh_from_db()
    assert game.description == "Texte d'origine"
    assert game.events.count() == 0


@pytest.mark.parametrize("persona", ["gm", "staff"])
def test_edit_allowed(client, request, gm, system, persona):
    game = GameFactory(gm=gm, draft=True, name="Les Ombres d'Esteren")
    actor = request.getfixturevalue(persona)
    client.force_login(actor)

    response = client.post(edit_url(game), form_data(system, party_size="6", frequency="weekly"))

    game.refresh_from_db()
    assert response["Location"] == game.get_absolute_url()
    assert (game.party_size, game.frequency, game.gm) == (6, "weekly", gm)
    assert event_lines(game) == [("edit", "Le contenu de l'annonce a été édité.")]
    assert game.events.get().actor == actor


def test_edit_page_is_prefilled(client, gm, system):
    event = SpecialEventFactory()
    game = GameFactory(
        gm=gm,
        draft=True,
        system=system,
        special_event=event,
        classification={"action": 1, "investigation": 2, "interaction": 0, "horror": 0},
        ambience=["serious"],
        img="https://i.imgur.com/AbC123x.webp",
        date=datetime.datetime(2031, 3, 1, 21, 0, tzinfo=PARIS),
    )
    client.force_login(gm)

    response = client.get(edit_url(game))

    form = response.context["form"]
    content = page(response)
    assert flashes(response) == ["Vous êtes en train de modifier une annonce."]
    assert "Éditer l'annonce" in content
    assert form["type"].value() == f"specialevent-{event.pk}"
    assert form["class-investigation"].value() == 2
    assert form["serious"].value() is True
    assert form["chill"].value() is False
    assert 'value="2031-03-01T21:00"' in content
    assert 'src="https://i.imgur.com/AbC123x.webp"' in content
    assert "Enregistrer les modifications" in content
    assert "Publier sur Discord" in content
    assert f'href="{game.get_absolute_url()}">← Retour à l\'annonce' in content


def test_edit_of_a_published_game_offers_no_publish_button(client, gm):
    game = GameFactory(gm=gm)
    client.force_login(gm)

    content = page(client.get(edit_url(game)))

    assert "Publier sur Discord" not in content
    assert "Ouvrir (sans publier)" not in content


def test_edit_invalid_keeps_the_game_unchanged(client, gm, system):
    game = GameFactory(gm=gm, draft=True, name="Avant", party_size=4)
    client.force_login(gm)

    response = client.post(edit_url(game), form_data(system, name="Après", party_size="0"))

    game.refresh_from_db()
    assert response.status_code == 200
    assert (game.name, game.party_size) == ("Avant", 4)
    assert response.context["form"]["name"].value() == "Après"
    assert game.events.count() == 0


def test_edit_of_an_announced_game_refreshes_the_announcement(client, gm, system):
    game = GameFactory(gm=gm, discord_message_id="123456789012345678")
    client.force_login(gm)

    response = client.post(edit_url(game), form_data(system, description="Mise à jour"))

    assert flashes(response) == ["Annonce modifiée."]
    assert effect_kinds(game) == ["refresh_announcement"]
    assert DiscordEffect.objects.get().created_by == gm


def test_edit_of_a_silently_opened_game_has_no_announcement_to_refresh(client, gm, system):
    game = GameFactory(gm=gm, status=GameStatus.CLOSED, closed_reason=ClosedReason.SILENT)
    client.force_login(gm)

    client.post(edit_url(game), form_data(system, description="Mise à jour"))

    assert effect_kinds(game) == []


def test_edit_does_not_overwrite_a_concurrent_status_change(client, gm, system):
    game = GameFactory(gm=gm, party_size=1)
    RegistrationFactory(game=game)
    # The game closed itself (full) after the GM loaded the form.
    Game.objects.filter(pk=game.pk).update(
        status=GameStatus.CLOSED, closed_reason=ClosedReason.FULL
    )
    client.force_login(gm)

    client.post(edit_url(game), form_data(system, description="Mise à jour", party_size="1"))

    game.refresh_from_db()
    assert (game.status, game.closed_reason) == (GameStatus.CLOSED, ClosedReason.FULL)
    assert game.description == "Mise à jour"


@pytest.mark.parametrize(
    ("action", "flash", "status"),
    [
        (
            "open",
            "Annonce modifiée et enregistrée : mode hors ligne, rien n'a été envoyé à Discord.",
            GameStatus.OPEN,
        ),
        ("open-silent", "Annonce modifiée et ouverte.", GameStatus.CLOSED),
    ],
)
def test_edit_draft_and_publish(client, gm, system, action, flash, status):
    game = GameFactory(gm=gm, draft=True, name="Les Ombres d'Esteren")
    client.force_login(gm)

    response = client.post(edit_url(game), form_data(system, action=action))

    game.refresh_from_db()
    assert flashes(response) == [flash]
    assert game.status == status
    assert effect_kinds(game)[0] == "setup_game"


def test_edit_published_game_ignores_a_forged_publish_action(client, gm, system):
    game = GameFactory(gm=gm, status=GameStatus.CLOSED, closed_reason=ClosedReason.MANUAL)
    client.force_login(gm)

    response = client.post(edit_url(game), form_data(system, action="open"))

    game.refresh_from_db()
    assert flashes(response) == ["Annonce modifiée."]
    assert game.status == GameStatus.CLOSED


def test_archived_game_cannot_be_edited(client, gm, system):
    game = GameFactory(gm=gm, archived=True, description="Fini")
    client.force_login(gm)

    shown = client.get(edit_url(game))
    posted = client.post(edit_url(game), form_data(system, description="Rouvert"))

    for response in (shown, posted):
        assert response["Location"] == game.get_absolute_url()
        assert flashes(response)[-1] == "Une annonce archivée ne peut plus être modifiée."
    game.refresh_from_db()
    assert game.description == "Fini"


def test_edit_url_without_past_date_shows_no_confirmation(client, gm):
    game = GameFactory(gm=gm, draft=True)
    client.force_login(gm)

    content = page(client.get(f"{edit_url(game)}?action=open"))

    assert "Publier quand même" not in content


# --- clone --------------------------------------------------------------------------------------


def clone_url(game) -> str:
    return reverse("games:clone", kwargs={"slug": game.slug})


def test_clone_anonymous_is_sent_to_login(client):
    game = GameFactory()

    assert client.get(clone_url(game))["Location"] == f"/login/?next={clone_url(game)}"


@pytest.mark.parametrize(
    ("persona", "draft", "status"),
    [
        ("player", False, 403),
        ("outsider", False, 403),
        ("other_gm", False, 403),
        ("other_gm", True, 404),
    ],
)
def test_clone_refused(client, request, gm, persona, draft, status):
    game = GameFactory(gm=gm, draft=draft)
    client.force_login(request.getfixturevalue(persona))

    assert client.get(clone_url(game)).status_code == status


def test_clone_is_a_get_only_page(client, gm):
    game = GameFactory(gm=gm)
    client.force_login(gm)

    assert client.post(clone_url(game)).status_code == 405


@pytest.mark.parametrize("persona", ["gm", "staff"])
def test_clone_prefills_the_create_form(client, request, gm, persona):
    event = SpecialEventFactory()
    source = GameFactory(
        gm=gm,
        name="Les Ombres d'Esteren",
        special_event=event,
        description="Une enquête.",
        party_size=3,
        restriction="18+",
        restriction_tags="gore",
        classification={"action": 0, "investigation": 0, "interaction": 1, "horror": 2},
        ambience=["epic"],
        date=datetime.datetime(2020, 10, 31, 20, 30, tzinfo=PARIS),
    )
    RegistrationFactory(game=source)
    client.force_login(request.getfixturevalue(persona))

    response = client.get(clone_url(source))

    form = response.context["form"]
    content = page(response)
    assert flashes(response) == ["Vous êtes en train de cloner une annonce."]
    assert "Cloner l'annonce" in content
    assert f'action="{CREATE_URL}"' in content
    assert form["name"].value() == "Les Ombres d'Esteren"
    assert form["type"].value() == f"specialevent-{event.pk}"
    assert form["description"].value() == "Une enquête."
    assert form["party_size"].value() == 3
    assert form["restriction"].value() == "18+"
    assert form["restriction_tags"].value() == "gore"
    assert form["class-horror"].value() == 2
    assert form["epic"].value() is True
    assert 'value="2020-10-31T20:30"' in content
    assert "Publier sur Discord" in content


def test_clone_post_creates_a_new_game_owned_by_the_cloner(client, gm, staff, system):
    source = GameFactory(
        gm=gm,
        name="Les Ombres d'Esteren",
        slug="les-ombres-desteren-par-gaston",
        discord_channel_id="123456789012345678",
    )
    RegistrationFactory(game=source)
    client.force_login(staff)
    initial = client.get(clone_url(source)).context["form"].initial

    response = client.post(
        CREATE_URL, form_data(system, name=initial["name"], description=initial["description"])
    )

    clone = Game.objects.exclude(pk=source.pk).get()
    assert response["Location"] == clone.get_absolute_url()
    assert clone.gm == staff
    assert clone.slug == "les-ombres-desteren-par-sacha"
    assert clone.status == GameStatus.DRAFT
    assert clone.registrations.count() == 0
    assert clone.discord_channel_id == ""
    source.refresh_from_db()
    assert source.gm == gm
    assert source.registrations.count() == 1


def test_publishing_online_says_posted(client, gm, system, settings):
    settings.DISCORD_BOT_TOKEN, settings.DISCORD_OFFLINE = "bot-token", False
    client.force_login(gm)

    response = client.post(reverse("games:create"), form_data(system, action="open"))

    assert flashes(response) == ["Annonce Les Ombres d'Esteren postée."]

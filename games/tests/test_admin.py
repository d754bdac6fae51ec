import datetime
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.tests.factories import SpecialEventFactory, SystemFactory, VttFactory
from games.models import Game, GameEvent, GameEventAction
from games.tests.factories import (
    GameEventFactory,
    GameFactory,
    GameSessionFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

FIRST_SESSION = datetime.datetime(2030, 5, 1, 20, 0, tzinfo=datetime.UTC)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_games(count: int) -> None:
    for _ in range(count):
        game = GameFactory(vtt=VttFactory(), special_event=SpecialEventFactory())
        GameSessionFactory(game=game)
        RegistrationFactory.create_batch(2, game=game)
        GameEventFactory(game=game, actor=game.gm)


def _add_events(count: int) -> None:
    for _ in range(count):
        game = GameFactory()
        GameEventFactory(game=game, actor=game.gm, subject=UserFactory())


def _add_sessions(count: int) -> None:
    GameSessionFactory.create_batch(count)


def _add_registrations(count: int) -> None:
    for _ in range(count):
        RegistrationFactory(added_by=UserFactory())


@pytest.mark.parametrize(
    ("url_name", "add_rows"),
    [
        ("admin:games_game_changelist", _add_games),
        ("admin:games_gameevent_changelist", _add_events),
        ("admin:games_gamesession_changelist", _add_sessions),
        ("admin:games_registration_changelist", _add_registrations),
    ],
)
def test_changelist_query_count_does_not_grow(client, staff, url_name, add_rows):
    client.force_login(staff)
    url = reverse(url_name)
    add_rows(1)
    one = _queries(client, url)

    add_rows(5)

    assert _queries(client, url) == one


def test_game_change_and_add_views_render(client, staff):
    client.force_login(staff)
    game = GameFactory(
        classification={"action": 2, "investigation": 1, "interaction": 0, "horror": 0}
    )
    GameSessionFactory(game=game)
    RegistrationFactory(game=game)
    GameEventFactory(game=game)

    change = client.get(reverse("admin:games_game_change", args=[game.pk]))
    add = client.get(reverse("admin:games_game_add"))

    assert change.status_code == 200
    form = change.context["adminform"].form
    assert [form[f"classification_{key}"].value() for key in ("action", "horror")] == [2, 0]
    assert add.status_code == 200


@pytest.mark.parametrize(
    ("model", "factory"),
    [("gamesession", GameSessionFactory), ("registration", RegistrationFactory)],
)
def test_session_and_registration_admins_are_read_only(client, staff, model, factory):
    # Both change through the services only (Discord access and notices go with them).
    client.force_login(staff)
    obj = factory()
    change_url = reverse(f"admin:games_{model}_change", args=[obj.pk])

    change = client.get(change_url)
    edit = client.post(change_url, {"state": "waitlisted"})
    add = client.get(reverse(f"admin:games_{model}_add"))
    delete = client.post(reverse(f"admin:games_{model}_delete", args=[obj.pk]), {"post": "yes"})

    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert (edit.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    assert type(obj).objects.filter(pk=obj.pk).exists()


def _split(moment: datetime.datetime, name: str) -> dict:
    local = timezone.localtime(moment)
    return {f"{name}_0": local.strftime("%Y-%m-%d"), f"{name}_1": local.strftime("%H:%M")}


def _game_data(gm, system, sessions=(), **changes) -> dict:
    data = {
        "name": "La Quête du Graal",
        "slug": "",
        "type": "oneshot",
        "special_event": "",
        "gm": gm.pk,
        "system": system.pk,
        "vtt": "",
        "img": "",
        **_split(FIRST_SESSION, "date"),
        "length": "1 session",
        "session_length": "3.5",
        "frequency": "",
        "party_size": "4",
        "xp": "all",
        "characters": "with_gm",
        "description": "Une quête arthurienne.",
        "complement": "",
        "restriction": "all",
        "restriction_tags": "",
        "classification_action": "2",
        "classification_investigation": "1",
        "classification_interaction": "1",
        "classification_horror": "0",
        "ambience": ["epic", "chill"],
        "status": "draft",
        "closed_reason": "",
        "discord_channel_id": "",
        "discord_role_id": "",
        "discord_message_id": "",
        "sessions-TOTAL_FORMS": str(len(sessions)),
        "sessions-INITIAL_FORMS": "0",
        "registrations-TOTAL_FORMS": "0",
        "registrations-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    for index, (start, end) in enumerate(sessions):
        data.update(_split(start, f"sessions-{index}-start"))
        data.update(_split(end, f"sessions-{index}-end"))
    data.update(changes)
    return data


def test_game_add_creates_a_draft_through_the_service(client, staff, gm):
    client.force_login(staff)
    sessions = [(FIRST_SESSION, FIRST_SESSION + datetime.timedelta(hours=4))]
    # Status, slug, Discord ids and sessions are not the add form's: whatever is posted.
    forged = {
        "status": "open",
        "slug": "forged",
        "discord_message_id": "970000000000000001",
    }

    response = client.post(
        reverse("admin:games_game_add"), _game_data(gm, SystemFactory(), sessions, **forged)
    )

    assert response.status_code == 302
    game = Game.objects.get()
    assert (game.status, game.closed_reason, game.gm) == ("draft", "", gm)
    assert game.slug == "la-quete-du-graal-par-gaston"
    assert game.discord_message_id == ""
    assert game.classification == {"action": 2, "investigation": 1, "interaction": 1, "horror": 0}
    assert game.ambience == ["chill", "epic"]
    assert not game.sessions.exists()
    [created] = game.events.all()
    assert (created.action, created.actor) == (GameEventAction.CREATE, staff)


def test_game_add_keeps_empty_classification(client, staff, gm):
    client.force_login(staff)
    empty = {f"classification_{key}": "" for key in ("action", "investigation", "interaction")}
    empty["classification_horror"] = ""

    client.post(reverse("admin:games_game_add"), _game_data(gm, SystemFactory(), **empty))

    assert Game.objects.get().classification == {}


BAD_START = FIRST_SESSION + datetime.timedelta(hours=3)


@pytest.mark.parametrize(
    ("changes", "sessions", "errors"),
    [
        (
            {"party_size": "0"},
            (),
            {"party_size": ["Assurez-vous que cette valeur est supérieure ou égale à 1."]},
        ),
        (
            {"party_size": "100"},
            (),
            {"party_size": ["Assurez-vous que cette valeur est inférieure ou égale à 99."]},
        ),
        (
            {"classification_horror": "3"},
            (),
            {"classification_horror": ["Sélectionnez un choix valide. 3 n’en fait pas partie."]},
        ),
        (
            {"ambience": ["grim"]},
            (),
            {"ambience": ["Sélectionnez un choix valide. grim n’en fait pas partie."]},
        ),
    ],
)
def test_game_add_refuses_invalid_fields(client, staff, gm, changes, sessions, errors):
    client.force_login(staff)

    response = client.post(
        reverse("admin:games_game_add"), _game_data(gm, SystemFactory(), sessions, **changes)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == errors
    assert not Game.objects.exists()


def test_game_add_refuses_partial_classification(client, staff, gm):
    client.force_login(staff)

    response = client.post(
        reverse("admin:games_game_add"),
        _game_data(gm, SystemFactory(), classification_action=""),
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["classification_action"]
    assert not Game.objects.exists()


def test_game_change_ignores_posted_sessions(client, staff):
    client.force_login(staff)
    game = GameFactory(date=FIRST_SESSION)
    saved = GameSessionFactory(game=game)
    data = _game_data(
        game.gm,
        game.system,
        [(saved.start, saved.end), (BAD_START, BAD_START + datetime.timedelta(hours=2))],
        name=game.name,
    )
    data.update(
        {"sessions-INITIAL_FORMS": "1", "sessions-0-id": saved.pk, "sessions-0-game": game.pk}
    )
    data.update(_split(FIRST_SESSION + datetime.timedelta(days=1), "sessions-0-start"))

    response = client.post(reverse("admin:games_game_change", args=[game.pk]), data)

    assert response.status_code == 302
    assert list(game.sessions.values_list("start", "end")) == [(saved.start, saved.end)]


def test_game_change_links_the_game_page_for_sessions_and_players(client, staff):
    client.force_login(staff)
    game = GameFactory(slug="la-partie-par-gaston")

    response = client.get(reverse("admin:games_game_change", args=[game.pk]))

    assert (
        "Les sessions et les joueur·euses ne se modifient pas ici : faites-le sur "
        '<a href="/annonces/la-partie-par-gaston/">la page de la partie</a>'
    ) in response.content.decode()


def test_game_change_refuses_special_event_campaign(client, staff):
    client.force_login(staff)
    game = GameFactory(draft=True)
    data = _game_data(
        game.gm,
        game.system,
        slug=game.slug,
        type="campaign",
        special_event=SpecialEventFactory().pk,
    )

    response = client.post(reverse("admin:games_game_change", args=[game.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["type"] == [
        "Les parties d’un événement sont des one shots."
    ]
    game.refresh_from_db()
    assert game.special_event is None


def test_game_list_shows_registered_players_over_party_size(client, staff):
    client.force_login(staff)
    game = GameFactory(party_size=5)
    RegistrationFactory.create_batch(2, game=game)
    RegistrationFactory(game=game, state="waitlisted")

    response = client.get(reverse("admin:games_game_changelist"))

    assert '<td class="field-players">2/5</td>' in response.content.decode()


def test_game_list_filters_by_gm_and_player(client, staff, gm, player):
    client.force_login(staff)
    led = GameFactory(gm=gm)
    joined = GameFactory()
    RegistrationFactory(game=joined, player=gm)
    GameFactory()
    url = reverse("admin:games_game_changelist")

    as_gm = client.get(url, {"gm": gm.pk})
    as_player = client.get(url, {"player": gm.pk})

    assert list(as_gm.context["cl"].result_list) == [led]
    assert list(as_player.context["cl"].result_list) == [joined]
    assert "Gaston MJ" in as_gm.content.decode()


def test_game_list_filters_by_special_event(client, staff):
    client.force_login(staff)
    event = SpecialEventFactory()
    halloween = GameFactory(special_event=event)
    GameFactory()

    response = client.get(
        reverse("admin:games_game_changelist"), {"special_event__id__exact": event.pk}
    )

    assert list(response.context["cl"].result_list) == [halloween]


def test_game_page_lists_events_newest_first_read_only(client, staff):
    client.force_login(staff)
    game = GameFactory()
    now = timezone.now()
    GameEventFactory(game=game, description="Première", timestamp=now - datetime.timedelta(days=1))
    GameEventFactory(game=game, description="Seconde", timestamp=now)

    response = client.get(reverse("admin:games_game_change", args=[game.pk]))

    (events,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "events"
    ]
    assert [form.instance.description for form in events.formset.forms] == ["Seconde", "Première"]
    assert events.has_add_permission is False
    assert events.has_change_permission is False
    assert events.has_delete_permission is False


def test_game_event_admin_is_read_only(client, staff):
    client.force_login(staff)
    event = GameEventFactory(action=GameEventAction.REGISTER)
    change_url = reverse("admin:games_gameevent_change", args=[event.pk])

    add = client.get(reverse("admin:games_gameevent_add"))
    view = client.get(change_url)
    edit = client.post(change_url, {"description": "Réécrit"})
    delete = client.post(reverse("admin:games_gameevent_delete", args=[event.pk]), {"post": "yes"})

    assert add.status_code == 403
    assert view.status_code == 200
    assert edit.status_code == 403
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.description == "Le contenu de l'annonce a été édité."
    assert GameEvent.objects.count() == 1


def test_game_event_list_links_game_and_searches_slug(client, staff):
    client.force_login(staff)
    event = GameEventFactory(game__slug="les-brumes-par-gaston")
    GameEventFactory()

    response = client.get(reverse("admin:games_gameevent_changelist"), {"q": "brumes"})

    assert list(response.context["cl"].result_list) == [event]
    link = reverse("admin:games_game_change", args=[event.game_id])
    assert f'<a href="{link}">les-brumes-par-gaston</a>' in response.content.decode()


class _FormFields(HTMLParser):
    """What a browser would submit from the page's main form, untouched."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or ("name" not in attrs and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button") or (
                kind in ("checkbox", "radio") and "checked" not in attrs
            ):
                return
            self.data.append(
                (attrs["name"], attrs.get("value", "on" if kind == "checkbox" else ""))
            )
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.data.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self.data.pop()
            self.data.append((name, value + data))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


def _submitted(html: str, form_id: str) -> dict[str, list[str]]:
    parser = _FormFields(form_id)
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return data


def test_game_change_form_saves_unchanged(client, staff):
    client.force_login(staff)
    game = GameFactory(
        classification={"action": 1, "investigation": 2, "interaction": 0, "horror": 1},
        ambience=["serious"],
        closed=True,
    )
    GameSessionFactory(game=game)
    RegistrationFactory.create_batch(2, game=game, added_by=game.gm)
    GameEventFactory.create_batch(2, game=game, actor=game.gm)
    url = reverse("admin:games_game_change", args=[game.pk])

    data = _submitted(client.get(url).content.decode(), "game_form")
    data["description"] = ["Une autre histoire."]
    response = client.post(url, {**data, "_save": "Enregistrer"})

    assert response.status_code == 302
    game.refresh_from_db()
    assert game.description == "Une autre histoire."
    assert game.classification == {"action": 1, "investigation": 2, "interaction": 0, "horror": 1}
    assert game.ambience == ["serious"]
    # The two events, and the edit's own line.
    assert (game.sessions.count(), game.registrations.count(), game.events.count()) == (1, 2, 3)


def test_game_change_keeps_the_slug(client, staff):
    # Announcements posted on Discord link to it.
    client.force_login(staff)
    game = GameFactory(slug="la-partie-par-gaston")

    response = client.post(
        reverse("admin:games_game_change", args=[game.pk]),
        _game_data(game.gm, game.system, name=game.name, slug="autre-adresse"),
    )

    assert response.status_code == 302
    game.refresh_from_db()
    assert game.slug == "la-partie-par-gaston"

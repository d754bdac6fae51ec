"""End-to-end checks in a real browser (Debian's Chromium driven by Playwright).

They run the site on Django's live server: sign in with the development sign-in, browse the
dashboard and a game page, and make sure the Content-Security-Policy lets htmx run.
"""

import os
import shutil

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PERSONAS
from games.models import Game, GameStatus

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Debian's chromium package is not installed (CI installs it)",
    ),
]


@pytest.fixture
def browser_page(live_server, settings):
    from playwright.sync_api import sync_playwright

    # Playwright runs an event loop in this thread; the ORM calls of the test stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    settings.DEBUG = True  # the development sign-in only exists with DEBUG
    settings.DISCORD_CLIENT_ID = ""
    settings.SITE_URL = live_server.url  # demo images are served by the site itself
    call_command("demo_data", "--force", verbosity=0)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(locale="fr-FR")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.errors = errors
        yield page
        browser.close()


def test_demo_sign_in_dashboard_and_game_page(browser_page, live_server):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    gm = DEMO_PERSONAS["gm"]
    page.get_by_role("button", name=f"{gm.display_name} — MJ").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Tableau de bord").is_visible()
    assert page.get_by_text(f"Bonjour {gm.display_name}").is_visible()

    game = Game.objects.filter(status=GameStatus.OPEN).order_by("pk").first()
    page.goto(f"{live_server.url}{game.get_absolute_url()}")
    assert page.get_by_role("heading", name=game.name).is_visible()
    # htmx loaded under the Content-Security-Policy (nonce), with no script error.
    assert page.evaluate("typeof window.htmx") == "object"
    assert [e for e in page.errors if "Content Security Policy" in e] == []

    page.get_by_role("button", name="Me déconnecter").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("link", name="Me connecter").is_visible()


def test_drafts_stay_private_in_the_browser(browser_page, live_server):
    page = browser_page
    draft = Game.objects.filter(status=GameStatus.DRAFT).first()

    response = page.goto(f"{live_server.url}{draft.get_absolute_url()}")

    assert response.status == 404


def test_leaving_asks_for_a_confirmation_then_frees_the_seat(browser_page, live_server):
    from games.models import Registration, RegistrationState

    page = browser_page
    player = DEMO_PERSONAS["player"]
    registration = (
        Registration.objects.filter(
            player__discord_id=player.discord_id,
            state=RegistrationState.REGISTERED,
            game__status=GameStatus.OPEN,
        )
        .select_related("game")
        .first()
    )
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("button", name=f"{player.display_name} — Joueur·euse").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{registration.game.get_absolute_url()}")

    confirm = page.get_by_role("button", name="Confirmer — me désinscrire")
    assert not confirm.is_visible()  # one click is not enough
    page.get_by_text("Me désinscrire", exact=True).click()
    confirm.click()

    page.get_by_text("Vous êtes désinscrit·e.").wait_for()
    assert not Registration.objects.filter(pk=registration.pk).exists()
    assert page.get_by_role("button", name="S'inscrire").is_visible()

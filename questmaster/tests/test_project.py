"""Project-wide configuration: logging of refusals, test password hashing, site context."""

import logging

import pytest
from django.contrib.auth.hashers import make_password
from django.test import RequestFactory
from django.urls import reverse

from questmaster import settings as project_settings
from questmaster.context_processors import site


@pytest.mark.django_db
def test_a_refusal_is_logged_on_one_line_without_traceback(client, staff, caplog):
    client.force_login(staff)

    response = client.get(reverse("admin:bot_discordeffect_add"))  # PermissionDenied

    assert response.status_code == 403
    [refusal] = [r for r in caplog.records if r.name == "django.request"]
    assert refusal.getMessage() == "Forbidden (Permission denied): /admin/bot/discordeffect/add/"
    assert refusal.levelname == "WARNING"
    assert refusal.exc_info is None
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback(caplog):
    try:
        raise ValueError("a real bug")
    except ValueError as exc:
        logging.getLogger("django.request").error(
            "Internal Server Error: /", exc_info=exc, extra={"status_code": 500}
        )

    [error] = caplog.records
    assert error.exc_info[1].args == ("a real bug",)
    assert "Traceback" in caplog.text


def test_django_records_are_printed_once():
    # Django's default configuration gives the "django" logger a console handler under DEBUG,
    # which printed every record a second time through the root's.
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate


def test_tests_hash_passwords_fast_production_keeps_the_default():
    assert make_password("secret").startswith("md5$")
    assert not hasattr(project_settings, "PASSWORD_HASHERS")


def test_offline_mode_in_templates_follows_the_bot_token(settings):
    settings.DISCORD_OFFLINE = False
    settings.DISCORD_BOT_TOKEN = ""

    assert site(RequestFactory().get("/"))["DISCORD_OFFLINE"] is True

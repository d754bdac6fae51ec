from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"CLUB_NAME": settings.CLUB_NAME, "DISCORD_OFFLINE": settings.DISCORD_OFFLINE}

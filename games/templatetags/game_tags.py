"""Presentation of games and sessions that needs the clock or the request: template filters,
so that views pass plain objects and nothing is stuck onto model instances."""

import datetime
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from games.models import Game, GameSession

register = template.Library()


@register.filter
def relative_badge(session: GameSession, now: datetime.datetime | None = None):
    """(css key, text) telling when a session is, in the club time zone; None past a month."""
    now = now or timezone.now()
    if session.end <= now:
        return "past", _("Past")
    if session.start <= now:
        return "now", _("Under way")
    days = (timezone.localdate(session.start) - timezone.localdate(now)).days
    if days == 0:
        return "soon", _("Today")
    if days == 1:
        return "soon", _("Tomorrow")
    if days <= 7:
        return "later", _("In %(days)d d") % {"days": days}
    if days <= 30:
        return "later", _("In %(weeks)d wk") % {"weeks": days // 7}
    return None


@register.filter
def hours(session: GameSession) -> float:
    """The session's length in hours, to the half hour."""
    return round(session.duration.total_seconds() / 1800) / 2


@register.filter
def google_calendar_url(session: GameSession, number: int) -> str:
    """ "Add to Google Calendar" for session #`number` of its game."""
    game = session.game
    utc = "%Y%m%dT%H%M%SZ"
    start = session.start.astimezone(datetime.UTC)
    end = session.end.astimezone(datetime.UTC)
    params = {
        "action": "TEMPLATE",
        "text": _("%(game)s by %(gm)s #%(number)d")
        % {"game": game.name, "gm": game.gm.display_name, "number": number},
        "dates": f"{start:{utc}}/{end:{utc}}",
        "details": f"{settings.SITE_URL}{game.get_absolute_url()}",
        "ctz": settings.TIME_ZONE,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params)


@register.filter
def free_seats(game: Game) -> range:
    """Empty seats drawn on the roster; an open "sur sélection" game always shows one."""
    count = game.registered_count
    if game.party_selection and game.is_open and count >= game.party_size:
        return range(1)
    return range(max(game.party_size - count, 0))

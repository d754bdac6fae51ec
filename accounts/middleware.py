import datetime
import logging

from django.conf import settings
from django.utils import timezone

from accounts.services import RoleIds, is_operator_account, refresh_member
from catalog.models import ClubSettings
from questmaster.discord import is_offline
from questmaster.discord.client import DiscordClient, DiscordError

logger = logging.getLogger(__name__)


class StaffRolesRecheckMiddleware:
    """Re-read a staff member's Discord roles before an admin page, if they are not fresh.

    The user row is loaded from the database on every request, so a demotion recorded there
    (by this check, a sign-in or `refresh_profiles`) takes effect on the very next page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and request.path.startswith("/admin/")
            and self._is_stale(user)
            and not is_operator_account(user)
            and not is_offline()
        ):
            self._recheck(user)
        return self.get_response(request)

    @staticmethod
    def _is_stale(user) -> bool:
        if user.roles_synced_at is None:
            return True
        age = timezone.now() - user.roles_synced_at
        return age > datetime.timedelta(seconds=settings.DISCORD_STAFF_RECHECK_SECONDS)

    @staticmethod
    def _recheck(user) -> None:
        club = ClubSettings.load()
        try:
            with DiscordClient.for_bot() as client:
                refresh_member(user, client, guild_id=club.guild_id, roles=RoleIds.current(club))
        except DiscordError as exc:
            # Discord unreachable: the last known roles stand until the next check.
            logger.warning("Staff role re-check failed for %s: %s", user.discord_id, exc)

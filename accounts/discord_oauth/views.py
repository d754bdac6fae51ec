from allauth.socialaccount.providers.discord.views import (
    DiscordOAuth2Adapter as BaseAdapter,
)
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.conf import settings

from catalog.models import ClubSettings
from questmaster.discord.client import DiscordClient, DiscordError


class DiscordOAuth2Adapter(BaseAdapter):
    @property
    def authorize_url(self) -> str:
        return settings.DISCORD_OAUTH_AUTHORIZE_URL

    @property
    def access_token_url(self) -> str:
        return f"{settings.DISCORD_API_BASE_URL}/oauth2/token"

    @property
    def profile_url(self) -> str:
        return f"{settings.DISCORD_API_BASE_URL}/users/@me"

    def complete_login(self, request, app, token, **kwargs):
        """Read the Discord profile and the member's record in the club's server.

        The member record (roles, nickname) rides along in `extra_data["member"]`; it is None
        when the person is not in the server. The sign-in gate itself is the adapter's.
        """
        try:
            with DiscordClient.for_member(token.token) as client:
                profile = client.get_current_user()
                try:
                    member = client.get_current_member(ClubSettings.load().guild_id)
                except DiscordError as exc:
                    if not exc.is_not_found:
                        raise
                    member = None
        except DiscordError as exc:
            raise OAuth2Error(f"Discord: {exc}") from exc
        if not isinstance(profile, dict) or "id" not in profile:
            raise OAuth2Error("Discord sent a profile without an id.")
        extra_data = {**profile, "member": member}
        return self.get_provider().sociallogin_from_response(request, extra_data)


oauth2_login = OAuth2LoginView.adapter_view(DiscordOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(DiscordOAuth2Adapter)

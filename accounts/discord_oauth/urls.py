from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from accounts.discord_oauth.provider import DiscordProvider

urlpatterns = default_urlpatterns(DiscordProvider)

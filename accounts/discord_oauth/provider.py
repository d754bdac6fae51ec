"""allauth's Discord provider, with every Discord URL taken from the settings.

Selected through ``SOCIALACCOUNT_PROVIDERS["discord"]["provider_class"]`` so the sign-in can run
against a fake Discord on 127.0.0.1 (tests, local demos).
"""

from allauth.socialaccount.providers.discord.provider import DiscordProvider as BaseProvider

from accounts.discord_oauth.views import DiscordOAuth2Adapter


class DiscordProvider(BaseProvider):
    oauth2_adapter_class = DiscordOAuth2Adapter

    def get_default_scope(self) -> list[str]:
        return ["identify", "guilds.members.read"]

    def extract_common_fields(self, data: dict) -> dict:
        # No e-mail: members are identified by their Discord id only.
        return {"username": data.get("username")}

    def extract_email_addresses(self, data: dict) -> list:
        return []


provider_classes = [DiscordProvider]

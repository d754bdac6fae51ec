"""HTTP client for the Discord API (httpx).

One client serves two kinds of callers: the bot (``Authorization: Bot …``) and a signed-in member's
OAuth token (``Authorization: Bearer …``). Every call has a timeout; every failure — HTTP error,
rate limit, timeout, network error, unreadable body — surfaces as one exception, `DiscordError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)


class DiscordError(Exception):
    """A Discord call failed. `status` is None when no HTTP answer came back."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"[{self.status}] {self.message}" if self.status else self.message

    @property
    def is_not_found(self) -> bool:
        return self.status == 404


@dataclass(frozen=True)
class Auth:
    scheme: str  # "Bot" or "Bearer"
    token: str

    @property
    def header(self) -> str:
        return f"{self.scheme} {self.token}"


class DiscordClient:
    def __init__(
        self,
        auth: Auth,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.auth = auth
        self.base_url = (base_url or settings.DISCORD_API_BASE_URL).rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout if timeout is not None else settings.DISCORD_HTTP_TIMEOUT,
            transport=transport,
            headers={"Authorization": auth.header, "User-Agent": "QuestMaster (Django)"},
        )

    @classmethod
    def for_bot(cls, **kwargs) -> DiscordClient:
        if not settings.DISCORD_BOT_TOKEN:
            raise DiscordError("No bot token is configured (offline mode).")
        return cls(Auth("Bot", settings.DISCORD_BOT_TOKEN), **kwargs)

    @classmethod
    def for_member(cls, access_token: str, **kwargs) -> DiscordClient:
        return cls(Auth("Bearer", access_token), **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DiscordClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, method: str, path: str, *, json: Any = None) -> Any:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.TimeoutException as exc:
            raise DiscordError(f"Discord did not answer in time ({method} {path}).") from exc
        except httpx.HTTPError as exc:
            raise DiscordError(f"Discord is unreachable ({method} {path}): {exc}") from exc

        if response.is_success and (response.status_code == 204 or not response.content):
            return None
        try:
            body = response.json()
        except ValueError as exc:
            if response.is_success:
                raise DiscordError(
                    "Discord sent an unreadable answer.", status=response.status_code
                ) from exc
            body = {}

        if response.is_success:
            return body
        detail = body if isinstance(body, dict) else {}
        retry_after = None
        if response.status_code == 429:
            retry_after = float(detail.get("retry_after") or 1.0)
        raise DiscordError(
            str(detail.get("message") or response.reason_phrase or "Discord error"),
            status=response.status_code,
            code=detail.get("code"),
            retry_after=retry_after,
        )

    # --- members -------------------------------------------------------------------------------

    def get_current_user(self) -> dict:
        return self.request("GET", "/users/@me")

    def get_current_member(self, guild_id: str) -> dict:
        """The signed-in member's record in a guild (OAuth scope `guilds.members.read`)."""
        return self.request("GET", f"/users/@me/guilds/{guild_id}/member")

    def get_member(self, guild_id: str, user_id: str) -> dict:
        return self.request("GET", f"/guilds/{guild_id}/members/{user_id}")

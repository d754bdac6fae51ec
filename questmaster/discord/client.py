"""HTTP client for the Discord API (httpx).

One client serves two kinds of callers: the bot (``Authorization: Bot …``) and a signed-in member's
OAuth token (``Authorization: Bearer …``). Every call has a timeout; every failure — HTTP error,
rate limit, timeout, network error, unreadable body — surfaces as one exception, `DiscordError`.

Retry policy. A client built with ``max_attempts=1`` (the default, what web requests use) never
sleeps and never retries: a rate limit or an outage raises at once, with `retry_after` set when
Discord said how long to wait. The background worker builds its client with more attempts; it then
sleeps through rate limits (never longer than ``max_sleep`` — beyond that it raises, so the caller
reschedules instead of blocking) and retries 5xx answers and network errors with exponential
back-off. 4xx answers other than 429 are never retried.

Deadline. Inside ``with client.deadline(seconds):`` (what the outbox wraps each effect in), the
calls end within about that time: each request's timeout is cut to the time left, a wait (rate
limit, back-off) that would end past it raises instead of sleeping, and a call that would start
after it raises a retryable `DiscordError` without being sent.

Rate limits (https://discord.com/developers/docs/topics/rate-limits) are tracked per client
instance: the bucket each route belongs to (``X-RateLimit-Bucket``), when an exhausted bucket
reopens (``X-RateLimit-Remaining: 0`` + ``X-RateLimit-Reset-After``, or a 429's ``retry_after``),
and the global limit (``X-RateLimit-Global`` / ``"global": true``) that pauses every route.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

# Channel types and permission overwrite types.
TEXT_CHANNEL = 0
CATEGORY = 4
ROLE_OVERWRITE = 0
MEMBER_OVERWRITE = 1

DEFAULT_MAX_SLEEP = 60.0
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0


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

    @property
    def is_retryable(self) -> bool:
        """Trying again later may work: network trouble, a rate limit, a Discord outage."""
        return self.status is None or self.status == 429 or self.status >= 500


@dataclass(frozen=True)
class Auth:
    scheme: str  # "Bot" or "Bearer"
    token: str

    @property
    def header(self) -> str:
        return f"{self.scheme} {self.token}"


def overwrite(target_id: str, *, type: int, allow: int = 0, deny: int = 0) -> dict:
    """A permission overwrite for `create_channel` (type: ROLE_OVERWRITE or MEMBER_OVERWRITE)."""
    return {"id": str(target_id), "type": type, "allow": str(allow), "deny": str(deny)}


# Top-level resources: Discord counts limits separately for each channel, guild or webhook.
_MAJOR = re.compile(r"^/(?:channels|guilds|webhooks)/(\d+)")
_ID = re.compile(r"/\d{5,}")


def _route(method: str, path: str) -> tuple[str, str]:
    """("METHOD /template", major id): the key Discord's buckets are learnt under."""
    match = _MAJOR.match(path)
    major = match.group(1) if match else ""
    return f"{method} {_ID.sub('/:id', path)}", major


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass
class _RateLimits:
    buckets: dict[str, str] = field(default_factory=dict)  # route → X-RateLimit-Bucket
    reopens: dict[tuple[str, str], float] = field(default_factory=dict)  # (bucket, major) → when
    global_reopens: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class DiscordClient:
    def __init__(
        self,
        auth: Auth,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = 1,
        sleep: Callable[[float], Any] = time.sleep,
        max_sleep: float = DEFAULT_MAX_SLEEP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.auth = auth
        self.base_url = (base_url or settings.DISCORD_API_BASE_URL).rstrip("/")
        self.max_attempts = max(1, max_attempts)
        self.max_sleep = max_sleep
        self._sleep = sleep
        self._clock = clock
        self._limits = _RateLimits()
        self.timeout = timeout if timeout is not None else settings.DISCORD_HTTP_TIMEOUT
        self._deadline: float | None = None
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=self.timeout,
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

    @contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """The calls made inside end within about `seconds` (see the module docstring)."""
        previous = self._deadline
        self._deadline = self._clock() + seconds
        try:
            yield
        finally:
            self._deadline = previous

    # --- transport -----------------------------------------------------------------------------

    @property
    def _may_sleep(self) -> bool:
        return self.max_attempts > 1

    def _time_left(self) -> float | None:
        return None if self._deadline is None else self._deadline - self._clock()

    def _sleep_limit(self) -> float:
        """The longest wait allowed now: `max_sleep`, or less when the deadline is closer."""
        left = self._time_left()
        return self.max_sleep if left is None else min(self.max_sleep, left)

    def request(self, method: str, path: str, *, json: Any = None) -> Any:
        """Send one API call, under the retry policy; the parsed JSON answer (None when empty)."""
        route, major = _route(method, path)
        # A POST creates something: when Discord may have acted on it (a read timeout, a 5xx),
        # sending it again could create it twice — unless a nonce makes Discord deduplicate.
        idempotent = method != "POST" or bool(isinstance(json, dict) and json.get("enforce_nonce"))
        attempt = 0
        while True:
            attempt += 1
            self._wait_for_limits(route, major, method, path)
            left = self._time_left()
            if left is not None and left <= 0:
                raise DiscordError(
                    f"Out of time for this Discord work, not sent ({method} {path})."
                )
            timeout = self.timeout if left is None else min(self.timeout, left)
            try:
                response = self._http.request(method, path, json=json, timeout=timeout)
            except httpx.HTTPError as exc:
                error = self._network_error(exc, method, path)
                maybe_applied = not isinstance(
                    exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
                )
            else:
                self._note_limits(route, major, response)
                if response.status_code == 429:
                    error = self._rate_limited(route, major, response)
                    if attempt < self.max_attempts and error.retry_after <= self._sleep_limit():
                        continue  # _wait_for_limits sleeps until the route reopens
                    raise error
                if response.is_success:
                    return self._parse(response)
                error = self._http_error(response)
                if response.status_code < 500:
                    raise error
                maybe_applied = True
            if attempt >= self.max_attempts or (maybe_applied and not idempotent):
                raise error
            delay = min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_MAX, self.max_sleep)
            if delay > self._sleep_limit():
                raise error
            logger.warning("Discord %s %s: %s; retrying in %.1f s", method, path, error, delay)
            self._sleep(delay)

    @staticmethod
    def _network_error(exc: httpx.HTTPError, method: str, path: str) -> DiscordError:
        if isinstance(exc, httpx.TimeoutException):
            error = DiscordError(f"Discord did not answer in time ({method} {path}).")
        else:
            error = DiscordError(f"Discord is unreachable ({method} {path}): {exc}")
        error.__cause__ = exc
        return error

    @staticmethod
    def _body(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _parse(self, response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise DiscordError(
                "Discord sent an unreadable answer.", status=response.status_code
            ) from exc

    def _http_error(self, response: httpx.Response, **extra) -> DiscordError:
        body = self._body(response)
        return DiscordError(
            str(body.get("message") or response.reason_phrase or "Discord error"),
            status=response.status_code,
            code=body.get("code"),
            **extra,
        )

    # --- rate limits ---------------------------------------------------------------------------

    def _key(self, route: str, major: str) -> tuple[str, str]:
        return self._limits.buckets.get(route, route), major

    def _wait_for_limits(self, route: str, major: str, method: str, path: str) -> None:
        """Hold the call until its bucket and the global limit reopen, or raise."""
        limits = self._limits
        with limits.lock:
            now = self._clock()
            key = self._key(route, major)
            until = max(limits.global_reopens, limits.reopens.get(key, 0.0))
        wait = until - now
        if wait <= 0:
            return
        if not self._may_sleep or wait > self._sleep_limit():
            # Sending now would only earn a 429 (and count against the invalid-request limit).
            raise DiscordError(
                f"Discord rate limit reached, not sent ({method} {path}).",
                status=429,
                retry_after=wait,
            )
        logger.info("Discord rate limit: waiting %.2f s before %s %s", wait, method, path)
        self._sleep(wait)
        with limits.lock:
            # The wait is over: forget what it was for (the sleep may be a test's, the clock not).
            if limits.global_reopens <= until:
                limits.global_reopens = 0.0
            if limits.reopens.get(key, 0.0) <= until:
                limits.reopens.pop(key, None)

    def _note_limits(self, route: str, major: str, response: httpx.Response) -> None:
        headers = response.headers
        limits = self._limits
        with limits.lock:
            if bucket := headers.get("x-ratelimit-bucket"):
                limits.buckets[route] = bucket
            key = self._key(route, major)
            remaining = _float(headers.get("x-ratelimit-remaining"))
            reset_after = _float(headers.get("x-ratelimit-reset-after"))
            if remaining is None or reset_after is None:
                return
            if remaining <= 0:
                limits.reopens[key] = self._clock() + reset_after
            else:
                limits.reopens.pop(key, None)

    def _rate_limited(self, route: str, major: str, response: httpx.Response) -> DiscordError:
        body = self._body(response)
        headers = response.headers
        retry_after = _float(body.get("retry_after"))
        if retry_after is None:
            retry_after = _float(headers.get("retry-after"))
        if retry_after is None:
            retry_after = 1.0
        is_global = bool(
            body.get("global")
            or headers.get("x-ratelimit-global", "").lower() == "true"
            or headers.get("x-ratelimit-scope") == "global"
        )
        limits = self._limits
        with limits.lock:
            until = self._clock() + retry_after
            if is_global:
                limits.global_reopens = max(limits.global_reopens, until)
            else:
                key = self._key(route, major)
                limits.reopens[key] = max(limits.reopens.get(key, 0.0), until)
        logger.warning(
            "Discord rate limit%s on %s: retry after %.2f s",
            " (global)" if is_global else "",
            route,
            retry_after,
        )
        return self._http_error(response, retry_after=retry_after)

    # --- members -------------------------------------------------------------------------------

    def get_current_user(self) -> dict:
        return self.request("GET", "/users/@me")

    def get_current_member(self, guild_id: str) -> dict:
        """The signed-in member's record in a guild (OAuth scope `guilds.members.read`)."""
        return self.request("GET", f"/users/@me/guilds/{guild_id}/member")

    def get_member(self, guild_id: str, user_id: str) -> dict:
        return self.request("GET", f"/guilds/{guild_id}/members/{user_id}")

    # --- messages ------------------------------------------------------------------------------

    def send_message(
        self,
        channel_id: str,
        *,
        content: str | None = None,
        embeds: list[dict] | None = None,
        components: list[dict] | None = None,
        allowed_mentions: dict | None = None,
        nonce: str | None = None,
    ) -> dict:
        """Post a message. With a `nonce` (≤ 25 chars), Discord answers a repeat of the same
        nonce with the message already created instead of posting it twice."""
        payload = _present(
            content=content,
            embeds=embeds,
            components=components,
            allowed_mentions=allowed_mentions,
        )
        if nonce is not None:
            payload |= {"nonce": nonce, "enforce_nonce": True}
        return self.request("POST", f"/channels/{channel_id}/messages", json=payload)

    def edit_message(
        self,
        channel_id: str,
        message_id: str,
        *,
        content: str | None = None,
        embeds: list[dict] | None = None,
        components: list[dict] | None = None,
        allowed_mentions: dict | None = None,
    ) -> dict:
        """Change a message: None leaves a field as it is, "" or [] clears it."""
        payload = _present(
            content=content,
            embeds=embeds,
            components=components,
            allowed_mentions=allowed_mentions,
        )
        return self.request("PATCH", f"/channels/{channel_id}/messages/{message_id}", json=payload)

    def delete_message(self, channel_id: str, message_id: str) -> None:
        self.request("DELETE", f"/channels/{channel_id}/messages/{message_id}")

    def pin_message(self, channel_id: str, message_id: str) -> None:
        self.request("PUT", f"/channels/{channel_id}/messages/pins/{message_id}")

    # --- channels ------------------------------------------------------------------------------

    def create_channel(
        self,
        guild_id: str,
        *,
        name: str,
        type: int = TEXT_CHANNEL,
        parent_id: str | None = None,
        permission_overwrites: Iterable[dict] | None = None,
    ) -> dict:
        payload: dict[str, Any] = {"name": name, "type": type}
        if parent_id is not None:
            payload["parent_id"] = parent_id
        if permission_overwrites is not None:
            payload["permission_overwrites"] = list(permission_overwrites)
        return self.request("POST", f"/guilds/{guild_id}/channels", json=payload)

    def create_category(self, guild_id: str, name: str) -> dict:
        return self.create_channel(guild_id, name=name, type=CATEGORY)

    def list_channels(self, guild_id: str) -> list[dict]:
        return self.request("GET", f"/guilds/{guild_id}/channels")

    def get_channel(self, channel_id: str) -> dict:
        return self.request("GET", f"/channels/{channel_id}")

    def delete_channel(self, channel_id: str) -> dict:
        return self.request("DELETE", f"/channels/{channel_id}")

    def set_permission(
        self, channel_id: str, target_id: str, *, type: int, allow: int = 0, deny: int = 0
    ) -> None:
        """Create or replace the overwrite of a role (ROLE_OVERWRITE) or member (MEMBER_…)."""
        payload = {"type": type, "allow": str(allow), "deny": str(deny)}
        self.request("PUT", f"/channels/{channel_id}/permissions/{target_id}", json=payload)

    def delete_permission(self, channel_id: str, target_id: str) -> None:
        self.request("DELETE", f"/channels/{channel_id}/permissions/{target_id}")

    # --- roles ---------------------------------------------------------------------------------

    def create_role(
        self,
        guild_id: str,
        *,
        name: str,
        permissions: int = 0,
        color: int = 0,
        mentionable: bool = False,
    ) -> dict:
        payload = {
            "name": name,
            "permissions": str(permissions),
            "color": color,
            "mentionable": mentionable,
        }
        return self.request("POST", f"/guilds/{guild_id}/roles", json=payload)

    def list_roles(self, guild_id: str) -> list[dict]:
        return self.request("GET", f"/guilds/{guild_id}/roles")

    def delete_role(self, guild_id: str, role_id: str) -> None:
        self.request("DELETE", f"/guilds/{guild_id}/roles/{role_id}")

    def add_member_role(self, guild_id: str, user_id: str, role_id: str) -> None:
        self.request("PUT", f"/guilds/{guild_id}/members/{user_id}/roles/{role_id}")

    def remove_member_role(self, guild_id: str, user_id: str, role_id: str) -> None:
        self.request("DELETE", f"/guilds/{guild_id}/members/{user_id}/roles/{role_id}")


def _present(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}

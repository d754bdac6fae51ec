"""A fake Discord, served over HTTP on 127.0.0.1, for the test suite and local demos.

It speaks the subset of the Discord API QuestMaster uses — OAuth2 authorize/token, the current
user, guild members, and the bot's channels, messages, pins, permission overwrites and roles — from
an in-memory guild, so tests can assert both the calls (`state.calls`, with exact method, path and
payload) and the resulting Discord state (`channels_named`, `messages_in`, `role_named`).

Like Discord it answers with rate-limit headers (a window of `state.rate_limit` calls per
`state.rate_limit_window` seconds for each bucket and channel/guild) and a 429 past them; its clock
runs with the machine's, can be stopped with `freeze_clock()` (then only `advance()` moves it, so a
test does not depend on how fast the machine is) and moved with `advance()`. It can be told to
fail (statuses, delays, 429s, garbage bodies) to exercise error paths. Standard library only.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import itertools
import json
import math
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

API_PREFIX = "/api/v10"
UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}
NOT_FOUND = {"message": "404: Not Found", "code": 0}

# 18-digit snowflakes, increasing, unique for the life of the process.
_snowflakes = itertools.count(960_000_000_000_000_001)


def snowflake() -> str:
    return str(next(_snowflakes))


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Fault:
    method: str
    pattern: re.Pattern
    status: int
    body: dict | str
    delay: float
    times: int
    retry_after: float | None = None
    is_global: bool = False


@dataclass
class FakeDiscordState:
    guild_id: str = "900000000000000000"
    client_id: str = "fake-client-id"
    client_secret: str = "fake-client-secret"
    bot_token: str = "fake-bot-token"
    bot_user_id: str = "950000000000000001"
    users: dict[str, dict] = field(default_factory=dict)
    members: dict[str, dict] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Who "clicks Authorise" on the fake consent page.
    consenting_user: str | None = None
    # The guild, as the bot sees it.
    channels: dict[str, dict] = field(default_factory=dict)
    messages: dict[str, dict[str, dict]] = field(default_factory=dict)  # channel → id → message
    roles: dict[str, dict] = field(default_factory=dict)
    nonces: dict[str, tuple[str, str]] = field(default_factory=dict)  # nonce → (channel, message)
    # Rate limits: calls allowed per window, for each (bucket, channel or guild).
    rate_limit: int = 50
    rate_limit_window: float = 1.0
    windows: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # → [reset, used]
    clock: Callable[[], float] = time.monotonic
    clock_offset: float = 0.0

    def __post_init__(self) -> None:
        # Every guild has an @everyone role whose id is the guild's.
        self.roles.setdefault(
            self.guild_id, _role(self.guild_id, "@everyone", permissions=0, position=0)
        )


def _role(role_id: str, name: str, *, permissions: int | str = 0, color: int = 0, **extra):
    return {
        "id": role_id,
        "name": name,
        "permissions": str(permissions),
        "color": color,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "position": 1,
        **extra,
    }


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: str
    auth: str = "bot"  # "bot" or "bearer"

    @property
    def bucket(self) -> str:
        return hashlib.sha1(f"{self.method} {self.pattern.pattern}".encode()).hexdigest()[:32]


def _routes(*specs: tuple[str, ...]) -> list[Route]:
    return [Route(method, re.compile(path), *rest) for method, path, *rest in specs]


CHANNEL = r"/channels/(?P<channel>\d+)"
GUILD = r"/guilds/(?P<guild>\d+)"
ROUTES = _routes(
    ("GET", r"/users/@me", "_current_user", "bearer"),
    ("GET", r"/users/@me/guilds/(?P<guild>\d+)/member", "_current_member", "bearer"),
    ("GET", GUILD + r"/members/(?P<user>\d+)", "_get_member"),
    ("PUT", GUILD + r"/members/(?P<user>\d+)/roles/(?P<role>\d+)", "_add_member_role"),
    ("DELETE", GUILD + r"/members/(?P<user>\d+)/roles/(?P<role>\d+)", "_remove_member_role"),
    ("GET", GUILD + r"/channels", "_list_channels"),
    ("POST", GUILD + r"/channels", "_create_channel"),
    ("GET", GUILD + r"/roles", "_list_roles"),
    ("POST", GUILD + r"/roles", "_create_role"),
    ("DELETE", GUILD + r"/roles/(?P<role>\d+)", "_delete_role"),
    ("GET", CHANNEL, "_get_channel"),
    ("DELETE", CHANNEL, "_delete_channel"),
    ("POST", CHANNEL + r"/messages", "_create_message"),
    ("GET", CHANNEL + r"/messages/(?P<message>\d+)", "_get_message"),
    ("PATCH", CHANNEL + r"/messages/(?P<message>\d+)", "_edit_message"),
    ("DELETE", CHANNEL + r"/messages/(?P<message>\d+)", "_delete_message"),
    ("PUT", CHANNEL + r"/messages/pins/(?P<message>\d+)", "_pin_message"),
    ("DELETE", CHANNEL + r"/messages/pins/(?P<message>\d+)", "_unpin_message"),
    ("PUT", CHANNEL + r"/permissions/(?P<target>\d+)", "_put_permission"),
    ("DELETE", CHANNEL + r"/permissions/(?P<target>\d+)", "_delete_permission"),
)

UNKNOWN = {
    "guild": ("Unknown Guild", 10004),
    "channel": ("Unknown Channel", 10003),
    "message": ("Unknown Message", 10008),
    "role": ("Unknown Role", 10011),
    "member": ("Unknown Member", 10007),
    "overwrite": ("Unknown Overwrite", 10009),
}


def _unknown(what: str):
    message, code = UNKNOWN[what]
    return 404, {"message": message, "code": code}


def _invalid(field_name: str, message: str):
    return 400, {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {field_name: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": message}]}},
    }


class FakeDiscord:
    def __init__(self) -> None:
        self.state = FakeDiscordState()
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeDiscord:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        """Forget everything (users, guild, calls, faults, rate limits) but the credentials."""
        with self._lock:
            keep = self.state
            self.state = FakeDiscordState(
                guild_id=keep.guild_id,
                client_id=keep.client_id,
                client_secret=keep.client_secret,
                bot_token=keep.bot_token,
                bot_user_id=keep.bot_user_id,
            )

    @property
    def url(self) -> str:
        assert self._server, "the fake Discord is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_base_url(self) -> str:
        return self.url + API_PREFIX

    @property
    def authorize_url(self) -> str:
        return self.url + "/oauth2/authorize"

    # --- state helpers for tests ---------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        username: str,
        *,
        global_name: str | None = None,
        avatar: str | None = None,
    ) -> dict:
        user = {
            "id": user_id,
            "username": username,
            "global_name": global_name,
            "avatar": avatar,
            "discriminator": "0",
        }
        with self._lock:
            self.state.users[user_id] = user
        return user

    def add_member(
        self,
        user_id: str,
        username: str,
        *,
        roles: list[str] | tuple[str, ...] = (),
        nick: str | None = None,
        global_name: str | None = None,
        avatar: str | None = None,
    ) -> dict:
        user = self.add_user(user_id, username, global_name=global_name, avatar=avatar)
        member = {"user": user, "nick": nick, "roles": list(roles), "joined_at": "2024-01-01"}
        with self._lock:
            self.state.members[user_id] = member
        return member

    def remove_member(self, user_id: str) -> None:
        with self._lock:
            self.state.members.pop(user_id, None)

    def set_roles(self, user_id: str, roles: list[str]) -> None:
        with self._lock:
            self.state.members[user_id]["roles"] = list(roles)

    def add_channel(
        self,
        name: str,
        *,
        type: int = 0,
        parent_id: str | None = None,
        permission_overwrites: list[dict] | tuple[dict, ...] = (),
    ) -> dict:
        """A channel that already exists in the guild (type 0 text, 4 category)."""
        channel = {
            "id": snowflake(),
            "type": type,
            "guild_id": self.state.guild_id,
            "name": name,
            "parent_id": parent_id,
            "position": 0,
            "nsfw": False,
            "permission_overwrites": [_overwrite(o["id"], o) for o in permission_overwrites],
        }
        with self._lock:
            channel["position"] = len(self.state.channels)
            self.state.channels[channel["id"]] = channel
            self.state.messages[channel["id"]] = {}
        return channel

    def add_category(self, name: str, **kwargs) -> dict:
        return self.add_channel(name, type=4, **kwargs)

    def add_role(
        self,
        name: str,
        *,
        role_id: str | None = None,
        permissions: int = 0,
        color: int = 0,
        mentionable: bool = False,
    ) -> dict:
        role = _role(
            role_id or snowflake(),
            name,
            permissions=permissions,
            color=color,
            mentionable=mentionable,
        )
        with self._lock:
            role["position"] = len(self.state.roles)
            self.state.roles[role["id"]] = role
        return role

    def channels_named(self, name: str) -> list[dict]:
        with self._lock:
            return [c for c in self.state.channels.values() if c["name"] == name]

    def messages_in(self, channel_id: str) -> list[dict]:
        """The messages of a channel, oldest first."""
        with self._lock:
            return list(self.state.messages.get(channel_id, {}).values())

    def role_named(self, name: str) -> dict | None:
        with self._lock:
            return next((r for r in self.state.roles.values() if r["name"] == name), None)

    def advance(self, seconds: float) -> None:
        """Move the fake's clock (rate-limit windows) forward, e.g. from a test's sleep spy."""
        with self._lock:
            self.state.clock_offset += seconds

    def freeze_clock(self) -> float:
        """Stop the fake's clock where it is (until the next `reset()`): from now on only
        `advance()` moves it. Returns the frozen time."""
        with self._lock:
            frozen = self.state.clock()
            self.state.clock = lambda: frozen
            return frozen + self.state.clock_offset

    def now(self) -> float:
        """The fake's clock, in seconds (an arbitrary origin, like `time.monotonic()`)."""
        with self._lock:
            return self.state.clock() + self.state.clock_offset

    def fail(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        body: dict | str | None = None,
        delay: float = 0.0,
        times: int = 1,
        retry_after: float | None = None,
        is_global: bool = False,
    ) -> None:
        """The next `times` calls matching METHOD and the path regex answer `status`.

        `delay` holds the answer back (timeouts); a `body` string is sent as is, as HTML (an
        unreadable answer); a 429 carries `retry_after` seconds (default 0.01), per bucket or,
        with `is_global`, for the whole bot.
        """
        if body is None:
            body = (
                {"message": "You are being rate limited.", "code": 0}
                if status == 429
                else {"message": HTTPStatus(status).phrase, "code": 0}
            )
        fault = Fault(
            method.upper(),
            re.compile(path_pattern),
            status,
            body,
            delay,
            times,
            retry_after,
            is_global,
        )
        with self._lock:
            self.state.faults.append(fault)

    def calls_to(self, method: str, path_pattern: str) -> list[Call]:
        pattern = re.compile(path_pattern)
        return [c for c in self.state.calls if c.method == method and pattern.search(c.path)]

    def issue_code(self, user_id: str) -> str:
        code = secrets.token_urlsafe(16)
        with self._lock:
            self.state.codes[code] = user_id
        return code

    # --- request handling ----------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.state.faults:
                if fault.method == method and fault.pattern.search(path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def handle(self, method: str, path: str, query: dict, headers: dict, body: Any):
        """Return (status, payload, extra headers); a str payload is sent as is."""
        with self._lock:
            self.state.calls.append(Call(method, path, query, headers, body))
        route, match = self._resolve(method, path)
        fault = self._take_fault(method, path)
        if fault:
            if fault.delay:
                time.sleep(fault.delay)
            return self._fault_answer(fault, route, match)

        if method == "GET" and path == "/oauth2/authorize":
            return self._authorize(query)
        if method == "POST" and path == API_PREFIX + "/oauth2/token":
            return self._token(body)
        if route is None:
            return 404, NOT_FOUND, {}
        with self._lock:
            if route.auth == "bearer":
                user_id = self._bearer_user(headers)
                if not user_id:
                    return 401, UNAUTHORIZED, {}
                args = {**match.groupdict(), "user": user_id}
            else:
                if headers.get("authorization") != f"Bot {self.state.bot_token}":
                    return 401, UNAUTHORIZED, {}
                args = match.groupdict()
            limited, limit_headers = self._count(route, match)
            if limited:
                return limited[0], limited[1], limit_headers
            if (guild := args.get("guild")) and guild != self.state.guild_id:
                return (*_unknown("guild"), limit_headers)
            try:
                status, payload = getattr(self, route.handler)(body=body, **args)
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                # A payload the fake cannot read: answer like Discord does, not with a hang-up.
                status, payload = _invalid("_body", f"The fake could not read it: {exc!r}")
            return status, copy.deepcopy(payload), limit_headers

    def _resolve(self, method: str, path: str):
        if not path.startswith(API_PREFIX):
            return None, None
        api_path = path[len(API_PREFIX) :]
        for route in ROUTES:
            if route.method == method and (match := route.pattern.fullmatch(api_path)):
                return route, match
        return None, None

    @staticmethod
    def _major(match: re.Match | None) -> str:
        if match is None:
            return ""
        groups = match.groupdict()
        return groups.get("channel") or groups.get("guild") or ""

    def _count(self, route: Route, match: re.Match):
        """Count a call in its rate-limit window: (429 answer or None, rate-limit headers)."""
        state = self.state
        now = self.now()
        window = state.windows.get((route.bucket, self._major(match)))
        if window is None or now >= window[0]:
            window = state.windows[(route.bucket, self._major(match))] = [
                now + state.rate_limit_window,
                0,
            ]
        window[1] += 1
        reset_after = max(window[0] - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(state.rate_limit),
            "X-RateLimit-Remaining": str(max(state.rate_limit - int(window[1]), 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": route.bucket,
        }
        if window[1] <= state.rate_limit:
            return None, headers
        headers |= {"Retry-After": str(math.ceil(reset_after)), "X-RateLimit-Scope": "user"}
        answer = {
            "message": "You are being rate limited.",
            "retry_after": round(reset_after, 3),
            "global": False,
        }
        return (429, answer), headers

    def _fault_answer(self, fault: Fault, route: Route | None, match: re.Match | None):
        body = copy.deepcopy(fault.body)
        if fault.status != 429:
            return fault.status, body, {}
        retry = fault.retry_after
        if retry is None:
            retry = body.get("retry_after", 0.01) if isinstance(body, dict) else 0.01
        if isinstance(body, dict):
            body.setdefault("retry_after", retry)
            body.setdefault("global", fault.is_global)
        headers = {"Retry-After": str(math.ceil(retry))}
        if fault.is_global:
            headers |= {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
        elif route is not None:
            headers |= {
                "X-RateLimit-Limit": str(self.state.rate_limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Bucket": route.bucket,
                "X-RateLimit-Scope": "user",
            }
        return 429, body, headers

    # --- OAuth ---------------------------------------------------------------------------------

    def _authorize(self, query: dict):
        redirect_uri = query.get("redirect_uri", [""])[0]
        state = query.get("state", [""])[0]
        user_id = self.state.consenting_user
        if not redirect_uri or not user_id:
            return 400, {"error": "invalid_request"}, {}
        code = self.issue_code(user_id)
        location = f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"
        return 302, {}, {"Location": location}

    def _token(self, form: Any):
        form = form if isinstance(form, dict) else {}
        if form.get("client_id") != self.state.client_id or (
            form.get("client_secret") != self.state.client_secret
        ):
            return 401, {"error": "invalid_client"}, {}
        with self._lock:
            user_id = self.state.codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or not user_id:
            return 400, {"error": "invalid_grant", "error_description": "Invalid code"}, {}
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.state.tokens[token] = user_id
        return (
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 604800,
                "refresh_token": secrets.token_urlsafe(24),
                "scope": "identify guilds.members.read",
            },
            {},
        )

    def _bearer_user(self, headers: dict) -> str | None:
        value = headers.get("authorization", "")
        if not value.startswith("Bearer "):
            return None
        return self.state.tokens.get(value.removeprefix("Bearer "))

    # --- members (route handlers: called under the lock, return (status, payload)) ----------

    def _current_user(self, *, body, user):
        return 200, self.state.users[user]

    def _current_member(self, *, body, guild, user):
        member = self.state.members.get(user)
        if member is None:
            # Discord answers "Unknown Guild" to someone who is not in it.
            return _unknown("guild")
        return 200, member

    def _get_member(self, *, body, guild, user):
        member = self.state.members.get(user)
        return (200, member) if member else _unknown("member")

    def _member_and_role(self, user: str, role: str):
        member = self.state.members.get(user)
        if member is None:
            return None, _unknown("member")
        if role not in self.state.roles:
            return None, _unknown("role")
        return member, None

    def _add_member_role(self, *, body, guild, user, role):
        member, error = self._member_and_role(user, role)
        if error:
            return error
        if role not in member["roles"]:
            member["roles"].append(role)
        return 204, None

    def _remove_member_role(self, *, body, guild, user, role):
        member, error = self._member_and_role(user, role)
        if error:
            return error
        if role in member["roles"]:
            member["roles"].remove(role)
        return 204, None

    # --- channels ------------------------------------------------------------------------------

    def _list_channels(self, *, body, guild):
        return 200, list(self.state.channels.values())

    def _create_channel(self, *, body, guild):
        body = body if isinstance(body, dict) else {}
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            return _invalid("name", "Must be between 1 and 100 in length.")
        kind = body.get("type", 0)
        if kind not in (0, 4):
            return _invalid("type", "Value must be one of (0, 4).")
        parent_id = body.get("parent_id")
        if parent_id is not None:
            parent = self.state.channels.get(str(parent_id))
            if kind == 4 or parent is None or parent["type"] != 4:
                return _invalid("parent_id", "Not a category")
        overwrites = body.get("permission_overwrites") or []
        if any(o.get("type") not in (0, 1) or not o.get("id") for o in overwrites):
            return _invalid("permission_overwrites", "Invalid overwrite.")
        if kind == 0:
            # Discord's own clean-up of text channel names.
            name = re.sub(r"\s+", "-", name.strip().lower())
        channel = self.add_channel(
            name,
            type=kind,
            parent_id=str(parent_id) if parent_id is not None else None,
            permission_overwrites=overwrites,
        )
        return 201, channel

    def _get_channel(self, *, body, channel):
        found = self.state.channels.get(channel)
        return (200, found) if found else _unknown("channel")

    def _delete_channel(self, *, body, channel):
        found = self.state.channels.pop(channel, None)
        if found is None:
            return _unknown("channel")
        self.state.messages.pop(channel, None)
        # Deleting a category leaves its channels in place, without a parent.
        for child in self.state.channels.values():
            if child["parent_id"] == channel:
                child["parent_id"] = None
        return 200, found

    def _put_permission(self, *, body, channel, target):
        found = self.state.channels.get(channel)
        if found is None:
            return _unknown("channel")
        body = body if isinstance(body, dict) else {}
        if body.get("type") not in (0, 1):
            return _invalid("type", "Value must be one of (0, 1).")
        others = [o for o in found["permission_overwrites"] if o["id"] != target]
        found["permission_overwrites"] = [*others, _overwrite(target, body)]
        return 204, None

    def _delete_permission(self, *, body, channel, target):
        found = self.state.channels.get(channel)
        if found is None:
            return _unknown("channel")
        overwrites = found["permission_overwrites"]
        if not any(o["id"] == target for o in overwrites):
            return _unknown("overwrite")
        found["permission_overwrites"] = [o for o in overwrites if o["id"] != target]
        return 204, None

    # --- messages ------------------------------------------------------------------------------

    def _message(self, channel: str, message: str):
        if channel not in self.state.channels:
            return None, _unknown("channel")
        found = self.state.messages.get(channel, {}).get(message)
        if found is None:
            return None, _unknown("message")
        return found, None

    def _create_message(self, *, body, channel):
        found = self.state.channels.get(channel)
        if found is None:
            return _unknown("channel")
        if found["type"] == 4:
            return 400, {"message": "Cannot send messages in a non-text channel", "code": 50008}
        body = body if isinstance(body, dict) else {}
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            return _invalid("nonce", "Must be 25 or fewer in length.")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord returns the message the same nonce already created, instead of a twin.
            earlier = self.state.nonces.get(str(nonce))
            if earlier and earlier[1] in self.state.messages.get(earlier[0], {}):
                return 200, self.state.messages[earlier[0]][earlier[1]]
        message = {
            "id": snowflake(),
            "channel_id": channel,
            "type": 0,
            "author": {"id": self.state.bot_user_id, "username": "QuestMaster", "bot": True},
            "content": "",
            "embeds": [],
            "components": [],
            "pinned": False,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
        }
        error = self._apply_message_fields(message, body)
        if error:
            return error
        if nonce is not None:
            message["nonce"] = nonce
            self.state.nonces[str(nonce)] = (channel, message["id"])
        self.state.messages.setdefault(channel, {})[message["id"]] = message
        return 200, message

    @staticmethod
    def _apply_message_fields(message: dict, body: dict):
        """Copy the message fields present in `body` (null clears); an error answer or None."""
        changed = copy.deepcopy(message)
        for name, empty in (("content", ""), ("embeds", []), ("components", [])):
            if name in body:
                changed[name] = body[name] if body[name] is not None else empty
        if "allowed_mentions" in body:
            changed["allowed_mentions"] = body["allowed_mentions"]
        if len(changed["content"]) > 2000:
            return _invalid("content", "Must be 2000 or fewer in length.")
        if len(changed["embeds"]) > 10:
            return _invalid("embeds", "Must be 10 or fewer in length.")
        if not (changed["content"] or changed["embeds"] or changed["components"]):
            return 400, {"message": "Cannot send an empty message", "code": 50006}
        message.update(changed)
        return None

    def _get_message(self, *, body, channel, message):
        found, error = self._message(channel, message)
        return error or (200, found)

    def _edit_message(self, *, body, channel, message):
        found, error = self._message(channel, message)
        if error:
            return error
        error = self._apply_message_fields(found, body if isinstance(body, dict) else {})
        if error:
            return error
        found["edited_timestamp"] = _now_iso()
        return 200, found

    def _delete_message(self, *, body, channel, message):
        _, error = self._message(channel, message)
        if error:
            return error
        del self.state.messages[channel][message]
        return 204, None

    def _pin_message(self, *, body, channel, message):
        found, error = self._message(channel, message)
        if error:
            return error
        found["pinned"] = True
        return 204, None

    def _unpin_message(self, *, body, channel, message):
        found, error = self._message(channel, message)
        if error:
            return error
        found["pinned"] = False
        return 204, None

    # --- roles ---------------------------------------------------------------------------------

    def _list_roles(self, *, body, guild):
        return 200, list(self.state.roles.values())

    def _create_role(self, *, body, guild):
        body = body if isinstance(body, dict) else {}
        name = body.get("name", "new role")
        if not isinstance(name, str) or len(name) > 100:
            return _invalid("name", "Must be 100 or fewer in length.")
        role = self.add_role(
            name,
            permissions=int(body.get("permissions") or 0),
            color=int(body.get("color") or 0),
            mentionable=bool(body.get("mentionable", False)),
        )
        return 200, role

    def _delete_role(self, *, body, guild, role):
        if role == self.state.guild_id:
            return 400, {"message": "Invalid Role", "code": 50028}
        if self.state.roles.pop(role, None) is None:
            return _unknown("role")
        for member in self.state.members.values():
            if role in member["roles"]:
                member["roles"].remove(role)
        return 204, None


def _overwrite(target: str, data: dict) -> dict:
    # Discord answers with the bitfields as strings, whatever the request sent.
    return {
        "id": str(target),
        "type": int(data.get("type", 0)),
        "allow": str(data.get("allow") or 0),
        "deny": str(data.get("deny") or 0),
    }


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client that gave up (timeout tests) leaves a broken pipe behind: not worth a trace.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeDiscord
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:
        pass

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        body: Any = None
        if raw:
            if "application/x-www-form-urlencoded" in content_type:
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload, extra = self.fake.handle(
            self.command, parts.path, parse_qs(parts.query), headers, body
        )
        if status in (204, 302):
            data, kind = b"", None
        elif isinstance(payload, str):
            data, kind = payload.encode(), "text/html; charset=utf-8"
        else:
            data, kind = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        if kind:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

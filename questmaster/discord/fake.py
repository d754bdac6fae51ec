"""A fake Discord, served over HTTP on 127.0.0.1, for the test suite and local demos.

It speaks the subset of the Discord API QuestMaster uses (OAuth2 authorize/token, the current
user, guild members) from an in-memory state, records every call so tests can assert the exact
method, path and payload, and can be told to fail (status codes, delays) to exercise error paths.
Standard library only.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

API_PREFIX = "/api/v10"


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
    body: dict
    delay: float
    times: int


@dataclass
class FakeDiscordState:
    guild_id: str = "900000000000000000"
    client_id: str = "fake-client-id"
    client_secret: str = "fake-client-secret"
    bot_token: str = "fake-bot-token"
    users: dict[str, dict] = field(default_factory=dict)
    members: dict[str, dict] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Who "clicks Authorise" on the fake consent page.
    consenting_user: str | None = None


class FakeDiscord:
    def __init__(self) -> None:
        self.state = FakeDiscordState()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeDiscord:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
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
        with self._lock:
            keep = self.state
            self.state = FakeDiscordState(
                guild_id=keep.guild_id,
                client_id=keep.client_id,
                client_secret=keep.client_secret,
                bot_token=keep.bot_token,
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

    def fail(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        body: dict | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """The next `times` calls matching METHOD and the path regex answer `status`."""
        fault = Fault(
            method.upper(),
            re.compile(path_pattern),
            status,
            body if body is not None else {"message": HTTPStatus(status).phrase, "code": 0},
            delay,
            times,
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
        """Return (status, payload, extra headers)."""
        with self._lock:
            self.state.calls.append(Call(method, path, query, headers, body))
        fault = self._take_fault(method, path)
        if fault:
            if fault.delay:
                time.sleep(fault.delay)
            extra = {}
            if fault.status == 429:
                retry = fault.body.get("retry_after", 0.01)
                fault.body.setdefault("retry_after", retry)
                fault.body.setdefault("global", False)
                extra = {"Retry-After": str(retry)}
            return fault.status, fault.body, extra

        if method == "GET" and path == "/oauth2/authorize":
            return self._authorize(query)
        if not path.startswith(API_PREFIX):
            return 404, {"message": "404: Not Found", "code": 0}, {}
        route = path[len(API_PREFIX) :]
        if method == "POST" and route == "/oauth2/token":
            return self._token(body)
        if route == "/users/@me" and method == "GET":
            user_id = self._bearer_user(headers)
            if not user_id:
                return 401, {"message": "401: Unauthorized", "code": 0}, {}
            return 200, self.state.users[user_id], {}
        match = re.fullmatch(r"/users/@me/guilds/(\d+)/member", route)
        if match and method == "GET":
            user_id = self._bearer_user(headers)
            if not user_id:
                return 401, {"message": "401: Unauthorized", "code": 0}, {}
            return self._member(match.group(1), user_id, unknown="Unknown Guild", code=10004)
        match = re.fullmatch(r"/guilds/(\d+)/members/(\d+)", route)
        if match and method == "GET":
            if headers.get("authorization") != f"Bot {self.state.bot_token}":
                return 401, {"message": "401: Unauthorized", "code": 0}, {}
            return self._member(
                match.group(1), match.group(2), unknown="Unknown Member", code=10007
            )
        return 404, {"message": "404: Not Found", "code": 0}, {}

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

    def _member(self, guild_id: str, user_id: str, *, unknown: str, code: int):
        if guild_id != self.state.guild_id:
            return 404, {"message": "Unknown Guild", "code": 10004}, {}
        member = self.state.members.get(user_id)
        if member is None:
            return 404, {"message": unknown, "code": code}, {}
        return 200, member, {}


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
        data = b"" if status in (204, 302) else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

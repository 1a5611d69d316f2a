"""The emulator behind HTTP: `POST /bot<token>/<method>` on loopback, as Telegram answers it."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import Any
from urllib.parse import parse_qsl

import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from clicksbot.sandbox.emulator import NAME_SUFFIX, Emulator

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _MethodHandler(tornado.web.RequestHandler):
    """Answer one Bot API call."""

    def initialize(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def check_xsrf_cookie(self) -> None:  # an API, not a web form
        return

    async def post(self, token: str, method: str) -> None:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            try:
                body = json.loads(self.request.body or b"{}")
            except json.JSONDecodeError:
                self._reply(
                    400,
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid JSON"},
                )
                return
            if isinstance(body, dict):
                params.update(body)
        else:
            for key, values in self.request.body_arguments.items():
                params[key] = values[-1].decode("utf-8", errors="replace")
            for key, uploads in self.request.files.items():
                files[key] = uploads[-1]["body"]
                files[key + NAME_SUFFIX] = str(uploads[-1].get("filename") or "").encode()
        for key, value in parse_qsl(self.request.query):
            params.setdefault(key, value)
        # A request whose client goes away (a bot killed mid long poll) ends with it, as on
        # Telegram: its long poll no longer waits, so it is not "terminated by" the next one.
        self._call = asyncio.ensure_future(self.emulator.call(token, method, params, files))
        try:
            status, reply = await self._call
        except asyncio.CancelledError:
            if getattr(self, "_gone", False):
                return
            raise
        self._reply(status, reply)

    get = post

    def on_connection_close(self) -> None:
        call = getattr(self, "_call", None)
        if call is not None and not call.done():
            self._gone = True
            call.cancel()

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        try:
            self.finish(json.dumps(body, ensure_ascii=False))
        except tornado.iostream.StreamClosedError:
            logger.debug("Client went away before the reply")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Telegram answers even its own failures in JSON.
        self.finish(
            {"ok": False, "error_code": status_code, "description": "Internal Server Error"}
        )

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # The URL holds the token: log the failure without it.
        logger.error("Emulator failed on a request", exc_info=(typ, value, tb))


class _FileHandler(tornado.web.RequestHandler):
    """Serve a file the bot uploaded, as Telegram's file URL would."""

    def initialize(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def get(self, token: str, file_path: str) -> None:
        if token != self.emulator.token or file_path not in self.emulator.files:
            self.set_status(404)
            self.finish({"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.finish(self.emulator.files[file_path])


class EmulatorServer:
    """The emulator, listening on a loopback port (0 picks a free one)."""

    def __init__(self, emulator: Emulator | None = None, host: str = "127.0.0.1", port: int = 0):
        if host not in LOOPBACK:
            raise ValueError("the emulator listens on loopback only")
        self.emulator = emulator or Emulator()
        self.host = host
        self.port = port
        self._server: tornado.httpserver.HTTPServer | None = None
        self._sockets: list[socket.socket] = []

    @property
    def api_url(self) -> str:
        """Return the base URL to give the bot (`api_url`, CLICKSBOT_API_URL)."""
        return f"http://{self.host}:{self.port}/bot"

    async def start(self) -> EmulatorServer:
        """Start listening; the port is known once this returns."""
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([A-Za-z]+)/?", _MethodHandler, {"emulator": self.emulator}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"emulator": self.emulator}),
            ],
            log_function=lambda handler: None,  # request lines carry the token
        )
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=60 * 1024 * 1024)
        self._sockets = tornado.netutil.bind_sockets(self.port, self.host)
        self._server.add_sockets(self._sockets)
        self.port = self._sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and release every waiting request."""
        self.emulator.close()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    async def __aenter__(self) -> EmulatorServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

"""The emulator behind HTTP: `POST /bot<token>/<method>` on loopback, as Telegram answers it.

Served by aiohttp's server (the library of clicksbot's own transport and webhook), not tornado's:
the emulator shares the machine with the bot it serves, in the tests and in
benchmarks/quiz_throughput.py, and aiohttp's parser in C answered a call for 0.19 ms of CPU where
tornado's took 0.43 ms (a minimal server of each, 6,000 calls of a form over keep-alive).
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import socket
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

from clicksbot.sandbox.emulator import NAME_SUFFIX, Emulator

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 60 * 1024 * 1024  # the largest request a call may make (uploads included)
# How long `stop()` lets calls under way finish (a delayed fault, say) before it closes their
# connections, as the client of a server going away sees it.
STOP_GRACE = 0.25
# Addresses a host may have but this machine cannot listen on (::1 with IPv6 off).
UNAVAILABLE = (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)


_dumps = functools.partial(json.dumps, ensure_ascii=False)  # text as Telegram sends it


def _failure(status: int, description: str) -> web.Response:
    # Telegram answers even its own failures in JSON.
    body = {"ok": False, "error_code": status, "description": description}
    return web.json_response(body, status=status, dumps=_dumps)


@web.middleware
async def _in_json(request: web.Request, handler: Any) -> web.StreamResponse:
    """Answer HTTP's own failures (no such path, a body too large) in JSON too."""
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _failure(exc.status, exc.reason)
    return response


class _Withheld(logging.Filter):
    """The server's own failure lines (a request it could not parse) quote the request line,
    which holds the token: say what happened, not what was sent."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = "Emulator could not read a request (its text is withheld: it holds the token)"
        record.args, record.exc_info, record.exc_text = (), None, None
        return True


_server_log = logging.getLogger(f"{__name__}.http")
_server_log.addFilter(_Withheld())


class EmulatorServer:
    """The emulator, listening on a loopback port (0 picks a free one)."""

    def __init__(self, emulator: Emulator | None = None, host: str = "127.0.0.1", port: int = 0):
        if host not in LOOPBACK:
            raise ValueError("the emulator listens on loopback only")
        self.emulator = emulator or Emulator()
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def api_url(self) -> str:
        """Return the base URL to give the bot (`api_url`, CLICKSBOT_API_URL)."""
        return f"http://{self.host}:{self.port}/bot"

    async def start(self) -> EmulatorServer:
        """Start listening; the port is known once this returns."""
        app = web.Application(client_max_size=MAX_BODY, middlewares=[_in_json])
        call = "/bot{token:[^/]+}/{method:[A-Za-z]+}"
        for path in (call, call + "/"):
            app.router.add_post(path, self._call)
            app.router.add_get(path, self._call, allow_head=False)
        app.router.add_get("/file/bot{token:[^/]+}/{path:.+}", self._file, allow_head=False)
        # No access log (request lines carry the token); a call whose client goes away (a bot
        # killed mid long poll) ends with it, as on Telegram: its long poll no longer waits,
        # so it is not "terminated by" the next one.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=STOP_GRACE, logger=_server_log)  # fmt: skip
        await self._runner.setup()
        try:
            for sock in self._bind():
                await web.SockSite(self._runner, sock).start()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise
        return self

    def _bind(self) -> list[socket.socket]:
        """Listen on every address of the host (both of "localhost" where both can be), all on
        one port."""
        sockets: list[socket.socket] = []
        port = self.port
        infos = socket.getaddrinfo(self.host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)  # fmt: skip
        try:
            for family, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    if family == socket.AF_INET6:
                        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    sock.bind((address[0], port, *address[2:]))
                except OSError as exc:
                    sock.close()
                    if exc.errno in UNAVAILABLE and len(infos) > 1:
                        continue  # another address of the host serves
                    raise
                sockets.append(sock)
                sock.listen(128)
                sock.setblocking(False)
                port = sock.getsockname()[1]  # the others take the port the first was given
        except OSError:
            for sock in sockets:
                sock.close()
            raise
        if not sockets:
            raise OSError(errno.EADDRNOTAVAIL, f"no address of {self.host} can be listened on")
        self.port = port
        return sockets

    async def _call(self, request: web.Request) -> web.Response:
        """Answer one Bot API call."""
        if (request.content_length or 0) > MAX_BODY:  # said before a byte of it is read
            return _failure(413, "Request Entity Too Large")
        try:
            params, files = await self._read(request)
        except web.HTTPException:
            raise
        except Exception:  # JSON that does not parse, a malformed form or multipart body
            return _failure(400, "Bad Request: can't parse the request body")
        for key, value in parse_qsl(request.query_string):
            params.setdefault(key, value)
        token, method = request.match_info["token"], request.match_info["method"]
        try:
            status, reply = await self.emulator.call(token, method, params, files)
        except Exception:
            # The URL holds the token: log the failure without it.
            logger.exception("Emulator failed on a request")
            return _failure(500, "Internal Server Error")
        return web.json_response(reply, status=status, dumps=_dumps)

    @staticmethod
    async def _read(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        """Return a call's parameters and uploaded files, from a JSON, form or multipart body
        (a repeated field: its last value)."""
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            body = json.loads(await request.read() or b"{}")
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                data = bytes(await part.read())
                if part.filename:
                    files[part.name] = data
                    files[part.name + NAME_SUFFIX] = part.filename.encode()
                else:
                    params[part.name] = data.decode("utf-8", errors="replace")
        elif request.can_read_body:
            text = (await request.read()).decode("utf-8", errors="replace")
            params.update(parse_qsl(text, keep_blank_values=True, errors="replace"))
        return params, files

    async def _file(self, request: web.Request) -> web.Response:
        """Serve a file the bot uploaded, as Telegram's file URL would."""
        token, path = request.match_info["token"], request.match_info["path"]
        if token != self.emulator.token or path not in self.emulator.files:
            return _failure(404, "Not Found")
        return web.Response(body=self.emulator.files[path])

    async def stop(self) -> None:
        """Stop listening and release every waiting request (a call still under way after
        STOP_GRACE has its connection closed)."""
        self.emulator.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmulatorServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

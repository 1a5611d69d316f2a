"""The webhook receiver: Telegram posts updates here; a request is judged by its headers first.

PTB 22.8's own webhook server (tornado) reads a request's whole body, up to tornado's 100 MB
default, before its handler looks at the secret token, and lets neither be changed. So the bot
receives updates on this small aiohttp server (aiohttp already carries its requests and
/healthz) and hands them to PTB the way PTB documents for a custom webhook server, through
`Application.update_queue`, as PTB's own handler does:

- a request without the right secret token gets 403 before a byte of its body is read (and,
  if it asked `Expect: 100-continue`, before it is invited to send one);
- a body whose Content-Length is over MAX_BODY gets 413, and one without a Content-Length
  (Telegram always sends it) 411, before it is read either;
- a standby (see clicksbot.leader) answers 503: Telegram posts the update again later.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web

from clicksbot.updates import IntakeBot, read_update

if TYPE_CHECKING:
    from clicksbot.context import BotApplication

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # 1 MiB: Telegram's updates are a few kilobytes


class WebhookServer:
    """Receives Telegram's updates at `listen`:`port`/`path` for one application."""

    def __init__(
        self,
        app: BotApplication,
        listen: str,
        port: int,
        path: str,
        secret: str,
        accepting: Callable[[], bool] = lambda: True,
    ) -> None:
        self.app = app
        # Whether this instance takes updates now (it leads): a standby answers 503, so
        # Telegram posts the update again later (to the leader, behind a load balancer that
        # asks /healthz/leader).
        self.accepting = accepting
        self.listen = listen
        self.port = port
        self.path = "/" + path.lstrip("/")
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        server = web.Application(client_max_size=MAX_BODY)
        server.router.add_post(self.path, self._receive, expect_handler=self._expect)
        # lingering_time=0: the unread body of a refused request is not drained; the
        # connection is closed once the refusal is sent.
        self._runner = web.AppRunner(server, access_log=None, lingering_time=0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        logger.info("Webhook server listening on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _refusal(self, request: web.Request) -> web.Response | None:
        """Judge a request by its headers alone; return the refusal, or None to read it."""
        token = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(token, self._secret):
            return web.Response(status=403, text="wrong or missing secret token")
        if request.content_length is None:  # Telegram always sends it
            return web.Response(status=411, text="Content-Length is required")
        if request.content_length > MAX_BODY:
            return web.Response(status=413, text=f"more than {MAX_BODY} bytes")
        if not self.accepting():
            return web.Response(status=503, text="standby: updates go to the leader")
        return None

    async def _expect(self, request: web.Request) -> web.Response | None:
        """Answer `Expect: 100-continue` only to a request that may send its body."""
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if request.headers.get(hdrs.EXPECT, "").lower() != "100-continue":
            return web.Response(status=417)
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return None

    async def _receive(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        try:
            data: Any = json.loads(await request.read())  # at most client_max_size
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text=f"more than {MAX_BODY} bytes")
        except Exception:  # what is not an update is refused, and never echoed to the log
            logger.warning("Webhook: refused a request that is not a Telegram update")
            return web.Response(status=400, text="not an update")
        try:
            bot = self.app.bot
            shown = bot.intake.shown if isinstance(bot, IntakeBot) else None
            update = read_update(data, bot, shown)
        except Exception as exc:
            update_id = data.get("update_id")
            if not isinstance(update_id, int):
                logger.warning("Webhook: refused a request that is not a Telegram update")
                return web.Response(status=400, text="not an update")
            # An update from Telegram that this PTB cannot read: taken (200), so Telegram
            # does not send it again and again; logged once by id, never its content.
            logger.warning("Skipped update %s: it could not be read (%s)", update_id,
                           type(exc).__name__)  # fmt: skip
            return web.Response(status=200)
        self.app.bot.insert_callback_data(update)
        await self.app.update_queue.put(update)
        return web.Response(status=200)

"""The bot token must not reach the logs through a transport error's chained cause."""

from __future__ import annotations

import asyncio
import traceback

from aiohttp import web
from telegram.error import TimedOut

from clicksbot.transport import AiohttpRequest

TOKEN = "123456:SECRET-token-do-not-log"


async def test_a_pool_timeout_does_not_carry_the_token() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/bot{TOKEN}/getMe"
    request = AiohttpRequest(connections=1)
    await request.initialize()
    try:
        busy = asyncio.create_task(request.do_request(url, "POST"))
        await asyncio.sleep(0.1)  # the one connection is now taken
        try:
            await request.do_request(url, "POST", connect_timeout=0.2, pool_timeout=0.0)
        except TimedOut as exc:
            logged = "".join(traceback.format_exception(exc))  # what logger.exception prints
        else:
            raise AssertionError("expected a timeout")
        busy.cancel()
    finally:
        await request.shutdown()
        await runner.cleanup()
    assert TOKEN not in logged, logged

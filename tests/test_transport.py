"""The bot's aiohttp transport behaves as PTB's own: replies, Telegram errors, faults, uploads."""

from __future__ import annotations

import asyncio
import struct
import zlib

import pytest
from conftest import TOKEN
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from clicksbot.sandbox import Emulator, EmulatorServer, Limits
from clicksbot.transport import AiohttpRequest


def png(width: int, height: int) -> bytes:
    """A valid, tiny, all-black PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_calls_errors_faults_and_uploads_map_as_with_ptb_default() -> None:
    emulator = Emulator(token=TOKEN, limits=Limits(enforce=False))
    async with EmulatorServer(emulator) as server:
        request = AiohttpRequest(connections=4, read_timeout=0.3)
        async with Bot(TOKEN, base_url=server.api_url, request=request) as bot:
            alice = emulator.person("Alice")
            alice.send("/start")
            sent = await bot.send_message(alice.id, "<b>hi</b> &amp; welcome", parse_mode="HTML")
            assert sent.text == "hi & welcome"
            assert (await alice.receive(timeout=5)).text == "hi & welcome"

            with pytest.raises(BadRequest, match="(?i)too long"):
                await bot.send_message(alice.id, "x" * 4097)
            emulator.fail("sendMessage", 429, retry_after=3)
            with pytest.raises(RetryAfter) as storm:
                await bot.send_message(alice.id, "hi")
            assert storm.value.retry_after.total_seconds() == 3
            emulator.fail("sendMessage", 502)
            with pytest.raises(NetworkError):
                await bot.send_message(alice.id, "hi")
            emulator.fail("sendMessage", 0, delay=0.8)
            with pytest.raises(TimedOut):
                await bot.send_message(alice.id, "slow")
            await asyncio.sleep(0.8)  # let the slow call finish on the server side

            photo = await bot.send_photo(alice.id, png(32, 16), caption="a picture")
            assert photo.photo[-1].width == 32 and photo.caption == "a picture"
            assert emulator.files[photo.photo[-1].file_id] == png(32, 16)

            alice.block()
            with pytest.raises(Forbidden, match="blocked"):
                await bot.send_message(alice.id, "are you there?")
    assert [c.method for c in emulator.refused] == ["sendMessage"]  # the 4097 characters


async def test_an_unreachable_server_is_a_network_error_and_shutdown_closes() -> None:
    request = AiohttpRequest(connections=1)
    await request.initialize()
    with pytest.raises(NetworkError, match="aiohttp"):
        await request.post("http://127.0.0.1:9/bot1:x/getMe")
    await request.shutdown()
    await request.shutdown()  # twice is harmless
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post("http://127.0.0.1:9/bot1:x/getMe")

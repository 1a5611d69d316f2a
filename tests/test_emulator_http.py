"""The emulator's HTTP layer: how a call arrives (JSON, a form, files), what HTTP's own failures
answer, and a long poll whose client goes away, met with a plain HTTP client."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from conftest import TOKEN

from clicksbot.sandbox import Emulator, EmulatorServer, Limits
from clicksbot.sandbox.server import MAX_BODY, STOP_GRACE

Served = tuple[EmulatorServer, aiohttp.ClientSession]


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    emulator = Emulator(token=TOKEN, limits=Limits(enforce=False))
    async with EmulatorServer(emulator) as server, aiohttp.ClientSession() as session:
        yield server, session


async def until(condition: object, seconds: float = 5.0) -> None:
    """Wait until `condition()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "still waiting"
        await asyncio.sleep(0.01)


async def test_a_call_reads_json_a_form_or_the_query(served: Served) -> None:
    """The same call answers alike whichever way its parameters come; a repeated field counts
    its last value, and the body's value wins over the query's."""
    server, session = served
    alice = server.emulator.person("Alice")
    alice.send("/start")
    url = f"{server.api_url}{TOKEN}/sendMessage"
    bodies = (
        {"json": {"chat_id": alice.id, "text": "one"}},
        {"data": {"chat_id": str(alice.id), "text": "two"}},
        {"params": {"chat_id": str(alice.id), "text": "three"}},
        {"data": [("chat_id", str(alice.id)), ("text", "first"), ("text", "four")]},
        {"data": {"chat_id": str(alice.id), "text": "five"}, "params": {"text": "query"}},
    )
    for body in bodies:
        async with session.post(url, **body) as response:
            assert response.status == 200
            assert response.content_type == "application/json"
            assert (await response.json())["ok"] is True
    assert [m.text for m in alice.messages] == ["one", "two", "three", "four", "five"]


async def test_an_upload_arrives_with_its_name_and_is_served_at_its_file_url(
    served: Served,
) -> None:
    """A multipart call carries a file beside text parameters; its file URL serves it back, to
    the bot's token only."""
    server, session = served
    alice = server.emulator.person("Alice")
    alice.send("/start")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("caption", "Your certificate ✓")
    form.add_field("document", io.BytesIO(b"%PDF-1.4 certificate"), filename="pact.pdf")
    async with session.post(f"{server.api_url}{TOKEN}/sendDocument", data=form) as response:
        sent = await response.json()
    assert sent["ok"], sent
    document = sent["result"]["document"]
    assert document["file_name"] == "pact.pdf"
    assert sent["result"]["caption"] == "Your certificate ✓"
    path = document["file_id"]  # the emulator's file path is the file's id
    base = server.api_url.removesuffix("/bot")
    async with session.get(f"{base}/file/bot{TOKEN}/{path}") as response:
        assert await response.read() == b"%PDF-1.4 certificate"
    async with session.get(f"{base}/file/bot999:other/{path}") as response:
        assert response.status == 404
        assert (await response.json())["ok"] is False


async def test_http_failures_are_answered_in_json(served: Served) -> None:
    """A body that is not JSON is 400, a path that is no method 404, and a method other than
    GET or POST 405: each in JSON, as Telegram answers."""
    server, session = served
    url = f"{server.api_url}{TOKEN}/sendMessage"
    headers = {"Content-Type": "application/json"}
    async with session.post(url, data=b"{not json", headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["description"].startswith("Bad Request")
    base = server.api_url.removesuffix("/bot")
    async with session.post(f"{base}/nothing/here") as response:
        assert response.status == 404
        assert (await response.json()) == {"ok": False, "error_code": 404,
                                           "description": "Not Found"}  # fmt: skip
    async with session.delete(url) as response:
        assert response.status == 405
        assert (await response.json())["error_code"] == 405


async def raw_request(server: EmulatorServer, head: str) -> bytes:
    """Send `head` (a request line and headers, no body) and return the answer's first bytes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(head.encode())
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), 5)
    finally:
        writer.close()


async def test_a_body_over_the_largest_upload_is_refused_before_it_is_read(served: Served) -> None:
    """A call saying it carries more than MAX_BODY is 413 at once: nothing of it is read."""
    server, _ = served
    answer = await raw_request(
        server,
        f"POST /bot{TOKEN}/sendDocument HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 413")
    assert b'"error_code": 413' in answer


async def test_a_request_that_does_not_parse_logs_no_token(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    """The server's own failure line for a request it cannot parse quotes the request line,
    token and all: the emulator's log says what happened without it."""
    server, _ = served
    with caplog.at_level(logging.DEBUG):
        answer = await raw_request(server, f"POST /bot{TOKEN}/get Me HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.05)
    assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request")
    assert "could not read a request" in caplog.text
    secret = TOKEN.split(":")[1]
    assert secret not in caplog.text
    assert all(secret not in str(r.exc_info) for r in caplog.records)


async def test_a_long_poll_ends_when_its_client_goes_away(served: Served) -> None:
    """A bot killed in the middle of a long poll leaves none waiting: the next bot's poll is not
    said to have ended another ("terminated by other getUpdates request")."""
    server, session = served
    url = f"{server.api_url}{TOKEN}/getUpdates"
    waiting = asyncio.create_task(session.post(url, json={"timeout": 30}))
    await until(lambda: server.emulator.poll_times)
    waiting.cancel()  # the connection closes with it
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await until(lambda: server.emulator._polling is None)
    async with aiohttp.ClientSession() as other, other.post(url, json={"timeout": 0}) as answer:
        assert (await answer.json()) == {"ok": True, "result": []}
    assert server.emulator.conflicts == []


async def test_stopping_does_not_wait_for_a_slow_call() -> None:
    """stop() releases a waiting long poll at once and closes a call still under way after
    STOP_GRACE: a test's server never holds its end up."""
    emulator = Emulator(token=TOKEN)
    server = await EmulatorServer(emulator).start()
    emulator.fail("getMe", 0, delay=30)  # a call that would take 30 s
    async with aiohttp.ClientSession() as session:
        base = f"{server.api_url}{TOKEN}"
        polling = asyncio.create_task(session.post(f"{base}/getUpdates", json={"timeout": 30}))
        slow = asyncio.create_task(session.post(f"{base}/getMe"))
        await until(lambda: emulator.poll_times)
        await asyncio.sleep(0.05)  # the slow call is under way too
        began = time.monotonic()
        await server.stop()
        assert time.monotonic() - began < STOP_GRACE + 2
        async with await polling as response:
            assert (await response.json()) == {"ok": True, "result": []}
        with pytest.raises(aiohttp.ClientError):
            await slow


def can_listen(address: str) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((address, 0))
    except OSError:
        return False
    return True


async def test_it_listens_on_every_address_of_localhost_that_can_be() -> None:
    """On "localhost", the emulator answers at each of its addresses this machine has (one
    port for all), whichever the client resolves."""
    infos = socket.getaddrinfo("localhost", 0, type=socket.SOCK_STREAM)
    addresses = sorted({str(info[4][0]) for info in infos if can_listen(str(info[4][0]))})
    emulator = Emulator(token=TOKEN)
    async with EmulatorServer(emulator, host="localhost") as server, aiohttp.ClientSession() as s:
        for address in addresses:
            host = f"[{address}]" if ":" in address else address
            async with s.post(f"http://{host}:{server.port}/bot{TOKEN}/getMe") as response:
                assert (await response.json())["result"]["is_bot"] is True


async def test_an_address_the_machine_cannot_listen_on_is_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where localhost also names ::1 but IPv6 is off (a container, say), the emulator listens
    on 127.0.0.1 alone instead of failing."""
    real = socket.getaddrinfo

    def both(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "localhost":
            six = (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0))
            four = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))
            return [six, four]
        return real(host, *args, **kwargs)

    real_bind = socket.socket.bind

    def bind(self: socket.socket, address: object) -> None:
        if self.family == socket.AF_INET6:
            raise OSError(99, "Cannot assign requested address")
        real_bind(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    monkeypatch.setattr(socket.socket, "bind", bind)
    async with EmulatorServer(Emulator(token=TOKEN), host="localhost") as server:
        monkeypatch.undo()
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{server.port}/bot{TOKEN}/getMe"
            async with session.post(url) as response:
                assert (await response.json())["ok"] is True

"""The webhook server on loopback: a request is judged by its headers before its body is read
(403 without the secret token), bodies are capped (413 over 1 MiB), and `clicksbot run
--webhook` serves updates through it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import REPO, TOKEN, Clock

from clicksbot.app import Webhook, build_application, receiving
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.sandbox import Emulator, EmulatorServer, Limits
from clicksbot.webhook import MAX_BODY, SECRET_HEADER

# Also on the loop `clicksbot run` takes (uvloop's): tests/conftest.py, both_loops.
pytestmark = pytest.mark.both_loops

SECRET = "the-Right_secret-123"
PROMPT = 2.0  # seconds: an answer that waits for a body never sent takes longer


def help_update(user_id: int) -> dict[str, object]:
    return {
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 0, "text": "/help",
            "chat": {"id": user_id, "type": "private", "first_name": "Web"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Web"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }  # fmt: skip


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def hook(
    settings: Settings, shipped_content: Content, clock: Clock
) -> AsyncIterator[tuple[Webhook, Emulator]]:
    """The real bot receiving by webhook on loopback, with the emulator as its Bot API."""
    emulator = Emulator(token=TOKEN, limits=Limits(enforce=False))
    async with EmulatorServer(emulator) as server:
        app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
        port = free_port()
        webhook = Webhook(f"http://127.0.0.1:{port}/telegram", "127.0.0.1", port, SECRET)
        async with receiving(app, webhook=webhook):
            yield webhook, emulator


async def exchange(
    webhook: Webhook, headers: dict[str, str], body: bytes = b""
) -> tuple[list[str], bytes]:
    """Send a request's head (and `body`, if any) over a raw connection; return the status
    lines the server sends and what else it sends until it closes the connection."""
    reader, writer = await asyncio.open_connection(webhook.listen, webhook.port)
    try:
        head = f"POST /{webhook.path} HTTP/1.1\r\nHost: {webhook.listen}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        writer.write(head.encode() + body)
        with _tolerate_reset():
            await writer.drain()
        statuses = []
        while True:
            line = (await asyncio.wait_for(reader.readline(), PROMPT)).decode().strip()
            statuses.append(line)
            if not line.startswith("HTTP/1.1 100"):
                break
            await reader.readline()  # the blank line after "100 Continue"
        rest = await asyncio.wait_for(reader.read(), PROMPT)  # EOF: the server closed it
        return statuses, rest
    finally:
        writer.close()
        with _tolerate_reset():
            await writer.wait_closed()


class _tolerate_reset:
    """The server may close the connection while we still write a body it refused."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: object, trace: object) -> bool:
        return isinstance(error, ConnectionError)


def json_headers(length: int, secret: str | None = SECRET) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Content-Length": str(length)}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    return headers


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1], SECRET + "x"])
async def test_without_the_secret_a_request_gets_403_before_its_body_is_read(
    hook: tuple[Webhook, Emulator], secret: str | None
) -> None:
    """The request announces 50 MiB and sends none of it: the answer comes at once, and the
    server closes the connection rather than read the body."""
    webhook, emulator = hook
    statuses, _ = await exchange(webhook, json_headers(50 * MAX_BODY, secret))
    assert statuses == ["HTTP/1.1 403 Forbidden"]
    statuses, _ = await exchange(
        webhook, {**json_headers(50 * MAX_BODY, secret), "Expect": "100-continue"}
    )
    assert statuses == ["HTTP/1.1 403 Forbidden"]  # never invited to send the body
    assert emulator.sent("sendMessage") == []


async def test_an_oversized_body_gets_413(hook: tuple[Webhook, Emulator]) -> None:
    """Over 1 MiB by its Content-Length: refused before it is sent. Sent in chunks with no
    length given (Telegram never does): refused (411) before it is read."""
    webhook, emulator = hook
    statuses, _ = await exchange(webhook, json_headers(MAX_BODY + 1))
    assert statuses == ["HTTP/1.1 413 Request Entity Too Large"]
    statuses, _ = await exchange(webhook, {**json_headers(MAX_BODY + 1), "Expect": "100-continue"})
    assert statuses == ["HTTP/1.1 413 Request Entity Too Large"]
    piece = b"x" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(20)) + b"0\r\n\r\n"
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked",
               SECRET_HEADER: SECRET}  # fmt: skip
    statuses, _ = await exchange(webhook, headers)
    assert statuses == ["HTTP/1.1 411 Length Required"]
    statuses, _ = await exchange(webhook, headers, chunks[:65536])
    assert statuses == ["HTTP/1.1 411 Length Required"]
    assert emulator.sent("sendMessage") == []


async def test_an_update_with_the_secret_is_handled(hook: tuple[Webhook, Emulator]) -> None:
    """Within the limit and with the secret, an update is taken (200) and answered; what is
    not an update is refused (400)."""
    webhook, emulator = hook
    person = emulator.person("Web")
    emulator.started.add(person.id)
    body = json.dumps(help_update(person.id)).encode()
    statuses, _ = await exchange(webhook, {**json_headers(len(body)), "Connection": "close"}, body)
    assert statuses == ["HTTP/1.1 200 OK"]
    for _ in range(100):
        if emulator.sent("sendMessage"):
            break
        await asyncio.sleep(0.05)
    assert "What I can do" in emulator.sent("sendMessage")[0].params["text"]
    for junk in (b"[1, 2]", b"{not json", b" " * (MAX_BODY - 10)):
        statuses, _ = await exchange(
            webhook, {**json_headers(len(junk)), "Connection": "close"}, junk
        )
        assert statuses == ["HTTP/1.1 400 Bad Request"]


async def test_an_update_this_ptb_cannot_read_is_taken_once_not_refused(
    hook: tuple[Webhook, Emulator], caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram sends again what a webhook refuses: an update from Telegram that PTB cannot
    read is taken (200) and logged once by its id, never its content."""
    webhook, _ = hook
    unreadable = {"update_id": 777, "message": {"message_id": 1, "date": "soon",
                  "text": "my secret diary"}}  # fmt: skip
    body = json.dumps(unreadable).encode()
    statuses, _ = await exchange(webhook, {**json_headers(len(body)), "Connection": "close"}, body)
    assert statuses == ["HTTP/1.1 200 OK"]
    logged = [r.getMessage() for r in caplog.records if "777" in r.getMessage()]
    assert logged == ["Skipped update 777: it could not be read (TypeError)"] or (
        len(logged) == 1 and "could not be read" in logged[0]
    )
    assert not any("secret diary" in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio(loop_factories=["asyncio"])  # the bot's process takes its own loop
async def test_clicksbot_run_with_a_webhook(tmp_path: Path) -> None:
    """`clicksbot run --webhook` answers people through its webhook server, refuses a request
    without the secret, and stops cleanly on SIGTERM."""
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path / 'bot.sqlite3'}\npacks_dir: {REPO / 'quizzes'}\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    emulator = Emulator(token=TOKEN)
    async with EmulatorServer(emulator) as server:
        env = {
            **os.environ,
            "CLICKSBOT_TOKEN": TOKEN,
            "CLICKSBOT_API_URL": server.api_url,
            "CLICKSBOT_WEBHOOK_SECRET": SECRET,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "clicksbot", "run", "--config", str(config),
            "--webhook", url, "--listen", "127.0.0.1", "--port", str(port),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = asyncio.get_running_loop().time() + 30
            while emulator.webhook is None:  # the bot has not told "Telegram" its URL yet
                assert asyncio.get_running_loop().time() < deadline, "no setWebhook"
                await asyncio.sleep(0.05)
            person = emulator.person("Wen")
            person.send("/start")
            assert "Hi Wen" in (await person.receive(timeout=30)).text
            assert emulator.webhook == {"url": url, "secret_token": SECRET}
            webhook = Webhook(url, "127.0.0.1", port, SECRET)
            statuses, _ = await exchange(webhook, json_headers(50 * MAX_BODY, "wrong"))
            assert statuses == ["HTTP/1.1 403 Forbidden"]
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
    text = output.decode()
    assert process.returncode == 0, text
    assert "Traceback" not in text and SECRET not in text
    assert {status for _, status in emulator.webhook_deliveries} == {200}

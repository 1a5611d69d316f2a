"""Fixtures: the emulator on loopback, and the real bot polling it, as people meet it."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pgtest
import pytest

from clicksbot import logs
from clicksbot.app import build_application, new_event_loop, polling, runtime_of
from clicksbot.config import Secret, Settings
from clicksbot.content import Content, load_content
from clicksbot.context import BotApplication
from clicksbot.sandbox import Emulator, EmulatorServer, Limits, Person
from clicksbot.store.delivery import FillPace

# Opt in to PTB's timedelta durations now (as `clicksbot` does), so its deprecation warning,
# an error under -W error, never fires.
os.environ["PTB_TIMEDELTA"] = "1"

REPO = Path(__file__).resolve().parent.parent
UVLOOP = importlib.util.find_spec("uvloop") is not None  # the bot's loop where installed
TOKEN = "123456:TEST-token-never-printed"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Running:
    """The bot as a test drives it."""

    app: BotApplication
    emulator: Emulator
    server: EmulatorServer
    settings: Settings


def pytest_report_header() -> str:
    return f"clicksbot store: {pgtest.where()}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(f"clicksbot store: {pgtest.where()}")


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Run the tests marked `both_loops` on asyncio's own event loop and on the one `clicksbot
    run` takes in production (clicksbot.app.new_event_loop: uvloop's where it is installed);
    the others on asyncio's alone (one factory: their names are unchanged)."""
    if item.get_closest_marker("both_loops") is None or not UVLOOP:
        return {"asyncio": asyncio.new_event_loop}
    return {"asyncio": asyncio.new_event_loop, "bot-loop": new_event_loop}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """On PostgreSQL, skip the tests of the SQLite file itself, each saying why."""
    if not pgtest.enabled():
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            why = marker.args[0] if marker.args else "about the SQLite file"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))


@pytest.fixture(scope="session")
def postgresql_template() -> Iterator[bool]:
    if not pgtest.enabled():
        yield False
        return
    pgtest.make_template()
    yield True
    pgtest.drop_template()


@pytest.fixture(autouse=True)
def store_url(
    request: pytest.FixtureRequest, postgresql_template: bool, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The test's PostgreSQL database when the suite runs on PostgreSQL, else ""."""
    if not postgresql_template or request.node.get_closest_marker("sqlite_only"):
        yield ""
        return
    for url in pgtest.fresh_database():
        pgtest.redirect(monkeypatch, url)
        yield url


@pytest.fixture
def steady_fills(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fills whose chunks and windows keep their largest size, however fast this machine's
    disk is today: for tests of where chunks begin and end. (How the sizes follow the disk's
    pace: test_fill_pace.)"""
    largest = property(lambda self: self.most, lambda self, _: None)  # over what is learnt
    monkeypatch.setattr(FillPace, "size", largest, raising=False)


@pytest.fixture(scope="session")
def shipped_content() -> Content:
    content, problems = load_content(REPO / "quizzes")
    assert [p for p in problems if not p.warning] == []
    return content


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, store_url: str) -> Settings:
    return Settings(
        token=Secret(TOKEN),
        database=tmp_path / "clicksbot.sqlite3",
        database_url=Secret(store_url),
        packs_dir=REPO / "quizzes",
        admins=frozenset({42}),
        # Test people act at machine speed; test_privacy checks the real flood limits.
        flood_burst=1000,
        # The checkup offered at the first quiz would stand before every test's first
        # question; test_checkup turns it back on (the default) to test it.
        checkup_offer=False,
        # "How sure are you?" stands between every answer and its result; the tests of
        # answers that are about something else see the result at once. test_boosters drives
        # the real setting (the default) through every kind of question.
        ask_confidence=False,
    )


@pytest.fixture
def limits() -> Limits:
    """Telegram's limits, but with room for a long burst in one private chat: people in tests
    tap at machine speed, faster than any human (test_emulator checks the real burst)."""
    return Limits(per_chat_burst=60)


@pytest.fixture
async def server(limits: Limits) -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(Emulator(token=TOKEN, limits=limits)) as running:
        yield running


@asynccontextmanager
async def running(
    server: EmulatorServer, settings: Settings, content: Content, clock: Clock
) -> AsyncIterator[BotApplication]:
    """The real Application on this content, against the emulator, paced as its limits."""
    app = build_application(settings, content, clock=clock, base_url=server.api_url)
    pace_as(app, server.emulator.limits)
    async with polling(app, poll_timeout=1):
        yield app


@pytest.fixture
async def bot(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> AsyncIterator[Running]:
    """Start the real Application against the emulator; after the test, nothing was refused."""
    async with running(server, settings, shipped_content, clock) as app:
        yield Running(app, server.emulator, server, settings)
    refused = [(c.method, c.error.description if c.error else "") for c in server.emulator.refused]
    assert refused == [], f"Telegram would have refused: {refused}"


@pytest.fixture(autouse=True)
def no_token_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test also checks that the token never reached a log line."""
    logs.quiet_libraries("DEBUG")  # as `clicksbot run` sets them, but with no redaction net
    caplog.set_level(logging.DEBUG)
    yield
    secret = TOKEN.split(":", 1)[1]
    leaked = [r.getMessage() for r in caplog.records if secret in r.getMessage()]
    assert leaked == [], "the token appeared in the logs"


def pace_as(app: BotApplication, limits: Limits) -> None:
    """Let the bot's pacer know the bursts this test's Telegram allows (the emulator's limits):
    tests that lift them to tap at machine speed lift the bot's own pacing with them, and tests
    at Telegram's real limits meet the bot's real pacing."""
    pacer = runtime_of(app).pacer
    assert pacer is not None
    real = Limits()
    if limits.per_chat_burst > real.per_chat_burst:
        pacer.chat_burst = limits.per_chat_burst - 1
    if limits.global_burst > real.global_burst:
        pacer.overall_burst(limits.global_burst - 1)


async def started(bot: Running, name: str, language: str = "en") -> Person:
    """A person who has opened the bot (/start) and read its greeting."""
    person = bot.emulator.person(name, language_code=language)
    person.send("/start")
    await person.receive()
    return person


async def drain(bot: Running, timeout: float = 20) -> None:
    """Wait until the outbox has nothing left to send."""
    runtime = runtime_of(bot.app)
    assert runtime.store is not None and runtime.outbox is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        figures = await runtime.store.delivery_stats(datetime(2000, 1, 1, tzinfo=UTC))
        if figures.pending == 0 and runtime.outbox.idle:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox did not finish")

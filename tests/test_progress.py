"""The live progress of a broadcast, at the real interval: it appears within 2 s of "Send
now", shows "sending" before the summary, and carries on through a restart."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import replace

import pgtest
import pytest
from conftest import Clock, Running, running, started
from test_moderation import make_admin, receive_until, rt
from test_moderation_safety import compose

from clicksbot.app import build_application, polling
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.delivery.progress import INTERVAL
from clicksbot.sandbox import BotMessage, Emulator, EmulatorServer, Limits, Person
from clicksbot.store import Store
from clicksbot.store.delivery import FILL_AHEAD, FILL_WINDOW_POSTGRESQL

SENDING = "sending…"


async def send_now(bot: Running, mod: Person, text: str) -> float:
    """/broadcast to everyone, pressing Send now; return when it was pressed."""
    mod.send("/broadcast")
    await mod.receive()
    mod.send(text)
    await mod.press(await mod.receive(), "No button")
    await receive_until(mod, "Preview")
    await mod.receive()  # the preview itself
    await mod.press(await mod.receive(), "Everyone")
    confirm = await receive_until(mod, "Send this to")
    pressed = time.monotonic()
    await mod.press(confirm, "Send now")
    return pressed


def received(bot: Running, text: str) -> Counter[int]:
    return received_by(bot.emulator, text)


async def summary_of(mod: Person, first: BotMessage) -> BotMessage:
    """The edit of the progress message that is its summary."""
    for _ in range(20):
        edit = await mod.receive_edit(timeout=INTERVAL + 5)
        if edit.id == first.id and "done" in edit.text:
            return edit
    raise AssertionError("no summary")


@pytest.mark.parametrize("limits", [Limits(per_chat_burst=60, global_burst=10_000)])
async def test_the_progress_shows_within_two_seconds_then_the_summary(bot: Running) -> None:
    """At the real interval, the progress message comes within 2 s of Send now, saying
    "sending" (however quick the fan-out), and the same message then becomes the summary."""
    admin = await started(bot, "Admin")
    make_admin(bot, admin)
    for i in range(5):
        await started(bot, f"P{i}")
    progress = rt(bot).progress
    assert progress is not None and progress.interval == INTERVAL
    pressed = await send_now(bot, admin, "Quick news")
    first = await receive_until(admin, SENDING)
    assert time.monotonic() - pressed < 2.0
    assert "Broadcast #1" in first.text and first.button_texts == ["⏹ Stop sending"]
    summary = await summary_of(admin, first)
    assert "Sent: 6 of 6" in summary.text and summary.buttons == []
    store = rt(bot).store
    assert store is not None
    for _ in range(50):  # once shown, the summary's row goes
        if await store.progress_messages() == []:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the finished progress message was kept")


@pytest.mark.parametrize("limits", [Limits(per_chat_burst=60, global_burst=10_000)])
async def test_a_restart_mid_broadcast_still_ends_with_the_summary(
    bot: Running, clock: Clock, shipped_content: Content
) -> None:
    """The bot stops half-way through a broadcast; a new one on the same database sends the
    rest (nobody twice) and edits the same progress message through to the summary."""
    admin = await started(bot, "Admin")
    make_admin(bot, admin)
    people = [await started(bot, f"P{i}") for i in range(30)]
    pacer = rt(bot).pacer
    assert pacer is not None
    pacer.rate = 10  # slow enough to stop half-way
    pressed = await send_now(bot, admin, "Slow news")
    first = await receive_until(admin, SENDING)
    assert time.monotonic() - pressed < 2.0
    deadline = time.monotonic() + 10
    while received(bot, "Slow news").total() < 9:  # the preview and 8 sent
        assert time.monotonic() < deadline, "the broadcast did not start"
        await asyncio.sleep(0.05)

    # The restart: this bot stops; a new one on the same database carries on.
    app = bot.app
    assert app.updater is not None and app.post_stop and app.post_shutdown
    await app.updater.stop()
    await app.stop()
    await app.post_stop(app)
    await app.shutdown()
    await app.post_shutdown(app)
    assert received(bot, "Slow news").total() < 32, "the broadcast was not cut"
    second = build_application(bot.settings, shipped_content, clock=clock,
                               base_url=bot.server.api_url)  # fmt: skip
    async with polling(second, poll_timeout=1):
        summary = await summary_of(admin, first)
    assert "Sent: 31 of 31" in summary.text
    got = received(bot, "Slow news")
    assert got.pop(admin.id) == 2  # the preview, then the broadcast
    assert {p.id for p in people} == set(got) and set(got.values()) == {1}


async def test_a_broadcast_to_more_than_is_queued_at_once_reaches_everyone_once(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """A (paid) broadcast to 2 x FILL_AHEAD people and more, at Telegram's real limits: it is
    queued FILL_AHEAD people ahead of the outbox, never all at once, and the outbox queues
    the rest as it sends; everyone gets it once, and the progress counts everyone from its
    first view to its summary."""
    people = 2 * FILL_AHEAD + 321
    emulator = server.emulator
    readers = [emulator.person(f"R{i}", user_id=7_000_000 + i) for i in range(people)]
    emulator.started.update(r.id for r in readers)  # they met the bot before
    store = await Store.open(settings.store_target)  # the schema, before the rows
    await store.close()
    db = pgtest.connect(settings.database)
    seen = clock().isoformat(timespec="seconds")
    db.executemany(
        "INSERT INTO users (id, language, created_at, last_seen_at, greeted_at)"
        " VALUES (?, 'en', ?, ?, ?)",
        [(r.id, seen, seen, seen) for r in readers],
    )
    db.commit()
    db.close()
    paid = replace(settings, allow_paid_broadcast=True, admins=frozenset({42}))
    async with running(server, paid, shipped_content, clock):
        admin = emulator.person("Admin", user_id=42)
        admin.send("/start")
        await admin.receive()
        await compose(admin, "Wide news")
        await admin.press(await receive_until(admin, "Send this to"), "Send now")
        first = await receive_until(admin, SENDING)
        everyone = people + 1  # the admin too
        assert f"of {everyone} " in first.text  # everyone counted, not just those queued
        pending: list[int] = []
        deadline = time.monotonic() + 180
        while sum(received_by(emulator, "Wide news").values()) < everyone + 1:
            assert time.monotonic() < deadline, "the broadcast did not finish"
            pending.append(count_pending(settings))
            await asyncio.sleep(0.2)
        summary = await summary_of(admin, first)
    assert f"Sent: {everyone} of {everyone} " in summary.text
    got = received_by(emulator, "Wide news")
    assert got.pop(admin.id) == 2  # the preview, then the broadcast
    assert set(got) == {r.id for r in readers} and set(got.values()) == {1}
    print(f"pending rows while sending: at most {max(pending)} of {people}")
    assert 0 < max(pending) <= FILL_AHEAD + FILL_WINDOW_POSTGRESQL, max(pending)
    assert emulator.refused == []


def received_by(emulator: Emulator, text: str) -> Counter[int]:
    return Counter(
        int(c.params["chat_id"])
        for c in emulator.sent("sendMessage")
        if c.params.get("text") == text
    )


def count_pending(settings: Settings) -> int:
    db = pgtest.connect(settings.database, timeout=10)
    try:
        return int(
            db.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'").fetchone()[0]
        )
    finally:
        db.close()

"""The live progress of a broadcast, at the real interval: it appears within 2 s of "Send
now", shows "sending" before the summary, and carries on through a restart."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from conftest import Clock, Running, started
from test_moderation import make_admin, receive_until, rt

from clicksbot.app import build_application, polling
from clicksbot.content import Content
from clicksbot.delivery.progress import INTERVAL
from clicksbot.sandbox import BotMessage, Limits, Person

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
    return Counter(
        int(c.params["chat_id"])
        for c in bot.emulator.sent("sendMessage")
        if c.params.get("text") == text
    )


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

"""Moderation safety: the role is checked at every step that creates or sends, revoking a
moderator cancels what they scheduled, and scheduled broadcasts are listed and cancelled
in the bot and on the command line alike."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import REPO, Clock, Running, drain, started
from test_moderation import audit_actions, make_admin, receive_until, rt

from clicksbot.cli import main
from clicksbot.sandbox import Person
from clicksbot.store import Store

STOPPED = "no longer a moderator, so this stops here"


def store_of(bot: Running) -> Store:
    store = rt(bot).store
    assert store is not None
    return store


async def appoint(bot: Running, admin: Person, mod: Person) -> None:
    admin.send(f"/addmod {mod.id}")
    assert "is now a moderator" in (await admin.receive()).text


async def revoke(admin: Person, mod: Person) -> str:
    admin.send(f"/delmod {mod.id}")
    return (await receive_until(admin, "no longer a moderator")).text


async def compose(mod: Person, text: str) -> None:
    """/broadcast up to the send-now-or-later question, for everyone."""
    mod.send("/broadcast")
    await mod.receive()
    mod.send(text)
    await mod.press(await mod.receive(), "No button")
    await receive_until(mod, "Preview")
    await mod.receive()  # the preview itself
    await mod.press(await mod.receive(), "Everyone")


async def schedule(mod: Person, text: str, when: str) -> None:
    """A broadcast to everyone at `when` (UTC: the moderator keeps the default zone, asked
    once)."""
    await compose(mod, text)
    await mod.press(await receive_until(mod, "Send this to"), "Send later")
    asked = await mod.receive_edit()
    if "Which time zone" in asked.text:
        await mod.press(asked, "Keep UTC")
        await mod.receive_edit()
    mod.send(when)
    assert "will go out on" in (await mod.receive()).text


def got(bot: Running, person: Person, text: str) -> int:
    return sum(
        text in str(c.params.get("text", ""))
        for c in bot.emulator.sent("sendMessage", chat_id=person.id)
    )


async def test_a_moderator_revoked_mid_dialogue_is_stopped_at_the_next_step(bot: Running) -> None:
    """Revoked while writing a broadcast, at its last button, or while making a campaign:
    the next step says why it stops, and nothing is created or sent."""
    admin, mod = await started(bot, "Admin"), await started(bot, "Mod")
    reader = await started(bot, "Reader")
    make_admin(bot, admin)
    store = store_of(bot)

    await appoint(bot, admin, mod)
    mod.send("/broadcast")
    await mod.receive()
    await revoke(admin, mod)
    mod.send("Exam season: check before you share")  # the next step: the text
    assert STOPPED in (await mod.receive()).text
    mod.send("Still here?")  # the conversation is over: plain text is not a broadcast
    assert STOPPED not in (await mod.receive()).text

    await appoint(bot, admin, mod)
    await compose(mod, "Exam season: check before you share")
    confirm = await receive_until(mod, "Send this to")
    await revoke(admin, mod)
    await mod.press(confirm, "Send now")  # the last step
    assert STOPPED in (await receive_until(mod, STOPPED)).text

    await appoint(bot, admin, mod)
    mod.send("/newcampaign")
    await mod.receive()
    mod.send("Haze season")
    packs = await mod.receive()
    await revoke(admin, mod)
    await mod.press(packs, "Check the source")
    assert STOPPED in (await mod.receive()).text

    await drain(bot)
    assert await store.scheduled_broadcasts() == [] and await store.broadcast(1) is None
    assert await store.campaigns() == []
    assert got(bot, reader, "Exam season") == 0


async def test_a_scheduled_broadcast_is_not_sent_once_its_author_may_not_send(
    bot: Running, clock: Clock
) -> None:
    """When its time comes, a broadcast whose author is no longer a moderator (or no longer
    an admin) is cancelled instead of sent, and the audit log says so."""
    admin, mod = await started(bot, "Admin"), await started(bot, "Mod")
    reader = await started(bot, "Reader")
    make_admin(bot, admin)
    await appoint(bot, admin, mod)
    await schedule(mod, "From the moderator", "2026-11-23 10:30")
    await schedule(admin, "From the admin", "2026-11-23 10:30")
    store = store_of(bot)
    await store.remove_moderator(mod.id)  # taken back behind /delmod's back
    object.__setattr__(bot.settings, "admins", frozenset({42}))  # no longer in the config
    campaigns = rt(bot).campaigns
    assert campaigns is not None
    clock.advance(hours=3)
    assert await campaigns.tick() == 0
    await drain(bot)
    await reader.expect_silence(0.3)
    for broadcast_id in (1, 2):
        broadcast = await store.broadcast(broadcast_id)
        assert broadcast is not None and broadcast.status == "cancelled"
    assert (await audit_actions(bot)).count("broadcast_cancel") == 2


async def test_delmod_cancels_the_moderators_pending_broadcasts_and_says_so(
    bot: Running, clock: Clock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Revoking a moderator cancels their scheduled broadcasts, tells the admin which, and
    writes each cancellation to the audit log (`clicksbot audit`)."""
    admin, mod = await started(bot, "Admin"), await started(bot, "Mod")
    reader = await started(bot, "Reader")
    make_admin(bot, admin)
    await appoint(bot, admin, mod)
    await schedule(mod, "Morning news", "2026-11-23 10:30")
    await schedule(mod, "Evening news", "2026-11-23 18:00")
    said = await revoke(admin, mod)
    assert "The 2 broadcasts they had scheduled are cancelled: #1, #2." in said
    campaigns = rt(bot).campaigns
    assert campaigns is not None
    clock.advance(hours=12)
    assert await campaigns.tick() == 0
    await drain(bot)
    assert got(bot, reader, "news") == 0
    config = tmp_path / "cli.yaml"
    config.write_text(f"database: {bot.settings.database}\n")
    assert await asyncio.to_thread(main, ["audit", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    cancels = [line for line in lines if "broadcast_cancel" in line]
    assert len(cancels) == 2 and "moderator_revoked" in cancels[0]
    assert any("broadcast:1" in line for line in cancels)
    assert any("broadcast:2" in line for line in cancels)


async def test_scheduled_broadcasts_are_listed_and_cancelled_in_the_bot_and_on_the_cli(
    bot: Running, clock: Clock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """/campaigns and `clicksbot campaign list|cancel` show and cancel the same broadcasts."""
    mod = await started(bot, "Mod")
    reader = await started(bot, "Reader")
    make_admin(bot, mod)
    await schedule(mod, "<b>Morning</b> news &amp; views", "2026-11-23 10:30")
    await schedule(mod, "Evening news", "2026-11-23 18:00")
    config = tmp_path / "cli.yaml"
    config.write_text(f"database: {bot.settings.database}\npacks_dir: {REPO / 'quizzes'}\n")

    async def cli(*args: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, ["campaign", *args, "--config", str(config)])
        out = capsys.readouterr()
        return code, out.out, out.err

    mod.send("/campaigns")
    listing = await receive_until(mod, "Scheduled broadcasts")
    assert "Morning news &amp; views" in listing.raw["text"] or "Morning news & views" in (
        listing.text
    )
    assert "Evening news" in listing.text
    assert listing.button_texts == ["✖️ Cancel broadcast #1", "✖️ Cancel broadcast #2"]
    code, out, _ = await cli("list")
    assert code == 0 and "b1 " in out and "b2 " in out and "Morning news & views" in out
    code, out, _ = await cli("cancel", "b1")
    assert code == 0 and "b1 is cancelled" in out
    code, _, err = await cli("cancel", "b1")
    assert code == 1 and "is cancelled" in err
    code, _, err = await cli("pause", "b2")
    assert code == 1 and "cannot be paused" in err

    mod.send("/campaigns")
    listing = await receive_until(mod, "Scheduled broadcasts")
    assert "Morning" not in listing.text and listing.button_texts == ["✖️ Cancel broadcast #2"]
    answer = await mod.press(listing, "Cancel broadcast #2")
    assert answer["text"] == "Cancelled."
    edited = await mod.receive_edit()
    assert "Scheduled broadcasts" not in edited.text and edited.buttons == []
    code, out, _ = await cli("list")
    assert code == 0 and "b2" not in out and "b1" not in out

    campaigns = rt(bot).campaigns
    assert campaigns is not None
    clock.advance(hours=12)
    assert await campaigns.tick() == 0
    await drain(bot)
    assert got(bot, reader, "news") == 0
    assert (await audit_actions(bot)).count("broadcast_cancel") == 2

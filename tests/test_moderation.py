"""Moderators end to end: roles, broadcasts, campaigns, progress, the audit log, the CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import REPO, Clock, Running, drain, started

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.cli import main
from clicksbot.content import Content
from clicksbot.context import Runtime
from clicksbot.sandbox import BotMessage, Limits, Person


def rt(bot: Running) -> Runtime:
    return runtime_of(bot.app)


def make_admin(bot: Running, person: Person) -> None:
    object.__setattr__(bot.settings, "admins", frozenset({person.id}))


async def receive_until(person: Person, part: str, *, edits: bool = False) -> BotMessage:
    """The next message (or edit) holding `part`, skipping others."""
    for _ in range(30):
        message = await (person.receive_edit() if edits else person.receive())
        if part in message.text:
            return message
    raise AssertionError(f"{person.first_name} never got {part!r}")


async def audit_actions(bot: Running) -> list[str]:
    store = rt(bot).store
    assert store is not None
    return [e.action for e in await store.audit_entries()]


async def test_roles_are_checked_on_the_server(bot: Running) -> None:
    """Nobody but admins manages moderators; nobody but moderators broadcasts; a revoked
    moderator is a nobody again; those who may not learn nothing."""
    admin = await started(bot, "Admin")
    mod = await started(bot, "Mod")
    make_admin(bot, admin)
    for command in (
        "/broadcast",
        "/newcampaign",
        "/campaigns",
        "/mods",
        "/modhelp",
        f"/addmod {mod.id}",
    ):
        mod.send(command)
        unknown = (await mod.receive()).text
        assert f"I don't know the command {command.split()[0]}" in unknown, command
    admin.send(f"/addmod {mod.id}")
    assert f"{mod.id} is now a moderator" in (await admin.receive()).text
    admin.send("/mods")
    assert "1 moderator:" in (await admin.receive()).text
    mod.send("/modhelp")
    helptext = (await mod.receive()).text
    assert "/broadcast" in helptext and "/addmod" not in helptext
    mod.send("/broadcast")
    assert "New broadcast" in (await mod.receive()).text
    mod.send("/cancel")
    assert "Cancelled" in (await mod.receive()).text
    mod.send("/mods")  # moderators do not manage moderators
    assert "I don't know the command /mods" in (await mod.receive()).text
    admin.send(f"/delmod {mod.id}")
    assert "no longer a moderator" in (await admin.receive()).text
    mod.send("/broadcast")
    assert "I don't know the command /broadcast" in (await mod.receive()).text
    assert await audit_actions(bot) == ["grant_moderator", "revoke_moderator"]


async def test_a_moderator_appointed_by_a_reply_to_a_forwarded_message(bot: Running) -> None:
    admin = await started(bot, "Admin")
    teacher = await started(bot, "Teacher")
    make_admin(bot, admin)
    admin.send("/addmod")
    assert "Whom do you mean?" in (await admin.receive()).text
    forwarded = admin.send("hello from my colleague", forwarded_from=teacher)
    await admin.receive()  # the bot's answer to plain text
    admin.send("/addmod", reply_to=forwarded)
    assert f"{teacher.id} is now a moderator" in (await admin.receive()).text


async def broadcast_by_buttons(bot: Running, mod: Person, text: str, audience: str) -> None:
    mod.send("/broadcast")
    await mod.receive()
    mod.send(text)
    ask = await mod.receive()
    await mod.press(ask, "No button")
    await receive_until(mod, "Preview")
    await mod.receive()  # the preview itself
    picker = await mod.receive()
    await mod.press(picker, audience)
    confirm = await mod.receive()
    assert "Send this to" in confirm.text
    await mod.press(confirm, "Send now")


async def test_a_broadcast_with_a_mistake_is_refused_at_preview_then_sent_with_progress(
    bot: Running,
) -> None:
    admin = await started(bot, "Admin")
    make_admin(bot, admin)
    people = [await started(bot, f"P{i}") for i in range(4)]
    progress = rt(bot).progress
    assert progress is not None
    progress.interval = 0.1
    admin.send("/broadcast")
    await admin.receive()
    admin.send("<b>Exam season: check before you share")  # an unclosed tag
    ask = await admin.receive()
    await admin.press(ask, "No button")
    mistake = await admin.receive()
    assert (
        "Telegram would refuse this message" in mistake.text and "Nothing was sent" in mistake.text
    )
    admin.send("<b>Exam season</b>: check before you share")
    ask = await admin.receive()
    admin.send("Read more | https://www.unesco.org/en/media-information-literacy")
    await receive_until(admin, "Preview")
    preview = await admin.receive()
    assert preview.text == "Exam season: check before you share"
    assert preview.buttons[0][0]["url"].startswith("https://www.unesco.org/")
    picker = await admin.receive()
    assert any(b.startswith("Everyone · 5") for b in picker.button_texts)
    await admin.press(picker, "Everyone")
    confirm = await admin.receive()
    assert "5 people" in confirm.text
    await admin.press(confirm, "Send now")
    await drain(bot)
    for person in people:
        got = await receive_until(person, "Exam season")
        assert got.entities[0]["type"] == "bold" and got.buttons[0][0]["text"] == "Read more"
    summary = await receive_until(admin, "done", edits=True)
    assert "Sent: 5 of 5" in summary.text
    assert "broadcast" in await audit_actions(bot)


async def test_a_scheduled_broadcast_goes_at_its_time(bot: Running, clock: Clock) -> None:
    admin = await started(bot, "Admin")
    make_admin(bot, admin)
    pia = await started(bot, "Pia", "ms")
    admin.send("/broadcast")
    await admin.receive()
    admin.send("Selamat pagi")
    await admin.press(await admin.receive(), "No button")
    await receive_until(admin, "Preview")
    await admin.receive()
    picker = await admin.receive()
    await admin.press(picker, "Melayu")
    confirm = await admin.receive()
    await admin.press(confirm, "Send later")
    await admin.press(await admin.receive_edit(), "Keep UTC")  # asked once for their zone
    await admin.receive_edit()
    admin.send("2026-11-23 10:30")  # 08:00 UTC now; 10:30 UTC later today
    assert "will go out on" in (await admin.receive()).text
    campaigns = rt(bot).campaigns
    assert campaigns is not None
    assert await campaigns.tick() == 0
    await pia.expect_silence(0.2)
    clock.advance(hours=2, minutes=30)
    assert await campaigns.tick() == 1
    await drain(bot)
    assert "Selamat pagi" in (await pia.receive()).text


@pytest.mark.parametrize("limits", [Limits(per_chat_burst=60, global_burst=10_000)])
async def test_stopping_a_broadcast_in_the_middle(bot: Running) -> None:
    admin = await started(bot, "Admin")
    make_admin(bot, admin)
    for i in range(30):
        await started(bot, f"P{i}")
    pacer, progress = rt(bot).pacer, rt(bot).progress
    assert pacer is not None and progress is not None
    pacer.rate = 10  # slow enough to stop half-way
    progress.interval = 0.2
    await broadcast_by_buttons(bot, admin, "Slow news", "Everyone")
    sending = await receive_until(admin, "sending")
    await asyncio.sleep(0.6)
    await admin.press(sending, "Stop sending")
    await drain(bot)
    summary = await receive_until(admin, "stopped", edits=True)
    sent = len(
        [
            c
            for c in bot.emulator.sent("sendMessage")
            if c.params.get("text") == "Slow news" and int(c.params["chat_id"]) != admin.id
        ]
    )
    assert 0 < sent < 30
    assert "Not sent because it was stopped" in summary.text
    assert "stop_sending" in await audit_actions(bot)


async def test_a_campaign_made_in_the_bot_sends_a_step_a_day_pauses_resumes_and_survives_a_restart(
    bot: Running, clock: Clock, shipped_content: Content
) -> None:
    mod = await started(bot, "Mod")
    make_admin(bot, mod)
    reader = await started(bot, "Reader")
    store = rt(bot).store
    assert store is not None
    await store.set_place(mod.id, None, "Asia/Manila")  # the campaign runs on Manila time
    mod.send("/newcampaign")
    await mod.receive()
    mod.send("Check before you share")
    packs = await mod.receive()
    await mod.press(packs, "Check the source")
    await mod.press(await mod.receive(), "Everyone")
    days = await mod.receive_edit()
    assert "Your time zone: Manila" in days.text  # the moderator's own
    await mod.press(days, "Tomorrow")
    hours = await mod.receive_edit()
    await mod.press(hours, "7:00\u202fAM")
    await mod.press(await mod.receive_edit(), "7:00\u202fAM")
    assert "First step" in (await mod.receive_edit()).text
    await mod.press(await mod.receive(), "Every day")
    await receive_until(mod, "Preview")
    preview = await mod.receive()
    assert "Check before you share" in preview.text
    summary = await mod.receive()
    assert "2 people now" in summary.text
    await mod.press(summary, "Activate")
    created = await mod.receive_edit()
    assert "Campaign #1" in created.text
    campaigns = rt(bot).campaigns
    assert campaigns is not None

    async def day(hours: float = 24) -> int:
        clock.advance(hours=hours)
        queued = await campaigns.tick()
        await drain(bot)
        return queued

    # 08:00 UTC is 16:00 in Manila; tomorrow 07:00 Manila is 23:00 UTC today.
    assert await day(14) == 0  # 22:00 UTC: not yet
    assert await day(1) == 1  # 23:00 UTC = 07:00 Manila: step 1
    assert await campaigns.tick() == 0  # and only once
    step1 = await receive_until(reader, "Check before you share")
    campaign = await store.campaign(1)
    assert campaign is not None and campaign.position == 1

    mod.send("/campaigns")
    listing = await receive_until(mod, "Campaigns")  # after step 1 and its progress
    await mod.press(listing, "Pause #1")
    assert "paused" in (await receive_until(mod, "Campaigns", edits=True)).text
    assert await day() == 0  # paused: no step 2
    await mod.press(listing, "Resume #1")
    assert "active" in (await receive_until(mod, "Campaigns", edits=True)).text
    assert await day() == 1  # step 2 next morning, none caught up for the paused day

    # A restart between steps: the bot stops; a new one on the same database carries on.
    first = bot.app
    assert first.updater is not None and first.post_stop and first.post_shutdown
    await first.updater.stop()
    await first.stop()
    await first.post_stop(first)
    await first.shutdown()
    await first.post_shutdown(first)
    second = build_application(bot.settings, shipped_content, clock=clock,
                               base_url=bot.server.api_url)  # fmt: skip
    async with polling(second, poll_timeout=1):
        other = runtime_of(second).campaigns
        assert other is not None
        assert await other.tick() == 0  # step 2 is not repeated
        clock.advance(hours=24)
        assert await other.tick() == 1  # step 3, not skipped
        assert runtime_of(second).store is not None
        second_store = runtime_of(second).store
        assert second_store is not None
        again = await second_store.campaign(1)
        assert again is not None and again.position == 3
        actions = [e.action for e in await second_store.audit_entries()]
        assert actions[:3] == ["campaign_create", "campaign_pause", "campaign_resume"]
    del step1


async def test_campaign_files_and_the_bot_share_campaigns(
    bot: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mod = await started(bot, "Mod")
    make_admin(bot, mod)
    config = tmp_path / "cli.yaml"
    config.write_text(f"database: {bot.settings.database}\npacks_dir: {REPO / 'quizzes'}\n")
    campaign = tmp_path / "haze.yaml"
    campaign.write_text(
        "name: Haze season\npack: en-check-the-source\naudience: {country: MY}\n"
        'start: 2026-12-01\ntime: "07:30"\ntime_zone: Asia/Kuala_Lumpur\nrepeat: weekdays\n'
    )
    code = await asyncio.to_thread(
        main, ["campaign", "add", str(campaign), "--config", str(config)]
    )
    assert code == 0 and "campaign #1 added" in capsys.readouterr().out
    mod.send("/campaigns")
    listing = await mod.receive()
    assert "Haze season" in listing.text and "Monday to Friday" in listing.text
    await mod.press(listing, "Pause #1")
    await mod.receive_edit()
    code = await asyncio.to_thread(main, ["campaign", "list", "--config", str(config)])
    assert code == 0 and "paused" in capsys.readouterr().out
    code = await asyncio.to_thread(main, ["campaign", "resume", "1", "--config", str(config)])
    assert code == 0
    mod.send("/campaigns")
    assert "active" in (await mod.receive()).text
    code = await asyncio.to_thread(main, ["audit", "--config", str(config)])
    out = capsys.readouterr().out
    assert "campaign_create" in out and "campaign_pause" in out and "campaign_resume" in out
    # A broken file says where and what.
    campaign.write_text("name: X\npack: nope\naudience: everyone\nstart: 2026-12-01\n")
    code = await asyncio.to_thread(
        main, ["campaign", "add", str(campaign), "--config", str(config)]
    )
    assert code == 1 and "haze.yaml:2: pack: no pack 'nope'" in capsys.readouterr().err


async def test_progress_of_a_campaign_step_for_its_creator(bot: Running, clock: Clock) -> None:
    store, campaigns, progress = rt(bot).store, rt(bot).campaigns, rt(bot).progress
    assert store is not None and campaigns is not None and progress is not None
    progress.interval = 0.1
    mod = await started(bot, "Mod")
    await store.create_campaign("Tips", {"kind": "all"}, ["en-source-t01"], clock().date(),
                                "08:00", "Etc/UTC", "once", "bot", mod.id, clock())  # fmt: skip
    assert await campaigns.tick() == 1
    await drain(bot)
    done = None
    for _ in range(20):
        message = await mod.receive()
        if "step 1 of 1" in message.text:
            done = message
            break
    assert done is not None
    campaign = await store.campaign(1)
    assert campaign is not None and campaign.status == "done"

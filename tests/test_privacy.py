"""Privacy and safety: /mydata, /forget, retention, flood control, hostile names, database
trouble, and the webhook's secret token."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from conftest import TOKEN, Clock, Running

from clicksbot.app import Webhook, build_application, receiving, runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.handlers.flood import FloodGuard
from clicksbot.sandbox import BotMessage, EmulatorServer, Limits, Person
from clicksbot.store.privacy import PERSONAL


async def started(bot: Running, name: str, language: str = "en") -> Person:
    person = bot.emulator.person(name, language_code=language)
    person.send("/start")
    await person.receive()
    return person


async def until(person: Person, part: str) -> str:
    for _ in range(40):
        message = await person.receive()
        if part in message.text:
            return message.text
    raise AssertionError(f"{person.first_name} never got {part!r}")


async def busy_life(bot: Running, person: Person, friend_of: Person | None = None) -> None:
    """Leave a trace in every table: tips, answers, badges, days, a pledge, a subscription,
    invitations both ways, moderation, the audit log, deliveries."""
    store = runtime_of(bot.app).store
    assert store is not None
    person.send("/tip")
    await person.receive()
    person.send("/quiz")
    topics = await until_message(person, "Any topic")
    await person.press(topics, "Any topic")
    question = await until_message(person, "A. ")
    await person.press(question, 0)
    await person.receive_edit()
    person.send("/pact")
    await person.press(await until_message(person, "I commit"), "I commit")
    ask = await until_message(person, "What name")
    person.send("Zed Secretname")
    await person.press(await until_message(person, "Which country"), "Malaysia")
    await until_message(person, "Invite friends", photo_ok=True)
    await store.set_place(person.id, "MY", "Asia/Kuala_Lumpur")
    await store.set_tip_time(person.id, "07:00")
    await store.queue_message("hello-all", {"text": {"en": "Hello"}}, datetime.now(UTC))
    await store.add_moderator(person.id, 42, datetime.now(UTC))
    await store.audit(person.id, "broadcast", str(person.id), {}, datetime.now(UTC))
    now = datetime.now(UTC)
    await store.create_campaign(
        "C", {"kind": "all"}, ["en-source-t01"], now.date(), "07:00", "Etc/UTC", "daily", "bot",
        person.id, now,
    )  # fmt: skip
    await store.create_broadcast(person.id, {"kind": "all"}, {"html": "x"}, now, now)
    del ask


async def until_message(person: Person, part: str, *, photo_ok: bool = False) -> BotMessage:
    for _ in range(40):
        message = await person.receive()
        if part in message.text or any(part in b for b in message.button_texts):
            return message
    raise AssertionError(f"{person.first_name} never got {part!r}")


async def test_mydata_sends_everything_kept(bot: Running) -> None:
    zed = await started(bot, "Zed")
    await busy_life(bot, zed)
    zed.send("/mydata")
    summary = await until(zed, "Your data")
    assert "Pact pledges: 1" in summary and "Tips read: 1" in summary
    document = await zed.receive()
    raw = bot.emulator.files[document.raw["document"]["file_id"]]
    data = json.loads(raw)
    assert data["telegram_user_id"] == zed.id
    tables = data["tables"]
    assert tables["users"][0]["tip_time"] == "07:00"
    assert tables["pledges"][0]["display_name"] == "Zed Secretname"
    assert {"seen_tips", "answers", "activity_days", "badges", "deliveries"} <= set(tables)
    assert document.raw["document"]["file_name"] == "clicksbot-my-data.json"


@pytest.mark.sqlite_only("reads the SQLite file to see the rows gone")
async def test_forget_leaves_no_trace_in_any_table(bot: Running) -> None:
    """Every table of the schema is accounted for; after /forget none holds the person's id
    (in any column, as a number or inside text); totals still count them anonymously."""
    inviter = await started(bot, "Ivy")
    zed = bot.emulator.person("Zed")
    store = runtime_of(bot.app).store
    assert store is not None
    inviter.send("/invite")
    link = next(w for w in (await inviter.receive()).text.split() if "?start=" in w)
    zed.start(link.split("?start=", 1)[1])
    await zed.receive()
    await busy_life(bot, zed)
    friend = bot.emulator.person("Friend")  # someone Zed invited
    zed.send("/invite")
    link = next(w for w in (await until_message(zed, "?start=")).text.split() if "?start=" in w)
    friend.start(link.split("?start=", 1)[1])
    await friend.receive()
    assert (await store.pledge_counts()).total == 1
    assert await store.invitation_counts(inviter.id) == (1, 1)

    tables = await store.table_names()
    assert set(tables) == set(PERSONAL), "a table is missing from store.privacy.PERSONAL"
    zed.send("/forget")
    confirm = await until_message(zed, "Yes, delete it all")
    await zed.press(confirm, "Yes, delete it all")
    for _ in range(10):
        if "deleted everything" in (await zed.receive_edit()).text:
            break
    else:
        raise AssertionError("no confirmation of the deletion")

    db = sqlite3.connect(bot.settings.database)
    try:
        for table in tables:
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            for row in db.execute(f"SELECT * FROM {table}"):
                for column, value in zip(columns, row, strict=True):
                    assert value != zed.id, (table, column)
                    if isinstance(value, str):
                        assert str(zed.id) not in value, (table, column, value)
    finally:
        db.close()
    assert (await store.pledge_counts()).total == 1  # still counted, anonymously
    assert await store.invitation_counts(inviter.id) == (1, 1)
    friend_row = await store.get_user(friend.id)
    assert friend_row is not None  # the friend stays, without the link to Zed
    zed.send("/start")
    # New again (the broadcast queued above may still arrive in between, at its own time).
    assert "Hi Zed! 👋 I'm" in (await until_message(zed, "Hi Zed!")).text


async def test_retention_forgets_people_inactive_too_long(bot: Running, clock: Clock) -> None:
    old = await started(bot, "Old")
    clock.advance(days=300)
    recent = await started(bot, "Recent")
    clock.advance(days=100)  # Old: 400 days idle; Recent: 100
    job_queue = bot.app.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("retention")
    await job.run(bot.app)
    store = runtime_of(bot.app).store
    assert store is not None
    assert await store.get_user(old.id) is None
    assert await store.get_user(recent.id) is not None
    # The outbox's history is kept no longer than the rest.
    await store.queue_message("old news", {"text": {"en": "x"}}, clock() - timedelta(days=500))
    await store.purge_deliveries(clock() - timedelta(days=365))
    assert [d.kind for d in await store.pending_deliveries(None, 10)] == [
        "message"
    ]  # pending stays


async def test_a_flooder_is_slowed_down_politely_and_others_are_not(bot: Running) -> None:
    runtime = runtime_of(bot.app)
    runtime.flood = FloodGuard(burst=5, rate=0.5)
    flooder = await started(bot, "Flood")
    calm = await started(bot, "Calm")
    for _ in range(30):
        flooder.send("/help")
    calm.send("/help")
    assert "What I can do" in (await calm.receive(timeout=2)).text  # not held up
    await asyncio.sleep(0.5)
    texts = [m.text for m in await drain_inbox(flooder)]
    assert sum("What I can do" in t for t in texts) <= 5
    assert sum("slow down" in t for t in texts) == 1
    sent = bot.emulator.sent("sendMessage", chat_id=flooder.id)
    assert len(sent) <= 7  # so Telegram's per-chat limit is never in danger


async def drain_inbox(person: Person) -> list[BotMessage]:
    messages: list[BotMessage] = []
    while True:
        try:
            messages.append(await person.receive(timeout=0.3))
        except AssertionError:
            return messages


HOSTILE = [
    "<b>bold</b>",
    "Tom & Jerry",
    "</a><a href='http://evil'>",
    "*_[`]`_*~||",
    "\u202eevil\u202c",
    "\u200b\u200b\u200b",
    "A" * 4000,
    "&lt;script&gt;",
]


@pytest.mark.parametrize("name", HOSTILE)
async def test_hostile_names_pass_through_every_echo_safely(bot: Running, name: str) -> None:
    """Names are echoed by the greeting and the language change; the strict emulator (the
    fixture checks) accepts every message, and the name shows as plain text, short."""
    person = bot.emulator.person(name)
    person.send("/start")
    greeting = await person.receive()
    assert greeting.entities == [] or all(
        e["type"] in ("bold", "italic") for e in greeting.entities
    )
    assert "evil" not in str(greeting.links)
    first_line = greeting.text.split("\n", 1)[0]
    assert len(first_line) < 200 and "\u202e" not in first_line and "\u200b" not in first_line
    await person.press(greeting, "Melayu")
    await person.receive()
    person.send(name)  # free text: answered without echoing it
    assert name not in (await person.receive()).text
    # The certificate name goes through the same cleaning (and into an image only).
    person.send("/pact")
    pact = await person.receive()
    await person.press(pact, "✍️")  # "I commit", in Malay
    await person.receive()
    await person.receive()
    person.send(name)
    step = await person.receive()  # the country (or, for a name of nothing visible, the name again)
    assert ("negara" in step.text) != (name.strip("\u200b") == "")


async def test_a_locked_database_asks_to_try_again(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = await started(bot, "Lin")
    store = runtime_of(bot.app).store
    assert store is not None

    async def locked(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(store, "mark_tip_seen", locked)
    person.send("/tip")
    assert "could not save that just now" in (await person.receive()).text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_webhook_refuses_requests_without_the_secret(
    settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    from clicksbot.sandbox import Emulator

    emulator = Emulator(token=TOKEN, limits=Limits(enforce=False))
    async with EmulatorServer(emulator) as server:
        app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
        port = free_port()
        hook = Webhook(f"http://127.0.0.1:{port}/telegram", "127.0.0.1", port, "s3cret-Token_1")
        async with receiving(app, webhook=hook):
            assert emulator.sent("setWebhook")[-1].params["secret_token"] == hook.secret
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1, "date": 0, "text": "/help",
                    "chat": {"id": 555, "type": "private", "first_name": "Web"},
                    "from": {"id": 555, "is_bot": False, "first_name": "Web"},
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                },
            }  # fmt: skip
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    async with http.post(hook.url, json=update, headers=headers) as reply:
                        assert reply.status == 403
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret}
                async with http.post(hook.url, json=update, headers=headers) as reply:
                    assert reply.status == 200

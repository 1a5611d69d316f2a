"""Dialogues survive `kill -9`: the next bot, on the same database, carries on where people were.

The bot runs as `clicksbot run` in a subprocess, killed with SIGKILL (no shutdown, no flush of
anything) in the middle of three dialogues at once: the certificate-name question of the pact,
a broadcast being composed and a campaign being composed. A second process on the same database
and the same emulator takes each person's next message as the answer to the question they
were asked.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import REPO

from clicksbot.persistence import StorePersistence
from clicksbot.sandbox import Emulator, EmulatorServer, Limits, Person
from clicksbot.store import Store

TOKEN = "123:abcDialogueRestartToken"
STARTUP = 60.0  # seconds a fresh process may take to answer (a loaded machine)


def dialogues(db: Path) -> dict[tuple[str, int], tuple[object, dict[str, object]]]:
    """The conversations under way as the database holds them: (name, person) -> (step, draft)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT name, user_id, state, draft FROM dialogues").fetchall()
    return {
        (name, user): (json.loads(state) if state else None, json.loads(draft) if draft else {})
        for name, user, state, draft in rows
    }


async def until(condition: Callable[[], bool], what: str, log: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {what}; the bot said:\n{log.read_text()}"
        await asyncio.sleep(0.02)


async def test_three_dialogues_carry_on_after_kill_9(tmp_path: Path) -> None:
    """Killed mid-dialogue, the bot's next run takes each person's next message as the answer
    to their question: the certificate name, the broadcast's button (its text kept), the
    campaign's pack (its name kept); then each dialogue finishes as usual."""
    emulator = Emulator(token=TOKEN, limits=Limits(per_chat_burst=60))
    ana = emulator.person("Ana")
    admin = emulator.person("Admin", user_id=42)
    organiser = emulator.person("Organiser", user_id=43)
    readers = [emulator.person(f"Reader{i}") for i in range(3)]
    db = tmp_path / "bot.sqlite3"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: {db}\npacks_dir: {REPO / 'quizzes'}\nlog_level: INFO\n"
        "admins: [42, 43]\nflood_burst: 1000\ncheckup_offer: false\n"
    )
    log = tmp_path / "bot.log"

    async with EmulatorServer(emulator) as server:
        env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": server.api_url}
        command = [sys.executable, "-m", "clicksbot", "run", "--config", str(config)]

        @asynccontextmanager
        async def bot() -> AsyncIterator[asyncio.subprocess.Process]:
            with log.open("a") as log_file:
                process = await asyncio.create_subprocess_exec(
                    *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log_file
                )
                try:
                    yield process
                finally:
                    if process.returncode is None:
                        process.send_signal(signal.SIGTERM)
                        await asyncio.wait_for(process.wait(), 30)

        async def hello(person: Person) -> None:
            person.send("/start")
            await person.receive(timeout=STARTUP)

        async with bot() as first:
            for person in (ana, admin, organiser, *readers):
                await hello(person)
            # Ana commits to the pact and is asked the name for her certificate.
            ana.send("/pact")
            await ana.press(await ana.receive(), "I commit")
            await ana.receive()  # thanks
            assert "name" in (await ana.receive()).text.lower()
            # The admin writes a broadcast and is asked about a button.
            admin.send("/broadcast")
            await admin.receive()
            admin.send("Check before you share: the flood photo is from 2019")
            ask_button = await admin.receive()
            assert "button" in ask_button.text.lower()
            # The organiser names a campaign and is asked for its pack.
            organiser.send("/newcampaign")
            await organiser.receive()
            organiser.send("Exam season")
            packs = await organiser.receive()
            # Each step is in the store a few milliseconds after its question (see
            # clicksbot.persistence); the kill comes once all three are there.
            await until(
                lambda: {
                    (name, step) for (name, _), (step, _) in dialogues(db).items()
                } == {("pact", 0), ("broadcast", 1), ("campaign", 11)},
                "the three steps in the store",
                log,
            )  # fmt: skip
            first.send_signal(signal.SIGKILL)  # no goodbye: nothing flushed, nothing closed
            await first.wait()

        kept = dialogues(db)
        assert str(kept[("broadcast", admin.id)][1]["html"]).startswith("Check before you share")
        assert kept[("campaign", organiser.id)][1] == {"name": "Exam season"}

        async with bot():
            # Ana's next message is her certificate name.
            ana.send("Ana Santos")
            countries = await ana.receive(timeout=STARTUP)
            assert any("Philippines" in b or "🇵🇭" in b for b in countries.button_texts)
            await ana.press(countries, "Philippines")
            await ana.receive_edit()
            certificate = await ana.receive()
            assert certificate.raw.get("photo")
            await ana.receive()  # the invitation suggestion

            # The admin presses "No button" on the question the first run asked: the preview
            # shows the text the first run was given.
            await admin.press(ask_button, "No button", timeout=STARTUP)
            assert "Preview" in (await admin.receive()).text
            preview = await admin.receive()
            assert preview.text == "Check before you share: the flood photo is from 2019"
            await admin.press(await admin.receive(), "Everyone")
            await admin.press(await admin.receive(), "Send now")
            for reader in readers:
                got = await reader.receive(timeout=30)
                assert got.text.startswith("Check before you share")

            # The organiser picks the pack on the list the first run showed; the campaign
            # keeps the name given then.
            await organiser.press(packs, 0, timeout=STARTUP)
            picker = await organiser.receive()
            while picker.text.startswith("Check before you share"):  # the broadcast: Everyone
                picker = await organiser.receive()
            await organiser.press(picker, "Everyone")
            await organiser.press(await organiser.receive_edit(), 0)  # keep the default zone
            await organiser.press(await organiser.receive_edit(), "Tomorrow")
            await organiser.press(await organiser.receive_edit(), "7:00\u202fAM")
            await organiser.press(await organiser.receive_edit(), "7:00\u202fAM")
            await organiser.receive_edit()  # "First step: ..."
            await organiser.press(await organiser.receive(), "Every day")
            assert "Preview" in (await organiser.receive()).text
            await organiser.receive()  # the first tip
            summary = await organiser.receive()
            assert "Exam season" in summary.text
            await organiser.press(summary, "Activate")
            created = await organiser.receive_edit()
            assert "Campaign #1" in created.text and "Exam season" in created.text

            # Every dialogue is over: nothing of them is left in the store.
            await until(lambda: dialogues(db) == {}, "the dialogues gone from the store", log)
    refused = [(c.method, c.error.description if c.error else "") for c in emulator.refused]
    assert refused == [], f"Telegram would have refused: {refused}"


async def test_a_step_older_than_its_timeout_is_not_taken_up(tmp_path: Path) -> None:
    """A conversation that timed out while no bot ran is dropped at the next start, draft and
    all; one still within its timeout is taken up with the rest of its time."""
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        for person, minutes in ((1, 40), (2, 10)):
            await store.touch_user(person, "en", now)
            moved = now - timedelta(minutes=minutes)
            await store.save_dialogue_draft("broadcast", person, person, {"html": "x"}, moved)
            await store.set_dialogue_state("broadcast", person, person, 1, moved)

        async def opened() -> Store:
            return store

        persistence = StorePersistence(opened, lambda: now)
        persistence.lifetimes["broadcast"] = timedelta(minutes=30)
        assert await persistence.get_conversations("broadcast") == {(2, 2): 1}
        assert persistence.resumed["broadcast"] == {(2, 2): now - timedelta(minutes=10)}
        assert await store.dialogue_draft("broadcast", 1, 1) == {}
        assert await store.dialogue_draft("broadcast", 2, 2) == {"html": "x"}
        await persistence.update_conversation("broadcast", (2, 2), None)  # it ended
        assert await store.dialogues("broadcast") == []
        assert await store.dialogue_draft("broadcast", 2, 2) == {}
    finally:
        await store.close()

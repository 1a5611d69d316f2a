"""Conversations under way (the `dialogues` table): /privacy says what is kept of them and for
how long, in every language; /mydata shows them; /forget deletes them, drafts and all, even
one still under way, and leaves no byte of a draft on disk."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pgtest
from conftest import Running, started
from test_moderation import make_admin, receive_until

from clicksbot.handlers.moderation.common import TIMEOUT as DRAFT_TIMEOUT
from clicksbot.handlers.pact import TIMEOUT as PACT_TIMEOUT
from clicksbot.i18n import Catalogs
from clicksbot.sandbox import Person

CATALOGS = Catalogs.load()
DRAFT = "Zorblax fact-check drill at nine"  # a broadcast's text, found nowhere else
NAME = "Quintessa Marlowe-Brix"  # a name for the certificate, found nowhere else


def dialogues(bot: Running, person: Person) -> list[tuple[str, object, object]]:
    """The person's conversations under way, as the database holds them: (name, step, draft)."""
    with pgtest.connect(bot.settings.database, readonly=True) as db:
        rows = db.execute(
            "SELECT name, state, draft FROM dialogues WHERE user_id = ? OR chat_id = ?",
            (person.id, person.id),
        ).fetchall()
    return [(n, json.loads(s) if s else None, json.loads(d) if d else None) for n, s, d in rows]


async def until(what: str, check: Callable[[], bool]) -> None:
    """Wait (a few seconds at most) for a condition on the store: a step is written just
    after its question is sent."""
    for _ in range(250):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out: {what}")


def on_disk(folder: Path, text: str) -> list[str]:
    """The files beside the database holding `text`, byte for byte (on PostgreSQL, the
    server's files are its own: the rows are checked there)."""
    return [
        p.name for p in sorted(folder.iterdir()) if p.is_file() and text.encode() in p.read_bytes()
    ]


async def test_privacy_says_what_is_kept_of_a_conversation_and_for_how_long(bot: Running) -> None:
    """/privacy tells everyone, in their language, that a question under way is noted (a
    moderator's draft too) and deleted when the conversation ends or at its real timeout."""
    assert timedelta(minutes=15) == PACT_TIMEOUT  # the real settings, as the text says
    assert timedelta(minutes=30) == DRAFT_TIMEOUT
    ana = await started(bot, "Ana")
    ana.send("/privacy")
    text = (await ana.receive()).text
    assert "While I wait for your answer" in text
    assert "the name for your certificate" in text
    assert "when you have not answered for 15 minutes (30 for moderators)" in text
    assert "stays with your pledge" in text
    assert text.index("Streaks and reminders") < text.index("While I wait for your answer")

    for language in CATALOGS.languages:  # each catalog's own words, Telegram accepts them all
        person = await started(bot, f"P{language}", language)
        person.send("/privacy")
        said = (await person.receive()).text
        paragraph = CATALOGS.get(language)("privacy.dialogues", minutes=15, moderator_minutes=30)
        title, body = paragraph.lstrip("\u200f").split("\n", 1)
        assert re.sub("<[^>]+>", "", title) in said and body in said, language
        assert "15" in body and "30" in body, language


async def test_mydata_shows_a_conversation_under_way_and_only_its_step(bot: Running) -> None:
    """Mid-pact, the store holds which question is next, not the name typed (that is on the
    pledge); /mydata shows both; the command ends the conversation and its row goes."""
    kit = await started(bot, "Kit")
    kit.send("/pact")
    await kit.press(await kit.receive(), "I commit")
    await receive_until(kit, "What name")
    await until(
        "the name question in the store", lambda: dialogues(bot, kit) == [("pact", 0, None)]
    )
    kit.send(NAME)
    assert "Which country" in (await kit.receive()).text
    await until(
        "the country question in the store", lambda: dialogues(bot, kit) == [("pact", 1, None)]
    )

    kit.send("/mydata")
    assert "put the certificate questions aside" in (await kit.receive()).text
    await receive_until(kit, "Your data")
    document = await kit.receive()
    tables = json.loads(bot.emulator.files[document.raw["document"]["file_id"]])["tables"]
    (row,) = tables["dialogues"]
    assert (row["name"], row["state"], row["draft"]) == ("pact", "1", None)
    assert NAME not in json.dumps(row)
    assert tables["pledges"][0]["display_name"] == NAME
    await until("the conversation ended, its row gone", lambda: dialogues(bot, kit) == [])


async def test_forget_deletes_conversations_under_way_drafts_and_all(bot: Running) -> None:
    """/forget confirmed (on its button, pressed while a question is under way) deletes the
    conversation's row: a moderator's draft is in no byte on disk, a pact question is gone."""
    folder = bot.settings.database.parent
    mod = await started(bot, "Mod")
    make_admin(bot, mod)
    mod.send("/forget")
    confirm = await mod.receive()
    mod.send("/broadcast")
    await mod.receive()
    mod.send(DRAFT)
    ask_button = await receive_until(mod, "button")
    # Its step (1: asked for a button) and its draft (the text so far), in the store.
    at_button = [("broadcast", 1, {"html": DRAFT, "photo": None})]
    await until("the step and draft in the store", lambda: dialogues(bot, mod) == at_button)
    on_file = not pgtest.enabled()  # a SQLite file to search
    assert on_disk(folder, DRAFT) or not on_file  # the search would find it

    await mod.press(confirm, "Yes, delete it all")
    assert "deleted everything" in (await mod.receive_edit()).text
    assert dialogues(bot, mod) == []
    assert on_disk(folder, DRAFT) == []
    # The question asked before is stale now: nothing of the draft comes back.
    await mod.press(ask_button, "No button")
    await mod.expect_silence(0.5)
    assert dialogues(bot, mod) == []

    ivy = await started(bot, "Ivy")
    ivy.send("/forget")
    confirm = await ivy.receive()
    ivy.send("/pact")
    await ivy.press(await ivy.receive(), "I commit")
    await receive_until(ivy, "What name")
    await until(
        "the name question in the store", lambda: dialogues(bot, ivy) == [("pact", 0, None)]
    )
    await ivy.press(confirm, "Yes, delete it all")
    assert "deleted everything" in (await ivy.receive_edit()).text
    assert dialogues(bot, ivy) == []
    # The name she then types is answered, not swallowed: her pledge went with the rest.
    ivy.send(NAME)
    assert "haven't taken the pact" in (await ivy.receive()).text
    await ivy.expect_silence(0.5)

"""Words a person reads: no jargon, no needless pop-ups, empty lists that read well, and a pact
short enough for a phone."""

from __future__ import annotations

import re

import pytest
from conftest import Running, started

from clicksbot.app import runtime_of
from clicksbot.content.pact import DEFAULT_PACT, load_pact
from clicksbot.i18n import Catalogs
from clicksbot.render.pact import pact_message
from clicksbot.sandbox import Person
from clicksbot.services.pact import PactStatus

CATALOGS = Catalogs.load()
# What the outbox was called in each catalog before: words for the machinery, not for people.
JARGON = re.compile(
    r"outbox|peti keluar|kotak keluar|hàng đợi gửi|fila de envio|صندوق الصادر|คิวส่ง|ជួរផ្ញើ"
    r"|очеред|кезег|navbat|ред за слање",
    re.IGNORECASE,
)


def make_admin(bot: Running, person: Person) -> None:
    object.__setattr__(bot.settings, "admins", frozenset({person.id}))


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_no_catalog_speaks_of_the_outbox(language: str) -> None:
    """No text in any language names the bot's sending machinery."""
    catalog = CATALOGS.catalog(language)
    texts = [m.string if isinstance(m.string, str) else " ".join(m.string) for m in catalog]
    assert [t for t in texts if JARGON.search(t)] == []


async def test_mydata_counts_the_messages_sent_in_plain_words(bot: Running) -> None:
    """/mydata says how many messages the bot sent on its own, without the word "outbox"."""
    zed = await started(bot, "Zed")
    zed.send("/mydata")
    summary = (await zed.receive()).text
    assert "Messages I sent you on my own (daily tips, news): 0" in summary
    assert "outbox" not in summary.lower()


async def test_a_quiz_answer_is_answered_without_a_pop_up(bot: Running) -> None:
    """Pressing an option shows the result; the press itself is answered silently (no
    "Answer saved" toast on every answer)."""
    alice = await started(bot, "Alice")
    alice.send("/quiz")
    await alice.press(await alice.receive(), "Any topic")
    question = await alice.receive()
    answer = await alice.press(question, 0)
    assert answer["text"] is None and not answer["show_alert"]


async def test_stats_read_well_on_a_new_bot_and_after_a_pledge(bot: Running) -> None:
    """On a new bot /stats says there are no pledges yet (no headings over nothing) and
    "waiting to be sent" rather than "outbox"; after a pledge it counts it by country."""
    admin = await started(bot, "Admin")
    make_admin(bot, admin)
    admin.send("/stats")
    text = (await admin.receive()).text
    assert "🤝 No pledges yet." in text and "Waiting to be sent: 0" in text
    assert "by country" not in text and "New pledges by day" not in text
    assert "outbox" not in text.lower()
    admin.send("/pact")
    await admin.press(await admin.receive(), "I commit")
    await admin.receive()  # thanks
    await admin.receive()  # the name question
    admin.send("/stats")
    assert "put the certificate questions aside" in (await admin.receive()).text
    text = (await admin.receive()).text
    assert "Pledges (live): 1, by country:" in text and "No pledges yet" not in text
    assert "New pledges by day" in text or "No new pledges in the last 7 days." in text


async def test_mods_reads_well_when_there_are_none(bot: Running) -> None:
    """/mods with no moderators says so and how to appoint one, not "0 moderators:"."""
    admin = await started(bot, "Admin")
    make_admin(bot, admin)
    admin.send("/mods")
    text = (await admin.receive()).text
    assert "No moderators yet" in text and "/addmod" in text and "0 moderators" not in text


async def test_the_pact_shows_its_commitments_on_demand(bot: Running) -> None:
    """/pact is short for a phone: the commitments open in place with "Read the
    commitments"; the disclaimer shows in both; committing works from either."""
    ana = await started(bot, "Ana")
    ana.send("/pact")
    short = await ana.receive()
    assert "MIL CLICKS Pact" in short.text and "not affiliated with UNESCO" in short.text
    assert "Ask before I believe" not in short.text
    assert short.button_texts == ["📜 Read the commitments", "✍️ I commit"]
    answer = await ana.press(short, "Read the commitments")
    assert answer["text"] is None
    full = await ana.receive_edit()
    assert full.id == short.id  # expanded in place
    assert "Ask before I believe" in full.text and "I am a MIL CLICKer" in full.text
    assert "not affiliated with UNESCO" in full.text
    assert full.button_texts == ["✍️ I commit"]
    await ana.press(full, "I commit")
    assert "You have taken the pact" in (await ana.receive()).text
    await ana.receive()  # the name question
    ana.send("/pact")
    assert "put the certificate questions aside" in (await ana.receive()).text
    mine = await ana.receive()
    assert "📜 Read the commitments" in mine.button_texts
    assert "🎓 My certificate" in mine.button_texts
    await ana.press(mine, "Read the commitments")
    assert "Ask before I believe" in (await ana.receive_edit()).text
    store = runtime_of(bot.app).store
    assert store is not None and await store.live_pledge(ana.id) is not None


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_the_short_pact_fits_a_phone_in_every_language(language: str) -> None:
    """Without its commitments the pact is under 700 characters in every language (the whole
    is about 900), and it always says it is not affiliated with UNESCO."""
    t = CATALOGS.get(language)
    pact = load_pact(DEFAULT_PACT)
    status = PactStatus(None, False, 12345, "PH", 678)
    short = pact_message(t, pact, status).text
    full = pact_message(t, pact, status, expanded=True).text
    assert len(short) < 700 < len(full), (len(short), len(full))
    disclaimer = t("pact.disclaimer")
    assert disclaimer in short and disclaimer in full

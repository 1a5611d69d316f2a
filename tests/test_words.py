"""Words a person reads: a pact short enough for a phone, its commitments one tap away."""

from __future__ import annotations

import pytest
from conftest import Running, started

from clicksbot.app import runtime_of
from clicksbot.content.pact import DEFAULT_PACT, load_pact
from clicksbot.i18n import Catalogs
from clicksbot.render.pact import pact_message
from clicksbot.services.pact import PactStatus

CATALOGS = Catalogs.load()


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

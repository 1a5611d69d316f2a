"""After "I commit", a person who moves on (a /tip) and later types a word gets it printed as
their certificate name, and a country picker out of nowhere."""

from __future__ import annotations

from conftest import Running

from clicksbot.app import runtime_of


async def test_text_typed_after_moving_on_is_not_taken_as_the_certificate_name(
    bot: Running,
) -> None:
    ana = bot.emulator.person("Ana")
    ana.send("/start")
    await ana.receive()
    ana.send("/pact")
    pact = await ana.receive()
    await ana.press(pact, "I commit")
    await ana.receive()  # "You have taken the pact!"
    await ana.receive()  # "What name should go on your certificate?"
    ana.send("/tip")  # she does not want to give a name: she moves on
    await ana.receive()
    ana.send("lol my friend sent me this")  # chatting, minutes later
    reply = await ana.receive()
    assert "Which country are you in?" not in reply.text
    store = runtime_of(bot.app).store
    assert store is not None
    pledge = await store.live_pledge(ana.id)
    assert pledge is not None and pledge.display_name is None, pledge.display_name

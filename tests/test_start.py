"""A person meets the bot: /start, /help, /language, and what it does with everything else."""

from __future__ import annotations

from conftest import Running


async def test_first_start_greets_in_english_and_offers_languages(bot: Running) -> None:
    """A new person is greeted by name, told what the bot is, and offered the languages."""
    alice = bot.emulator.person("Alice", language_code="en")
    alice.start()
    reply = await alice.receive()
    assert "Hi Alice!" in reply.text
    assert "MIL CLICKS" in reply.text
    assert "✅ English" in reply.button_texts
    store = bot.app.bot_data["clicksbot.runtime"].store
    user = await store.get_user(alice.id)
    assert user is not None and user.language == "en"


async def test_second_start_welcomes_back(bot: Running) -> None:
    """Someone who already started is welcomed back, not introduced again."""
    bob = bot.emulator.person("Bob")
    bob.start()
    await bob.receive()
    bob.start()
    reply = await bob.receive()
    assert "Welcome back, Bob" in reply.text


async def test_help_lists_commands(bot: Running) -> None:
    """/help lists what the bot can do."""
    alice = bot.emulator.person()
    alice.send("/help")
    reply = await alice.receive()
    for command in ("/start", "/language", "/help"):
        assert command in reply.text


async def test_commands_menu_is_registered(bot: Running) -> None:
    """The command menu is registered with setMyCommands at start."""
    calls = bot.emulator.sent("setMyCommands")
    assert calls
    default = bot.emulator.commands[('{"type": "default"}', "")]
    assert [c["command"] for c in default] == ["start", "help", "language"]


async def test_hostile_name_is_escaped(bot: Running) -> None:
    """A name full of markup is echoed as text, never as formatting."""
    mallory = bot.emulator.person("<b>&</a>\u202e" + "x" * 4000)
    mallory.start()
    reply = await mallory.receive()
    assert "<b>&</a>" in reply.text
    assert "\u202e" not in reply.text


async def test_unknown_text_points_to_help(bot: Running) -> None:
    """Text the bot does not understand in a private chat gets a pointer to /help."""
    alice = bot.emulator.person()
    alice.send("hello?")
    reply = await alice.receive()
    assert "/help" in reply.text


async def test_forged_button_is_refused_politely(bot: Running) -> None:
    """A press with a payload the bot never made changes nothing and is answered kindly."""
    alice = bot.emulator.person()
    alice.start()
    greeting = await alice.receive()
    answer = await alice.press_data(greeting, "1|lang|xx")
    assert "no longer works" in answer["text"]
    answer = await alice.press_data(greeting, "garbage")
    assert "no longer works" in answer["text"]

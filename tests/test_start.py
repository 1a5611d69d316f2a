"""A person meets the bot: /start, /help, /language, and what it does with everything else."""

from __future__ import annotations

import pytest
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
    """The private chats' command menu is registered with setMyCommands at start, in English
    for every language without its own, and in Malay for Malay speakers."""
    assert bot.emulator.sent("setMyCommands")
    assert bot.emulator.menu("all_private_chats") == [
        "tip",
        "quiz",
        "review",
        "progress",
        "pact",
        "invite",
        "subscribe",
        "settings",
        "language",
        "privacy",
        "help",
        "start",
    ]
    assert bot.emulator.menu("all_private_chats", language="ms")


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


async def test_greeting_in_the_persons_telegram_language(bot: Running) -> None:
    """A person whose Telegram is in Malay (ms-MY) is greeted in Malay and recorded so."""
    siti = bot.emulator.person("Siti", language_code="ms-MY")
    siti.start()
    reply = await siti.receive()
    assert "Siti" in reply.text and "literasi media" in reply.text
    assert "✅ Melayu" in reply.button_texts


async def test_language_can_be_changed_with_a_button(bot: Running) -> None:
    """Pressing a language switches the interface, ticks it, and confirms in that language."""
    alice = bot.emulator.person("Alice", language_code="en")
    alice.send("/language")
    picker = await alice.receive()
    answer = await alice.press(picker, "Melayu")
    assert "Bahasa Melayu" in answer["text"]
    assert "✅ Melayu" in (await alice.receive_edit()).button_texts
    confirmation = await alice.receive()
    assert "Bahasa Melayu" in confirmation.text
    alice.send("/help")
    assert "/language" in (await alice.receive()).text
    store = bot.app.bot_data["clicksbot.runtime"].store
    user = await store.get_user(alice.id)
    assert user is not None and user.language == "ms" and user.language_chosen


async def test_pressing_the_current_language_changes_nothing(bot: Running) -> None:
    """Choosing the language already in use is answered, with no edit and no new message."""
    alice = bot.emulator.person("Alice")
    alice.start()
    greeting = await alice.receive()
    answer = await alice.press(greeting, "English")
    assert "already" in answer["text"]
    await alice.expect_silence()


async def test_a_failure_is_logged_once_and_the_person_told_politely(
    bot: Running, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """When something breaks, the person gets a kind message (no traceback) and it is logged."""
    from clicksbot.services import people

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(people, "meet", broken)
    alice = bot.emulator.person("Alice")
    alice.send("/help")
    reply = await alice.receive()
    assert "Sorry, something went wrong" in reply.text
    assert "disk on fire" not in reply.text and "Traceback" not in reply.text
    failures = [r for r in caplog.records if r.name == "clicksbot.handlers.errors"]
    assert len(failures) == 1 and failures[0].exc_info is not None


async def test_editing_an_old_command_does_not_run_it_again(bot: Running) -> None:
    """A person who edits an earlier /help (or any text) gets no second reply."""
    alice = bot.emulator.person("Alice")
    sent = alice.send("/help")
    await alice.receive()
    alice.edit(sent, "/tip")
    await alice.expect_silence()

"""No dead ends: every message leaves a way on, pickers go back, a command in the middle of a
question leaves it politely and runs, unknown commands and stray text are answered kindly,
and someone who comes back after /forget is met as new."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import Running, started

from clicksbot.app import runtime_of
from clicksbot.sandbox import BotMessage, Person
from clicksbot.store import Store

NEXT_STEPS = ["💡 A tip", "🔎 A quiz question"]


def store_of(bot: Running) -> Store:
    store = runtime_of(bot.app).store
    assert store is not None
    return store


def make_admin(bot: Running, person: Person) -> None:
    object.__setattr__(bot.settings, "admins", frozenset({person.id}))


async def receive_until(person: Person, part: str) -> BotMessage:
    for _ in range(30):
        message = await person.receive()
        if part in message.text or any(part in b for b in message.button_texts):
            return message
    raise AssertionError(f"{person.first_name} never got {part!r}")


async def edit_until(person: Person, part: str) -> BotMessage:
    for _ in range(30):
        message = await person.receive_edit()
        if part in message.text or any(part in b for b in message.button_texts):
            return message
    raise AssertionError(f"{person.first_name} never saw an edit with {part!r}")


async def test_start_after_forget_greets_a_new_person(bot: Running) -> None:
    """/forget, a stray message, then /start: the greeting for someone new, not "welcome
    back"; a second /start is a welcome back."""
    you = await started(bot, "You")
    you.send("/forget")
    await you.press(await you.receive(), "Yes, delete it all")
    assert "deleted everything" in (await you.receive_edit()).text
    you.send("hello?")  # the bot meets them again here, before any greeting
    await you.receive()
    you.send("/start")
    greeting = await you.receive()
    assert "Hi You!" in greeting.text and "Welcome back" not in greeting.text
    you.send("/start")
    assert "Welcome back, You!" in (await you.receive()).text


async def test_someone_who_wrote_before_starting_is_greeted_as_new(bot: Running) -> None:
    """A first /tip, then /start: the introduction, which they have not seen yet."""
    ana = bot.emulator.person("Ana")
    ana.send("/tip")
    await ana.receive()
    ana.send("/start")
    assert "Hi Ana!" in (await ana.receive()).text


async def test_unknown_commands_and_stray_text_point_somewhere(bot: Running) -> None:
    """An unknown command is named as unknown, with /help; text is met with a friendly
    pointer and a tip or a question one tap away; /cancel with nothing going on says so."""
    ana = await started(bot, "Ana")
    ana.send("/frobnicate now")
    unknown = await ana.receive()
    assert "I don't know the command /frobnicate" in unknown.text and "/help" in unknown.text
    ana.send("hello, what can you do?")
    pointer = await ana.receive()
    assert "I only understand commands" not in pointer.text
    assert "/help" in pointer.text and pointer.button_texts == NEXT_STEPS
    await ana.press(pointer, "A tip")
    assert "Tip" in (await ana.receive()).text
    await ana.press(pointer, "A quiz question")
    assert "Pick a topic" in (await ana.receive()).text
    ana.send("/cancel")
    assert "nothing to cancel" in (await ana.receive()).text


async def test_a_command_during_the_name_question_leaves_it_and_runs(bot: Running) -> None:
    """The certificate-name question, then /progress: one line says the question was left,
    the progress comes, and a name typed afterwards is not taken for the certificate."""
    ana = await started(bot, "Ana")
    ana.send("/pact")
    await ana.press(await ana.receive(), "I commit")
    await receive_until(ana, "What name")
    ana.send("/progress")
    left = await ana.receive()
    assert "put the certificate questions aside" in left.text and "/certificate" in left.text
    assert "Your progress" in (await ana.receive()).text
    ana.send("Ana Secretname")
    assert "tip or a quiz question" in (await ana.receive()).text  # not a name any more
    pledge = await store_of(bot).live_pledge(ana.id)
    assert pledge is not None and pledge.display_name is None


async def test_a_command_during_a_broadcast_leaves_it_and_runs(bot: Running) -> None:
    """The broadcast text question, then /tip: the broadcast is put aside (said), the tip
    comes, the text typed next is not broadcast; /newcampaign during a broadcast starts the
    campaign; /broadcast again starts afresh."""
    mod = await started(bot, "Mod")
    make_admin(bot, mod)
    mod.send("/broadcast")
    assert "New broadcast" in (await mod.receive()).text
    mod.send("/tip")
    assert "put the broadcast aside: nothing was sent" in (await mod.receive()).text
    assert "Tip" in (await mod.receive()).text
    mod.send("Exam tomorrow!")
    assert "tip or a quiz question" in (await mod.receive()).text
    mod.send("/broadcast")
    await mod.receive()
    mod.send("/broadcast")  # again: afresh, no "put aside"
    assert "New broadcast" in (await mod.receive()).text
    mod.send("/newcampaign")
    assert "put the broadcast aside" in (await mod.receive()).text
    assert "New tip campaign" in (await mod.receive()).text
    mod.send("/pact")  # a command that is no conversation's: the campaign is left, /pact runs
    assert "put the new campaign aside" in (await mod.receive()).text
    assert "I commit" in " ".join((await mod.receive()).button_texts)
    assert await store_of(bot).scheduled_broadcasts() == []


async def test_a_moderator_in_the_name_question_can_start_a_broadcast(bot: Running) -> None:
    """A conversation's way out by a command may be another conversation's way in."""
    mod = await started(bot, "Mod")
    make_admin(bot, mod)
    mod.send("/pact")
    await mod.press(await mod.receive(), "I commit")
    await receive_until(mod, "What name")
    mod.send("/broadcast")
    assert "certificate questions aside" in (await mod.receive()).text
    assert "New broadcast" in (await mod.receive()).text


async def test_pickers_go_back(bot: Running) -> None:
    """The language and time-zone pickers opened from /settings go back to them, and return
    to them when a choice is made (in the new language); the broadcast audience's country
    list goes back to the audiences, which can be cancelled."""
    ana = await started(bot, "Ana")
    ana.send("/settings")
    settings = await ana.receive()
    await ana.press(settings, "Language")
    languages = await ana.receive_edit()
    assert languages.raw is settings.raw and "◀ Back" in languages.button_texts
    await ana.press(languages, "◀ Back")
    assert "Your settings" in (await ana.receive_edit()).text
    await ana.press(settings, "Language")
    await ana.press(await ana.receive_edit(), "Melayu")
    assert "Tetapan anda" in (await ana.receive_edit()).text  # the settings, in Malay now
    await ana.press(settings, "Zon waktu")
    where = await ana.receive_edit()
    assert where.button_texts[-1] == "◀ Kembali"
    await ana.press(where, "Negara lain")
    more = await ana.receive_edit()
    await ana.press(more, "◀ Kembali")  # back to the countries, still from the settings
    await ana.press(await ana.receive_edit(), "Filipina")
    back = await ana.receive_edit()
    assert "Tetapan anda" in back.text and "Manila" in back.text

    mod = await started(bot, "Mod")
    make_admin(bot, mod)
    mod.send("/broadcast")
    await mod.receive()
    mod.send("Hello")
    await mod.press(await mod.receive(), "No button")
    await receive_until(mod, "Preview")
    await mod.receive()
    audiences = await mod.receive()
    await mod.press(audiences, "By country")
    countries = await mod.receive_edit()
    assert "🇲🇾 Malaysia" in countries.button_texts
    await mod.press(countries, "◀ Back")
    again = await mod.receive_edit()
    assert "Who should get it?" in again.text and "Everyone · 2" in again.button_texts
    await mod.press(again, "Cancel")
    assert "Nothing was sent" in (await mod.receive_edit()).text


async def test_messages_that_end_a_task_offer_a_way_on(bot: Running) -> None:
    """/progress, /privacy, /mydata, the subscribe "done", a withdrawn pledge and a kept
    /forget end with a tip or a question one tap away."""
    ana = await started(bot, "Ana")
    ana.send("/progress")
    assert (await ana.receive()).button_texts == NEXT_STEPS
    ana.send("/privacy")
    privacy = await ana.receive()
    assert privacy.button_texts == NEXT_STEPS
    await ana.press(privacy, "A tip")
    assert "Tip" in (await ana.receive()).text
    ana.send("/mydata")
    await ana.receive()
    document = await ana.receive()
    assert "document" in document.raw and document.button_texts == NEXT_STEPS
    ana.send("/subscribe")
    await ana.press(await ana.receive(), "Philippines")
    await ana.press(await ana.receive_edit(), "7:00\u202fAM")
    await ana.press(await ana.receive_edit(), "7:30\u202fAM")
    done = await ana.receive_edit()
    assert "Done!" in done.text and done.button_texts == NEXT_STEPS
    ana.send("/pact")
    await ana.press(await ana.receive(), "I commit")
    await ana.press(await receive_until(ana, "What name"), "Skip")
    await ana.press(await ana.receive_edit(), "Skip")
    ana.send("/pact")
    pact = await receive_until(ana, "Withdraw")
    await ana.press(pact, "Withdraw")
    await ana.press(await edit_until(ana, "Yes, withdraw"), "Yes, withdraw")
    withdrawn = await ana.receive_edit()
    assert "withdrawn" in withdrawn.text and withdrawn.button_texts == NEXT_STEPS
    ana.send("/forget")
    await ana.press(await ana.receive(), "No, keep it")
    assert (await ana.receive_edit()).button_texts == NEXT_STEPS


LANGUAGES = ("en", "ms", "id", "fil", "th", "vi", "km", "ru", "kk", "uz", "pt", "sr", "ar")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pointers_and_pickers_fit_telegram(language: str) -> None:
    """The friendly pointer, an unknown command, the pickers opened from /settings (with
    Back) and the audience pickers (Back, Cancel) are messages Telegram accepts, in every
    interface language."""
    from clicksbot.botapi import rules
    from clicksbot.i18n import Catalogs
    from clicksbot.render import Reply, messages, moderation
    from clicksbot.render import daily as daily_render

    t = Catalogs.load().get(language)

    def check(reply: Reply) -> None:
        rules.check_message_text(reply.text, "HTML", None)
        assert reply.keyboard is not None
        rules.check_reply_markup(reply.keyboard.to_dict())

    check(messages.friendly_pointer(t))
    rules.check_message_text(messages.unknown_command(t, "/" + "x" * 200).text, "HTML", None)
    check(messages.language_prompt(t, LANGUAGES, from_settings=True))
    check(daily_render.where_message(t, "PH", "s"))
    check(daily_render.more_countries_message(t, "s"))
    check(daily_render.offsets_message(t, datetime(2026, 11, 23, 8, tzinfo=UTC), "s"))
    check(daily_render.zones_message(t, "ID", datetime(2026, 11, 23, 8, tzinfo=UTC), "s"))
    sizes = {"all": 10**6}
    check(moderation.audience_picker(t, LANGUAGES, sizes))
    check(moderation.country_picker(t))

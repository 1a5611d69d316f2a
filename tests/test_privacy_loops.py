"""Privacy holes closed: /mydata names nobody else, a /start–pact–/forget loop inflates
nothing, class figures need enough people, and a group answer counts only in its group."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from conftest import Running, drain, started

from clicksbot.app import runtime_of
from clicksbot.sandbox import BotMessage, Person
from clicksbot.store import Store

JOINED = "A friend joined clicksbot"
PLEDGED = "A friend you invited just took"


def store_of(bot: Running) -> Store:
    store = runtime_of(bot.app).store
    assert store is not None
    return store


async def until(person: Person, part: str) -> BotMessage:
    """The next message holding `part` (in its text or a button), skipping others."""
    for _ in range(40):
        message = await person.receive()
        if part in message.text or any(part in b for b in message.button_texts):
            return message
    raise AssertionError(f"{person.user['first_name']} never got {part!r}")


async def invite_link(person: Person) -> str:
    person.send("/invite")
    text = (await until(person, "?start=")).text
    return next(w for w in text.split() if "?start=" in w).split("?start=", 1)[1]


async def take_pact(person: Person, country: str = "Malaysia") -> None:
    """/pact, I commit, no name, a country: as a person taps through it."""
    person.send("/pact")
    await person.press(await until(person, "I commit"), "I commit")
    await person.press(await until(person, "What name"), "Skip")
    await person.press(await person.receive_edit(), country)  # the prompt becomes the countries
    await until(person, "Invite friends")


async def forget(person: Person) -> None:
    person.send("/forget")
    await person.press(await until(person, "Yes, delete it all"), "Yes, delete it all")
    for _ in range(10):
        if "deleted everything" in (await person.receive_edit()).text:
            return
    raise AssertionError("no confirmation of the deletion")


def notices(bot: Running, person: Person, part: str) -> int:
    return sum(
        part in str(c.params.get("text", ""))
        for c in bot.emulator.sent("sendMessage", chat_id=person.id)
    )


async def test_mydata_shows_the_inviter_as_a_friend_never_by_id(bot: Running) -> None:
    """The summary says "Invited by: a friend"; the JSON document holds no other person's
    Telegram id: the inviter (and whoever appointed a moderator) appear by role."""
    ivy = await started(bot, "Ivy")
    zed = bot.emulator.person("Zed")
    zed.start(await invite_link(ivy))
    await zed.receive()
    await take_pact(zed)
    await store_of(bot).add_moderator(zed.id, 4242, datetime.now(UTC))
    zed.send("/mydata")
    summary = await until(zed, "Your data")
    assert "Invited by: a friend" in summary.text
    assert str(ivy.id) not in summary.text
    document = await zed.receive()
    raw = bot.emulator.files[document.raw["document"]["file_id"]]
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    assert str(ivy.id) not in text and "4242" not in text
    tables = json.loads(text)["tables"]
    assert tables["users"][0]["referred_by"] == "a friend"
    assert tables["pledges"][0]["via"] == "a friend"
    assert tables["moderators"][0]["granted_by"] == "an admin"
    ivy.send("/mydata")  # not invited: no such line
    assert "Invited by" not in (await until(ivy, "Your data")).text


async def test_a_start_pact_forget_loop_counts_once_and_tells_the_inviter_once(
    bot: Running,
) -> None:
    """The same person taking the pact, forgetting, coming back through the same link and
    taking it again, three times over: one pledge in the counter (overall and in Malaysia),
    one friend for the inviter, and one notice of each kind. While forgotten they count
    anonymously; back, they count as who they are now. A new friend still counts."""
    store = store_of(bot)
    ivy = await started(bot, "Ivy")
    link = await invite_link(ivy)
    zed = bot.emulator.person("Zed")
    for _ in range(3):
        zed.start(link)
        await zed.receive()
        await take_pact(zed)
        await drain(bot)
        counts = await store.pledge_counts()
        assert (counts.total, counts.by_country.get("MY")) == (1, 1)
        assert await store.invitation_counts(ivy.id) == (1, 1)
        await forget(zed)
        counts = await store.pledge_counts()
        assert (counts.total, counts.by_country.get("MY")) == (1, 1)  # anonymously
        assert await store.invitation_counts(ivy.id) == (1, 1)
    zed.start(link)  # back once more, without the pact this time: here, but not pledged
    await zed.receive()
    await drain(bot)
    assert (await store.pledge_counts()).total == 0
    assert await store.invitation_counts(ivy.id) == (1, 0)
    await take_pact(zed)
    await drain(bot)
    assert await store.invitation_counts(ivy.id) == (1, 1)
    assert (notices(bot, ivy, JOINED), notices(bot, ivy, PLEDGED)) == (1, 1)

    amy = bot.emulator.person("Amy")  # a different friend: counted and told
    amy.start(link)
    await amy.receive()
    await take_pact(amy, "Philippines")
    await drain(bot)
    assert (notices(bot, ivy, JOINED), notices(bot, ivy, PLEDGED)) == (2, 2)
    assert await store.invitation_counts(ivy.id) == (2, 2)
    counts = await store.pledge_counts()
    assert (counts.total, counts.by_country.get("MY"), counts.by_country.get("PH")) == (2, 1, 1)


async def test_class_figures_wait_for_five_people(bot: Running) -> None:
    """With fewer than five people who answered, /classstats says why it shows nothing;
    from five on, it shows the figures (and no names)."""
    teacher = bot.emulator.person("Teacher")
    kids = [bot.emulator.person(f"Kid{i}") for i in range(5)]
    chat = bot.emulator.group("Class 7A", teacher, *kids)
    await store_of(bot).add_moderator(teacher.id, 42, datetime.now(UTC))
    teacher.send("/quiz", chat)
    posted = await teacher.receive_in(chat)
    for kid in kids[:4]:
        await kid.press(posted, 0)
    teacher.send("/classstats", chat)
    refusal = await teacher.receive_in(chat)
    assert "at least 5 people" in refusal.text and "singled out" in refusal.text
    assert "People who answered" not in refusal.text
    await kids[4].press(posted, 1)
    teacher.send("/classstats", chat)
    figures = await teacher.receive_in(chat)
    assert "People who answered: 5" in figures.text
    assert not any(kid.user["first_name"] in figures.text for kid in kids)


async def test_a_press_naming_another_groups_quiz_records_nothing(bot: Running) -> None:
    """A button payload copied from another group's quiz (or forged), pressed on this
    group's message or in a private chat, answers nothing; the real press still counts."""
    ana, ben = bot.emulator.person("Ana"), bot.emulator.person("Ben")
    class_a = bot.emulator.group("Class A", ana)
    class_b = bot.emulator.group("Class B", ben)
    ana.send("/quiz", class_a)
    quiz_a = await ana.receive_in(class_a)
    ben.send("/quiz", class_b)
    quiz_b = await ben.receive_in(class_b)
    data_a = quiz_a.buttons[0][0]["callback_data"]
    answer = await ben.press_data(quiz_b, data_a)
    assert answer.get("show_alert")
    store = store_of(bot)
    assert (await store.group_figures(class_a.id)).answers == 0
    assert (await store.group_figures(class_b.id)).answers == 0
    ben.send("/start")
    greeting = await ben.receive()
    await ben.press_data(greeting, data_a)  # in a private chat
    assert (await store.group_figures(class_a.id)).answers == 0
    await ana.press(quiz_a, 0)
    assert (await store.group_figures(class_a.id)).answers == 1

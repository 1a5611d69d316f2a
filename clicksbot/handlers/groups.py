"""The bot in a group chat (a class, a club): a quiz everyone answers once, an opt-in
leaderboard, a daily tip or quiz at the group's time, and the teacher's figures.

The bot answers only its commands and its buttons in groups, never ordinary chatter, and its
messages to a group are paced under Telegram's 20 a minute (see delivery.limiter).
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    filters,
)

from clicksbot.content import Competency, Question
from clicksbot.context import BotApplication, BotContext, Runtime
from clicksbot.delivery.groups import GroupPoster
from clicksbot.handlers.common import NEW_MESSAGES
from clicksbot.handlers.menus import ADMIN_COMMANDS, role_menu
from clicksbot.i18n import Translator
from clicksbot.render import callbacks as cb
from clicksbot.render import caption_fits, deeplinks, display_name, esc
from clicksbot.render.inline import alert_is_whole, answer_alert
from clicksbot.render.learning import LETTERS, competency_name, question_text, tip_message
from clicksbot.services import moderation as roles
from clicksbot.services import places, when
from clicksbot.services.learning import TipPick, content_language
from clicksbot.store.groups import GroupSettings

logger = logging.getLogger(__name__)

IN_GROUPS = NEW_MESSAGES & filters.ChatType.GROUPS
PLACE_SHOWN = 40  # characters of a typed place echoed back
CLASS_MIN = 5  # people who answered before /classstats shows a group's figures
# Commands about one person (their tips, progress, pledge, settings, data): in a group they
# get a pointer to the private chat instead. The moderators' commands too, for moderators.
PRIVATE_ONLY = (
    "tip", "progress", "pact", "certificate", "invite", "subscribe", "unsubscribe", "settings",
    "language", "privacy", "mydata", "forget",
)  # fmt: skip
ROLE_ONLY = (*ADMIN_COMMANDS, "cancel")


async def _settings(context: BotContext, update: Update) -> GroupSettings:
    chat = update.effective_chat
    assert chat is not None
    found = await context.store.group_settings(chat.id)
    if found is not None:
        return found
    person = update.effective_user
    language = context.catalogs.match(
        person.language_code if person else None, context.settings.default_language
    )
    return GroupSettings(chat.id, language, None, context.settings.default_timezone)


QUIZ_GAP = 20.0  # seconds: a /quiz this soon after the group's last question adds nothing
REPEAT_GAP = 30.0  # seconds in which the same leaderboard (or figures) is not posted again
TALLY_DELAY = 5.0  # seconds an answer waits before the tally shows it (answers meanwhile join)


def _poster(runtime: Runtime) -> GroupPoster:
    assert runtime.groups_out is not None
    return runtime.groups_out


def post_quiz(runtime: Runtime, bot: Any, settings: GroupSettings) -> bool:
    """Queue a question for the group; False if one is on its way already."""

    async def send() -> None:
        await _post_quiz(runtime, bot, settings)

    return _poster(runtime).post(settings.chat_id, "quiz", send)


async def _post_quiz(runtime: Runtime, bot: Any, settings: GroupSettings) -> None:
    """Post a question the group has seen least, with one button per option."""
    assert runtime.store is not None
    content = runtime.content
    language = content_language(content, settings.language)
    questions = list(content.questions(language))
    if not questions:
        return
    asked = await runtime.store.group_questions_asked(settings.chat_id)
    fewest = min(asked.get(q.id, 0) for q in questions)
    question = runtime.rng.choice([q for q in questions if asked.get(q.id, 0) == fewest])
    row = await runtime.store.post_group_question(
        settings.chat_id, question.id, question.competency.value, runtime.clock()
    )
    t = runtime.catalogs.get(settings.language)
    text, buttons = _quiz_text(t, question), _quiz_buttons(question, row)
    if question.image is not None and caption_fits(text):
        message = await bot.send_photo(
            settings.chat_id,
            runtime.photos.get(question.image) or Path(question.image).read_bytes(),
            caption=text,
            parse_mode="HTML",
            reply_markup=buttons,
        )
        runtime.photos[question.image] = message.photo[-1].file_id
    else:  # (a picture whose caption would be too long: its words are in the text)
        message = await bot.send_message(
            settings.chat_id, text, parse_mode="HTML", reply_markup=buttons
        )
    await runtime.store.set_group_question_message(row, message.message_id)


def _quiz_text(t: Translator, question: Question, answers: int = 0) -> str:
    text = question_text(t, question, list(question.options)) + "\n\n" + t("group.quiz_footer")
    return text + ("\n" + t("group.tally", count=answers) if answers else "")


def _quiz_buttons(question: Question, row: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"{LETTERS[i]}. {option}"[:64], callback_data=cb.encode("gq", str(row), str(i))
                )
            ]
            for i, option in enumerate(question.options)
        ]
    )


async def quiz_in_group(update: Update, context: BotContext) -> None:
    """/quiz in a group: a question for everyone; in a rush, one question for all."""
    settings = await _settings(context, update)
    latest = await context.store.latest_group_question(settings.chat_id)
    if latest is not None and (context.now() - latest[1]).total_seconds() < QUIZ_GAP:
        return  # the question everyone wants was just posted: it is right above
    post_quiz(context.runtime, context.bot, settings)


def _update_tally(runtime: Runtime, bot: Any, chat_id: int, row: int, question: Question,
                  language: str) -> None:  # fmt: skip
    """Show the number of answers under the group's question: one edit now and then, never a
    message per answer."""

    async def edit() -> None:
        assert runtime.store is not None
        message_id, answers, _ = await runtime.store.group_question_tally(row)
        if message_id is None:
            return
        t = runtime.catalogs.get(language)
        text, buttons = _quiz_text(t, question, answers), _quiz_buttons(question, row)
        try:
            if question.image is not None and caption_fits(text):
                await bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=message_id,
                    caption=text,
                    parse_mode="HTML",
                    reply_markup=buttons,
                )
            else:
                await bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode="HTML",
                    reply_markup=buttons,
                )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                raise

    _poster(runtime).post(chat_id, f"tally:{row}", edit, delay=TALLY_DELAY, edit=True)


async def on_group_answer(update: Update, context: BotContext) -> None:
    """A member answers a group question: once; they alone see whether it was right."""
    press = update.callback_query
    assert press is not None and update.effective_user is not None
    try:
        raw_row, raw_choice = cb.decode(press.data).args
    except cb.CallbackError:
        await press.answer(context.catalogs.get("en")("button.stale"), show_alert=True)
        return
    person = update.effective_user
    language = context.catalogs.match(person.language_code, context.settings.default_language)
    t = context.catalogs.get(language)
    posted = await context.store.group_question(int(raw_row))
    question = context.content.question(posted[1]) if posted else None
    choice = int(raw_choice)
    # Only a press on the group's own quiz message counts: a payload naming another group's
    # question (copied or forged) would answer for a class the presser is not in, or another
    # question of the same group.
    pressed = (press.message.chat.id, press.message.message_id) if press.message else None
    if posted is not None and (
        pressed is None or pressed[0] != posted[0] or posted[2] not in (None, pressed[1])
    ):
        await press.answer(t("button.stale"), show_alert=True)
        return
    if posted is None or question is None or choice >= len(question.options):
        await press.answer(t("quiz.gone"), show_alert=True)
        return
    recorded = await context.store.answer_group_question(
        int(raw_row),
        person.id,
        posted[0],
        question.competency.value,
        choice == question.answer,
        context.now(),
    )
    if not recorded:
        if alert_is_whole(t, question, choice):
            await press.answer(t("group.already"), show_alert=True)
        else:  # the rest of the explanation: in the private chat, never posted to the group
            link = deeplinks.start_link(context.bot.username, deeplinks.explain_group(int(raw_row)))
            await press.answer(url=link)
        return
    await press.answer(answer_alert(t, question, choice), show_alert=True)
    group = await _settings(context, update)
    _update_tally(context.runtime, context.bot, posted[0], int(raw_row), question, group.language)


async def top_command(update: Update, context: BotContext) -> None:
    """/top: the leaderboard of members who chose to appear; /top join, /top leave."""
    chat, person = update.effective_chat, update.effective_user
    assert chat is not None and person is not None
    settings = await _settings(context, update)
    t = context.catalogs.get(settings.language)
    arg = (context.args or [""])[0].lower()
    if arg == "join":
        name = display_name(person.first_name, fallback="🙂")
        await context.store.join_leaderboard(chat.id, person.id, name, context.now())
        _say(context, chat.id, f"top-join:{person.id}", t("group.joined", name=name))
        return
    if arg == "leave":
        await context.store.leave_leaderboard(chat.id, person.id)
        _say(context, chat.id, f"top-leave:{person.id}", t("group.left"))
        return
    shown, hidden = await context.store.leaderboard(chat.id)
    lines = [t("group.top_title")]
    medals = ["🥇", "🥈", "🥉"]
    for i, (name, score) in enumerate(shown):
        lines.append(f"{medals[i] if i < 3 else f'{i + 1}.'} {name}: {score}")
    if not shown:
        lines.append(t("group.top_empty"))
    if hidden:
        lines.append(t.plural("group.top_hidden", hidden))
    lines.append(t("group.top_how"))
    _say(context, chat.id, "top", "\n".join(lines), once=True)


def _say(
    context: BotContext,
    chat_id: int,
    kind: str,
    text: str,
    once: bool = False,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Post to the group when it has room; the handler goes on at once. `once`: not again if
    the same text went to the group in the last REPEAT_GAP seconds (a rush of /top)."""
    bot = context.bot

    async def send() -> None:
        await bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=keyboard)

    same = (text, REPEAT_GAP) if once else None
    _poster(context.runtime).post(chat_id, kind, send, same_as_shown=same)


def _private_chat_button(t: Translator, bot_username: str) -> InlineKeyboardMarkup:
    """A button that opens the person's private chat with the bot (a t.me link)."""
    link = f"https://t.me/{bot_username}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(t("group.open_private"), url=link)]])


async def help_in_group(update: Update, context: BotContext) -> None:
    """/help (or /start) in a group: what the bot does here, and where the rest is."""
    chat = update.effective_chat
    assert chat is not None
    t = context.catalogs.get((await _settings(context, update)).language)
    keyboard = _private_chat_button(t, context.bot.username)
    _say(context, chat.id, "help", t("help.group"), once=True, keyboard=keyboard)


async def private_only(update: Update, context: BotContext) -> None:
    """A command about one person, sent in a group: a short pointer to the private chat, once
    for a rush of them. The moderators' and admins' commands get it only from those who have
    them: nobody else learns they exist."""
    chat, person, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and person is not None and message is not None
    command = (message.text or "").split(maxsplit=1)[0].lstrip("/").split("@")[0].lower()
    if command not in PRIVATE_ONLY:  # a moderator's or an admin's command
        role = await roles.role(context.store, context.settings.admins, person.id)
        if role is None or command not in (*role_menu(role), "cancel"):
            return
    t = context.catalogs.get((await _settings(context, update)).language)
    keyboard = _private_chat_button(t, context.bot.username)
    _say(context, chat.id, "private-only", t("group.private_only"), once=True, keyboard=keyboard)


async def _is_group_admin(context: BotContext, chat_id: int, user_id: int) -> bool:
    if user_id in context.settings.admins:
        return True
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def groupdaily_command(update: Update, context: BotContext) -> None:
    """/groupdaily TIME [place] | off: a group admin sets the daily tip and quiz. The time as
    people write it (07:30, 7.30 pm); the place a city, a country, a UTC offset or an IANA
    name, in any interface language ("Almaty", "Malaysia", "UTC+5"); where the words may mean
    several zones, the admins are offered them as buttons."""
    chat, person = update.effective_chat, update.effective_user
    assert chat is not None and person is not None
    settings = await _settings(context, update)
    t = context.catalogs.get(settings.language)
    if not await _is_group_admin(context, chat.id, person.id):
        _say(context, chat.id, "admins-only", t("group.admins_only"), once=True)
        return
    args = context.args or []
    if args and args[0].lower() == "off":
        await context.store.set_group_settings(
            chat.id, settings.language, None, settings.time_zone, context.now()
        )
        _unschedule(context.runtime, chat.id)
        _say(context, chat.id, "daily-settings", t("group.daily_off"))
        return
    at, place = _time_and_place(args)
    zone = await _default_zone(context, chat.id, person.id, settings)
    if at is None:
        usage = t("group.daily_usage", zone=esc(places.zone_name(zone, t.language)))
        _say(context, chat.id, "daily-settings", usage)
        return
    if place:
        # (the first look builds the index of names: ~0.5 s, off the event loop)
        found = await asyncio.to_thread(
            places.find_zone, place, context.catalogs.languages, context.now()
        )
        if found.zone is None:
            _offer_zones(context, chat.id, t, at, place, found.zones)
            return
        zone = found.zone
    await _set_daily(context, chat.id, settings, at, zone)


def _time_and_place(args: list[str]) -> tuple[str | None, str]:
    """Split /groupdaily's words into the time ("HH:MM", or None) and the place after it."""
    for count in (2, 1):
        if len(args) >= count:
            moment = when.parse_clock(" ".join(args[:count]))
            if moment is not None:
                return moment.strftime("%H:%M"), " ".join(args[count:])
    return None, ""


async def _default_zone(
    context: BotContext, chat_id: int, person_id: int, settings: GroupSettings
) -> str:
    """The zone a time without a place means: the group's, once it has one; before that,
    the zone of the admin who sets it, if they chose one; else the bot's default."""
    if await context.store.group_settings(chat_id) is None:
        user = await context.store.get_user(person_id)
        if user is not None and user.time_zone:
            return user.time_zone
    return settings.time_zone


def _offer_zones(
    context: BotContext, chat_id: int, t: Translator, at: str, place: str, zones: tuple[str, ...]
) -> None:
    """Words that may mean several zones (or none): the admins get the zones as buttons."""
    shown = esc(place if len(place) <= PLACE_SHOWN else place[: PLACE_SHOWN - 1] + "…")
    if not zones:
        _say(context, chat_id, "daily-settings", t("group.daily_unknown_place", place=shown))
        return
    now = context.now()
    rows = [
        [
            InlineKeyboardButton(
                f"{places.zone_name(z, t.language)} · {places.local_clock(z, now, t.language)}",
                callback_data=cb.encode("gz", at, z),
            )
        ]
        for z in zones
    ]
    text = t("group.daily_which", place=shown)
    _say(context, chat_id, "daily-settings", text, keyboard=InlineKeyboardMarkup(rows))


async def _set_daily(
    context: BotContext, chat_id: int, settings: GroupSettings, at: str, zone: str
) -> None:
    await context.store.set_group_settings(chat_id, settings.language, at, zone, context.now())
    schedule(context.runtime, GroupSettings(chat_id, settings.language, at, zone))
    t = context.catalogs.get(settings.language)
    zone_text = esc(places.zone_name(zone, t.language))
    _say(context, chat_id, "daily-settings", t("group.daily_on", time=at, zone=zone_text))


async def on_group_zone(update: Update, context: BotContext) -> None:
    """An admin picks the zone /groupdaily's words meant (anyone else is told it is theirs)."""
    press, person = update.callback_query, update.effective_user
    assert press is not None and person is not None
    settings = await _settings(context, update)
    t = context.catalogs.get(settings.language)
    try:
        at, zone = cb.decode(press.data).args
    except cb.CallbackError:
        at, zone = "", ""
    if press.message is None or not places.known_zone(zone):
        await press.answer(t("button.stale"), show_alert=True)
        return
    if not await _is_group_admin(context, press.message.chat.id, person.id):
        await press.answer(t("group.admins_only"), show_alert=True)
        return
    await press.answer()
    await _set_daily(context, press.message.chat.id, settings, at, zone)


def _job_name(chat_id: int) -> str:
    return f"group daily {chat_id}"


def _unschedule(runtime: Runtime, chat_id: int) -> None:
    job = runtime.group_jobs.pop(chat_id, None)
    if job is not None:
        job.schedule_removal()


def schedule(runtime: Runtime, settings: GroupSettings) -> None:
    """(Re)make the daily job of a group, at its local time (one job per group, ever)."""
    _unschedule(runtime, settings.chat_id)
    if runtime.job_queue is None or settings.daily_time is None:
        return
    hour, minute = (int(x) for x in settings.daily_time.split(":"))
    runtime.group_jobs[settings.chat_id] = runtime.job_queue.run_daily(
        _daily_post,
        time(hour, minute, tzinfo=ZoneInfo(settings.time_zone)),
        data=settings.chat_id,
        name=_job_name(settings.chat_id),
    )


async def _daily_post(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """The group's daily post: a tip, then a question to answer."""
    assert context.job is not None
    runtime: Runtime = context.bot_data["clicksbot.runtime"]
    assert runtime.store is not None
    chat_id = context.job.data
    assert isinstance(chat_id, int)
    settings = await runtime.store.group_settings(chat_id)
    if settings is None or settings.daily_time is None:
        return
    await post_daily(runtime, context.bot, settings)


async def post_daily(runtime: Runtime, bot: Any, settings: GroupSettings) -> None:
    """Queue the group's daily tip, then a question."""
    t = runtime.catalogs.get(settings.language)
    tips = list(runtime.content.tips(content_language(runtime.content, settings.language)))
    if tips:
        tip = random.Random(runtime.clock().date().toordinal()).choice(tips)
        reply = tip_message(t, TipPick(tip, False, []), bot.username, daily=True)

        async def send() -> None:
            await bot.send_message(settings.chat_id, reply.text, parse_mode="HTML")

        _poster(runtime).post(settings.chat_id, "daily-tip", send)
    post_quiz(runtime, bot, settings)


async def classstats_command(update: Update, context: BotContext) -> None:
    """/classstats: a moderator's view of the group: participation and accuracy per
    competency, with nobody's own answers."""
    chat, person = update.effective_chat, update.effective_user
    assert chat is not None and person is not None
    settings = await _settings(context, update)
    t = context.catalogs.get(settings.language)
    if await roles.role(context.store, context.settings.admins, person.id) is None:
        return  # nobody else learns it exists; and no chatter in groups
    figures = await context.store.group_figures(chat.id)
    if figures.players < CLASS_MIN:  # so few that the figures would show someone's answers
        _say(context, chat.id, "stats", t("group.stats_too_few", min=CLASS_MIN), once=True)
        return
    lines = [
        t("group.stats_title"),
        t("group.stats_players", players=figures.players, answers=figures.answers),
    ]
    for key, (answers, correct) in sorted(figures.by_competency.items()):
        name = competency_name(t, Competency(key))
        percent = round(100 * correct / answers) if answers else 0
        lines.append(t("group.stats_line", competency=esc(name), answers=answers, percent=percent))
    _say(context, chat.id, "stats", "\n".join(lines), once=True)


async def on_added(update: Update, context: BotContext) -> None:
    """Added to a group: say once, briefly, what the bot does there."""
    change = update.my_chat_member
    if change is None or change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    was_in = change.old_chat_member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    )
    is_in = change.new_chat_member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    )
    if is_in and not was_in:
        settings = await _settings(context, update)
        t = context.catalogs.get(settings.language)
        _say(context, change.chat.id, "welcome", t("group.welcome"))


def register(app: BotApplication) -> None:
    """Add this feature's handlers (before the private ones: the first match wins)."""
    app.add_handler(CommandHandler("quiz", quiz_in_group, filters=IN_GROUPS))
    app.add_handler(CommandHandler("top", top_command, filters=IN_GROUPS))
    app.add_handler(CommandHandler("groupdaily", groupdaily_command, filters=IN_GROUPS))
    app.add_handler(CommandHandler("classstats", classstats_command, filters=IN_GROUPS))
    app.add_handler(CommandHandler(("help", "start"), help_in_group, filters=IN_GROUPS))
    app.add_handler(CommandHandler((*PRIVATE_ONLY, *ROLE_ONLY), private_only, filters=IN_GROUPS))
    app.add_handler(CallbackQueryHandler(on_group_answer, pattern=cb.pattern("gq")))
    app.add_handler(CallbackQueryHandler(on_group_zone, pattern=cb.pattern("gz")))
    app.add_handler(ChatMemberHandler(on_added, ChatMemberHandler.MY_CHAT_MEMBER))

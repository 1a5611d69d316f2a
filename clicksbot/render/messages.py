"""Texts and keyboards of the bot's own messages (greeting, help, language choice)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.i18n import Translator, language_name
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.services.moderation import Role

LANGUAGES_PER_ROW = 2
COMMAND_SHOWN = 40  # characters of an unknown command echoed back


def language_keyboard(
    languages: Sequence[str], current: str, *, back: str | None = None
) -> InlineKeyboardMarkup:
    """Return one button per interface language, named in that language, the current one
    ticked; with `back` (a Back label), the picker belongs to /settings and returns there."""
    origin = ("s",) if back is not None else ()
    buttons = [
        InlineKeyboardButton(
            ("✅ " if code == current else "") + language_name(code),
            callback_data=cb.encode("lang", code, *origin),
        )
        for code in languages
    ]
    rows = [buttons[i : i + LANGUAGES_PER_ROW] for i in range(0, len(buttons), LANGUAGES_PER_ROW)]
    if back is not None:
        rows.append([InlineKeyboardButton(back, callback_data=cb.encode("daily", "show"))])
    return InlineKeyboardMarkup(rows)


def next_steps(t: Translator) -> InlineKeyboardMarkup:
    """The way on from a message that ends a task: a tip, or a quiz question."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("next.tip"), callback_data=cb.encode("tip")),
                InlineKeyboardButton(t("next.quiz"), callback_data=cb.encode("topics")),
            ]
        ]
    )


def friendly_pointer(t: Translator) -> Reply:
    """What plain text outside any question gets: what the bot can do instead, one tap away."""
    return Reply(t("fallback.text"), next_steps(t))


def unknown_command(t: Translator, text: str) -> Reply:
    """Say that a command is not one the bot knows, and where the known ones are."""
    command = text.split(maxsplit=1)[0] if text.strip() else "/"
    if len(command) > COMMAND_SHOWN:
        command = command[: COMMAND_SHOWN - 1] + "…"
    return Reply(t("fallback.unknown_command", command=esc(command)))


def welcome(t: Translator, name: str, *, new: bool, languages: Sequence[str]) -> Reply:
    """Return the greeting for /start, with the language choice under it."""
    key = "start.welcome" if new else "start.welcome_back"
    return Reply(t(key, name=name), language_keyboard(languages, t.language))


def help_text(t: Translator, role: Role | None = None) -> Reply:
    """Return what /help says in a private chat; moderators and admins are also pointed to
    their own commands."""
    text = t("help.text")
    if role is not None:
        text += "\n\n" + (t("help.admin") if role is Role.ADMIN else t("help.moderator"))
    return Reply(text)


def language_prompt(
    t: Translator, languages: Sequence[str], *, from_settings: bool = False
) -> Reply:
    """Return the language picker that /language shows (from /settings: with Back)."""
    back = t("daily.back") if from_settings else None
    return Reply(t("language.prompt"), language_keyboard(languages, t.language, back=back))

"""Texts and keyboards of the bot's own messages (greeting, help, language choice)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.i18n import Translator, language_name
from clicksbot.render import Reply
from clicksbot.render import callbacks as cb
from clicksbot.services.moderation import Role

LANGUAGES_PER_ROW = 2


def language_keyboard(languages: Sequence[str], current: str) -> InlineKeyboardMarkup:
    """Return one button per interface language, named in that language, the current one ticked."""
    buttons = [
        InlineKeyboardButton(
            ("✅ " if code == current else "") + language_name(code),
            callback_data=cb.encode("lang", code),
        )
        for code in languages
    ]
    rows = [buttons[i : i + LANGUAGES_PER_ROW] for i in range(0, len(buttons), LANGUAGES_PER_ROW)]
    return InlineKeyboardMarkup(rows)


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


def language_prompt(t: Translator, languages: Sequence[str]) -> Reply:
    """Return the language picker that /language shows."""
    return Reply(t("language.prompt"), language_keyboard(languages, t.language))

"""Roles, audiences and the small parsers of the moderators' conversations (no Telegram)."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from clicksbot.botapi import rules
from clicksbot.store import Store

BUTTON_TEXT_MAX = 40
_URL = re.compile(r"https?://[^\s<>\"]{3,500}")


class Role(Enum):
    """What a person may do in the bot."""

    ADMIN = "admin"
    MODERATOR = "moderator"


async def role(store: Store, admins: frozenset[int], user_id: int) -> Role | None:
    """Return a person's role: admins come from the config, moderators from the database."""
    if user_id in admins:
        return Role.ADMIN
    if await store.is_moderator(user_id):
        return Role.MODERATOR
    return None


async def may_send(store: Store, admins: frozenset[int], user_id: int) -> bool:
    """Return whether a person may send to many people now (a moderator or an admin)."""
    return await role(store, admins, user_id) is not None


def audience_of(key: str) -> dict[str, Any]:
    """Return the audience a picker key stands for ("all", "lang-ms", "country-PH", ...)."""
    if key.startswith("lang-"):
        return {"kind": "language", "value": key[len("lang-") :]}
    if key.startswith("country-"):
        return {"kind": "country", "value": key[len("country-") :]}
    return {"kind": key}


def parse_button(text: str) -> tuple[str, str] | None:
    """Read "Button text | https://link" into (text, link); None if it is not that."""
    label, bar, url = text.partition("|")
    label, url = label.strip(), url.strip()
    if not bar or not label or len(label) > BUTTON_TEXT_MAX or not _URL.fullmatch(url):
        return None
    return label, url


def formatting_problem(html: str, *, caption: bool) -> str | None:
    """Say what Telegram would refuse in a broadcast's text (bad tags, too long, empty), using
    the same strict rules as the emulator; None if it would be accepted."""
    try:
        if caption:
            rules.check_caption(html, "HTML", None)
        else:
            rules.check_message_text(html, "HTML", None)
    except rules.ApiError as exc:
        return exc.description.removeprefix("Bad Request: ")
    return None

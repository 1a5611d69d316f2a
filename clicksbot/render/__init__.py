"""Rendering: message texts (Telegram HTML), inline keyboards and the callback-data codec."""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

NAME_MAX = 64


@dataclass(frozen=True)
class Reply:
    """A message ready to send: HTML text and an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def esc(text: str) -> str:
    """Escape untrusted text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def display_name(name: str | None, fallback: str) -> str:
    """Return a person's name fit to echo: no invisible or control characters, short, escaped.

    Names are untrusted: they may hold markup, direction overrides or thousands of characters.
    """
    cleaned = "".join(
        ch for ch in (name or "") if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs")
    ).strip()
    if not cleaned:
        cleaned = fallback
    if len(cleaned) > NAME_MAX:
        cleaned = cleaned[: NAME_MAX - 1] + "…"
    return esc(cleaned)

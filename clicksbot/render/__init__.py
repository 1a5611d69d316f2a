"""Rendering: message texts (Telegram HTML), inline keyboards and the callback-data codec."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

NAME_MAX = 64


@dataclass(frozen=True)
class Reply:
    """A message ready to send: HTML text and an optional inline keyboard; with `photo` (an
    image file), the photo with the text as its caption."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    photo: str | None = None


CAPTION_MAX = 1024  # Telegram's limit on a photo's caption, after entity parsing


def caption_fits(html_text: str) -> bool:
    """Whether HTML text fits a photo caption (tags do not count; escapes count as one)."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", html_text))
    return len(plain.encode("utf-16-le")) // 2 <= CAPTION_MAX


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

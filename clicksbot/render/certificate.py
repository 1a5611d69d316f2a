"""The pact certificate: a PNG with the name, the date, the pact version and the bot's link.

Drawn with Pillow in DejaVu Sans (shipped in clicksbot/assets/fonts, under its own free
licence), which covers Latin, Greek and Cyrillic. fontTools reads which characters the font
has: a name it cannot draw is not printed as empty boxes; the certificate says so instead.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
REGULAR = FONTS / "DejaVuSans.ttf"
BOLD = FONTS / "DejaVuSans-Bold.ttf"
WIDTH, HEIGHT = 1600, 1131  # A4 landscape proportions, sharp on any phone
NAME_MAX = 40

INK = (33, 37, 41)
ACCENT = (0, 114, 188)  # a calm blue
SOFT = (108, 117, 125)
PAPER = (255, 255, 255)
FRAME = (222, 236, 247)


@dataclass(frozen=True)
class CertificateText:
    """Every piece of text on a certificate, already in the person's language."""

    heading: str  # "Certificate"
    name: str | None  # the name to print, if given and drawable
    name_fallback: str  # said instead of a name that cannot be drawn (or none)
    pledge: str  # "has taken the MIL CLICKS Pact"
    details: str  # "Version 1 · 24 November 2026"
    link: str  # "t.me/clicksbot"
    credit: str  # "Inspired by UNESCO's MIL CLICKS"


@cache
def _codepoints() -> frozenset[int]:
    with TTFont(str(REGULAR), lazy=True) as font:
        cmap = font.getBestCmap()
    return frozenset(cmap)


def drawable(text: str) -> bool:
    """Return whether the certificate can print `text`: the font has every character, and
    none is of a right-to-left script (Pillow's basic layout cannot shape or reorder them)."""
    have = _codepoints()
    return all(
        (ord(ch) in have or ch.isspace()) and unicodedata.bidirectional(ch) not in ("R", "AL")
        for ch in text
    )


def clean_name(raw: str) -> str | None:
    """Return a name fit to print and store: no control or invisible characters, trimmed
    to NAME_MAX; None if nothing is left."""
    kept = "".join(
        ch for ch in unicodedata.normalize("NFC", raw)
        if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")
    )  # fmt: skip
    name = " ".join(kept.split())
    if len(name) > NAME_MAX:
        name = name[: NAME_MAX - 1].rstrip() + "…"
    return name or None


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)


def _fit(
    draw: ImageDraw.ImageDraw, text: str, bold: bool, size: int, width: int
) -> ImageFont.FreeTypeFont:
    """Return the largest font up to `size` in which `text` fits `width`."""
    while size > 18:
        font = _font(bold, size)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 4
    return _font(bold, size)


def certificate_png(text: CertificateText) -> bytes:
    """Draw the certificate and return it as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, WIDTH - 30, HEIGHT - 30), outline=FRAME, width=24)
    draw.rectangle((70, 70, WIDTH - 70, HEIGHT - 70), outline=ACCENT, width=4)
    inner = WIDTH - 300
    centre = WIDTH // 2

    def line(y: int, words: str, bold: bool, size: int, fill: tuple[int, int, int]) -> None:
        font = _fit(draw, words, bold, size, inner)
        draw.text((centre, y), words, font=font, fill=fill, anchor="mm")

    line(190, "MIL CLICKS", True, 56, ACCENT)
    line(290, text.heading, True, 88, INK)
    if text.name:
        line(480, text.name, True, 104, INK)
        draw.line((centre - 420, 560, centre + 420, 560), fill=FRAME, width=6)
    else:
        line(480, text.name_fallback, False, 44, SOFT)
    line(660, text.pledge, False, 52, INK)
    line(760, text.details, False, 40, SOFT)
    line(900, text.link, True, 44, ACCENT)
    line(990, text.credit, False, 32, SOFT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

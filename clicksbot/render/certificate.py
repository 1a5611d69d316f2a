"""The pact certificate: a PNG with the name, the date, the pact version and the bot's link.

Drawn with Pillow in Noto Sans (shipped in clicksbot/assets/fonts, under the SIL Open
Font License), one family per script: Latin, Vietnamese and Cyrillic; Thai; Khmer; Arabic. A
line is cut into runs by script, each drawn in its family's font; Pillow's Raqm layout (with
HarfBuzz and FriBiDi) shapes them: Arabic letters join and read right to left, Khmer and Thai
marks sit where they belong. Without Raqm (no FriBiDi on the system) only scripts that need no
shaping are drawn; a name the certificate cannot draw is never printed as boxes or loose
letters: the certificate says so instead.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bidi import get_display
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont, features

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
# script -> (regular, bold); "latin" also holds Vietnamese, Cyrillic and Greek
FAMILIES: dict[str, tuple[str, str]] = {
    "latin": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "thai": ("NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),
    "khmer": ("NotoSansKhmer-Regular.ttf", "NotoSansKhmer-Bold.ttf"),
    "arabic": ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
}
# Scripts whose letters change shape or order with their neighbours: drawn only with Raqm.
NEEDS_SHAPING = frozenset({"khmer", "arabic"})
_BLOCKS = (
    (0x0E00, 0x0E7F, "thai"),
    (0x1780, 0x17FF, "khmer"),
    (0x19E0, 0x19FF, "khmer"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x08A0, 0x08FF, "arabic"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
)
WIDTH, HEIGHT = 1600, 1131  # A4 landscape proportions, sharp on any phone
NAME_MAX = 40

INK = (33, 37, 41)
ACCENT = (0, 114, 188)  # a calm blue
SOFT = (108, 117, 125)
PAPER = (255, 255, 255)
FRAME = (222, 236, 247)


def shaping() -> bool:
    """Whether Pillow can shape text here (Raqm, with FriBiDi for right to left)."""
    return bool(features.check("raqm") and features.check("fribidi"))


def _script(ch: str) -> str | None:
    """Return the family a character belongs to; None for spaces, digits and punctuation,
    which go with their neighbours."""
    code = ord(ch)
    for low, high, script in _BLOCKS:
        if low <= code <= high:
            return script
    if ch.isspace() or unicodedata.category(ch)[0] in "NPSZ":
        return None
    return "latin"


# Direction marks (the catalogs start right-to-left texts with one) steer the layout; they
# are not drawn.
_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c"))


def runs(text: str) -> list[tuple[str, str]]:
    """Cut `text` into (script, text) runs, in logical order. Spaces, digits and punctuation
    stay in the run they are in when its font has them (else they go in a Latin run)."""
    out: list[tuple[str, str]] = []
    for ch in text.translate(_MARKS):
        script = _script(ch)
        if script is None:
            if out and (ch.isspace() or ord(ch) in _codepoints(out[-1][0])):
                script = out[-1][0]
            else:
                script = "latin"
        # The same script goes on; leading spaces join the first real run.
        if out and (script == out[-1][0] or out[-1][1].strip() == ""):
            out[-1] = (script, out[-1][1] + ch)
        else:
            out.append((script, ch))
    return out


@cache
def _codepoints(script: str) -> frozenset[int]:
    with TTFont(str(FONTS / FAMILIES[script][0]), lazy=True) as font:
        cmap = font.getBestCmap()
    return frozenset(cmap)


def drawable(text: str) -> bool:
    """Return whether the certificate can print `text`: every character has a glyph in its
    script's font (so no boxes), and scripts that need shaping are shaped here."""
    shaped = shaping()
    for script, part in runs(text):
        if script in NEEDS_SHAPING and not shaped:
            return False
        have = _codepoints(script)
        if not all(ord(ch) in have or ch.isspace() for ch in part):
            return False
    return True


def _rtl(script: str) -> bool:
    return script == "arabic"


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
def _font(script: str, bold: bool, size: int) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if shaping() else ImageFont.Layout.BASIC
    name = FAMILIES[script][1 if bold else 0]
    return ImageFont.truetype(str(FONTS / name), size, layout_engine=engine)


def _visual(text: str) -> list[tuple[str, str]]:
    """The runs of a line in the order they are drawn, left to right.

    python-bidi puts the characters in display order (the Unicode Bidirectional Algorithm);
    the line is then cut into runs by script. A right-to-left run is turned back into reading
    order for Raqm, which shapes it and lays it out right to left; digits always read left to
    right, in a run of their own.
    """
    plain = text.translate(_MARKS)
    first = next((script for script, part in runs(plain) if part.strip()), "latin")
    rtl = text.startswith("\u200f") or _rtl(first)
    if not rtl and all(script == "latin" or not _rtl(script) for script, _ in runs(plain)):
        return runs(plain)
    display = str(get_display(plain, base_dir="R" if rtl else "L"))
    out: list[tuple[str, str]] = []
    for ch in display:
        script = _script(ch)
        if script is None:
            digit = unicodedata.category(ch) == "Nd"
            keep = out and not digit and (ch.isspace() or ord(ch) in _codepoints(out[-1][0]))
            script = out[-1][0] if keep else "latin"
        if out and script == out[-1][0]:
            out[-1] = (script, out[-1][1] + ch)
        else:
            out.append((script, ch))
    return [(script, part[::-1] if _rtl(script) else part) for script, part in out]


def _length(text: str, bold: bool, size: int) -> float:
    return sum(
        _font(script, bold, size).getlength(part, direction="rtl" if _rtl(script) else None)
        if shaping()
        else _font(script, bold, size).getlength(part)
        for script, part in _visual(text)
    )


def _fit(text: str, bold: bool, size: int, width: int) -> int:
    """Return the largest size up to `size` at which `text` fits `width`."""
    while size > 18 and _length(text, bold, size) > width:
        size -= 4
    return size


def draw_line(
    draw: ImageDraw.ImageDraw,
    centre: tuple[int, int],
    text: str,
    *,
    bold: bool,
    size: int,
    width: int,
    fill: tuple[int, int, int],
) -> None:
    """Draw one line centred on `centre`, run by run, each in its script's font."""
    size = _fit(text, bold, size, width)
    x = centre[0] - _length(text, bold, size) / 2
    for script, part in _visual(text):
        font = _font(script, bold, size)
        if shaping():
            direction = "rtl" if _rtl(script) else "ltr"
            draw.text((x, centre[1]), part, font=font, fill=fill, anchor="lm", direction=direction)
            x += font.getlength(part, direction=direction)
        else:
            draw.text((x, centre[1]), part, font=font, fill=fill, anchor="lm")
            x += font.getlength(part)


def certificate_png(text: CertificateText) -> bytes:
    """Draw the certificate and return it as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, WIDTH - 30, HEIGHT - 30), outline=FRAME, width=24)
    draw.rectangle((70, 70, WIDTH - 70, HEIGHT - 70), outline=ACCENT, width=4)
    inner = WIDTH - 300
    centre = WIDTH // 2

    def line(y: int, words: str, bold: bool, size: int, fill: tuple[int, int, int]) -> None:
        draw_line(draw, (centre, y), words, bold=bold, size=size, width=inner, fill=fill)

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

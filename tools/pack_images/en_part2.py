"""Draw the mock screenshots for the second part of the English packs.

Run from the project folder:

    /work/venv/bin/python tools/pack_images/en_part2.py

It writes PNG files into quizzes/en/images/, each named after the question that shows it
(en-lateral-q01.png, en-money-q03.png, ...). Every picture is a plain mock-up drawn here with
the Noto Sans fonts shipped in clicksbot/assets/fonts (SIL Open Font License): no photos, no real
logos, no real faces. Names of banks, outlets, accounts and apps are invented, and every picture
says so in its footer. Text is at least 28 px so it stays legible on a phone, pictures are
1000 px wide and kept well under 150 KB.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
FONTS = ROOT / "clicksbot" / "assets" / "fonts"
OUT = ROOT / "quizzes" / "en" / "images"

WIDTH = 1000
MARGIN = 40
MIN_TEXT = 28

WHITE = (255, 255, 255)
INK = (33, 37, 41)
GREY = (108, 117, 125)
LIGHT = (241, 243, 245)
LINE = (206, 212, 218)
BLUE = (25, 103, 210)
GREEN = (46, 125, 50)
RED = (198, 40, 40)
AMBER = (255, 243, 205)
CHAT_IN = (255, 255, 255)
CHAT_BG = (220, 231, 241)
SMS_BG = (233, 236, 239)

FOOTER = (
    "Mock-up for a quiz. All names are invented."  # pictures based on real cases say so instead
)


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    if size < MIN_TEXT:
        raise ValueError(f"text must be at least {MIN_TEXT} px, got {size}")
    name = "NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def wrap(
    draw: ImageDraw.ImageDraw, text: str, fnt: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Break text into lines that fit width; long words (web addresses) are cut where needed."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=fnt) <= width:
                line = trial
                continue
            if line:
                lines.append(line)
            line = word
            while draw.textlength(line, font=fnt) > width:
                cut = len(line)
                while cut > 1 and draw.textlength(line[:cut], font=fnt) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


class Canvas:
    """A tall white page we draw blocks on from top to bottom, then crop to the used height."""

    def __init__(self, background: tuple[int, int, int] = WHITE) -> None:
        self.image = Image.new("RGB", (WIDTH, 2400), background)
        self.draw = ImageDraw.Draw(self.image)
        self.y = MARGIN
        self.background = background

    def text(
        self,
        text: str,
        size: int = 30,
        bold: bool = False,
        color: tuple[int, int, int] = INK,
        x: int = MARGIN,
        width: int | None = None,
        gap: int = 12,
    ) -> int:
        fnt = font(size, bold)
        width = width or WIDTH - x - MARGIN
        top = self.y
        for line in wrap(self.draw, text, fnt, width):
            self.draw.text((x, self.y), line, font=fnt, fill=color)
            self.y += int(size * 1.35)
        self.y += gap
        return top

    def box(
        self,
        lines: list[tuple[str, int, bool, tuple[int, int, int]]],
        fill: tuple[int, int, int],
        outline: tuple[int, int, int] | None = None,
        x: int = MARGIN,
        width: int | None = None,
        pad: int = 22,
        radius: int = 18,
        gap: int = 18,
    ) -> None:
        """A rounded box holding lines of (text, size, bold, colour)."""
        width = width or WIDTH - x - MARGIN
        inner = width - 2 * pad
        laid: list[tuple[str, ImageFont.FreeTypeFont, tuple[int, int, int], int]] = []
        height = 2 * pad
        for text, size, bold, color in lines:
            fnt = font(size, bold)
            for line in wrap(self.draw, text, fnt, inner):
                laid.append((line, fnt, color, int(size * 1.35)))
                height += int(size * 1.35)
        self.draw.rounded_rectangle(
            (x, self.y, x + width, self.y + height),
            radius=radius,
            fill=fill,
            outline=outline,
            width=3,
        )
        ty = self.y + pad
        for line, fnt, color, step in laid:
            self.draw.text((x + pad, ty), line, font=fnt, fill=color)
            ty += step
        self.y += height + gap

    def rule(self, gap: int = 20) -> None:
        self.draw.line((MARGIN, self.y, WIDTH - MARGIN, self.y), fill=LINE, width=2)
        self.y += gap

    def footer(self, note: str) -> None:
        self.y += 10
        self.rule(gap=14)
        self.text(note, size=28, color=GREY, gap=0)
        self.y += MARGIN - 10

    def save(self, name: str, note: str = FOOTER) -> Path:
        self.footer(note)
        image = self.image.crop((0, 0, WIDTH, self.y))
        image = image.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        path = OUT / name
        image.save(path, optimize=True)
        return path


def address_bar(
    c: Canvas, label: str, url: str, secure_word: str = "", search: bool = False
) -> None:
    c.text(label, size=30, bold=True, color=GREY, gap=8)
    fnt = font(32)
    lines = wrap(c.draw, url, fnt, WIDTH - 2 * MARGIN - 110)
    height = 28 + len(lines) * 44
    c.draw.rounded_rectangle(
        (MARGIN, c.y, WIDTH - MARGIN, c.y + height), radius=30, fill=LIGHT, outline=LINE, width=2
    )
    lx, ly = MARGIN + 34, c.y + 22
    if search:  # a magnifying glass
        c.draw.ellipse((lx, ly, lx + 26, ly + 26), outline=GREY, width=5)
        c.draw.line((lx + 22, ly + 22, lx + 36, ly + 36), fill=GREY, width=6)
    else:  # a small padlock
        c.draw.rounded_rectangle((lx, ly + 14, lx + 30, ly + 40), radius=4, fill=GREY)
        c.draw.arc((lx + 4, ly, lx + 26, ly + 28), start=180, end=360, fill=GREY, width=5)
    ty = c.y + 12
    for line in lines:
        c.draw.text((MARGIN + 90, ty), line, font=fnt, fill=INK)
        ty += 44
    c.y += height + 12
    if secure_word:
        c.text(secure_word, size=28, color=GREY, gap=24)
    else:
        c.y += 16


def result(
    c: Canvas, site: str, title: str, date: str, snippet: str = "", highlight: bool = False
) -> None:
    lines = [(site, 28, False, GREEN), (title, 32, True, BLUE), (date, 28, True, INK)]
    if snippet:
        lines.append((snippet, 28, False, GREY))
    c.box(lines, fill=AMBER if highlight else WHITE, outline=LINE, radius=12, gap=14)


# --- the pictures -------------------------------------------------------------------------------


def lateral_q01() -> Path:
    c = Canvas()
    c.text("Which site is which?", size=36, bold=True, gap=24)
    address_bar(c, "On the back of your Bank Sentosa card:", "banksentosa.com.my")
    address_bar(c, "Link in the SMS you received:", "banksentosa.com.my.secure-login.xyz/verify")
    c.text(
        "Tip: read the address up to the first single slash, from the right.", size=28, color=GREY
    )
    return c.save("en-lateral-q01.png")


def lateral_q03() -> Path:
    c = Canvas()
    c.text("Switch to PayLekas! (an ad)", size=36, bold=True, gap=8)
    c.text("Share of users who prefer each e-wallet", size=30, color=GREY, gap=20)
    top, bottom = c.y + 20, c.y + 520
    left, right = MARGIN + 110, WIDTH - MARGIN - 20
    axis = ImageDraw.Draw(c.image)
    axis.line((left, top, left, bottom), fill=INK, width=3)
    axis.line((left, bottom, right, bottom), fill=INK, width=3)
    lo, hi = 47, 53
    f28 = font(28)
    for value in range(lo, hi + 1):
        y = bottom - (value - lo) / (hi - lo) * (bottom - top)
        axis.line((left - 10, y, left, y), fill=INK, width=2)
        axis.text((MARGIN, y - 20), f"{value}%", font=f28, fill=INK)
        axis.line((left, y, right, y), fill=LIGHT, width=1)
    bars = [("PayLekas", 52, BLUE), ("Rival app", 48, GREY)]
    slot = (right - left) / len(bars)
    for i, (label, value, color) in enumerate(bars):
        x0 = left + i * slot + slot * 0.22
        x1 = left + (i + 1) * slot - slot * 0.22
        y = bottom - (value - lo) / (hi - lo) * (bottom - top)
        axis.rectangle((x0, y, x1, bottom - 2), fill=color)
        fb = font(32, True)
        axis.text(
            (x0 + (x1 - x0) / 2 - axis.textlength(f"{value}%", font=fb) / 2, y - 46),
            f"{value}%",
            font=fb,
            fill=INK,
        )
        axis.text(
            (x0 + (x1 - x0) / 2 - axis.textlength(label, font=f28) / 2, bottom + 12),
            label,
            font=f28,
            fill=INK,
        )
    c.y = bottom + 70
    c.text("Look where the vertical axis starts.", size=28, color=GREY)
    return c.save("en-lateral-q03.png")


def lateral_q13() -> Path:
    c = Canvas(CHAT_BG)
    c.text("Class group chat", size=34, bold=True, gap=18)
    c.box(
        [
            ("Link A", 30, True, GREY),
            ("Find your polling precinct here:", 30, False, INK),
            ("precinctfinder.comelec.gov.ph", 32, True, BLUE),
        ],
        fill=CHAT_IN,
        width=860,
    )
    c.box(
        [
            ("Link B", 30, True, GREY),
            ("URGENT update your voter record or lose your vote!", 30, False, INK),
            ("precinctfinder.comelec.gov.ph.voter-update.info", 32, True, BLUE),
        ],
        fill=CHAT_IN,
        width=860,
    )
    return c.save(
        "en-lateral-q13.png", note="Mock-up for a quiz. The address in Link B is invented."
    )


def lateral_q15() -> Path:
    c = Canvas()
    address_bar(c, "You search:", "schools closed two more weeks", search=True)
    result(
        c,
        "dailynewsportal.example",
        "Schools to stay closed for two more weeks, ministry says",
        "14 January 2021",
        "The ministry said classes would stay online while cases rise...",
        highlight=True,
    )
    result(
        c, "morningpost.example", "Schools closed two more weeks as cases rise", "14 January 2021"
    )
    result(
        c,
        "Education ministry (official site)",
        "School term starts as planned on Monday",
        "2 days ago",
        "All schools will open on Monday as scheduled...",
    )
    return c.save("en-lateral-q15.png")


def lateral_q18() -> Path:
    c = Canvas()
    c.text("Domain lookup result", size=36, bold=True, gap=20)
    rows = [
        ("Domain name", "theharbourtimes.com"),
        ("Registered on", "12 March 1998"),
        ("Last updated", "4 February this year"),
        ("Registrar", "a registered domain company"),
    ]
    for key, value in rows:
        c.box([(key, 28, True, GREY), (value, 32, False, INK)], fill=LIGHT, radius=10, gap=12)
    return c.save("en-lateral-q18.png")


def images_q01() -> Path:
    c = Canvas()
    c.text("Reverse image search: pages with matching images", size=34, bold=True, gap=20)
    result(c, "Viral post, Facebook", '"Manila right now!" (flooded main road)', "Shared today")
    result(
        c,
        "citynewsarchive.example",
        "Monsoon rains flood main roads",
        "Posted 10 years ago",
        highlight=True,
    )
    result(c, "weatherblog.example", "Photos: the worst floods of the decade", "Posted 9 years ago")
    return c.save("en-images-q01.png")


def images_q16() -> Path:
    c = Canvas()
    c.text("Reverse image search: pages with matching images", size=34, bold=True, gap=20)
    result(c, "Viral post, Facebook", "Storm photos #OdettePH", "16 December 2021")
    result(
        c,
        "Facebook album by a resident of Iligan",
        "Tropical Storm Sendong's visit to our city",
        "17 December 2011",
        "An album of 151 photos",
        highlight=True,
    )
    return c.save("en-images-q16.png", note="Mock-up for a quiz, based on a VERA Files fact-check.")


def images_q18() -> Path:
    c = Canvas()
    c.text("Reverse image search, oldest first", size=34, bold=True, gap=20)
    result(
        c,
        "Harbour News Agency (photo service)",
        "Residents wade through floodwater in Quezon City",
        "Today, 07:42",
        "Photo: R. Santos / Harbour News Agency",
        highlight=True,
    )
    result(
        c,
        "manilamorning.example",
        "Floods hit Quezon City after overnight rain",
        "Today, 09:15",
        "Photo: R. Santos / Harbour News Agency",
    )
    result(
        c,
        "islandsdaily.example",
        "IN PHOTOS: Morning floods in Metro Manila",
        "Today, 10:30",
        "Photo: R. Santos / Harbour News Agency",
    )
    return c.save("en-images-q18.png")


def images_q19() -> Path:
    c = Canvas()
    c.text("Content Credentials", size=36, bold=True, gap=6)
    c.text("Checked with a verify tool", size=30, color=GREY, gap=20)
    rows = [
        ("Issued by", "Harbour News Agency"),
        ("How it was made", "Captured with a camera"),
        ("Edits", "Cropped, brightness adjusted"),
        ("AI tools used", "None recorded"),
        ("Signature", "Valid: the record has not been changed"),
    ]
    for key, value in rows:
        c.box([(key, 28, True, GREY), (value, 32, False, INK)], fill=LIGHT, radius=10, gap=12)
    return c.save("en-images-q19.png")


def sms(c: Canvas, sender: str, body: str, when: str = "Today") -> None:
    c.text(sender, size=34, bold=True, gap=4)
    c.text("Text message", size=28, color=GREY, gap=18)
    c.text(when, size=28, color=GREY, x=WIDTH // 2 - 60, gap=12)
    c.box([(body, 32, False, INK)], fill=SMS_BG, width=820, radius=26)


def privacy_q02() -> Path:
    c = Canvas()
    sms(
        c,
        "+60 1X-XXX XXXX",
        "Your bank account will be SUSPENDED today. Verify now: mybank-secure-verify.com "
        "and enter the TAC we send you.",
    )
    return c.save("en-privacy-q02.png")


def privacy_q10() -> Path:
    c = Canvas()
    sms(
        c,
        "MyBank",
        "MyBank: Your OTP is 482913 for a PAYMENT of RM1,250.00 to QPX*ONLINE STORE. "
        "If you did not make this payment, call us. NEVER share this OTP with anyone.",
    )
    return c.save("en-privacy-q10.png")


def privacy_q14() -> Path:
    c = Canvas()
    sms(
        c,
        "MyBank",
        "MyBank: Your TAC for a transfer of RM50.00 to AINA ZAHRA is 730541. "
        "Valid for 3 minutes. Never share this code with anyone.",
        when="Today, just now",
    )
    return c.save("en-privacy-q14.png")


def money_q03() -> Path:
    c = Canvas(CHAT_BG)
    c.text("Job Offer Malaysia (Telegram channel)", size=34, bold=True, gap=18)
    c.box(
        [
            ("PART-TIME JOB! Earn RM1,000 a month", 32, True, INK),
            ("No work needed: just rent us your bank account.", 30, False, INK),
            ("Send your ATM card, PIN and online banking login.", 30, False, INK),
            ("100% safe and legal. Limited places!", 30, False, INK),
        ],
        fill=CHAT_IN,
        width=880,
    )
    return c.save("en-money-q03.png")


def money_q08() -> Path:
    c = Canvas()
    c.text("@RichBroAsia", size=34, bold=True, gap=2)
    c.text("Paid partnership with QuickCoin X", size=28, color=GREY, gap=16)
    c.draw.rounded_rectangle((MARGIN, c.y, WIDTH - MARGIN, c.y + 220), radius=16, fill=LIGHT)
    c.draw.text((MARGIN + 30, c.y + 88), "[photo: a red sports car]", font=font(30), fill=GREY)
    c.y += 240
    c.text(
        "I turned RM500 into RM50,000 in 30 days. Join my VIP signal group today,"
        " 100% guaranteed profit!",
        size=32,
    )
    c.text("12.4K likes, 1,032 comments", size=28, color=GREY)
    return c.save("en-money-q08.png")


def money_q12() -> Path:
    c = Canvas()
    c.text("Securities regulator: Investor Alert List", size=34, bold=True, gap=20)
    address_bar(c, "You search:", "AlphaGain AI", search=True)
    c.box(
        [
            ("1 result", 28, True, GREY),
            ("AlphaGain AI (alphagain-ai.example)", 32, True, INK),
            ("Type: unlicensed digital asset trading platform", 30, False, INK),
            ("Status: not licensed or registered", 30, True, RED),
            ("Added to the list: last month", 28, False, GREY),
        ],
        fill=AMBER,
        outline=LINE,
        radius=12,
    )
    return c.save("en-money-q12.png")


PICTURES = [
    lateral_q01,
    lateral_q03,
    lateral_q13,
    lateral_q15,
    lateral_q18,
    images_q01,
    images_q16,
    images_q18,
    images_q19,
    privacy_q02,
    privacy_q10,
    privacy_q14,
    money_q03,
    money_q08,
    money_q12,
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for make in PICTURES:
        path = make()
        with Image.open(path) as image:
            size = path.stat().st_size
            print(f"{path.relative_to(ROOT)}: {image.width}x{image.height}, {size // 1024} KB")
            if size > 150 * 1024:
                raise SystemExit(f"{path.name} is over 150 KB")


if __name__ == "__main__":
    main()

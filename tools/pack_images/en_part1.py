"""Draw the mock screenshots used by English quiz questions (part 1).

Every name, brand, account and web address in these pictures is made up for the quiz:
no real person's face or name in a fake, no real logo. Run from the project folder:

    /work/venv/bin/python tools/pack_images/en_part1.py

It writes PNG files into quizzes/en/images/, each named after the question that shows it.
Fonts: Noto Sans (SIL Open Font License), shipped in clicksbot/assets/fonts/.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
FONTS = ROOT / "clicksbot" / "assets" / "fonts"
OUT = ROOT / "quizzes" / "en" / "images"

WIDTH = 1000
MARGIN = 40

INK = (32, 33, 36)
GREY = (95, 99, 104)
LIGHT = (241, 243, 244)
LINE = (218, 220, 224)
BLUE = (26, 13, 171)
GREEN = (24, 128, 56)
RED = (197, 34, 31)
WHITE = (255, 255, 255)
PAPER = (250, 250, 250)


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def wrap(
    draw: ImageDraw.ImageDraw, text: str, fnt: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Split text into lines that fit in width pixels."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words, line = paragraph.split(" "), ""
        for word in words:
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=fnt) <= width:
                line = trial
            else:
                if line:
                    lines.append(line)
                line = word
        lines.append(line)
    return lines


def measure(text: str, size: int, width: int, bold: bool = False, gap: int = 10) -> int:
    """The height Canvas.text would use for this text."""
    scratch = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    return len(wrap(scratch, text, font(size, bold), width)) * int(size * 1.35) + gap


class Canvas:
    """A tall white page we draw on from top to bottom, cropped to what was used."""

    def __init__(self, background: tuple[int, int, int] = WHITE) -> None:
        self.image = Image.new("RGB", (WIDTH, 3000), background)
        self.draw = ImageDraw.Draw(self.image)
        self.y = MARGIN

    def text(
        self,
        text: str,
        size: int = 30,
        bold: bool = False,
        color=INK,
        x: int = MARGIN,
        width: int | None = None,
        gap: int = 10,
    ) -> None:
        fnt = font(size, bold)
        width = width or WIDTH - x - MARGIN
        for line in wrap(self.draw, text, fnt, width):
            self.draw.text((x, self.y), line, font=fnt, fill=color)
            self.y += int(size * 1.35)
        self.y += gap

    def box(
        self,
        height: int,
        fill=LIGHT,
        outline=None,
        x0: int = MARGIN,
        x1: int | None = None,
        radius: int = 18,
    ) -> tuple[int, int, int, int]:
        x1 = x1 or WIDTH - MARGIN
        rect = (x0, self.y, x1, self.y + height)
        self.draw.rounded_rectangle(rect, radius=radius, fill=fill, outline=outline, width=2)
        return rect

    def note(self, text: str) -> None:
        self.y += 10
        self.text(text, size=28, color=GREY)

    def save(self, name: str) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        height = self.y + MARGIN
        picture = self.image.crop((0, 0, WIDTH, height))
        picture = picture.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        path = OUT / name
        picture.save(path, optimize=True)
        print(f"{path.relative_to(ROOT)}: {WIDTH}x{height}, {path.stat().st_size // 1024} KB")


def address_bar(c: Canvas, address: str, padlock: bool = True) -> None:
    """A browser address bar holding one web address."""
    fnt = font(32)
    lines = wrap(c.draw, address, fnt, WIDTH - 2 * MARGIN - 110)
    height = 40 + len(lines) * 44
    c.box(height, fill=LIGHT, outline=LINE, radius=30)
    if padlock:
        x, y = MARGIN + 34, c.y + height // 2 - 14
        c.draw.rounded_rectangle((x, y + 10, x + 26, y + 30), radius=4, fill=GREY)
        c.draw.arc((x + 4, y - 2, x + 22, y + 20), 180, 360, fill=GREY, width=4)
    ty = c.y + 20
    for line in lines:
        c.draw.text((MARGIN + 84, ty), line, font=fnt, fill=INK)
        ty += 44
    c.y += height + 24


def search_result(
    c: Canvas,
    site: str,
    address: str,
    title: str,
    snippet: str,
    date: str = "",
    sponsored: bool = False,
) -> None:
    """One result on a search results page."""
    if sponsored:
        c.text("Sponsored", size=28, bold=True, gap=2)
    c.text(f"{site}  ·  {address}", size=28, color=GREY, gap=2)
    c.text(title, size=34, color=BLUE, gap=4)
    lead = f"{date} — " if date else ""
    c.text(lead + snippet, size=28, color=GREY, gap=26)


def search_box(c: Canvas, query: str) -> None:
    c.box(76, fill=WHITE, outline=LINE, radius=38)
    c.draw.ellipse((MARGIN + 28, c.y + 22, MARGIN + 56, c.y + 50), outline=GREY, width=4)
    c.draw.line((MARGIN + 52, c.y + 46, MARGIN + 64, c.y + 58), fill=GREY, width=4)
    c.draw.text((MARGIN + 84, c.y + 16), query, font=font(32), fill=INK)
    c.y += 76 + 30


def header(c: Canvas, title: str, subtitle: str = "") -> None:
    c.text(title, size=34, bold=True, gap=4)
    if subtitle:
        c.text(subtitle, size=28, color=GREY, gap=6)
    c.draw.line((MARGIN, c.y, WIDTH - MARGIN, c.y), fill=LINE, width=2)
    c.y += 24


def avatar(c: Canvas, x: int, y: int, letter: str, color) -> None:
    c.draw.ellipse((x, y, x + 64, y + 64), fill=color)
    fnt = font(32, bold=True)
    w = c.draw.textlength(letter, font=fnt)
    c.draw.text((x + 32 - w / 2, y + 10), letter, font=fnt, fill=WHITE)


def post_head(c: Canvas, name: str, line2: str, letter: str, color) -> None:
    avatar(c, MARGIN, c.y, letter, color)
    c.draw.text((MARGIN + 84, c.y), name, font=font(32, bold=True), fill=INK)
    c.draw.text((MARGIN + 84, c.y + 42), line2, font=font(28), fill=GREY)
    c.y += 96


# The pictures, one function each, named after the question that shows it.


def source_q08() -> None:
    c = Canvas()
    header(c, "A link in a Facebook post", '"Apply now for the 2025 national scholarship!"')
    address_bar(c, "https://biasiswa.gov.my.apply-grant.info/form")
    c.text(
        "The page shows a government-style seal and asks for your name, "
        "birthday, school ID photo and mobile number.",
        size=30,
    )
    c.note("Made-up address for this quiz.")
    c.save("en-source-q08-address-bar.png")


def source_q09() -> None:
    c = Canvas()
    header(
        c,
        "Four links shared in a class group",
        'All say they are the online shop of "Pelangi Books"',
    )
    for label, address in (
        ("A", "https://pelangibooks.com.my.sale-today.shop"),
        ("B", "https://www.pelangibooks.com.my/promo"),
        ("C", "https://pelangibooks-com.my-store.net"),
        ("D", "https://pelangi-books.com-my.online"),
    ):
        c.text(f"Link {label}", size=30, bold=True, gap=4)
        address_bar(c, address)
    c.note("Made-up shop and addresses for this quiz.")
    c.save("en-source-q09-four-links.png")


def source_q10() -> None:
    c = Canvas()
    header(
        c,
        "Reverse image search: results",
        "Searched photo: a street of ruined houses and bent trees",
    )
    for site, address, title, date, snippet in (
        (
            "Global Photo Wire",
            "globalphotowire.example",
            "City in ruins after super typhoon",
            "13 Nov 2013",
            "People stand among debris after the storm battered the city...",
        ),
        (
            "Disaster Archive",
            "disasterarchive.example",
            "Typhoon damage: photo gallery",
            "20 Nov 2013",
            "Houses destroyed along the coast, November 2013...",
        ),
        (
            "Facebook",
            "facebook.com",
            "The storm that hit an hour ago!!",
            "7 Sep 2024",
            "Pray for everyone... share so the world sees...",
        ),
    ):
        search_result(c, site, address, title, snippet, date=date)
    c.note("Mock-up of a results list, made for this quiz.")
    c.save("en-source-q10-reverse-image.png")


def source_q11() -> None:
    c = Canvas()
    header(c, 'Viral post: "Crime EXPLODES in our city!"')
    left, top, right, bottom = MARGIN + 110, c.y + 20, WIDTH - MARGIN - 20, c.y + 520
    c.draw.line((left, top, left, bottom), fill=INK, width=3)
    c.draw.line((left, bottom, right, bottom), fill=INK, width=3)
    low, high = 480, 500
    for value in (480, 485, 490, 495, 500):
        y = bottom - (value - low) / (high - low) * (bottom - top - 20)
        c.draw.line((left - 10, y, left, y), fill=INK, width=3)
        c.draw.text((MARGIN, y - 20), str(value), font=font(30), fill=INK)
    for i, (year, value) in enumerate((("2023", 482), ("2024", 497))):
        x0 = left + 90 + i * 330
        y = bottom - (value - low) / (high - low) * (bottom - top - 20)
        c.draw.rectangle((x0, y, x0 + 200, bottom), fill=RED if i else GREY)
        c.draw.text((x0 + 60, bottom + 14), year, font=font(30, bold=True), fill=INK)
        c.draw.text((x0 + 60, y - 46), str(value), font=font(30), fill=INK)
    c.y = bottom + 70
    c.text("Reported thefts per year", size=28, color=GREY)
    c.note("Made-up numbers for this quiz.")
    c.save("en-source-q11-bar-chart.png")


def ai_q08() -> None:
    c = Canvas()
    search_box(c, "schools closed tomorrow haze")
    for site, address, title, date, snippet in (
        (
            "News Daily",
            "newsdaily.example",
            "All schools closed as haze worsens",
            "17 Sep 2019",
            "Schools in several states will close tomorrow...",
        ),
        (
            "Forum",
            "chatforum.example",
            "Is school closed tomorrow?? anyone know",
            "2 hours ago",
            "my cousin said all schools closed, forward to everyone",
        ),
        (
            "Ministry of Education",
            "moe.gov.example",
            "Haze update: school status for tomorrow",
            "1 hour ago",
            "Schools in the listed districts will close tomorrow. Check the list...",
        ),
    ):
        search_result(c, site, address, title, snippet, date=date)
    c.note("Made-up results for this quiz.")
    c.save("en-ai-q08-search-dates.png")


def ai_q09() -> None:
    c = Canvas()
    search_box(c, "student loan apply")
    search_result(
        c,
        "QuickCash Study",
        "quickcash-study.example",
        "Student loan in 5 minutes, no documents!",
        "Approved today. Just pay a small processing fee...",
        sponsored=True,
    )
    search_result(
        c,
        "National Education Fund",
        "studentfund.gov.example",
        "Student loans: who can apply and how",
        "Official guide to eligibility, documents and deadlines...",
    )
    c.note("Made-up results for this quiz.")
    c.save("en-ai-q09-sponsored-result.png")


def ai_q10() -> None:
    c = Canvas()
    header(c, "Why this video", 'Shown when you tap Share, then "Why this video"')
    for reason in (
        "You watched similar videos about exam tips.",
        "You follow accounts that post about study habits.",
        "This video is popular in your region.",
    ):
        c.draw.ellipse((MARGIN + 6, c.y + 14, MARGIN + 22, c.y + 30), fill=GREY)
        c.text(reason, size=31, x=MARGIN + 40, gap=16)
    c.note("Mock-up made for this quiz; wording in the app may differ.")
    c.save("en-ai-q10-why-this-video.png")


def ads_q09() -> None:
    c = Canvas()
    post_head(c, "mira.travels", "Paid partnership with Lumo Bottles", "M", (0, 121, 107))
    c.box(260, fill=(224, 242, 241))
    c.draw.text(
        (MARGIN + 40, c.y + 100), "[photo of a water bottle on a beach]", font=font(30), fill=GREY
    )
    c.y += 284
    c.text(
        "Ad: Lumo Bottles sent me this bottle and paid for this post. "
        "I have used it on three trips; the lid leaks if you drop it.",
        size=30,
    )
    c.note("Made-up creator and brand for this quiz.")
    c.save("en-ads-q09-paid-partnership.png")


def ads_q10() -> None:
    c = Canvas(background=PAPER)
    c.text("SwiftPost", size=32, bold=True, gap=2)
    c.text("Text message · Today 09:14", size=28, color=GREY, gap=18)
    sms = (
        "SwiftPost: Your parcel is on hold because of an unpaid fee of RM1.50. "
        "Pay within 12 hours or it will be returned: "
        "http://swiftpost-my.parcel-fee.top/pay"
    )
    inner = WIDTH - 160 - MARGIN - 60
    c.box(measure(sms, 31, inner) + 40, fill=(233, 233, 235), x1=WIDTH - 160, radius=30)
    c.y += 24
    c.text(sms, size=31, x=MARGIN + 30, width=inner)
    c.y += 30
    c.note("Made-up courier and address for this quiz.")
    c.save("en-ads-q10-parcel-sms.png")


def chatbots_q09() -> None:
    c = Canvas()
    post_head(c, "studio.ren", "Video · 2 days ago", "R", (92, 53, 155))
    c.box(300, fill=(237, 231, 246))
    c.draw.text(
        (MARGIN + 40, c.y + 120), "[a dragon flying over a rice field]", font=font(30), fill=GREY
    )
    c.y += 324
    label = "Creator labeled as AI-generated"
    pill = int(c.draw.textlength(label, font=font(28, bold=True))) + 48
    c.box(56, fill=(232, 240, 254), x1=MARGIN + pill, radius=28)
    c.draw.text((MARGIN + 24, c.y + 8), label, font=font(28, bold=True), fill=BLUE)
    c.y += 80
    c.text(
        "I made this short film with an AI video tool. Prompt and process in the comments.", size=30
    )
    c.note("Made-up creator for this quiz.")
    c.save("en-chatbots-q09-ai-label.png")


def tricks_impersonation() -> None:
    c = Canvas()
    post = (
        "CLAIM your RM500 youth grant today! Limited places. Pay the RM25 "
        "processing fee by e-wallet and send your IC photo to this number."
    )
    inner = WIDTH - 2 * MARGIN - 60
    c.box(
        30 + 100 + measure("x", 28, inner) + measure(post, 30, inner) + 30, fill=WHITE, outline=LINE
    )
    c.y += 30
    avatar(c, MARGIN + 30, c.y, "Y", (21, 101, 192))
    c.draw.text((MARGIN + 114, c.y), "Youth Fund Official", font=font(34, bold=True), fill=INK)
    c.draw.text((MARGIN + 114, c.y + 44), "@youthfund.official.2", font=font(28), fill=GREY)
    c.y += 100
    c.text("Page created 3 days ago · 212 followers", size=28, color=GREY, x=MARGIN + 30)
    c.text(post, size=30, x=MARGIN + 30, width=inner)
    c.y += 40
    c.note("Made-up fund and account for this quiz.")
    c.save("en-tricks-q02-lookalike-page.png")


def tricks_trolling() -> None:
    c = Canvas()
    header(c, "Comments under a news post about a new bus fare", "All posted within 4 minutes")
    for name, age, text in (
        ("user84731920", "joined 1 week ago", "This is a DISGRACE. Everyone must boycott!!"),
        ("real_patriot_5521", "joined 1 week ago", "This is a disgrace, everyone must boycott!"),
        ("Rina 902", "joined 6 days ago", "This is a DISGRACE. Everyone must boycott"),
        ("kdx_2231", "joined 1 week ago", "this is a disgrace everyone must boycott!!!"),
    ):
        c.text(f"{name}  ·  {age}", size=28, bold=True, gap=2)
        c.text(text, size=30, gap=22)
    c.note("Made-up accounts for this quiz.")
    c.save("en-tricks-q17-copy-paste-comments.png")


def tricks_cherry_chart() -> None:
    c = Canvas()
    header(
        c,
        'Post: "See? The river is getting CLEANER!"',
        "The post showed only the shaded part of this chart",
    )
    left, top, right, bottom = MARGIN + 90, c.y + 20, WIDTH - MARGIN - 20, c.y + 460
    c.draw.line((left, top, left, bottom), fill=INK, width=3)
    c.draw.line((left, bottom, right, bottom), fill=INK, width=3)
    values = [20, 24, 27, 31, 30, 36, 40, 38, 35, 44, 49, 53]
    years = list(range(2014, 2026))
    step = (right - left - 40) / (len(values) - 1)
    shade_from, shade_to = 6, 8  # 2020 to 2022
    x0 = left + 20 + shade_from * step - 18
    x1 = left + 20 + shade_to * step + 18
    c.draw.rectangle((x0, top, x1, bottom - 2), fill=(255, 236, 179))
    points = [(left + 20 + i * step, bottom - v * 7.5) for i, v in enumerate(values)]
    c.draw.line(points, fill=RED, width=6)
    for value in (0, 20, 40):
        y = bottom - value * 7.5
        c.draw.text((MARGIN, y - 20), str(value), font=font(28), fill=INK)
    for i in (0, 6, 8, 11):
        c.draw.text((points[i][0] - 36, bottom + 12), str(years[i]), font=font(28), fill=INK)
    c.y = bottom + 64
    c.text("Rubbish counted per 100 m of riverbank, 2014-2025", size=28, color=GREY)
    c.note("Made-up numbers for this quiz.")
    c.save("en-tricks-q22-cherry-picked-chart.png")


def main() -> None:
    for draw in (
        source_q08,
        source_q09,
        source_q10,
        source_q11,
        ai_q08,
        ai_q09,
        ai_q10,
        ads_q09,
        ads_q10,
        chatbots_q09,
        tricks_impersonation,
        tricks_trolling,
        tricks_cherry_chart,
    ):
        draw()


if __name__ == "__main__":
    main()

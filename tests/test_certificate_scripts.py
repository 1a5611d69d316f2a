"""Certificates in every script: a native name in each interface language is drawn with real
glyphs (no boxes), shaped (Arabic letters joined and right to left, Khmer and Thai marks in
place), under the certificate's own text in that language."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageChops, ImageFont

from clicksbot.content.pact import DEFAULT_PACT, load_pact
from clicksbot.i18n import Catalogs
from clicksbot.render import certificate
from clicksbot.render.pact import certificate_text
from clicksbot.store.pact import Pledge

NAMES = {
    "en": "Alex Morgan",
    "ms": "Nur Aisyah binti Ahmad",
    "id": "Putri Ayu Lestari",
    "fil": "Maria Clara Dela Cruz",
    "th": "สมชาย ใจดี",
    "vi": "Nguyễn Thị Thu Hằng",
    "km": "សុខ ចាន់ដារ៉ា",
    "ru": "Анна Смирнова",
    "kk": "Айгерім Сәрсенбайқызы",
    "uz": "Dilnoza Oʻrinboyeva",
    "pt": "João Gonçalves",
    "sr": "Јелена Петровић",
    "ar": "فاطمة الزهراء",
}
needs_shaping = pytest.mark.skipif(
    not certificate.shaping(),
    reason="Pillow finds no Raqm/FriBiDi here (install libfribidi0): shaping cannot be checked",
)


def test_every_interface_language_has_a_native_name_to_try() -> None:
    assert set(NAMES) == set(Catalogs.load().languages)


@needs_shaping
@pytest.mark.parametrize("language", sorted(NAMES))
def test_the_certificate_is_in_the_persons_language_with_their_name(language: str) -> None:
    catalogs = Catalogs.load()
    t, pact = catalogs.get(language), load_pact(DEFAULT_PACT)
    name = NAMES[language]
    pledge = Pledge(1, 1, pact.version, language, None, name, None,
                    datetime(2026, 11, 30, tzinfo=UTC), None, None)  # fmt: skip
    text = certificate_text(t, catalogs.get("en"), pact, pledge, "clicksbot_bot")
    assert text.name == name  # printed, not replaced by "cannot print"
    assert text.heading == t("certificate.heading")  # the person's language, not English
    assert text.pledge == t("certificate.pledge", title=pact.text(language).title)
    for line in (name, text.heading, text.pledge, text.details, text.credit):
        for script, part in certificate.runs(line):  # real glyphs for every letter
            have = certificate._codepoints(script)
            missing = [ch for ch in part if not ch.isspace() and ord(ch) not in have]
            assert missing == [], (language, script, missing)
    image = Image.open(io.BytesIO(certificate.certificate_png(text)))
    assert image.size == (certificate.WIDTH, certificate.HEIGHT)
    band = image.crop((150, 420, certificate.WIDTH - 150, 540)).convert("L")
    assert band.getextrema()[0] < 100  # the name is there, in ink


@needs_shaping
@pytest.mark.parametrize("language", ["ar", "km", "th"])
def test_names_in_complex_scripts_are_shaped(language: str) -> None:
    name = NAMES[language]
    script = next(s for s, part in certificate.runs(name) if s != "latin")
    raqm = certificate._font(script, True, 80)
    basic = ImageFont.truetype(raqm.path, 80, layout_engine=ImageFont.Layout.BASIC)
    direction = "rtl" if script == "arabic" else "ltr"
    shaped = raqm.getmask(name, direction=direction)
    plain = basic.getmask(name)
    # Raqm's shaping changed the drawing: joined forms, reordered and stacked marks.
    assert (shaped.size != plain.size) or bytes(shaped) != bytes(plain)
    if script == "arabic":
        loose = raqm.getmask(name, direction="rtl", features=["-init", "-medi", "-fina"])
        joined = Image.frombytes("L", shaped.size, bytes(shaped))
        apart = Image.frombytes("L", loose.size, bytes(loose))
        same = joined.size == apart.size and ImageChops.difference(joined, apart).getbbox() is None
        assert not same  # the letters are joined, not isolated

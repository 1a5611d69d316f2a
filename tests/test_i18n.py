"""Interface catalogs: complete, consistent placeholders, valid Telegram HTML, plural rules."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from clicksbot.botapi.rules import parse_html
from clicksbot.i18n import SOURCE_LANGUAGE, Catalogs, _Translations, placeholders

CATALOGS = Catalogs.load()
PACKAGE = Path(__file__).resolve().parent.parent / "clicksbot"


def keys(language: str) -> dict[str, str]:
    return {
        str(m.id if isinstance(m.id, str) else m.id[0]): (
            m.string if isinstance(m.string, str) else m.string[0]
        )
        for m in CATALOGS.catalog(language)
        if m.id
    }


def test_there_are_at_least_two_languages() -> None:
    """English and at least one more language exist."""
    assert SOURCE_LANGUAGE in CATALOGS.languages and len(CATALOGS.languages) >= 2


def test_every_key_the_code_uses_is_in_english() -> None:
    """Every `t("key")` in the code has an English text."""
    used: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        used |= set(
            re.findall(r"""\bt(?:\.plural)?\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text())
        )
        used |= set(
            re.findall(
                r"""["']((?:command|start|help|language|button|error|fallback|tip|quiz|share|progress)\.[a-z_]+)["']""",
                path.read_text(),
            )
        )
    english = keys(SOURCE_LANGUAGE)
    assert used - set(english) == set()


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_translations_keep_placeholders_and_valid_html(language: str) -> None:
    """A translation fills the same {placeholders} and is HTML Telegram accepts."""
    english = keys(SOURCE_LANGUAGE)
    for key, text in keys(language).items():
        if not text:
            continue
        assert key in english, f"{language}: {key} is not an English key"
        assert placeholders(text) == placeholders(english[key]), f"{language}: {key}"
        filled = text.format(**{name: "x" for name in placeholders(text)})
        parse_html(filled)


def test_unknown_languages_fall_back_to_english_and_regions_match() -> None:
    """A Telegram language the bot lacks gets English; 'ms-MY' matches 'ms'."""
    assert CATALOGS.match("zz") == "en"
    assert CATALOGS.match(None) == "en"
    assert CATALOGS.match("ms-MY") == "ms"
    assert CATALOGS.get("zz").language == "en"


def test_missing_translation_falls_back_to_english() -> None:
    """A key a catalog lacks shows in English, never as the bare key."""
    t = CATALOGS.get("ms")
    assert t("no.such.key") == "no.such.key"  # unknown everywhere: the key itself
    assert t("help.text")  # present


def test_dynamic_keys_exist_in_english() -> None:
    """Keys made from data (competencies, question kinds, badges) all have English texts."""
    from clicksbot.content import COMPETENCIES, QUESTION_KINDS
    from clicksbot.services.progress import BADGES

    english = keys(SOURCE_LANGUAGE)
    wanted = {f"competency.{c.key}" for c in COMPETENCIES} | {f"kind.{k}" for k in QUESTION_KINDS}
    wanted |= {f"badge.{b.id}" for b in BADGES} | {f"badge.{b.id}.about" for b in BADGES}
    from clicksbot.handlers.menus import EVERY_COMMAND

    wanted |= {f"command.{name}" for name in EVERY_COMMAND}
    assert wanted - set(english) == set()


def test_plural_forms_follow_the_language() -> None:
    """English has one and other; Malay has one form for every count."""
    en, ms = CATALOGS.get("en"), CATALOGS.get("ms")
    assert en.plural("progress.tips", 1) == "1 tip read"
    assert en.plural("progress.tips", 2) == "2 tips read"
    assert "2" in ms.plural("progress.tips", 2)


def test_rtl_is_known() -> None:
    """Right-to-left languages are recognised (Arabic), for rendering later."""
    import gettext

    from clicksbot.i18n import Translator

    assert Translator("ar", gettext.NullTranslations()).rtl
    assert not CATALOGS.get("en").rtl


TOASTS = (
    "button.stale",
    "language.changed",
    "language.unchanged",
    "quiz.gone",
    "quiz.already",
    "error.generic",
    "error.busy",
    "pact.already_short",
    "pact.thanks_short",
    "pact.changed",
    "pact.no_pledge",
    "pact.withdrawn_short",
    "pact.kept",
    "daily.saved",
    "daily.unsubscribed_short",
    "campaign.paused",
    "campaign.active",
    "campaign.cancelled",
    "flood.slow_down",
)


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_button_answers_fit_telegram(language: str) -> None:
    """Texts shown as a button's answer are plain and at most 200 characters in every language."""
    t = CATALOGS.get(language)
    for key in TOASTS:
        text = t(key)
        assert len(text) <= 200, (language, key, len(text))
        assert "<" not in text, (language, key)


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_catalogs_parse_strictly(language: str) -> None:
    """Every catalog is a well-formed .po file (Babel otherwise only prints a warning)."""
    from babel.messages.pofile import read_po

    path = PACKAGE / "i18n" / "locales" / f"{language}.po"
    with path.open("rb") as fh:
        read_po(fh, locale=language, abort_invalid=True)


def test_a_missing_key_falls_back_to_english_with_a_warning_and_is_listed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    shutil.copy(PACKAGE / "i18n" / "locales" / "en.po", tmp_path / "en.po")
    (tmp_path / "xx.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: xx\\n"\n"X-Review-Status: draft\\n"\n\n'
        'msgid "help.text"\nmsgstr "Hilfe"\n',
        encoding="utf-8",
    )
    catalogs = Catalogs.load(tmp_path)
    t = catalogs.get("xx")
    assert t("help.text") == "Hilfe"
    assert t("fallback.text") == CATALOGS.get("en")("fallback.text")
    t("fallback.text")
    warnings = [r for r in caplog.records if "No xx translation of 'fallback.text'" in r.message]
    assert len(warnings) == 1  # once per key
    assert "fallback.text" in catalogs.missing("xx") and "help.text" not in catalogs.missing("xx")
    assert catalogs.review_status("xx") == "draft"


def test_the_translations_command_lists_languages_and_gaps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from clicksbot.cli import main

    assert main(["translations", "--missing"]) == 0
    out = capsys.readouterr().out
    for language in CATALOGS.languages:
        assert re.search(rf"^{language}\s", out, re.MULTILINE), language


def test_telegram_codes_for_filipino_map_to_it() -> None:
    from clicksbot.i18n import ALIASES

    assert ALIASES["tl"] == "fil"


def test_right_to_left_texts_start_with_a_right_to_left_mark(tmp_path: Path) -> None:
    """An Arabic text that starts with an emoji or a command still lays out right to left."""
    import shutil

    shutil.copy(PACKAGE / "i18n" / "locales" / "en.po", tmp_path / "en.po")
    (tmp_path / "ar.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n\nmsgid "help.text"\nmsgstr "/tip: نصيحة"\n',
        encoding="utf-8",
    )
    t = Catalogs.load(tmp_path).get("ar")
    assert t("help.text") == "\u200f/tip: نصيحة"
    assert t("fallback.text").startswith("\u200f")  # English shown, still laid out RTL
    assert not CATALOGS.get("en")("help.text").startswith("\u200f")


class _Marked(gettext.NullTranslations):
    """A fallback that shows it was asked."""

    def gettext(self, message: str) -> str:
        return f"fallback: {message}"

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return f"fallback: {msgid1 if n == 1 else msgid2}"


def test_every_text_is_found_as_gettext_finds_it_in_the_compiled_catalog() -> None:
    """The bot reads each catalog straight into its translations. Every key and every plural
    form of every shipped catalog, and of one with a fuzzy, an untranslated and a half
    translated plural message, is what gettext finds in the same catalog compiled to .mo,
    with and without a fallback for what is missing."""
    made = Catalog(locale="ru")
    made.add("plain", "простой")
    made.add("fuzzy", "неточный", flags=["fuzzy"])
    made.add("untranslated", "")
    made.add(("apple", "apples"), ("яблоко", "", "яблок"))
    made.add(("pear", "pears"), ("", "", ""))
    made.add(("plum", "plums"), ())
    catalogs = {**{code: CATALOGS.catalog(code) for code in CATALOGS.languages}, "made": made}
    for code, catalog in catalogs.items():
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        for fallback in (None, _Marked()):
            compiled = gettext.GNUTranslations(io.BytesIO(buffer.getvalue()))
            ours = _Translations(catalog)
            if fallback is not None:
                compiled.add_fallback(fallback)
                ours.add_fallback(fallback)
            keys = [m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id]
            for key in [*keys, "missing", "plum", "untranslated"]:
                assert ours.gettext(key) == compiled.gettext(key), (code, key)
                for n in (*range(0, 30), 101, 111, 1001):
                    assert ours.ngettext(key, key + "s", n) == compiled.ngettext(
                        key, key + "s", n
                    ), (code, key, n)

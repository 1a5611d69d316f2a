"""Interface translations: gettext catalogs (.po, read with Babel) looked up by message key."""

from __future__ import annotations

import functools
import gettext
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from string import Formatter

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).parent / "locales"
SOURCE_LANGUAGE = "en"
RLM = "\u200f"  # RIGHT-TO-LEFT MARK


class CatalogError(Exception):
    """A translation catalog cannot be read."""


@dataclass(frozen=True)
class Translator:
    """The interface in one language: `t("key", name=...)` and `t.plural("key", n, ...)`."""

    language: str
    _translations: gettext.NullTranslations

    def __call__(self, key: str, /, **params: object) -> str:
        """Return the text for `key`, with `{placeholders}` filled in."""
        return self._direct(_fill(self._translations.gettext(key), params))

    def plural(self, key: str, count: int, /, **params: object) -> str:
        """Return the form of `key` for `count` (available as `{count}`) in this language."""
        text = _fill(self._translations.ngettext(key, key, count), {"count": count, **params})
        return self._direct(text)

    def _direct(self, text: str) -> str:
        # In a right-to-left language a text that starts with an emoji, a number or a Latin
        # word (a command, a name) would be laid out left to right: a right-to-left mark first
        # keeps the whole message right to left.
        return RLM + text if self.rtl and not text.startswith(RLM) else text

    @property
    def rtl(self) -> bool:
        """Return whether this language is written right to left."""
        return _right_to_left(self.language)

    @property
    def language_name(self) -> str:
        """Return the name of this language in itself, e.g. 'Bahasa Melayu'."""
        return language_name(self.language)


def _fill(text: str, params: dict[str, object]) -> str:
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        # A translation with a broken placeholder must not break the reply: show it unfilled.
        logger.warning("Translation %r does not fit its parameters %s", text[:60], sorted(params))
        return text


@functools.cache
def _locale(code: str) -> Locale:
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE_LANGUAGE)


@functools.cache
def _right_to_left(code: str) -> bool:
    # Asked of every text a reply is made of: Babel looks it up through layers of locale
    # data each time, so the answer is kept per language.
    return _locale(code).character_order == "right-to-left"


def language_name(code: str) -> str:
    """Return a language's own name for itself, capitalised as a menu item."""
    name = _locale(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def placeholders(text: str) -> set[str]:
    """Return the `{names}` a text fills in."""
    return {field for _, field, _, _ in Formatter().parse(text) if field}


class _EnglishFallback(gettext.NullTranslations):
    """English for a key a language lacks, with a warning (once per key) saying which."""

    def __init__(self, language: str, source: gettext.NullTranslations) -> None:
        super().__init__()
        self._language = language
        self._source = source
        self._warned: set[str] = set()

    def _note(self, key: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            logger.warning("No %s translation of %r: English is shown (see `clicksbot "
                           "translations`)", self._language, key)  # fmt: skip

    def gettext(self, message: str) -> str:
        self._note(message)
        return self._source.gettext(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self._note(msgid1)
        return self._source.ngettext(msgid1, msgid2, n)


# Telegram language codes that mean a language the bot has under another code.
ALIASES = {"tl": "fil", "in": "id", "iw": "he", "zh-hans": "zh"}


class Catalogs:
    """Every interface language the bot has, with English as the fallback for missing keys."""

    def __init__(
        self, catalogs: dict[str, Catalog], statuses: dict[str, str] | None = None
    ) -> None:
        self._statuses = statuses or {}
        if SOURCE_LANGUAGE not in catalogs:
            raise CatalogError(f"no {SOURCE_LANGUAGE}.po catalog: it is the source language")
        self._catalogs = catalogs
        source = _Translations(catalogs[SOURCE_LANGUAGE])
        self._translators: dict[str, Translator] = {}
        for code, catalog in catalogs.items():
            translations = source if code == SOURCE_LANGUAGE else _Translations(catalog)
            if code != SOURCE_LANGUAGE:
                translations.add_fallback(_EnglishFallback(code, source))
            self._translators[code] = Translator(code, translations)

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> Catalogs:
        """Read every `<language>.po` in `directory`."""
        catalogs: dict[str, Catalog] = {}
        statuses: dict[str, str] = {}
        for path in sorted(directory.glob("*.po")):
            try:
                with path.open("rb") as fh:
                    catalogs[path.stem] = read_po(fh, locale=path.stem)
                # Babel keeps only the standard headers: read the review status ourselves.
                found = re.search(r'^"X-Review-Status:\s*(.*?)\\n"$',
                                  path.read_text(encoding="utf-8"), re.MULTILINE)  # fmt: skip
                if found:
                    statuses[path.stem] = found.group(1).strip()
            except Exception as exc:  # Babel raises several kinds for a broken file
                raise CatalogError(f"{path}: cannot read the catalog: {exc}") from None
        return cls(catalogs, statuses)

    @property
    def languages(self) -> tuple[str, ...]:
        """Return the interface languages, English first, then by code."""
        rest = sorted(code for code in self._translators if code != SOURCE_LANGUAGE)
        return (SOURCE_LANGUAGE, *rest)

    def catalog(self, language: str) -> Catalog:
        """Return the raw catalog of one language (for checks and tooling)."""
        return self._catalogs[language]

    def missing(self, language: str) -> list[str]:
        """Return the English keys a language has no translation for (English is shown)."""
        catalog = self._catalogs[language]
        missing = []
        for message in self._catalogs[SOURCE_LANGUAGE]:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            theirs = catalog.get(key)
            strings = [] if theirs is None else (
                list(theirs.string) if isinstance(theirs.string, tuple | list) else [theirs.string]
            )  # fmt: skip
            if not strings or not all(strings):
                missing.append(key)
        return missing

    def review_status(self, language: str) -> str:
        """Return a catalog's X-Review-Status header ("" if none)."""
        return self._statuses.get(language, "")

    def get(self, language: str) -> Translator:
        """Return the translator for a language the bot has (English otherwise)."""
        return self._translators.get(language) or self._translators[SOURCE_LANGUAGE]

    def match(self, telegram_code: str | None, default: str = SOURCE_LANGUAGE) -> str:
        """Return the bot language that best fits a Telegram `language_code` like 'pt-br'."""
        if telegram_code:
            code = telegram_code.lower().replace("_", "-")
            if code in self._translators:
                return code
            base = re.split(r"-", code, maxsplit=1)[0]
            base = ALIASES.get(code) or ALIASES.get(base) or base
            if base in self._translators:
                return base
        return default if default in self._translators else SOURCE_LANGUAGE


class _Translations(gettext.NullTranslations):
    """A catalog's translations, found as gettext finds them in the catalog compiled to .mo
    (messages without a translation and fuzzy ones left out, a plural's empty form given in
    English), but made from the catalog itself: compiling each catalog and reading it back
    took 0.13 s of every start-up."""

    _fallback: gettext.NullTranslations | None  # set by `add_fallback`

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self._plural = gettext.c2py(catalog.plural_expr)
        self._texts: dict[str, str] = {}
        self._forms: dict[str, tuple[str, ...]] = {}
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            if isinstance(message.id, str):
                self._texts[message.id] = str(message.string)
            else:
                ids = message.id
                forms = message.string
                self._forms[ids[0]] = tuple(f or ids[min(i, 1)] for i, f in enumerate(forms))

    def _form(self, key: str, n: int) -> str | None:
        forms = self._forms.get(key)
        if forms is None:
            return None
        index = self._plural(n)
        return forms[index] if 0 <= index < len(forms) else None

    def gettext(self, message: str) -> str:
        found = self._texts.get(message)
        if found is None:
            found = self._form(message, 1)  # as gettext does: a plural's form for one
        if found is not None:
            return found
        return self._fallback.gettext(message) if self._fallback else message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        found = self._form(msgid1, n)
        if found is not None:
            return found
        if self._fallback:
            return self._fallback.ngettext(msgid1, msgid2, n)
        return msgid1 if n == 1 else msgid2

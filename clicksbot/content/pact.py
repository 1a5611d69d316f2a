"""The pact people take (/pact): a versioned YAML file of commitments, per language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clicksbot.yamlfile import read_yaml

SOURCE_LANGUAGE = "en"  # the language every pact must have

DEFAULT_PACT = Path(__file__).resolve().parent.parent / "assets" / "pact.yaml"
COMMITMENTS_MIN, COMMITMENTS_MAX = 3, 10
TEXT_MAX = 400  # each commitment, intro or closing
TOTAL_MAX = 3500  # the whole pact in one language: with the counter, one message (4096)


class PactError(Exception):
    """A pact file that cannot be used; the message names file, line and key."""


@dataclass(frozen=True)
class PactText:
    """The pact in one language."""

    title: str
    intro: str
    commitments: tuple[str, ...]
    closing: str


@dataclass(frozen=True)
class Pact:
    """The pact: its version and its text in each language it has."""

    version: int
    texts: dict[str, PactText]

    def text(self, language: str) -> PactText:
        """Return the pact in a language, or in English if the file does not have it."""
        return self.texts.get(language) or self.texts[SOURCE_LANGUAGE]


def load_pact(path: Path) -> Pact:
    """Read and check a pact file; raise PactError saying what is wrong and where."""
    data, lines = read_yaml(path, PactError)

    def fail(key: str, problem: str) -> PactError:
        return PactError(f"{path}:{lines.get(key, 1)}: {key or '(file)'}: {problem}")

    if not isinstance(data, dict):
        raise fail("", "expected keys version: and languages:")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail("version", "must be a whole number from 1 up, raised for each new pact")
    languages = data.get("languages")
    if not isinstance(languages, dict) or SOURCE_LANGUAGE not in languages:
        raise fail("languages", f"must hold the pact per language code, {SOURCE_LANGUAGE} included")
    texts = {}
    for code, body in languages.items():
        key = f"languages.{code}"
        if not isinstance(body, dict):
            raise fail(key, "expected title:, intro:, commitments: and closing:")
        fields = {}
        for name in ("title", "intro", "closing"):
            value = body.get(name)
            if not isinstance(value, str) or not value.strip() or len(value) > TEXT_MAX:
                raise fail(f"{key}.{name}", f"must be text of 1 to {TEXT_MAX} characters")
            fields[name] = value.strip()
        commitments = body.get("commitments")
        if not isinstance(commitments, list) or not (
            COMMITMENTS_MIN <= len(commitments) <= COMMITMENTS_MAX
        ):
            count = f"{COMMITMENTS_MIN} to {COMMITMENTS_MAX}"
            raise fail(f"{key}.commitments", f"must be a list of {count} commitments")
        for i, item in enumerate(commitments):
            if not isinstance(item, str) or not item.strip() or len(item) > TEXT_MAX:
                raise fail(f"{key}.commitments[{i}]", f"must be text of 1 to {TEXT_MAX} characters")
        total = sum(len(fields[n]) for n in fields) + sum(len(str(c)) for c in commitments)
        if total > TOTAL_MAX:
            raise fail(key, f"is {total} characters in all; keep the pact under {TOTAL_MAX}")
        texts[str(code)] = PactText(
            fields["title"],
            fields["intro"],
            tuple(c.strip() for c in commitments),
            fields["closing"],
        )
    return Pact(version, texts)


def load_configured_pact(path: Path | None) -> Pact:
    """Read the pact the config names in `pact_file`, or the shipped one when it names none."""
    return load_pact(DEFAULT_PACT if path is None else path)

"""Frozen models of content packs: tips, fact-check questions, checkup items, and the packs
that hold them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType


class Competency(StrEnum):
    """The seven MIL CLICKS competencies, as written in packs."""

    CRITICAL_THINKING = "critical-thinking"
    CREATIVITY = "creativity"
    LITERACY = "literacy"
    INTERCULTURAL = "intercultural"
    CITIZENSHIP = "citizenship"
    KNOWLEDGE = "knowledge"
    SUSTAINABILITY = "sustainability"

    @property
    def key(self) -> str:
        """Return the name used in catalog keys, e.g. 'critical_thinking'."""
        return self.value.replace("-", "_")


COMPETENCIES: tuple[Competency, ...] = tuple(Competency)
QUESTION_KINDS = ("headline", "post", "photo", "video", "message", "ad", "scenario")
# Manipulation techniques a question can teach to spot (the inoculation strand): the six of
# the prebunking research (Roozenbeek & van der Linden) and two more common ones.
TECHNIQUES = (
    "impersonation",
    "emotion",
    "polarisation",
    "conspiracy",
    "discrediting",
    "trolling",
    "fake-experts",
    "cherry-picking",
)


@dataclass(frozen=True)
class Tip:
    """One short piece of MIL advice with the source that backs it."""

    id: str
    text: str
    source: str
    pack_id: str
    language: str
    competency: Competency


@dataclass(frozen=True)
class Question:
    """A fact-check question: a claim or scenario, its options and the one right answer."""

    id: str
    kind: str
    text: str
    options: tuple[str, ...]
    answer: int  # index into options
    explanation: str
    source: str
    pack_id: str
    language: str
    competency: Competency
    technique: str | None = None  # one of TECHNIQUES, when the question teaches one
    credible: bool = False  # the artefact shown is trustworthy, and the answer says so
    skill: bool = False  # the learner does the check (reads a URL, dates, a chart, …)
    image: str | None = None  # a picture shown with the question: an absolute file path
    alt: str | None = None  # what the picture shows, in words (for those who cannot see it)

    @cached_property  # looked at by each step of a question: asked, answered, rated
    def fingerprint(self) -> str:
        """Return a short digest of what the person sees and is graded on."""
        digest = hashlib.sha256("\x1f".join((self.text, *self.options, str(self.answer))).encode())
        return digest.hexdigest()[:16]

    @property
    def correct_option(self) -> str:
        """Return the text of the right answer."""
        return self.options[self.answer]


@dataclass(frozen=True)
class CheckupItem:
    """A real or a false headline or post of the discernment checkup: judged real or fake by
    the person, never asked as a quiz question; its source shows it is real (the article) or
    false (the fact-check), its explanation is shown only once the checkup is over."""

    id: str
    text: str
    real: bool
    source: str
    pack_id: str
    language: str
    explanation: str = ""


@dataclass(frozen=True)
class Pack:
    """One YAML file of content in one language and competency."""

    id: str
    title: str
    language: str
    competency: Competency
    description: str
    tips: tuple[Tip, ...]
    questions: tuple[Question, ...]
    path: str
    review: str = "reviewed"  # "draft" until a native speaker of the language has read it
    checkup: tuple[CheckupItem, ...] = ()  # the pack's share of the discernment checkup pool


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a pack, said as `file:line: id: problem`."""

    path: str
    line: int
    item: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {self.item}: {kind}{self.message}"


@dataclass(frozen=True)
class Content:
    """All packs loaded, with lookups by id and by language."""

    packs: tuple[Pack, ...] = ()
    _tips: dict[str, Tip] = field(default_factory=dict, repr=False, compare=False)
    _questions: dict[str, Question] = field(default_factory=dict, repr=False, compare=False)
    _checkup: dict[str, CheckupItem] = field(default_factory=dict, repr=False, compare=False)
    # The questions of each (language, competency) asked about so far, by id in pack order:
    # looked up on every question put to someone, and content does not change once loaded.
    _selections: dict[tuple[str | None, Competency | None], Mapping[str, Question]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def of(cls, packs: tuple[Pack, ...]) -> Content:
        """Index packs whose ids were already checked to be unique."""
        tips = {t.id: t for p in packs for t in p.tips}
        questions = {q.id: q for p in packs for q in p.questions}
        checkup = {c.id: c for p in packs for c in p.checkup}
        return cls(packs, tips, questions, checkup)

    def tip(self, tip_id: str) -> Tip | None:
        """Return the tip with this id, if any pack has it."""
        return self._tips.get(tip_id)

    def question(self, question_id: str) -> Question | None:
        """Return the question with this id, if any pack has it."""
        return self._questions.get(question_id)

    def tips(self, language: str | None = None) -> Iterator[Tip]:
        """Yield the tips, in pack order, of one language or of all."""
        return (t for t in self._tips.values() if language is None or t.language == language)

    def questions(
        self, language: str | None = None, competency: Competency | None = None
    ) -> Iterator[Question]:
        """Yield the questions, in pack order, of one language (and competency) or of all."""
        return iter(self.pool(language, competency).values())

    def pool(
        self, language: str | None = None, competency: Competency | None = None
    ) -> Mapping[str, Question]:
        """Return the questions of one language (and competency) or of all, by id, in pack
        order (read-only: it is kept for the next call)."""
        key = (language, competency)
        selection = self._selections.get(key)
        if selection is None:
            selection = self._selections[key] = MappingProxyType(
                {
                    q.id: q
                    for q in self._questions.values()
                    if (language is None or q.language == language)
                    and (competency is None or q.competency == competency)
                }
            )
        return selection

    def checkup_item(self, item_id: str) -> CheckupItem | None:
        """Return the checkup item with this id, if any pack has it."""
        return self._checkup.get(item_id)

    def checkup_items(self, language: str | None = None) -> Iterator[CheckupItem]:
        """Yield the checkup items, in pack order, of one language or of all."""
        return (c for c in self._checkup.values() if language is None or c.language == language)

    @property
    def languages(self) -> frozenset[str]:
        """Return the languages that have at least one pack."""
        return frozenset(p.language for p in self.packs)

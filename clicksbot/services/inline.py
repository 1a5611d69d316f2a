"""Finding tips and questions for inline mode: by words and by competency, in a language."""

from __future__ import annotations

import re
from collections.abc import Callable

from clicksbot.content import COMPETENCIES, Competency, Content, Question, Tip
from clicksbot.services.learning import content_language

PAGE = 20  # results per page (Telegram allows 50; fewer keeps answers quick on slow data)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def search(
    content: Content, language: str, query: str, name: Callable[[Competency], str]
) -> list[Tip | Question]:
    """Return the tips and questions matching every word of `query` in a person's language
    (English when it has none). A word naming a competency (in English, its key, or `name`,
    the person's language) keeps that competency's items instead."""
    lang = (
        language
        if any(True for _ in content.tips(language))
        else content_language(content, language)
    )
    words = _words(query)
    wanted: set[Competency] = set()
    for competency in COMPETENCIES:
        names = set(_words(competency.value)) | set(_words(name(competency)))
        if any(w in names for w in words):
            wanted.add(competency)
            words = [w for w in words if w not in names]
    items: list[Tip | Question] = []
    for tip, question in _pairs(list(content.tips(lang)), list(content.questions(lang))):
        for item in (tip, question):
            if item is None or (wanted and item.competency not in wanted):
                continue
            text = set(_words(item.text))
            if all(any(t.startswith(w) for t in text) for w in words):
                items.append(item)
    return items


def _pairs(tips: list[Tip], questions: list[Question]) -> list[tuple[Tip | None, Question | None]]:
    """Tips and questions alternately, so a page shows both."""
    size = max(len(tips), len(questions))
    return [
        (tips[i] if i < len(tips) else None, questions[i] if i < len(questions) else None)
        for i in range(size)
    ]


def page(items: list[Tip | Question], offset: str) -> tuple[list[Tip | Question], str]:
    """Return one page of results and the offset of the next ("" when none is left)."""
    start = int(offset) if offset.isdigit() else 0
    chunk = items[start : start + PAGE]
    more = start + PAGE < len(items)
    return chunk, str(start + PAGE) if more else ""

"""Finding tips and questions for inline mode: by words and by competency, in a language."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

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


class RecentPresses:
    """Who pressed an option of which shared message lately, and which option: a second
    press opens the full explanation in the private chat (see render.deeplinks).

    Kept in memory only, for `keep`, and at most `most` presses: nothing of inline use is
    written anywhere. A restart forgets them; the next press then shows the short answer
    again, and the one after opens the full explanation.
    """

    def __init__(self, keep: timedelta = timedelta(minutes=30), most: int = 20_000) -> None:
        self.keep = keep
        self.most = most
        self._presses: OrderedDict[tuple[int, str], tuple[int, datetime]] = OrderedDict()

    def earlier(self, person: int, message: str, now: datetime) -> int | None:
        """Return the option this person pressed on this message lately, if they did."""
        found = self._presses.get((person, message))
        if found is None or now - found[1] > self.keep:
            return None
        return found[0]

    def note(self, person: int, message: str, choice: int, now: datetime) -> None:
        """Remember a first press (the oldest are forgotten first)."""
        self._presses[(person, message)] = (choice, now)
        self._presses.move_to_end((person, message))
        while len(self._presses) > self.most:
            self._presses.popitem(last=False)

"""The discernment checkup: real and false headlines judged one by one, then a report of how
well a person tells them apart and whether they lean to doubting or to believing.

How it is scored. Each item is real or false and the person says "Real" or "Fake": a real item
judged real is a hit, a false item judged real a false alarm. Discernment is signal detection's
sensitivity d' = z(hit rate) - z(false-alarm rate); the tendency to doubt or to believe is its
criterion c = -(z(hit rate) + z(false-alarm rate)) / 2 (positive: doubting, negative:
believing). Rates use the log-linear correction (a half added to each count, one to each total)
so that a perfect score stays finite, as a checkup of ten items often is. Scoring only the false
items, or any single "accuracy", would count growing distrust of everything as better
discernment; separating the two is the point of Modirrousta-Galian & Higham (2023), and MIST
reports veracity discernment beside distrust and naivety for the same reason (Maertens et al.
2024). The person also sees the plain counts (MIST's style: so many of so many right).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from statistics import NormalDist

from clicksbot.content import CheckupItem, Content
from clicksbot.content.limits import CHECKUP_MIN_PER_SIDE, CHECKUP_PER_SIDE
from clicksbot.i18n import SOURCE_LANGUAGE
from clicksbot.services.progress import local_day, time_zone_of
from clicksbot.store import Store, User
from clicksbot.store.checkups import Checkup, CheckupCounts

# Offered at the first quiz, then again once both have passed since the last checkup (or the
# last offer): long enough for learning to show, and a new draw from the pool.
AGAIN_AFTER = timedelta(days=14)
ANSWERS_BEFORE_AGAIN = 20
# A checkup measures one moment: one left unfinished longer than this starts afresh.
UNDER_WAY_FOR = timedelta(days=2)
REAL, FAKE = "r", "f"

# Plain-words bands. Sensitivity: with five items of each kind, 2.0 is at most one mistake,
# 1.0 about eight of ten right, 0.4 just better than a coin. Criterion: 0.4 is about three
# "real" answers of ten (doubting) or seven (believing). A change smaller than the bands'
# steps is within what ten items can tell apart, so it reads "about the same".
SHARP, GOOD, FAIR = 2.0, 1.0, 0.4
LEANING = 0.4
CHANGED = 0.5

_Z = NormalDist()


@dataclass(frozen=True)
class Score:
    """The counts of one checkup and the measures drawn from them."""

    n_real: int
    n_fake: int
    hits: int  # real items judged real
    false_alarms: int  # false items judged real

    @classmethod
    def of(cls, counts: CheckupCounts) -> Score:
        return cls(counts.n_real, counts.n_fake, counts.hits, counts.false_alarms)

    @property
    def total(self) -> int:
        return self.n_real + self.n_fake

    @property
    def correct(self) -> int:
        """Items judged rightly: real ones as real, false ones as fake."""
        return self.hits + self.rejections

    @property
    def rejections(self) -> int:
        """False items judged fake."""
        return self.n_fake - self.false_alarms

    @property
    def said_real(self) -> int:
        return self.hits + self.false_alarms

    @property
    def hit_rate(self) -> float:
        return (self.hits + 0.5) / (self.n_real + 1)

    @property
    def false_alarm_rate(self) -> float:
        return (self.false_alarms + 0.5) / (self.n_fake + 1)

    @property
    def discernment(self) -> float:
        """Sensitivity d': 0 is guessing, higher tells real from false better."""
        return _Z.inv_cdf(self.hit_rate) - _Z.inv_cdf(self.false_alarm_rate)

    @property
    def bias(self) -> float:
        """Criterion c: above 0 leans to doubting (calling things fake), below to believing."""
        return -(_Z.inv_cdf(self.hit_rate) + _Z.inv_cdf(self.false_alarm_rate)) / 2

    @property
    def level(self) -> str:
        """Discernment in words: sharp, good, fair or weak."""
        d = self.discernment
        return "sharp" if d >= SHARP else "good" if d >= GOOD else "fair" if d >= FAIR else "weak"

    @property
    def leaning(self) -> str:
        """The tendency in words: doubt, believe or balanced."""
        c = self.bias
        return "doubt" if c >= LEANING else "believe" if c <= -LEANING else "balanced"


@dataclass(frozen=True)
class Change:
    """How a checkup compares with the person's first."""

    first: Score
    first_day: date

    def discernment(self, now: Score) -> str:
        """Return better, same or worse."""
        delta = now.discernment - self.first.discernment
        return "better" if delta >= CHANGED else "worse" if delta <= -CHANGED else "same"

    def leaning(self, now: Score) -> str:
        """Return more_doubt, more_belief or same."""
        delta = now.bias - self.first.bias
        return "more_doubt" if delta >= LEANING else "more_belief" if delta <= -LEANING else "same"


@dataclass(frozen=True)
class Step:
    """An item to judge: which checkup, its place in it, and the item."""

    checkup_id: int
    position: int  # from 0
    total: int
    item: CheckupItem


@dataclass(frozen=True)
class Report:
    """The end of a checkup: the score, the change since the first, and each item with what
    the person said (for the review, shown once and not kept)."""

    score: Score
    day: date
    change: Change | None
    review: tuple[tuple[CheckupItem, bool], ...]  # the item, and whether it was judged real
    language: str


class Status(Enum):
    """What became of a press on Real or Fake."""

    NEXT = "next"  # recorded; here is the next item
    DONE = "done"  # recorded, and that was the last: here is the report
    ALREADY = "already"  # this item was answered before (a double tap, an old message)
    INVALID = "invalid"  # not a checkup of this person
    GONE = "gone"  # left too long, or its items are no longer in the packs


@dataclass(frozen=True)
class Outcome:
    """The result of a press on Real or Fake."""

    status: Status
    step: Step | None = None
    report: Report | None = None


@dataclass(frozen=True)
class Offer:
    """A checkup offered unasked: the first one, or another after a while."""

    first: bool
    total: int


def pool(content: Content, language: str) -> list[CheckupItem]:
    """Return a language's checkup items if there are enough of both kinds to draw from."""
    items = list(content.checkup_items(language))
    real = sum(i.real for i in items)
    return items if min(real, len(items) - real) >= CHECKUP_MIN_PER_SIDE else []


def pool_language(content: Content, language: str) -> str | None:
    """Return the language a person's checkup is in: theirs if it has a pool, else English
    if that has one, else None (no checkup)."""
    for candidate in (language, SOURCE_LANGUAGE):
        if pool(content, candidate):
            return candidate
    return None


def size(content: Content, language: str) -> int:
    """Return how many items a checkup for a person of this language shows."""
    of = pool_language(content, language)
    if of is None:
        return 0
    items = pool(content, of)
    real = sum(i.real for i in items)
    return 2 * min(CHECKUP_PER_SIDE, real, len(items) - real)


def draw(
    items: list[CheckupItem], seen: dict[str, datetime], rng: random.Random
) -> list[CheckupItem]:
    """Draw as many real items as false ones: those never shown first, then those shown
    longest ago; in a random order."""
    real = [i for i in items if i.real]
    fake = [i for i in items if not i.real]
    per_side = min(CHECKUP_PER_SIDE, len(real), len(fake))
    chosen: list[CheckupItem] = []
    never = datetime.min.replace(tzinfo=UTC)
    for side in (real, fake):
        rng.shuffle(side)  # ties (never seen, or seen together) fall at random
        side.sort(key=lambda i: (i.id in seen, seen.get(i.id, never)))
        chosen += side[:per_side]
    rng.shuffle(chosen)
    return chosen


def _seen(checkups: list[Checkup]) -> dict[str, datetime]:
    seen: dict[str, datetime] = {}
    for checkup in checkups:
        for item_id in checkup.items:
            seen[item_id] = max(seen.get(item_id, checkup.started_at), checkup.started_at)
    return seen


def _under_way(checkups: list[Checkup], now: datetime) -> Checkup | None:
    for checkup in checkups:
        if checkup.finished_at is None and now - checkup.started_at <= UNDER_WAY_FOR:
            return checkup
    return None


async def _checkups(store: Store, user: User, now: datetime) -> list[Checkup]:
    """Return a person's checkups, having deleted any left unfinished too long: its answers
    so far measure nothing any more, and are not kept."""
    checkups = await store.checkups(user.id)
    stale = [c for c in checkups if c.finished_at is None and now - c.started_at > UNDER_WAY_FOR]
    for checkup in stale:
        await store.drop_checkup(checkup.id, user.id)
    return [c for c in checkups if c not in stale]


def _step(content: Content, checkup: Checkup) -> Step | None:
    position = len(checkup.answers)
    if position >= len(checkup.items):
        return None
    item = content.checkup_item(checkup.items[position])
    if item is None:
        return None
    return Step(checkup.id, position, len(checkup.items), item)


async def offer_due(store: Store, content: Content, user: User, now: datetime) -> Offer | None:
    """Return the checkup to offer a person at a quiz, if one is due: at their first quiz
    (once), then after AGAIN_AFTER and ANSWERS_BEFORE_AGAIN since their last checkup or
    offer, whichever came later. Nothing while one is under way, or with no pool."""
    total = size(content, user.language)
    if not total:
        return None
    checkups = await _checkups(store, user, now)
    if _under_way(checkups, now) is not None:
        return None
    offered = await store.checkup_offered_at(user.id)
    finished = [c.finished_at for c in checkups if c.finished_at is not None]
    if offered is None and not finished:
        return Offer(first=True, total=total)
    since = max([*finished, *([offered] if offered else [])])
    if now - since < AGAIN_AFTER:
        return None
    if await store.answers_since(user.id, since, ANSWERS_BEFORE_AGAIN) < ANSWERS_BEFORE_AGAIN:
        return None
    return Offer(first=not finished, total=total)


async def mark_offered(store: Store, user: User, now: datetime) -> None:
    """Record that a checkup was offered to a person now."""
    await store.mark_checkup_offered(user.id, now)


async def last_finished(store: Store, user: User, default_tz: str) -> date | None:
    """Return the (local) day of a person's last finished checkup, if any."""
    finished = [c.finished_at for c in await store.checkups(user.id) if c.finished_at]
    if not finished:
        return None
    return local_day(max(finished), time_zone_of(user, default_tz))


async def current(store: Store, content: Content, user: User, now: datetime) -> Step | None:
    """Return the next item of the checkup a person has under way, if any."""
    checkup = _under_way(await _checkups(store, user, now), now)
    return None if checkup is None else _step(content, checkup)


async def begin(
    store: Store, content: Content, user: User, now: datetime, rng: random.Random
) -> Step | None:
    """Carry on the checkup under way, or start a new one; None when there is no pool."""
    checkups = await _checkups(store, user, now)
    under_way = _under_way(checkups, now)
    if under_way is not None:
        step = _step(content, under_way)
        if step is not None:
            return step
    language = pool_language(content, user.language)
    if language is None:
        return None
    items = draw(pool(content, language), _seen(checkups), rng)
    checkup_id = await store.start_checkup(user.id, language, tuple(i.id for i in items), now)
    return Step(checkup_id, 0, len(items), items[0])


async def answer(
    store: Store,
    content: Content,
    user: User,
    checkup_id: int,
    position: int,
    real: bool,
    now: datetime,
    default_tz: str,
) -> Outcome:
    """Record a person's judgement of item `position` of a checkup; after the last one, the
    checkup ends and its report comes back."""
    checkup = await store.get_checkup(checkup_id)
    if checkup is None or checkup.user_id != user.id or position >= len(checkup.items):
        return Outcome(Status.INVALID)
    if checkup.finished_at is not None or position < len(checkup.answers):
        return Outcome(Status.ALREADY)
    if position > len(checkup.answers):  # a button from a message that is no longer current
        return Outcome(Status.INVALID)
    items = [content.checkup_item(i) for i in checkup.items]
    present = [i for i in items if i is not None]
    if now - checkup.started_at > UNDER_WAY_FOR or len(present) != len(items):
        await store.drop_checkup(checkup.id, user.id)
        return Outcome(Status.GONE)
    answers = checkup.answers + (REAL if real else FAKE)
    if len(answers) < len(present):
        if not await store.answer_checkup(checkup.id, user.id, checkup.answers, answers):
            return Outcome(Status.ALREADY)
        return Outcome(
            Status.NEXT, Step(checkup.id, len(answers), len(present), present[len(answers)])
        )
    judged = [(item, letter == REAL) for item, letter in zip(present, answers, strict=True)]
    counts = CheckupCounts(
        n_real=sum(item.real for item, _ in judged),
        n_fake=sum(not item.real for item, _ in judged),
        hits=sum(item.real and said for item, said in judged),
        false_alarms=sum(not item.real and said for item, said in judged),
    )
    if not await store.finish_checkup(checkup.id, user.id, checkup.answers, counts, now):
        return Outcome(Status.ALREADY)
    zone = time_zone_of(user, default_tz)
    earlier = [
        c for c in await store.checkups(user.id)
        if c.counts is not None and c.finished_at is not None and c.id != checkup.id
    ]  # fmt: skip
    change = None
    if earlier:
        first = earlier[0]
        assert first.counts is not None and first.finished_at is not None
        change = Change(Score.of(first.counts), local_day(first.finished_at, zone))
    return Outcome(
        Status.DONE,
        report=Report(
            Score.of(counts), local_day(now, zone), change, tuple(judged), checkup.language
        ),
    )

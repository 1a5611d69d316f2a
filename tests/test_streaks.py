"""Streaks that forgive, with a controlled clock: one streak freeze earned per 7 days of streak
(at most 2 held), used by itself on a missed day so the streak survives."""

from __future__ import annotations

from datetime import date

from conftest import Clock, Running, started

from clicksbot.sandbox import Person
from clicksbot.services.progress import FREEZE_EVERY, streak


async def settle(person: Person) -> None:
    """Let everything the bot is sending this person arrive, and set it aside."""
    while True:
        try:
            await person.receive(timeout=0.3)
        except AssertionError:
            break
    while not person.chat.edits.empty():
        person.chat.edits.get_nowait()


# -- streak freezes ----------------------------------------------------------------------


def run_of(*days: int) -> list[date]:
    """Active days, as day numbers of November 2026."""
    return [date(2026, 11, d) for d in days]


def test_a_freeze_is_earned_after_seven_days_and_saves_a_missed_day() -> None:
    """Seven days in a row earn a freeze; missing the eighth uses it and the streak lives on
    (the frozen day itself does not count); six days earn none, so a miss ends the streak."""
    week = run_of(*range(1, 8))
    assert FREEZE_EVERY == 7
    assert streak(week, date(2026, 11, 7)) == streak(week, date(2026, 11, 8))
    assert streak(week, date(2026, 11, 8)).freezes == 1  # the 8th not played yet: not missed
    saved = streak(week, date(2026, 11, 9))  # the 8th missed
    assert (saved.current, saved.freezes, saved.saved) == (7, 0, (date(2026, 11, 8),))
    back = streak([*week, date(2026, 11, 9)], date(2026, 11, 9))
    assert (back.current, back.best, back.freezes) == (8, 8, 0)
    six = streak(run_of(*range(1, 7)), date(2026, 11, 8))
    assert (six.current, six.best, six.freezes) == (0, 6, 0)


def test_freezes_are_held_two_at_most_and_a_long_gap_still_ends_the_streak() -> None:
    """21 days earn three freezes but two are held; a 3-day gap is more than two freezes."""
    three_weeks = run_of(*range(1, 22))
    assert streak(three_weeks, date(2026, 11, 22)).freezes == 2
    two_missed = streak([*three_weeks, date(2026, 11, 24)], date(2026, 11, 24))
    assert (two_missed.current, two_missed.freezes) == (22, 0)
    assert two_missed.saved == (date(2026, 11, 22), date(2026, 11, 23))
    three_missed = streak([*three_weeks, date(2026, 11, 25)], date(2026, 11, 25))
    assert (three_missed.current, three_missed.best, three_missed.freezes) == (1, 21, 0)
    assert three_missed.saved == ()


async def test_progress_shows_the_freeze_earned_and_the_day_it_saved_the_streak(
    bot: Running, clock: Clock
) -> None:
    """Played 7 days in a row (a /tip each day): /progress shows the freeze; the 8th day is
    missed; on the 9th the streak is still 7 days, the freeze is spent, and /progress says
    which day it saved; playing makes it 8. Someone who played 6 days loses their streak."""
    ana = await started(bot, "Ana")
    ben = await started(bot, "Ben")
    for day in range(7):
        ana.send("/tip")
        if day < 6:
            ben.send("/tip")
        await settle(ana)
        await settle(ben)
        if day < 6:
            clock.advance(days=1)
    ana.send("/progress")
    text = (await ana.receive()).text
    assert "Streak: 7 days" in text and "Streak freezes: 1 of 2" in text
    assert "saved your streak" not in text
    clock.advance(days=2)  # the 8th day (Monday 30 November) goes by without play
    ana.send("/progress")
    text = (await ana.receive()).text
    assert "Streak: 7 days" in text and "Streak freezes: 0 of 2" in text
    assert "A freeze saved your streak on Mon, November 30." in text
    ana.send("/tip")
    await settle(ana)
    ana.send("/progress")
    assert "Streak: 8 days (best: 8)" in (await ana.receive()).text
    ben.send("/progress")
    text = (await ben.receive()).text
    assert "Streak: 0 days (best: 6)" in text and "Streak freezes: 0 of 2" in text

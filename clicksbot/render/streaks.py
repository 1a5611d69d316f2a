"""Texts for streak freezes."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_skeleton

from clicksbot.i18n import Translator
from clicksbot.render import esc
from clicksbot.services.progress import FREEZE_EVERY, FREEZES_MAX, Stats


def _day(t: Translator, day: date) -> str:
    try:
        moment = datetime(day.year, day.month, day.day)
        return str(format_skeleton("MMMMEd", moment, locale=t.language))
    except (ValueError, TypeError):
        return day.isoformat()


def freezes_line(t: Translator, stats: Stats) -> str:
    """Return the /progress line on streak freezes: how many are held, how they are earned,
    and the day one last saved the current streak."""
    line = t("progress.freezes", count=stats.freezes, max=FREEZES_MAX, every=FREEZE_EVERY)
    if stats.saved_on is not None:
        line += "\n" + t("progress.freeze_saved", day=esc(_day(t, stats.saved_on)))
    return line

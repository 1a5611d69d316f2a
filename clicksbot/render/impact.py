"""The impact report drawn as charts (PNG, with matplotlib) and its captions, in the
moderator's language.

Made to be read on a phone: a tall picture, large type, at most five lines or bar groups
(everyone, four cohorts and "other"), and every title from the catalogs. Drawn with the Agg
backend on a `Figure` of its own (never pyplot's global state), so it needs no display and
two reports at once do not mix. matplotlib is imported on first use: the bot starts without it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clicksbot.content.models import Competency
from clicksbot.i18n import RLM, Translator, language_name
from clicksbot.render import esc
from clicksbot.render.learning import competency_name
from clicksbot.services import places
from clicksbot.services.impact import ALL, LEVELS, MIN_PEOPLE, CohortFigures, ImpactReport
from clicksbot.store.impact import NONE, OTHER

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
# The shipped Noto fonts, the first that has a character drawing it (Arabic, Thai and Khmer
# shaped by matplotlib's libraqm layout).
FAMILY = ["Noto Sans", "Noto Sans Arabic", "Noto Sans Thai", "Noto Sans Khmer", "DejaVu Sans"]
SIZE = (7.2, 9.0)  # inches: 1080 x 1350 pixels at 150 dpi, a phone's portrait
DPI = 150
COLOURS = ("#222222", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#999999")  # colour-blind safe
CHART_NAMES = ("activity", "retention", "competencies", "discernment", "calibration")


@functools.cache
def load_matplotlib() -> Any:
    """Load matplotlib once, on the Agg backend, with the shipped fonts known to it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    for font in sorted(FONTS.glob("*.ttf")):
        font_manager.fontManager.addfont(str(font))
    matplotlib.rcParams.update(
        {
            "font.family": FAMILY,
            "font.size": 15,
            "axes.titlesize": 17,
            "axes.labelsize": 15,
            "legend.fontsize": 14,
            "xtick.labelsize": 13,
            "ytick.labelsize": 13,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return matplotlib


def plain(text: str) -> str:
    """A catalog text for a chart: no direction mark (the layout finds the direction)."""
    return text.replace(RLM, "")


def cohort_name(t: Translator, report: ImpactReport, key: str) -> str:
    """The cohort's name for people: a language, a country, a group, a campaign."""
    if key == OTHER:
        return plain(t("impact.other"))
    if key == ALL:
        return plain(t("impact.everyone"))
    if key == NONE:
        return plain(t(f"impact.none_{report.by}"))
    if report.by == "language":
        return language_name(key)
    if report.by == "country":
        return places.country_name(key, t.language)
    if report.by == "group":
        return plain(t("impact.group", id=key))
    name = report.names.get(key, key)
    return name if len(name) <= 24 else name[:23] + "…"


def charts(report: ImpactReport, t: Translator) -> list[tuple[str, bytes]]:
    """Draw the report's charts; return (file name, PNG) in the order they are sent."""
    load_matplotlib()
    draw: list[Callable[[Figure, ImpactReport, Translator], None]] = [
        _activity, _retention, _competencies, _discernment, _calibration,
    ]  # fmt: skip
    pictures = []
    for name, drawer in zip(CHART_NAMES, draw, strict=True):
        figure = _figure()
        drawer(figure, report, t)
        rows = 1 if name == "discernment" else (len(report.cohorts) + 2) // 3
        figure.tight_layout(rect=(0, 0.045 * rows, 1, 1))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        pictures.append((f"impact-{report.by}-{name}.png", buffer.getvalue()))
    return pictures


def _figure() -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=SIZE, dpi=DPI)


def _series(report: ImpactReport) -> list[tuple[CohortFigures, str]]:
    return [(c, COLOURS[i % len(COLOURS)]) for i, c in enumerate(report.cohorts)]


def _legend(figure: Figure, axes: Axes) -> None:
    """One legend under the chart, where it hides no line or bar."""
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="lower center", ncol=min(3, len(handles)),
                      frameon=False)  # fmt: skip


def _nothing(axes: Axes, t: Translator) -> None:
    axes.text(0.5, 0.5, plain(t("impact.too_few_here", min=MIN_PEOPLE)), ha="center",
              va="center", wrap=True, transform=axes.transAxes)  # fmt: skip
    axes.set_xticks([])
    axes.set_yticks([])


def _weeks_axis(axes: Axes, report: ImpactReport, t: Translator) -> None:
    starts = report.week_starts
    step = max(1, len(starts) // 6)
    axes.set_xticks(range(0, len(starts), step))
    axes.set_xticklabels([f"{d.day}.{d.month:02}" for d in starts[::step]])
    axes.set_xlabel(plain(t("impact.week_of")))


def _activity(figure: Figure, report: ImpactReport, t: Translator) -> None:
    top, bottom = figure.subplots(2, 1, sharex=True)
    figure.suptitle(plain(t("impact.chart_activity")), fontsize=19)
    for axes, field, key in ((top, "active", "impact.active"),
                             (bottom, "returning", "impact.returning")):  # fmt: skip
        for cohort, colour in _series(report):
            values = getattr(cohort, field)
            axes.plot(range(report.weeks), values, marker="o", color=colour, linewidth=2.5,
                      label=cohort_name(t, report, cohort.key))  # fmt: skip
        axes.set_title(plain(t(key)))
        axes.set_ylim(bottom=0)
        axes.grid(axis="y", alpha=0.3)
    _weeks_axis(bottom, report, t)
    _legend(figure, top)


def _retention(figure: Figure, report: ImpactReport, t: Translator) -> None:
    axes = figure.subplots()
    axes.set_title(plain(t("impact.chart_retention")))
    drawn = False
    for cohort, colour in _series(report):
        points = [(k, 100 * s.value) for k, s in enumerate(cohort.retention, start=1)
                  if s.value is not None]  # fmt: skip
        if points:
            drawn = True
            axes.plot(*zip(*points, strict=True), marker="o", color=colour, linewidth=2.5,
                      label=cohort_name(t, report, cohort.key))  # fmt: skip
    if not drawn:
        _nothing(axes, t)
        return
    axes.set_xlabel(plain(t("impact.weeks_after")))
    axes.set_ylabel("%")
    axes.set_ylim(0, 100)
    axes.grid(axis="y", alpha=0.3)
    _legend(figure, axes)


def _bars(
    axes: Axes,
    report: ImpactReport,
    t: Translator,
    items: Sequence[Any],
    value: Callable[[CohortFigures, Any], float | None],
) -> bool:
    """Horizontal bars, one group per item, one bar per cohort; return whether any."""
    series = _series(report)
    height = 0.8 / max(1, len(series))
    drawn = False
    for i, (cohort, colour) in enumerate(series):
        ys, xs = [], []
        for row, item in enumerate(items):
            v = value(cohort, item)
            if v is not None:
                ys.append(row + (i - (len(series) - 1) / 2) * height)
                xs.append(v)
        if xs:
            drawn = True
            axes.barh(ys, xs, height=height, color=colour, label=cohort_name(t, report, cohort.key))
    return drawn


def _competencies(figure: Figure, report: ImpactReport, t: Translator) -> None:
    axes = figure.subplots()
    axes.set_title(plain(t("impact.chart_competencies")))
    present = [c for c in Competency
               if any(c.value in cohort.competencies for cohort in report.cohorts)]  # fmt: skip

    def accuracy(cohort: CohortFigures, c: Competency) -> float | None:
        share = cohort.competencies.get(c.value)
        return None if share is None or share.value is None else 100 * share.value

    if not _bars(axes, report, t, present, accuracy):
        _nothing(axes, t)
        return
    axes.set_yticks(range(len(present)))
    axes.set_yticklabels([plain(competency_name(t, c)) for c in present])
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel(plain(t("impact.right_percent")))
    axes.grid(axis="x", alpha=0.3)
    _legend(figure, axes)


def _discernment(figure: Figure, report: ImpactReport, t: Translator) -> None:
    top, bottom = figure.subplots(2, 1)
    figure.suptitle(plain(t("impact.chart_discernment")), fontsize=19)
    cohorts = [(c, colour) for c, colour in _series(report) if c.discernment is not None]
    if not cohorts:
        bottom.set_visible(False)
        _nothing(top, t)
        return
    names = [cohort_name(t, report, c.key) for c, _ in cohorts]
    for axes, first, latest, key in (
        (top, "first_d", "latest_d", "impact.discernment"),
        (bottom, "first_c", "latest_c", "impact.leaning"),
    ):
        rows = range(len(cohorts))
        before = [getattr(c.discernment, first) for c, _ in cohorts]
        after = [getattr(c.discernment, latest) for c, _ in cohorts]
        axes.barh([r - 0.2 for r in rows], before, height=0.4, color=COLOURS[5],
                  label=plain(t("impact.first_checkup")))  # fmt: skip
        axes.barh([r + 0.2 for r in rows], after, height=0.4, color=COLOURS[1],
                  label=plain(t("impact.latest_checkup")))  # fmt: skip
        axes.set_yticks(list(rows))
        axes.set_yticklabels(names)
        axes.invert_yaxis()
        axes.axvline(0, color="#444444", linewidth=1)
        axes.set_title(plain(t(key)))
        axes.grid(axis="x", alpha=0.3)
        values = [getattr(c.discernment, f) for c, _ in cohorts for f in (first, latest)]
        if axes is bottom:  # symmetric: a small lean must not look like a large one
            reach = max(0.5, *(abs(v) for v in values)) * 1.1
            axes.set_xlim(-reach, reach)
        else:
            axes.set_xlim(min(0.0, *values) * 1.1, max(1.0, *values) * 1.1)
    _legend(figure, top)


def _calibration(figure: Figure, report: ImpactReport, t: Translator) -> None:
    axes = figure.subplots()
    axes.set_title(plain(t("impact.chart_calibration")))
    drawn = False
    for cohort, colour in _series(report):
        shares = [cohort.calibration.get(level) for level in LEVELS]
        points = [(i, 100 * s.value) for i, s in enumerate(shares)
                  if s is not None and s.value is not None]  # fmt: skip
        if points:
            drawn = True
            axes.plot(*zip(*points, strict=True), marker="o", color=colour, linewidth=2.5,
                      markersize=9, label=cohort_name(t, report, cohort.key))  # fmt: skip
    if not drawn:
        _nothing(axes, t)
        return
    axes.set_xticks(range(len(LEVELS)))
    axes.set_xticklabels([plain(t(f"impact.sure_{level}")) for level in LEVELS])
    axes.set_ylim(0, 100)
    axes.set_ylabel(plain(t("impact.right_percent")))
    axes.grid(axis="y", alpha=0.3)
    _legend(figure, axes)


def caption(report: ImpactReport, t: Translator) -> str:
    """The album's caption (HTML): what it shows, over which weeks, and what it never shows."""
    by = t(f"impact.by_{report.by}")
    text = t("impact.caption", by=esc(by), weeks=report.weeks,
             since=report.since.isoformat(), min=MIN_PEOPLE)  # fmt: skip
    if report.hidden:
        text += "\n" + t("impact.hidden", count=report.hidden)
    return text

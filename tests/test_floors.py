"""`clicksbot validate` counts each language's tips and questions per competency, shows the mix
of its questions, and warns where a language is under its floor."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO

from clicksbot.content.loader import validate_paths


def test_the_shipped_packs_meet_every_floor() -> None:
    report = validate_paths([REPO / "quizzes"])
    assert report.problems == ()  # no error, no warning: floors included
    summary = report.summary()
    for language in ("en", "ms", "id", "fil", "th", "vi", "km", "ru", "kk", "uz", "pt", "sr",
                     "ar"):  # fmt: skip
        assert f"\n{language}: " in "\n" + summary
    assert "questions: credible" in summary and "techniques" in summary


def test_a_language_under_its_floor_is_warned_about(tmp_path: Path) -> None:
    (tmp_path / "kk").mkdir()
    for pack in (REPO / "quizzes" / "kk").glob("*.yaml"):
        if "tekseru" in pack.name:  # critical thinking only
            shutil.copy(pack, tmp_path / "kk")
    report = validate_paths([tmp_path])
    assert report.errors == []
    warned = [str(p) for p in report.warnings]
    assert len(warned) == 6  # the six other competencies
    assert any("creativity has 0 tip(s) and 0 question(s)" in w and "at least 4" in w
               for w in warned)  # fmt: skip

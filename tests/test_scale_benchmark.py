"""The scale benchmark (issue 18) keeps working: at a tiny size it prints every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ROWS = (
    "file size per person",
    "/quiz p99",
    "question p99",
    "answer p99",
    "/progress p99",
    "/tip p99",
    "/pact p99",
    "/mydata p99",
    "/forget p99",
    "start-up to first poll",
    "start-up, 30 groups",
    "audience count, slowest",
    "enqueue everyone",
    "enqueue biggest daily slot",
    "retention of the inactive",
    "new /start meanwhile, slowest",
    "Targets of issue 18 at 200 people",
)


def test_scale_benchmark_prints_every_row(tmp_path: Path) -> None:
    """scale.py builds a 200-person database, runs the bot on it and prints each figure and
    the targets table, with a measured value (not "> cap") for every per-person action."""
    env = {k: v for k, v in os.environ.items() if k not in ("CLICKSBOT_TOKEN",)}
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "scale.py"),
            "--people",
            "200",
            "--samples",
            "3",
            "--forgets",
            "2",
            "--startups",
            "1",
            "--groups",
            "30",
            "--cap",
            "240",
            "--retention-cap",
            "120",
            "--cache",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for row in ROWS:
        assert row in out, f"{row!r} missing from:\n{out}"
    assert "cores, load average" in out
    figures = out.split("Figures", 1)[1].split("Targets", 1)[0]
    for line in figures.splitlines():
        if line.startswith(("/quiz", "answer", "/progress", "/tip", "/pact", "/mydata", "/forget")):
            assert "ms" in line and ">" not in line, line
    assert "TEST-token" not in out + result.stderr

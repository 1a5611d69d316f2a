"""The scale benchmark (issues 18 and 19) keeps working: at a tiny size it prints every
figure, on SQLite and, where a server is given, on PostgreSQL beside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pgtest
import pytest

REPO = Path(__file__).resolve().parent.parent

ROWS = (
    "database size per person",
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
    "start-up's catch-up (missed slots)",
    "enqueue everyone",
    "the rest, in one go",
    "enqueue biggest daily slot",
    "outbox upkeep, one pass",
    "finished rows folded",
    "retention of the inactive",
    "new /start meanwhile, slowest",
    "RSS after start-up (median)",
    "RSS peak",
    "clicksbot stats (median of 3)",
    "Targets of issue 18 at 200 people",
)
# Beside them, with --compare: both stores and issue 19's check, a verdict for each figure.
BOTH = (
    "Figures on SQLite",
    "Figures on PostgreSQL",
    "move into PostgreSQL (once, kept)",
    "SQLite and PostgreSQL side by side (issue 19)",
    "Issue 19's check",
    "start-up to first poll (s)",
    "RSS after start-up (MiB)",
    "RSS peak (MiB)",
    "/forget p99 (ms)",
    "enqueue everyone (s)",
    "clicksbot stats (s)",
    "the rest of everyone, queued in one go",
)
TINY = ("--people", "200", "--samples", "3", "--forgets", "2", "--startups", "1",
        "--groups", "30", "--cap", "240", "--retention-cap", "120")  # fmt: skip


def environment() -> dict[str, str]:
    """The test's environment without a token, nor a database URL the suite may have set
    (scale.py chooses the store itself)."""
    drop = ("CLICKSBOT_TOKEN", "CLICKSBOT_DATABASE_URL")
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_scale_benchmark_prints_every_row(tmp_path: Path) -> None:
    """scale.py builds a 200-person database, runs the bot on it and prints each figure and
    the targets table, with a measured value (not "> cap") for every per-person action."""
    env = environment()
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
    folded = next(line for line in figures.splitlines() if "finished rows folded" in line)
    assert int(folded.split()[-1].replace(",", "")) > 0, folded  # the population's history
    for line in figures.splitlines():
        if line.startswith(("/quiz", "answer", "/progress", "/tip", "/pact", "/mydata", "/forget")):
            assert "ms" in line and ">" not in line, line
    assert "TEST-token" not in out + result.stderr


@pytest.mark.skipif(
    not pgtest.enabled(),
    reason="no PostgreSQL server: set CLICKSBOT_TEST_DATABASE=postgresql://... "
    "(`bash .ci/postgres start` prints one)",
)
def test_scale_benchmark_compares_both_stores(tmp_path: Path) -> None:
    """`--compare URL` runs the 200-person population on SQLite, then moves it into PostgreSQL
    (kept) and runs it on a copy there, and prints both side by side with a pass or FAIL for
    each figure of issue 19; `--side-by-side` prints the same from the kept JSON."""
    import psycopg

    kept = "clicksbot_bench_200_seed18_mix1"
    with psycopg.connect(pgtest.ADMIN_URL, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{kept}" WITH (FORCE)')
    figures = tmp_path / "figures.json"
    try:
        result = subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "scale.py"), *TINY,
             "--cache", str(tmp_path / "cache"), "--compare", pgtest.ADMIN_URL,
             "--json", str(figures)],
            capture_output=True, text=True, timeout=1500, env=environment(), cwd=REPO,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        out = result.stdout
        for row in (*ROWS, *BOTH):
            assert row in out, f"{row!r} missing from:\n{out}"
        check = out.split("Issue 19's check", 1)[1]
        verdicts = [line for line in check.splitlines() if line.startswith(("  pass", "  FAIL"))]
        assert len(verdicts) == 13, check
        assert "fsync" in out and "shared_buffers" in out  # the server's settings are shown
        with psycopg.connect(pgtest.ADMIN_URL, autocommit=True) as db:
            names = {r[0] for r in db.execute("SELECT datname FROM pg_database")}
        runs = [n for n in names if n.startswith("clicksbot_run_200_")]
        assert kept in names and runs == []  # kept; the run's copy gone
        again = subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "scale.py"), "--side-by-side",
             str(figures), str(figures)],
            capture_output=True, text=True, timeout=120, env=environment(), cwd=REPO,
        )  # fmt: skip
        assert "Issue 19's check" in again.stdout, again.stderr[-3000:]
    finally:
        with psycopg.connect(pgtest.ADMIN_URL, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{kept}" WITH (FORCE)')

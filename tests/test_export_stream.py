"""`clicksbot export pledges` writes rows as they come from the database: the memory it needs
does not grow with the number of pledges (it held every row before: 95 MiB at 250k)."""

from __future__ import annotations

import asyncio
import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import REPO

from clicksbot.store import Store

# Run in a process of its own: the real command line, its Python allocations traced from the
# moment it starts working (imports done), the peak printed last.
TRACED = """
import sys, tracemalloc
import clicksbot.cli, clicksbot.store, csv, asyncio
tracemalloc.start()
code = clicksbot.cli.main(sys.argv[1:])
print(tracemalloc.get_traced_memory()[1], code)
"""


def database(tmp: Path, pledges: int) -> Path:
    path = tmp / f"pledges-{pledges}.sqlite3"

    async def schema() -> None:
        store = await Store.open(path)
        await store.close()

    asyncio.run(schema())
    db = sqlite3.connect(path)
    db.executemany(
        "INSERT INTO users (id, language, created_at, last_seen_at) VALUES (?, 'en', 'x', 'x')",
        ((i,) for i in range(pledges)),
    )
    db.executemany(
        "INSERT INTO pledges (user_id, version, language, country, via, pledged_at)"
        " VALUES (?, 1, 'en', ?, ?, ?)",
        (
            (i, ("MY", "PH", "ID")[i % 3], i - 1 if i % 4 == 0 else None,
             f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00+00:00")
            for i in range(pledges)
        ),
    )  # fmt: skip
    db.commit()
    db.close()
    return path


def export_peak(tmp: Path, path: Path) -> tuple[int, Path]:
    """Export the pledges of `path` with the real command; return its peak and the CSV."""
    config = tmp / f"{path.stem}.yaml"
    config.write_text(f"database: {path}\npacks_dir: {REPO / 'quizzes'}\n")
    target = tmp / f"{path.stem}.csv"
    result = subprocess.run(
        [sys.executable, "-c", TRACED, "export", "pledges", "--config", str(config),
         "--output", str(target)],
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
        env={**os.environ, "CLICKSBOT_TOKEN": ""},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    peak, code = result.stdout.split()
    assert code == "0"
    return int(peak), target


def test_exporting_ten_times_the_pledges_takes_no_more_memory(tmp_path: Path) -> None:
    """The peak of Python's allocations while exporting 50,000 pledges is within 512 KiB of
    that for 5,000 (holding them all would take some 10 MiB more), and every row is there."""
    small, small_csv = export_peak(tmp_path, database(tmp_path, 5_000))
    large, large_csv = export_peak(tmp_path, database(tmp_path, 50_000))
    with large_csv.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["pledged_on", "version", "language", "country", "invited", "withdrawn_on"]
    assert len(rows) == 50_001 and len(small_csv.read_text().splitlines()) == 5_001
    assert rows[1][0] <= rows[-1][0]  # in day order
    assert large - small < 512 * 1024, (small, large)

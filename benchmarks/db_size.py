"""Print what the database keeps per person, table by table (with its indexes), before and
after the outbox's finished rows are folded into their fan-outs' counts.

Builds PEOPLE with the mix of benchmarks/people_db.py and DAYS days of daily tips (each
subscriber has one outbox row a day until compaction; with the old 365-day purge that was up
to 365 rows), then measures with SQLite's dbstat, runs `Store.compact_deliveries` as the bot
does (rows older than two days), VACUUMs (as `clicksbot backup` copies would be), and
measures again. Also prints what the per-person indexes of m017 cost.

    python benchmarks/db_size.py [--people 20000] [--days 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from people_db import NOW, build

from clicksbot.app import OUTBOX_HISTORY
from clicksbot.store import Store

M017_INDEXES = (
    "deliveries_by_user", "pledges_by_user", "pledges_by_via", "group_answers_by_user",
    "group_members_by_user", "audit_log_by_actor", "audit_log_by_target",
    "broadcasts_by_creator", "broadcasts_by_job", "campaigns_by_creator",
    "moderators_by_granter",
)  # fmt: skip


def sizes(path: Path) -> tuple[int, dict[str, int], int]:
    """Return the file's size, bytes per table (its indexes included), and m017's indexes."""
    db = sqlite3.connect(path)
    try:
        owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_master"))
        per: dict[str, int] = {}
        m017 = 0
        for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            per[owner.get(name, name)] = per.get(owner.get(name, name), 0) + int(size)
            if name in M017_INDEXES:
                m017 += int(size)
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        (page,) = db.execute("PRAGMA page_size").fetchone()
        return int(pages) * int(page), per, m017
    finally:
        db.close()


def show(title: str, path: Path, people: int) -> int:
    total, per, m017 = sizes(path)
    print(f"{title}: {total / 2**20:.1f} MiB, {total / people:.0f} bytes a person")
    for table, size in sorted(per.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {table:<18}{size / people:8.0f} B/person {100 * size / total:5.1f}%")
    print(f"  (m017's per-person indexes: {m017 / people:.0f} B/person, {100 * m017 / total:.1f}%)")
    return total


async def compact(path: Path) -> int:
    store = await Store.open(path)
    try:
        gone = 0
        while folded := await store.compact_deliveries(NOW - OUTBOX_HISTORY, pace=None):
            gone += folded
        return gone
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30, help="days of daily tips sent")
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, load average {load}")
    print(f"{args.people:,} people, {args.days} days of daily tips to the 40% who subscribed")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "size.sqlite3"
        build(path, args.people, tip_days=args.days, pending_share=0.0)
        db = sqlite3.connect(path)
        db.execute("VACUUM")
        db.close()
        before = show("before compaction", path, args.people)
        gone = asyncio.run(compact(path))
        db = sqlite3.connect(path)
        db.execute("VACUUM")
        db.close()
        print(f"compacted: {gone:,} finished outbox rows became their fan-outs' counts")
        after = show("after compaction", path, args.people)
        print(f"saved {(before - after) / args.people:.0f} bytes a person "
              f"({100 * (before - after) / before:.0f}%)")  # fmt: skip


if __name__ == "__main__":
    main()

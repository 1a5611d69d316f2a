"""The retention pass drops the outbox's old jobs once nothing refers to them, reading no
job's rows: finished rows were folded into their job's counts already, pending ones stay."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pgtest
import pytest

from clicksbot.store import Store

LONG_AGO = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def test_old_jobs_go_once_their_rows_are_counts_and_pending_ones_stay(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        for person in range(1, 31):
            await store.touch_user(person, "en", LONG_AGO)
        done = await store.queue_message("done", {"text": {"en": "x"}}, LONG_AGO)
        waiting = await store.queue_message("waiting", {"text": {"en": "y"}}, LONG_AGO)
        assert done is not None and waiting is not None
        # A broadcast whose people are still to be queued (cut before its first window):
        # no rows yet, but not finished either.
        fill_chunk = store._fill_chunk

        async def cut(job_id: int, now: datetime) -> tuple[int, bool]:
            raise RuntimeError("crash")

        store._fill_chunk = cut  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="crash"):
            await store.queue_message("unqueued", {"text": {"en": "z"}}, LONG_AGO)
        store._fill_chunk = fill_chunk  # type: ignore[method-assign]
        for row in await store.pending_deliveries(None, 100):
            if row.job_id == done[0]:
                await store.delivery_sent(row, 7, LONG_AGO)
        assert await store.compact_deliveries(NOW - timedelta(days=2)) == 30
        assert await store.purge_deliveries(NOW - timedelta(days=365)) == 1
        with pgtest.connect(path) as db:
            jobs = db.execute("SELECT key FROM jobs ORDER BY id").fetchall()
        assert jobs == [("waiting",), ("unqueued",)]  # its 30 pending messages stay, with it
        assert len(await store.pending_deliveries(None, 100)) == 30
    finally:
        await store.close()


@pytest.mark.sqlite_only("reads SQLite's query plans")
async def test_looking_for_old_jobs_reads_no_outbox_rows(tmp_path: Path) -> None:
    """Every statement the purge runs seeks the outbox by its key: none reads a job's rows."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    statements: list[str] = []
    try:
        await store.touch_user(1, "en", LONG_AGO)
        await store.queue_message("waiting", {"text": {"en": "y"}}, LONG_AGO)
        await store._db.set_trace_callback(statements.append)
        await store.purge_deliveries(NOW - timedelta(days=365))
        await store._db.set_trace_callback(None)
    finally:
        await store.close()
    db = sqlite3.connect(path)
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "DELETE"))]
    assert any("deliveries" in s for s in reads)
    for statement in reads:
        details = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}")]
        assert not any(d.startswith("SCAN") and "deliveries" in d for d in details), details
        assert not any(d.startswith("SCAN d") for d in details), details

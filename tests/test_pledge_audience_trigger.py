"""On PostgreSQL, the pledges' audience trigger (m018, m025) reads the pledges of the people a
statement changed, not the whole table, and nothing when no pledge changed in a way that counts
(a /forget clears `via` on others' pledges: none, mostly). The counts stay true: see
test_jobs_at_scale's test_audience_sizes_stay_equal_to_the_real_counts."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pgtest
import pytest

from clicksbot.store import Store

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PEOPLE = 300


def pledges_read(db: Any) -> int:
    """Rows of `pledges` read so far in this session's database (by scans and index scans)."""
    db.execute("SELECT pg_stat_force_next_flush()")
    db.execute("SELECT pg_stat_clear_snapshot()")
    (read,) = db.execute(
        "SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)"
        " FROM pg_stat_user_tables WHERE relname = 'pledges'"
    ).fetchone()
    return int(read)


@pytest.mark.skipif(
    not pgtest.enabled(),
    reason="PostgreSQL only: its statement-level trigger (SQLite's are per row); "
    "set CLICKSBOT_TEST_DATABASE=postgresql://... (`bash .ci/postgres start` prints one)",
)
async def test_the_trigger_reads_only_the_pledges_of_the_people_changed(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "clicksbot.sqlite3")
    try:
        for person in range(1, PEOPLE + 1):
            await store.touch_user(person, "en", NOW)
            await store.pledge(person, 1, "en", None, NOW)
        await store.touch_user(PEOPLE + 1, "en", NOW)  # no pledge
        before = await store.audience_size({"kind": "pledged"})
        import psycopg

        with contextlib.closing(
            psycopg.connect(os.environ["CLICKSBOT_DATABASE_URL"], autocommit=True)
        ) as db:
            # The table is small here: the planner would read it whole whatever the query.
            db.execute("SET enable_seqscan = off")
            db.execute("ANALYZE pledges")
            start = pledges_read(db)
            db.execute("UPDATE pledges SET via = NULL WHERE via = %s", (PEOPLE + 1,))  # none
            db.execute("UPDATE pledges SET via = NULL WHERE user_id = %s", (7,))  # counts not
            db.execute("DELETE FROM users WHERE id = %s", (PEOPLE + 1,))  # no pledge
            db.execute("DELETE FROM users WHERE id = %s", (5,))  # a pledged person
            read = pledges_read(db) - start
        assert read < 20, f"the trigger read {read} pledges of {PEOPLE}"
        assert await store.audience_size({"kind": "pledged"}) == before - 1
    finally:
        await store.close()

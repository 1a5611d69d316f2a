"""The impact report's summary of each person (impact_people, migration m020) is what counting
their answers and active days would give: kept by the bot's own writes (a question asked, its
answer, the rating or its skip, active days in any order, far apart), and made from the rows
already there when the migration runs."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pgtest
import pytest

from clicksbot.store import Store
from clicksbot.store import db as store_db
from clicksbot.store.impact import COLUMNS, EPOCH
from clicksbot.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
BITS = 62


def recount(path: Path) -> dict[int, tuple[int, ...]]:
    """Each person's summary counted from their answers and days, as impact_people keeps it."""
    db = pgtest.connect(path)
    try:
        people: dict[int, dict[str, int]] = {}
        for uid, competency, confidence, correct in db.execute(
            "SELECT user_id, competency, confidence, correct FROM answers WHERE correct IS NOT NULL"
        ):
            row = people.setdefault(uid, {})
            for kind in (competency, str(confidence)):
                if kind in COLUMNS:
                    row[COLUMNS[kind]] = row.get(COLUMNS[kind], 0) + (1 << 32) + correct
        weeks: dict[int, set[int]] = {}
        for uid, day in db.execute("SELECT user_id, day FROM activity_days"):
            weeks.setdefault(uid, set()).add((date.fromisoformat(day) - EPOCH).days // 7)
        out = {}
        for uid in set(people) | set(weeks):
            last = max(weeks[uid]) if uid in weeks else None
            mask = sum(1 << (last - w) for w in weeks.get(uid, ()) if last is not None
                       and last - w < BITS)  # fmt: skip
            out[uid] = (*(people.get(uid, {}).get(c, 0) for c in COLUMNS.values()), last, mask)
        return out
    finally:
        db.close()


def kept(path: Path) -> dict[int, tuple[int, ...]]:
    db = pgtest.connect(path)
    try:
        columns = ", ".join(COLUMNS.values())
        return {
            r[0]: tuple(r[1:])
            for r in db.execute(f"SELECT user_id, {columns}, last_week, weeks FROM impact_people")
        }
    finally:
        db.close()


async def test_the_bots_writes_keep_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = await Store.open(path)
    try:
        for uid in (1, 2, 3):
            await store.touch_user(uid, "en", NOW)
        plays = [
            (1, "literacy", True, 3),
            (1, "literacy", False, 3),
            (1, "creativity", True, None),  # skipped the rating
            (2, "knowledge", False, 1),
            (2, "critical-thinking", True, 2),
        ]
        for i, (uid, competency, correct, sure) in enumerate(plays):
            asked = await store.ask(uid, f"q{i}", competency, competency, "f", (0, 1), NOW)
            assert await store.record_answer(asked, uid, 0, correct, NOW, box=1, due=None)
            assert await store.rate_answer(asked, uid, sure, NOW)
        await store.ask(3, "q9", "literacy", "literacy", "f", (0, 1), NOW)  # never answered
        today = NOW.date()
        for uid, day in (
            (1, today),
            (1, today),  # the same day again: counted once
            (1, today - timedelta(days=10)),  # an older day, after a newer one
            (1, today - timedelta(weeks=70)),  # older than the mask remembers
            (2, today - timedelta(weeks=80)),
            (2, today),  # 80 weeks later: the old week is shifted out
            (3, today + timedelta(days=1)),  # tomorrow already, in their time zone
        ):
            await store.add_activity_day(uid, day)
    finally:
        await store.close()
    expected = recount(path)
    assert kept(path) == expected
    row = dict(zip(COLUMNS.values(), kept(path)[1], strict=False))
    assert row["c_literacy"] == (2 << 32) + 1 and row["sure_3"] == (2 << 32) + 1
    assert row["sure_1"] == 0  # the skipped rating counts in its competency only


@pytest.mark.sqlite_only(
    "builds a database as it was before m020, which the PostgreSQL run's template is past"
)
async def test_the_migration_counts_what_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.sqlite3"
    monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS[:19])
    await (await Store.open(path)).close()
    with sqlite3.connect(path) as db:
        stamp = NOW.isoformat()
        db.executemany(
            "INSERT INTO users (id, language, created_at, last_seen_at) VALUES (?, 'en', ?, ?)",
            [(uid, stamp, stamp) for uid in (1, 2, 3)],
        )
        db.executemany(
            "INSERT INTO answers (user_id, question_id, competency, topic, fingerprint,"
            " option_order, asked_at, answered_at, choice, correct, confidence)"
            " VALUES (?, 'q', ?, 't', 'f', '0,1', ?, ?, 0, ?, ?)",
            [
                (1, "literacy", stamp, stamp, 1, 3),
                (1, "literacy", stamp, stamp, 0, None),
                (2, "sustainability", stamp, stamp, 1, 1),
                (3, "literacy", stamp, None, None, None),  # asked, never answered
            ],
        )
        db.executemany(
            "INSERT INTO activity_days (user_id, day) VALUES (?, ?)",
            [(1, "2026-11-24"), (1, "2026-11-02"), (1, "2025-01-06"), (3, "2026-11-25")],
        )
    monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS)
    await (await Store.open(path)).close()
    assert kept(path) == recount(path)
    assert set(kept(path)) == {1, 2, 3}

"""Statements sent together (`dialect.execute_all`): on PostgreSQL one round trip for all, in
order, inside the write's transaction; on SQLite one after another. A person's deletion uses
it: on PostgreSQL it was some thirty round trips, most of its time."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pgtest
import pytest

from clicksbot.store import Store
from clicksbot.store.dialect import PgConnection, execute_all
from clicksbot.store.locking import writes

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Note each statement sent to PostgreSQL from now on (one round trip each)."""
    trips: list[str] = []
    on = PgConnection._on

    async def counted_on(self: PgConnection, conn: Any, sql: str, *rest: Any, **named: Any) -> Any:
        trips.append(sql)
        return await on(self, conn, sql, *rest, **named)

    monkeypatch.setattr(PgConnection, "_on", counted_on)
    return trips


async def totals(store: Store) -> dict[str, int]:
    async with store._db.execute("SELECT key, count FROM forgotten_totals ORDER BY key") as cur:
        return {str(k): int(c) for k, c in await cur.fetchall()}


async def test_a_batch_runs_in_order_with_its_values_and_literal_percents(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "clicksbot.sqlite3")
    try:
        await execute_all(
            store._db,
            [
                (
                    "INSERT INTO forgotten_totals (key, count) VALUES (?, ?), (?, ?)",
                    ("a%b", 1, "c?d", 2),
                ),
                ("UPDATE forgotten_totals SET count = count + ? WHERE key LIKE 'a%'", (10,)),
                ("DELETE FROM forgotten_totals WHERE key = 'c?d'", ()),
            ],
        )
        assert await totals(store) == {"a%b": 11}
        await execute_all(store._db, [])  # nothing to send: nothing sent
        assert await totals(store) == {"a%b": 11}
    finally:
        await store.close()


class Batched(Store):
    @writes
    async def write_then_fail(self) -> None:
        await execute_all(
            self._db,
            [
                ("INSERT INTO forgotten_totals (key, count) VALUES (?, ?)", ("kept?", 1)),
                ("INSERT INTO forgotten_totals (key, count) VALUES (?, ?)", ("kept?", 2)),
            ],
        )


async def test_a_failing_batch_inside_a_write_leaves_nothing_and_the_store_usable(
    tmp_path: Path,
) -> None:
    store = await Batched.open(tmp_path / "clicksbot.sqlite3")
    try:
        with pytest.raises(sqlite3.IntegrityError):  # the second row's key is taken
            await store.write_then_fail()
        assert await totals(store) == {}  # the first row went with the transaction
        await store.touch_user(5, "en", NOW)
        assert (await store.get_user(5)) is not None
    finally:
        await store.close()


@pytest.mark.skipif(
    not pgtest.enabled(),
    reason="PostgreSQL only: the round trips of a deletion (SQLite's statements make none); "
    "set CLICKSBOT_TEST_DATABASE=postgresql://... (`bash .ci/postgres start` prints one)",
)
async def test_forgetting_someone_on_postgresql_takes_a_few_round_trips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await Store.open(tmp_path / "clicksbot.sqlite3")
    try:
        await store.touch_user(7, "en", NOW)
        await store.touch_user(8, "en", NOW)
        trips = round_trips(monkeypatch)
        assert await store.forget(7)
        assert len(trips) <= 3, trips  # the reading, the batch of writes (and the salt)
        assert await store.get_user(7) is None
        assert await store.get_user(8) is not None
    finally:
        await store.close()


@pytest.mark.skipif(
    not pgtest.enabled(),
    reason="PostgreSQL only: the round trips of an answer (SQLite's statements make none); "
    "set CLICKSBOT_TEST_DATABASE=postgresql://... (`bash .ci/postgres start` prints one)",
)
async def test_an_answer_on_postgresql_is_one_statement_and_recorded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer, the question's summary and the activity day go in one statement (they were
    three round trips, with BEGIN and COMMIT the slowest reply on PostgreSQL); a second press
    writes nothing: no second count in the summary, no day."""
    store = await Store.open(tmp_path / "clicksbot.sqlite3")
    try:
        user, _ = await store.touch_user(7, "en", NOW)
        asked = await store.ask(user.id, "q-1", "critical_thinking", "any", "f", (1, 0), NOW)
        trips = round_trips(monkeypatch)
        awarded = await store.record_answer_and_progress(
            asked, user.id, 0, True, NOW, box=2, due=NOW.date(), day=NOW.date(), badges=[]
        )
        assert awarded == ()
        assert len(trips) == 1, trips
        again = await store.record_answer_and_progress(
            asked, user.id, 1, False, NOW, box=1, due=None, day=NOW.replace(day=29).date(),
            badges=[],
        )  # fmt: skip
        assert again is None
        monkeypatch.undo()
        found = await store.get_asked(asked)
        assert found is not None and found.answered_at is not None and found.correct
        summary = await store.question_summary(user.id, "q-1")
        assert summary is not None
        assert (summary.answered, summary.answered_right, summary.box) == (1, 1, 2)
        assert (await store.learner_record(user.id)).days == (NOW.date(),)
    finally:
        await store.close()

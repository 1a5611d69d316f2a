"""The store's leases: which running instance leads (a part of `Store`).

A lease is a row with a holder and an expiry. The holder renews it well before it expires;
another instance takes it only once it has expired (or was given up). Times are read from the
database's own clock (`dialect.now_ms`), never from an instance's: on PostgreSQL every instance
asks the one server, so two machines whose clocks disagree still agree on who holds the lease;
on SQLite every process on the file runs on one machine, with one clock. The holder itself
reasons on its monotonic clock from the moment it *asked* (see clicksbot.leader), which is
never later than the moment the database wrote the expiry, so it always steps down before
anyone else may take over.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

import aiosqlite

from clicksbot.store.checkpoints import writer_settings
from clicksbot.store.dialect import PgLeaseLine, is_postgresql, now_ms

LEADER = "leader"  # the lease of the instance that polls, runs the clock and the outbox


@dataclass(frozen=True)
class Lease:
    """A lease as the database holds it."""

    name: str
    holder: str
    term: int  # 1 for its first holder, one more at each change of holder
    expires_in: float  # seconds left, by the database's clock (0 or less: expired)


class LeaseQueries:
    """Leases; mixed into `Store`, which owns the connection.

    The lease has a path of its own. On PostgreSQL: never the store's write lock (a renewal
    must not queue behind a long write) and a connection apart from the pool
    (`dialect.PgLeaseLine`). On SQLite: a second connection to the file, in autocommit mode,
    whose writes take their turn in the store's write lock. SQLite's file lock alone is not
    fair: its busy handler looks again after sleeps of up to 100 ms, and a fill of a million
    people is thousands of transactions back to back, so a renewal looking for a gap between
    them missed it for its whole busy timeout, again and again (a lone bot at 1M stepped down
    mid-fill). The write lock is first come, first served, and every write under it is
    short. Every lease action is one statement."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock
    path: str
    _lease_line: PgLeaseLine | aiosqlite.Connection | None = None

    async def _on_lease_line(
        self, sql: str, params: tuple[Any, ...], *, write: bool = True
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Run one lease statement on the lease's own connection (`write`: it changes the
        lease)."""
        if is_postgresql(self._db):
            if not isinstance(self._lease_line, PgLeaseLine):
                self._lease_line = PgLeaseLine(cast(Any, self._db).url)
            return await self._lease_line.run(sql, params)
        if self.path == ":memory:":  # one process alone: its one connection
            async with self._write_lock:
                cur = await self._db.execute(sql, params)
                rows = [tuple(r) for r in await cur.fetchall()]
                await self._db.commit()
                return rows, cur.rowcount
        if self._lease_line is None:
            line = await aiosqlite.connect(self.path, isolation_level=None)
            await line.execute("PRAGMA busy_timeout=5000")
            for pragma in writer_settings():  # as the store's own connection
                await line.execute(pragma)
            self._lease_line = line
        assert isinstance(self._lease_line, aiosqlite.Connection)
        line = self._lease_line
        if not write:  # a read waits for no writer (WAL)
            return await self._run_lease(line, sql, params)
        async with self._write_lock:
            return await self._run_lease(line, sql, params)

    @staticmethod
    async def _run_lease(
        line: aiosqlite.Connection, sql: str, params: tuple[Any, ...]
    ) -> tuple[list[tuple[Any, ...]], int]:
        cur = await line.execute(sql, params)
        rows = [tuple(r) for r in await cur.fetchall()]
        await cur.close()
        return rows, cur.rowcount

    async def _close_lease_line(self) -> None:
        line, self._lease_line = self._lease_line, None
        if line is not None:
            await line.close()

    async def hold_lease(self, name: str, holder: str, seconds: float) -> Lease | None:
        """Take the lease `name` for `holder` for `seconds` if it is free, expired or already
        theirs (then it is renewed); return it, or None while another holds it. One statement:
        of two instances asking at once, one gets it."""
        now = now_ms(self._db)
        rows, _ = await self._on_lease_line(
            "INSERT INTO leases (name, holder, term, taken_at, expires_at)"
            f" VALUES (?, ?, 1, {now}, {now} + ?)"
            " ON CONFLICT (name) DO UPDATE SET"
            " term = CASE WHEN leases.holder = excluded.holder THEN leases.term"
            " ELSE leases.term + 1 END,"
            " taken_at = CASE WHEN leases.holder = excluded.holder THEN leases.taken_at"
            " ELSE excluded.taken_at END,"
            " holder = excluded.holder, expires_at = excluded.expires_at"
            f" WHERE leases.holder = excluded.holder OR leases.expires_at <= {now}"
            f" RETURNING holder, term, expires_at - {now}",
            (name, holder, int(seconds * 1000)),
        )
        row = next(iter(rows), None)
        if row is None or str(row[0]) != holder:
            return None
        return Lease(name, str(row[0]), int(row[1]), int(row[2]) / 1000)

    async def give_up_lease(self, name: str, holder: str) -> bool:
        """End `holder`'s lease now (a clean stop), so a standby takes it at its next look;
        return whether they held it."""
        now = now_ms(self._db)
        _, count = await self._on_lease_line(
            f"UPDATE leases SET expires_at = {now} WHERE name = ? AND holder = ?"
            f" AND expires_at > {now}",
            (name, holder),
        )
        return count == 1

    async def lease(self, name: str) -> Lease | None:
        """Return the lease `name` as it stands (None: never taken)."""
        rows, _ = await self._on_lease_line(
            f"SELECT holder, term, expires_at - {now_ms(self._db)} FROM leases WHERE name = ?",
            (name,),
            write=False,
        )
        row = next(iter(rows), None)
        if row is None:
            return None
        return Lease(name, str(row[0]), int(row[1]), int(row[2]) / 1000)

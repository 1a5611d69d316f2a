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

import aiosqlite

from clicksbot.store.dialect import now_ms
from clicksbot.store.locking import writes

LEADER = "leader"  # the lease of the instance that polls, runs the clock and the outbox


@dataclass(frozen=True)
class Lease:
    """A lease as the database holds it."""

    name: str
    holder: str
    term: int  # 1 for its first holder, one more at each change of holder
    expires_in: float  # seconds left, by the database's clock (0 or less: expired)


class LeaseQueries:
    """Leases; mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    @writes
    async def hold_lease(self, name: str, holder: str, seconds: float) -> Lease | None:
        """Take the lease `name` for `holder` for `seconds` if it is free, expired or already
        theirs (then it is renewed); return it, or None while another holds it. One statement:
        of two instances asking at once, one gets it."""
        now = now_ms(self._db)
        await self._db.execute(
            "INSERT INTO leases (name, holder, term, taken_at, expires_at)"
            f" VALUES (?, ?, 1, {now}, {now} + ?)"
            " ON CONFLICT (name) DO UPDATE SET"
            " term = CASE WHEN leases.holder = excluded.holder THEN leases.term"
            " ELSE leases.term + 1 END,"
            " taken_at = CASE WHEN leases.holder = excluded.holder THEN leases.taken_at"
            " ELSE excluded.taken_at END,"
            " holder = excluded.holder, expires_at = excluded.expires_at"
            f" WHERE leases.holder = excluded.holder OR leases.expires_at <= {now}",
            (name, holder, int(seconds * 1000)),
        )
        lease = await self._lease(name)
        return lease if lease is not None and lease.holder == holder else None

    @writes
    async def give_up_lease(self, name: str, holder: str) -> bool:
        """End `holder`'s lease now (a clean stop), so a standby takes it at its next look;
        return whether they held it."""
        now = now_ms(self._db)
        cur = await self._db.execute(
            f"UPDATE leases SET expires_at = {now} WHERE name = ? AND holder = ?"
            f" AND expires_at > {now}",
            (name, holder),
        )
        return cur.rowcount == 1

    async def lease(self, name: str) -> Lease | None:
        """Return the lease `name` as it stands (None: never taken)."""
        return await self._lease(name)

    async def _lease(self, name: str) -> Lease | None:
        rows = await self._db.execute_fetchall(
            f"SELECT holder, term, expires_at - {now_ms(self._db)} FROM leases WHERE name = ?",
            (name,),
        )
        row = next(iter(rows), None)
        if row is None:
            return None
        return Lease(name, str(row[0]), int(row[1]), int(row[2]) / 1000)

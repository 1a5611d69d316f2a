"""What the store holds about a person: all of it for /mydata, none of it after /forget."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from clicksbot.store import marks
from clicksbot.store.checkpoints import Checkpointer, between_writes
from clicksbot.store.dialect import columns_sql, execute_all, for_update, is_postgresql
from clicksbot.store.locking import Locked, writes
from clicksbot.store.scans import ScanQueries
from clicksbot.store.stamps import to_text

logger = logging.getLogger(__name__)

PURGE_JOBS = 1000  # job ids looked through in one write for old jobs to delete

# Every table, with the columns that hold a person's Telegram id. A table that holds nobody's
# id says so with (); a test checks this list against the schema, so none can be forgotten.
PERSONAL: dict[str, tuple[str, ...]] = {
    "users": ("id", "referred_by"),
    "seen_tips": ("user_id",),
    "answers": ("user_id",),
    "activity_days": ("user_id",),
    "badges": ("user_id",),
    "pledges": ("user_id", "via"),
    "deliveries": ("user_id",),
    "moderators": ("user_id", "granted_by"),
    "audit_log": ("actor",),
    "campaigns": ("created_by",),
    "broadcasts": ("created_by",),
    "jobs": (),  # keys of invitation notices name a person: see forget()
    "forgotten_totals": (),  # keys "friends:<id>" name an inviter: see forget()
    "audience_counts": (),  # totals by language, country...: nobody's id
    "schema_migrations": (),
    "group_settings": (),  # chats, not people
    "group_questions": (),
    "group_answers": ("user_id",),
    "group_members": ("user_id",),
    "salts": (),
    "forgotten_marks": ("inviter",),  # digests, never ids: see clicksbot/store/marks.py
    "progress_messages": ("chat_id",),
    "rounds": ("user_id",),
    "checkups": ("user_id",),
    "reminders": ("user_id",),
    "boosters": ("user_id",),
    "pledge_totals": (),  # people per country: counts, nobody's id
    "dialogues": ("chat_id", "user_id"),
    "impact_people": ("user_id",),
    "campaign_people": ("user_id",),
    "leases": (),  # which instance leads: host and process, nobody's id
}
# Where a person's own data is (for /mydata): the rows that are theirs, not others' rows
# that merely mention them.
OWN: dict[str, str] = {
    "users": "id",
    "seen_tips": "user_id",
    "answers": "user_id",
    "activity_days": "user_id",
    "badges": "user_id",
    "pledges": "user_id",
    "deliveries": "user_id",
    "moderators": "user_id",
    "group_answers": "user_id",
    "group_members": "user_id",
    "rounds": "user_id",
    "checkups": "user_id",
    "reminders": "user_id",
    "boosters": "user_id",
    "dialogues": "user_id",
    "impact_people": "user_id",
    "campaign_people": "user_id",
}
# Columns of a person's own rows that name somebody else: /mydata says who they are to the
# person ("a friend"), never their Telegram id.
OTHERS: dict[tuple[str, str], str] = {
    ("users", "referred_by"): "friend",
    ("pledges", "via"): "friend",
    ("moderators", "granted_by"): "admin",
}


@dataclass(frozen=True)
class Someone:
    """Another person named in one's own data, by what they are to them, not by id."""

    role: str  # "friend" (who invited them) or "admin" (who made them a moderator)


async def scrub(store: Locked) -> None:
    """Copy the write-ahead log into the database file and empty it, so that rows just deleted
    leave no copy on disk: the log holds the pages as they were before, and with secure_delete
    the file's own copy is zeroed.

    It is done on the checkpointer's connection (store.checkpoints): first a passive copy of
    the log with no lock held, and a big log's file cut down in steps (`Checkpointer.cut`:
    truncating the tens of MB the start's catch-up can leave took 50-160 ms in one go), then,
    holding the store's write lock so that no reply's write runs into SQLite's busy wait, the
    few pages written meanwhile and the truncation. A reader (a reply's, or `clicksbot
    backup`) can hold the log for a moment; SQLite then waits up to the busy timeout, and a
    log it still could not empty is emptied by the next scrub. The deletion itself is
    already committed either way. PostgreSQL has no such file of the bot's: its own VACUUM
    reclaims dead rows."""
    if is_postgresql(store._db):
        return
    checkpointer: Checkpointer | None = getattr(store, "checkpointer", None)
    if checkpointer is None or not checkpointer.running:
        await _scrub_here(store)
        return
    busy = True
    try:
        await checkpointer.cut()  # a passive copy first, and a big log's file cut down
        async with store._write_lock:
            busy = bool((await checkpointer.checkpoint("TRUNCATE"))[0])
    except sqlite3.OperationalError as error:
        logger.warning("Could not empty the write-ahead log: %s", error)
    if busy:
        logger.warning("The write-ahead log is in use; deleted data is scrubbed from it later")


async def _scrub_here(store: Locked) -> None:
    """`scrub` on the store's own connection (an in-memory store has no checkpointer).

    A statement another handler still has open on that connection (a reply's read, say) makes
    SQLite refuse the checkpoint at once ("database table is locked"): such reads end within
    milliseconds, so this tries again a few times before leaving it to the next scrub."""
    busy = True
    for attempt in range(SCRUB_TRIES):
        try:
            async with (
                store._write_lock,
                store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur,
            ):
                row = await cur.fetchone()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            await asyncio.sleep(SCRUB_PAUSE * (attempt + 1))
            continue
        busy = row is not None and bool(row[0])
        break
    if busy:
        logger.warning("The write-ahead log is in use; deleted data is scrubbed from it later")


SCRUB_TRIES = 5
# Who retention forgets (its one argument: the time before which they were last seen).
_INACTIVE = "last_seen_at < ? AND id NOT IN (SELECT user_id FROM moderators)"
WARM_AHEAD = 8  # people whose rows are read before a batch of retention deletes them
SCRUB_PAUSE = 0.02  # seconds, growing with each try


class PrivacyQueries(ScanQueries):
    """Mixed into `Store`, which owns the connection."""

    _warmed: frozenset[int] = frozenset()  # the people `_warm` read last

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock
    _column_names: dict[str, list[str]]  # see `_columns`

    async def personal_data(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Return every row that is this person's, table by table."""
        data: dict[str, list[dict[str, Any]]] = {}
        for table, column in OWN.items():
            # Every column, whatever a later migration adds (named by the schema: a read is
            # read whole, and gives no cursor to name them, see store.reading.WholeReads).
            names = await self._columns(table)
            found = await self._db.execute_fetchall(
                f"SELECT {', '.join(names)} FROM {table} WHERE {column} = ?", (user_id,)
            )
            rows = [dict(zip(names, row, strict=True)) for row in found]
            for row in rows:
                for name in names:
                    role = OTHERS.get((table, name))
                    if role is not None and row[name] is not None:
                        row[name] = Someone(role)
            if rows:
                data[table] = rows
        return data

    async def _columns(self, table: str) -> list[str]:
        """A table's columns, in their order (read once: the schema is set at start)."""
        if table not in self._column_names:
            rows = await self._db.execute_fetchall(columns_sql(self._db), (table,))
            self._column_names[table] = [str(row[0]) for row in rows]
        return self._column_names[table]

    async def _count(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, args) as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def forget(self, user_id: int) -> bool:
        """Delete everything about a person; keep only anonymous totals, and the marks that
        keep a return from counting them twice (see store.marks). Return whether the bot
        knew them. Nothing of theirs stays on disk, not even in the write-ahead log."""
        known = await self._forget(user_id)
        if known:
            await scrub(self)
        return known

    async def forget_some(
        self, people: list[int], budget: float, inactive_before: datetime | None = None
    ) -> tuple[int, int]:
        """Forget people from the front of `people`, as `forget` does, for about `budget`
        seconds (at least one person); return how many of them were taken, and how many of
        those were forgotten. Others then wait for the write lock at most that long: the
        retention pass forgets many people this way. On SQLite they go in one transaction
        (a commit writes every page it changed to the log, and the batch's deletions share
        pages: the totals, the indexes); on PostgreSQL in one each, so that a newcomer's
        /start, waiting for the write lock (see store.locking), waits for one person's
        deletion, not a batch's (at a million people up to 156-255 ms).

        With `inactive_before`, a person is taken but kept if, in the deletion's own
        transaction, they were seen since (came back after the list was read) or became a
        moderator.

        Unlike `forget`, this does not empty the write-ahead log: the caller does, with
        `scrub_log`, once it has forgotten everyone it meant to (emptying the log holds the
        write lock until the disk has synced, once a pass rather than once a batch)."""
        await self._warm(people[:WARM_AHEAD])
        if is_postgresql(self._db):
            done = await self._forget_for(people, budget, inactive_before, each=True)
        else:
            done = await self._forget_some(people, budget, inactive_before)
        await between_writes(self)
        return done

    async def _warm(self, people: list[int]) -> None:
        """Read the rows of these people that a deletion goes through, beside the writes (on
        SQLite's scan connection), before the write: the inactive are the database's coldest
        rows. At a million people one `DELETE FROM users` waited 40-225 ms on the disk for
        its cascade's pages on SQLite, holding the write lock, with every reply's write behind
        it; on PostgreSQL a deletion's first read took up to 155 ms, holding the write lock
        a newcomer's /start waited for. Read first, the pages are in memory."""
        # The pass walks its list in order: who the last call read is not read again.
        fresh, self._warmed = [p for p in people if p not in self._warmed], frozenset(people)
        if not fresh:
            return
        marks = ", ".join("?" * len(fresh))
        reads = [(f"SELECT * FROM {t} WHERE {c} IN ({marks})", fresh) for t, c in OWN.items()]
        if is_postgresql(self._db):  # all in one round trip, on a pooled connection
            await execute_all(self._db, reads)
            return
        for sql, args in reads:
            await self._scan(sql, args)

    async def scrub_log(self) -> None:
        """Empty the write-ahead log (see `scrub`), after `forget_some`."""
        await scrub(self)

    @writes
    async def _forget_some(
        self, people: list[int], budget: float, before: datetime | None
    ) -> tuple[int, int]:
        return await self._forget_for(people, budget, before, each=False)

    @writes
    async def _forget_one(self, user_id: int, before: datetime | None) -> bool:
        return await self._forget_unless_back(user_id, before)

    async def _forget_for(
        self,
        people: list[int],
        budget: float,
        before: datetime | None,
        *,
        each: bool,
    ) -> tuple[int, int]:
        """Forget people from the front of `people` until `budget` seconds have passed (at
        least one); return how many were taken and how many forgotten. With `each`, each is
        committed on its own, and a failure after the first returns what was done (the
        failing person comes first next time, and fails there); else all go in the caller's
        transaction."""
        forget = self._forget_one if each else self._forget_unless_back
        started = time.monotonic()
        taken = known = 0
        for user_id in people:
            try:
                known += await forget(user_id, before)
            except Exception:
                if each and taken:
                    break
                raise
            taken += 1
            if time.monotonic() - started >= budget:
                break
        return taken, known

    async def _forget_unless_back(self, user_id: int, before: datetime | None) -> bool:
        """Forget a person inside the caller's transaction, unless `before` is given and
        they were seen since or are a moderator now; return whether they were forgotten."""
        if before is not None:
            still = await self._count(
                f"SELECT 1 FROM users WHERE id = ? AND {_INACTIVE}{for_update(self._db)}",
                user_id,
                to_text(before),
            )
            if not still:
                return False
        return await self._forget_person(user_id)

    @writes
    async def _forget(self, user_id: int) -> bool:
        return await self._forget_person(user_id)

    async def _forget_person(self, user_id: int) -> bool:
        """Forget one person inside the caller's transaction (see `forget`).

        What the totals need is read in one statement and the rest written in one batch:
        on PostgreSQL each statement is a round trip, and a deletion was some thirty."""
        found = await self._count(
            "SELECT u.referred_by,"
            " (SELECT COUNT(*) FROM answers a WHERE a.user_id = u.id"
            "  AND a.answered_at IS NOT NULL),"
            " EXISTS (SELECT 1 FROM pledges p WHERE p.user_id = u.id AND p.withdrawn_at IS NULL),"
            " (SELECT p.country FROM pledges p WHERE p.user_id = u.id AND p.withdrawn_at IS NULL"
            "  ORDER BY p.version DESC, p.id DESC LIMIT 1),"
            " (SELECT COUNT(*) FROM deliveries d WHERE d.user_id = u.id AND d.state = 'sent'),"
            " (SELECT COUNT(*) FROM users r WHERE r.referred_by = u.id),"
            " EXISTS (SELECT 1 FROM jobs j WHERE j.key = ?),"
            " EXISTS (SELECT 1 FROM jobs j WHERE j.key = ?)"
            " FROM users u WHERE u.id = ?",
            f"invite:joined:{user_id}",
            f"invite:pledged:{user_id}",
            user_id,
        )
        if not found:
            return False
        inviter, answered, pledged, country, sent, invited, joined, pledge_told = found[0]
        pledged = bool(pledged)
        tallies: dict[str, int] = {"answers": int(answered)}
        batch: list[tuple[str, tuple[Any, ...]]] = []
        key = await marks.salt(self._db, create=True) if pledged or inviter is not None else None
        # Their pledge stays counted, once, under the country of their newest live pledge; a
        # mark takes it out again if they come back (they count again if they pledge again).
        if pledged:
            assert key is not None
            # Out of the running totals of the living, into the anonymous ones.
            batch.append(
                ("UPDATE pledge_totals SET people = people - 1 WHERE country = ?", (country or "",))
            )
            tallies["pledges"] = 1
            if country:
                tallies[f"pledges:{country}"] = 1
            batch.append(
                (
                    "INSERT INTO forgotten_marks (kind, mark, country) VALUES ('pledge', ?, ?)",
                    (marks.mark(key, "pledge", user_id), country),
                )
            )
        if inviter is not None:
            assert key is not None
            tallies[f"friends:{inviter}"] = 1
            if pledged:
                tallies[f"friends_pledged:{inviter}"] = 1
            # Which notices their inviter had: a return through the same link sends none again.
            told = [what for what, had in (("joined", joined), ("pledged", pledge_told)) if had]
            batch.append(
                (
                    "INSERT INTO forgotten_marks (kind, mark, inviter, told, pledged)"
                    " VALUES ('friend', ?, ?, ?, ?)",
                    (
                        marks.mark(key, "friend", inviter, user_id),
                        inviter,
                        ",".join(told),
                        int(pledged),
                    ),
                )
            )
        tallies["messages_sent"] = int(sent)
        tallies["invitations"] = int(invited)
        counted = [(name, count) for name, count in tallies.items() if count]
        if counted:
            batch.insert(
                0,
                (
                    "INSERT INTO forgotten_totals (key, count) VALUES "
                    + ", ".join(["(?, ?)"] * len(counted))
                    + " ON CONFLICT (key) DO UPDATE"
                    " SET count = forgotten_totals.count + excluded.count",
                    tuple(value for pair in counted for value in pair),
                ),
            )
        # Others' rows that mention them lose the mention.
        batch += [
            (sql, (user_id,))
            for sql in (
                "UPDATE users SET referred_by = NULL WHERE referred_by = ?",
                "UPDATE pledges SET via = NULL WHERE via = ?",
                "UPDATE moderators SET granted_by = 0 WHERE granted_by = ?",
                "UPDATE audit_log SET actor = NULL WHERE actor = ?",
                "UPDATE campaigns SET created_by = NULL WHERE created_by = ?",
                "UPDATE broadcasts SET created_by = 0 WHERE created_by = ?",
                "DELETE FROM moderators WHERE user_id = ?",
                "DELETE FROM group_answers WHERE user_id = ?",
                "DELETE FROM group_members WHERE user_id = ?",
                "DELETE FROM forgotten_marks WHERE inviter = ?",
                "DELETE FROM progress_messages WHERE chat_id = ?",
            )
        ]
        batch += [
            ("UPDATE audit_log SET target = NULL WHERE target = ?", (str(user_id),)),
            (
                "DELETE FROM jobs WHERE key IN (?, ?)",
                (f"invite:joined:{user_id}", f"invite:pledged:{user_id}"),
            ),
            (
                "DELETE FROM forgotten_totals WHERE key IN (?, ?)",
                (f"friends:{user_id}", f"friends_pledged:{user_id}"),
            ),
            # Their own rows: the rest goes with the user (ON DELETE CASCADE).
            ("DELETE FROM users WHERE id = ?", (user_id,)),
        ]
        await execute_all(self._db, batch)
        return True

    async def forgotten_total(self, key: str) -> int:
        """Return an anonymous total left by forgotten people."""
        async with self._db.execute(
            "SELECT count FROM forgotten_totals WHERE key = ?", (key,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def purge_deliveries(
        self, before: datetime, stopped: Callable[[], bool] = lambda: False
    ) -> int:
        """Delete the jobs created before `before` that nothing refers to any more: the
        outbox's history is kept no longer than people's other data. Return the jobs deleted.

        Their finished rows went earlier, folded into the jobs' counts two days after they
        were done (`compact_deliveries`); a job still holding a row (one pending, say), a
        broadcast's job, an invitation's (its key is how an inviter is told once per
        friend) and a pact version's (how its notice goes out once, whenever the bot
        starts) stay, and so does one whose people are still being queued. Each id is
        checked by a seek into the outbox's key, never by reading its rows: a job of a
        million pending messages costs no more than an empty one. The jobs are looked
        through PURGE_JOBS ids a write; stops early (the next pass carries on) once
        `stopped()` says so."""
        async with self._db.execute("SELECT MAX(id) FROM jobs") as cur:
            row = await cur.fetchone()
        newest = int(row[0]) if row and row[0] is not None else 0
        deleted = 0
        for start in range(0, newest, PURGE_JOBS):
            if stopped():
                break
            deleted += await self._purge_jobs(start, start + PURGE_JOBS, to_text(before))
            await between_writes(self)
        return deleted

    @writes
    async def _purge_jobs(self, first: int, last: int, cutoff: str) -> int:
        cur = await self._db.execute(
            "DELETE FROM jobs WHERE id > ? AND id <= ? AND created_at < ?"
            " AND key NOT LIKE 'invite:%' AND key NOT LIKE 'pact:%' AND filling IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.job_id = jobs.id)"
            " AND NOT EXISTS (SELECT 1 FROM broadcasts b WHERE b.job_id = jobs.id)",
            (first, last, cutoff),
        )
        return max(cur.rowcount, 0)

    async def inactive_people(
        self, before: datetime, keep: frozenset[int], limit: int = -1
    ) -> list[int]:
        """Return who was last seen before `before` (moderators and `keep` excepted), those
        unseen longest first, at most `limit` of them (-1: all)."""
        spare = ", ".join("?" * len(keep))
        rows = await self._scan(
            f"SELECT id FROM users WHERE {_INACTIVE}"
            + (f" AND id NOT IN ({spare})" if keep else "")
            + " ORDER BY last_seen_at, id"
            + (" LIMIT ?" if limit >= 0 else ""),  # PostgreSQL refuses a negative limit
            (to_text(before), *sorted(keep), *([limit] if limit >= 0 else [])),
        )
        return [int(r[0]) for r in rows]

"""The store's queries for pledges and invitations (a part of `Store`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiosqlite

from clicksbot.store import marks
from clicksbot.store.delivery import PLEDGED_BEFORE, DeliveryQueries
from clicksbot.store.dialect import stream_rows
from clicksbot.store.locking import writes
from clicksbot.store.privacy import scrub
from clicksbot.store.stamps import from_text, to_text


@dataclass(frozen=True)
class Pledge:
    """A person's pledge to one version of the pact."""

    id: int
    user_id: int
    version: int
    language: str
    country: str | None
    display_name: str | None
    via: int | None
    pledged_at: datetime
    withdrawn_at: datetime | None
    certificate_file_id: str | None


@dataclass(frozen=True)
class PledgeCounts:
    """Live pledges: people in all, and per country code (None: country not given)."""

    total: int
    by_country: dict[str | None, int]
    by_day: dict[date, int]


EXPORT_CHUNK = 500  # rows read from the database at a time by an export

_PLEDGE = (
    "SELECT id, user_id, version, language, country, display_name, via, pledged_at,"
    " withdrawn_at, certificate_file_id FROM pledges"
)


def _pledge(row: Any) -> Pledge:
    return Pledge(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], from_text(row[7]),
        from_text(row[8]) if row[8] else None, row[9],
    )  # fmt: skip


class PactQueries(DeliveryQueries):
    """Pledges and invitations; mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    # -- invitations ---------------------------------------------------------------------

    @writes
    async def invite_code(self, user_id: int, make: Callable[[], str]) -> str:
        """Return a person's invitation code, making one (with `make`) the first time."""
        for _ in range(5):
            async with self._db.execute(
                "SELECT invite_code FROM users WHERE id = ?", (user_id,)
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                raise LookupError(f"no user {user_id}")
            if row[0]:
                return str(row[0])
            try:
                await self._db.execute(
                    "UPDATE users SET invite_code = ? WHERE id = ? AND invite_code IS NULL",
                    (make(), user_id),
                )
                await self._db.commit()
            except aiosqlite.IntegrityError:  # the code was taken: make another
                await self._db.rollback()
        raise RuntimeError("could not make a unique invitation code")

    async def inviter(self, code: str) -> int | None:
        """Return who owns an invitation code."""
        async with self._db.execute("SELECT id FROM users WHERE invite_code = ?", (code,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    @writes
    async def credit_invitation(self, user_id: int, inviter_id: int, now: datetime) -> bool:
        """Record who invited a person, once, and never themselves; return whether it was.

        A friend who asked to be forgotten and comes back through the same person's link is
        the same friend: they leave the inviter's anonymous totals for the live count, and
        the notices the inviter had about them stand (they are not sent again).
        """
        cur = await self._db.execute(
            "UPDATE users SET referred_by = ? WHERE id = ? AND referred_by IS NULL AND id != ?",
            (inviter_id, user_id, inviter_id),
        )
        if cur.rowcount != 1:
            return False
        key = await marks.salt(self._db, create=False)
        if key is None:
            return True
        async with self._db.execute(
            "SELECT id, told, pledged FROM forgotten_marks"
            " WHERE kind = 'friend' AND mark = ? AND inviter = ? LIMIT 1",
            (marks.mark(key, "friend", inviter_id, user_id), inviter_id),
        ) as cur:
            found = await cur.fetchone()
        if found is None:
            return True
        mark_id, told, pledged = found
        await self._db.execute("DELETE FROM forgotten_marks WHERE id = ?", (mark_id,))
        await self._untally(f"friends:{inviter_id}")
        if pledged:
            await self._untally(f"friends_pledged:{inviter_id}")
        for what in filter(None, str(told).split(",")):
            await self._new_job(f"invite:{what}:{user_id}", "notice", {}, now)
        return True

    async def _untally(self, key: str) -> None:
        """Take one back from an anonymous total: the person it counted is here again."""
        await self._db.execute(
            "UPDATE forgotten_totals SET count = count - 1 WHERE key = ? AND count > 0", (key,)
        )

    async def referred_by(self, user_id: int) -> int | None:
        """Return who invited a person, if anyone."""
        async with self._db.execute(
            "SELECT referred_by FROM users WHERE id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row and row[0] is not None else None

    async def invitation_counts(self, inviter_id: int) -> tuple[int, int]:
        """Return how many friends a person brought, and how many of them took the pact."""
        async with self._db.execute(
            "SELECT COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM pledges p"
            "  WHERE p.user_id = u.id AND p.withdrawn_at IS NULL) THEN 1 ELSE 0 END)"
            " FROM users u WHERE u.referred_by = ?",
            (inviter_id,),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        async with self._db.execute(
            "SELECT key, count FROM forgotten_totals WHERE key IN (?, ?)",
            (f"friends:{inviter_id}", f"friends_pledged:{inviter_id}"),
        ) as cur:
            gone = {r[0]: int(r[1]) for r in await cur.fetchall()}
        return (
            int(row[0]) + gone.get(f"friends:{inviter_id}", 0),
            int(row[1] or 0) + gone.get(f"friends_pledged:{inviter_id}", 0),
        )

    # -- pledges -------------------------------------------------------------------------

    @writes
    async def pledge(
        self, user_id: int, version: int, language: str, via: int | None, now: datetime
    ) -> tuple[Pledge, bool]:
        """Record a pledge to a version unless the person has a live one; return it and
        whether it is new (a second tap finds the first)."""
        before = await self._standing(user_id)
        cur = await self._db.execute(
            "INSERT INTO pledges (user_id, version, language, via, pledged_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, version) WHERE withdrawn_at IS NULL DO NOTHING",
            (user_id, version, language, via, to_text(now)),
        )
        live = await self.live_pledge(user_id)
        if live is None:
            raise LookupError(f"the pledge of {user_id} vanished while being recorded")
        await self._recount(before, live.country or "")
        return live, cur.rowcount == 1

    # -- the running totals of /pact -----------------------------------------------------

    async def _standing(self, user_id: int) -> str | None:
        """Return where a person's pledge counts: the country of their newest live pledge
        ('' if none given), or None if they have no live pledge."""
        async with self._db.execute(
            "SELECT country FROM pledges WHERE user_id = ? AND withdrawn_at IS NULL"
            " ORDER BY version DESC, id DESC LIMIT 1",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else str(row[0] or "")

    async def _recount(self, before: str | None, after: str | None) -> None:
        """Move one person in the running totals from where they counted to where they count
        now (in the caller's transaction, so a total never disagrees with the pledges)."""
        if before == after:
            return
        if before is not None:
            await self._db.execute(
                "UPDATE pledge_totals SET people = people - 1 WHERE country = ?", (before,)
            )
        if after is not None:
            await self._db.execute(
                "INSERT INTO pledge_totals (country, people) VALUES (?, 1)"
                " ON CONFLICT (country) DO UPDATE SET people = pledge_totals.people + 1",
                (after,),
            )

    @writes
    async def check_pledge_totals(self, *, fix: bool) -> dict[str, tuple[int, int]]:
        """Recount the running totals from the pledges themselves; return, per country code
        ('' for none) that disagrees, (kept, counted). With `fix`, the counts replace them.

        Reads every pledge: for `clicksbot stats --check`, never for a person's command."""
        async with self._db.execute("SELECT country, people FROM pledge_totals") as cur:
            kept = {str(r[0]): int(r[1]) for r in await cur.fetchall()}
        async with self._db.execute(
            "SELECT COALESCE(country, ''), COUNT(*) FROM ("
            " SELECT country, ROW_NUMBER() OVER ("
            "  PARTITION BY user_id ORDER BY version DESC, id DESC) AS newest"
            " FROM pledges WHERE withdrawn_at IS NULL) AS live"
            " WHERE newest = 1 GROUP BY COALESCE(country, '')"
        ) as cur:
            counted = {str(r[0]): int(r[1]) for r in await cur.fetchall()}
        wrong = {
            country: (kept.get(country, 0), counted.get(country, 0))
            for country in kept.keys() | counted.keys()
            if kept.get(country, 0) != counted.get(country, 0)
        }
        if fix and wrong:
            await self._db.execute("DELETE FROM pledge_totals")
            await self._db.executemany(
                "INSERT INTO pledge_totals (country, people) VALUES (?, ?)", counted.items()
            )
        return wrong

    async def _reclaim_pledge(self, user_id: int) -> None:
        """Take a returning person's pledge out of the anonymous totals (in the caller's
        transaction): they were counted there while forgotten; now they are here, and count
        again only if they pledge again."""
        key = await marks.salt(self._db, create=False)
        if key is None:
            return
        async with self._db.execute(
            "SELECT id, country FROM forgotten_marks WHERE kind = 'pledge' AND mark = ? LIMIT 1",
            (marks.mark(key, "pledge", user_id),),
        ) as cur:
            found = await cur.fetchone()
        if found is None:
            return
        await self._db.execute("DELETE FROM forgotten_marks WHERE id = ?", (found[0],))
        await self._untally("pledges")
        if found[1]:
            await self._untally(f"pledges:{found[1]}")

    async def live_pledge(self, user_id: int) -> Pledge | None:
        """Return a person's newest pledge that is not withdrawn."""
        async with self._db.execute(
            f"{_PLEDGE} WHERE user_id = ? AND withdrawn_at IS NULL"
            " ORDER BY version DESC, id DESC LIMIT 1",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        return _pledge(row) if row else None

    @writes
    async def set_pledge_details(
        self, pledge_id: int, *, display_name: str | None = None, country: str | None = None
    ) -> None:
        """Set the certificate name and/or the country of a pledge (a new certificate follows)."""
        if display_name is not None:
            await self._db.execute(
                "UPDATE pledges SET display_name = ?, certificate_file_id = NULL WHERE id = ?",
                (display_name, pledge_id),
            )
        if country is not None:
            async with self._db.execute(
                "SELECT user_id FROM pledges WHERE id = ?", (pledge_id,)
            ) as cur:
                owner = await cur.fetchone()
            if owner is None:
                return
            before = await self._standing(owner[0])
            await self._db.execute(
                "UPDATE pledges SET country = ? WHERE id = ?", (country, pledge_id)
            )
            await self._recount(before, await self._standing(owner[0]))

    @writes
    async def set_certificate_file_id(self, pledge_id: int, file_id: str) -> None:
        """Keep Telegram's id of the certificate photo, to send it again without uploading."""
        await self._db.execute(
            "UPDATE pledges SET certificate_file_id = ? WHERE id = ?", (file_id, pledge_id)
        )

    async def rename_pledge(self, pledge_id: int, display_name: str | None) -> None:
        """Put another name (or none) on a pledge's certificate; the old name goes from the
        disk too, and a new certificate is drawn next time."""
        await self._rename_pledge(pledge_id, display_name)
        await scrub(self)

    @writes
    async def _rename_pledge(self, pledge_id: int, display_name: str | None) -> None:
        await self._db.execute(
            "UPDATE pledges SET display_name = ?, certificate_file_id = NULL WHERE id = ?",
            (display_name, pledge_id),
        )

    async def withdraw_pledge(self, user_id: int, now: datetime) -> bool:
        """Withdraw a person's live pledges; the rows stay, marked, and the typed name goes
        from the disk too. Return whether any was."""
        withdrawn = await self._withdraw_pledge(user_id, now)
        if withdrawn:
            await scrub(self)
        return withdrawn

    @writes
    async def _withdraw_pledge(self, user_id: int, now: datetime) -> bool:
        await self._recount(await self._standing(user_id), None)
        cur = await self._db.execute(
            # The typed name goes with the pledge: only the fact of a withdrawn pledge stays.
            "UPDATE pledges SET withdrawn_at = ?, display_name = NULL, certificate_file_id = NULL"
            " WHERE user_id = ? AND withdrawn_at IS NULL",
            (to_text(now), user_id),
        )
        return cur.rowcount > 0

    async def pledge_counts(self, days: int = 14) -> PledgeCounts:
        """Count people with a live pledge, in all and by the country of their newest one
        (from the running totals: a few rows, however many pledged), and new pledges by UTC
        day over the last `days` days (0: none, as /pact needs)."""
        async with self._db.execute(
            "SELECT country, people FROM pledge_totals WHERE people != 0"
        ) as cur:
            by_country: dict[str | None, int] = {
                (row[0] or None): int(row[1]) for row in await cur.fetchall()
            }
        total = sum(by_country.values())
        by_day: dict[date, int] = {}
        if days > 0:
            async with self._db.execute(
                "SELECT substr(pledged_at, 1, 10) AS day, COUNT(*) FROM pledges"
                " WHERE withdrawn_at IS NULL AND pledged_at >= ? GROUP BY day ORDER BY day",
                (to_text(datetime.now(UTC) - timedelta(days=days)),),
            ) as cur:
                by_day = {date.fromisoformat(row[0]): int(row[1]) for row in await cur.fetchall()}
        # People who asked to be forgotten still count, anonymously.
        async with self._db.execute(
            # A range, not LIKE: the key's index finds these few among every inviter's keys.
            "SELECT key, count FROM forgotten_totals"
            " WHERE key = 'pledges' OR (key >= 'pledges:' AND key < 'pledges;')"
        ) as cur:
            forgotten = {row[0]: int(row[1]) for row in await cur.fetchall()}
        for key, count in forgotten.items():
            if key.startswith("pledges:"):
                country = key.split(":", 1)[1]
                by_country[country] = by_country.get(country, 0) + count
        in_country = sum(v for k, v in forgotten.items() if k.startswith("pledges:"))
        if forgotten.get("pledges", 0) > in_country:
            by_country[None] = by_country.get(None, 0) + forgotten["pledges"] - in_country
        return PledgeCounts(total + forgotten.get("pledges", 0), by_country, by_day)

    async def export_pledges(self) -> AsyncIterator[tuple[Any, ...]]:
        """Yield every pledge for export: no names, no Telegram ids, days rather than times,
        in day order rather than pledge order (nothing to single a person out by)."""
        # A chunk at a time: an export of a million pledges holds a few hundred at once.
        async for row in stream_rows(
            self._db,
            "SELECT substr(pledged_at, 1, 10), version, language, country, via IS NOT NULL,"
            " substr(withdrawn_at, 1, 10) FROM pledges ORDER BY 1, 4, 3, 2",
            size=EXPORT_CHUNK,
        ):
            yield row

    async def queue_pact_update(
        self, version: int, payload: dict[str, Any], now: datetime
    ) -> tuple[int, int] | None:
        """Queue a notice of a new pact version for people whose live pledge is older.

        Return (job id, people it reaches), or None if this version was announced before.
        Queued as an audience is (see `queue_message`): FILL_AHEAD people now, a window a
        transaction, and the rest by the outbox as it sends. In one statement, at a million
        people (110k pledgers), it held the write turn for 4.2 s and a 0.9 s commit on
        SQLite, 3.6-4.6 s on PostgreSQL, every reply's write waiting. Where nobody holds an
        older pledge (the first version, most starts), the job is recorded with nobody to
        queue: its windows would look at everyone to find no one.
        """
        key = f"pact:v{version}"
        async with self._db.execute("SELECT 1 FROM jobs WHERE key = ?", (key,)) as cur:
            if await cur.fetchone() is not None:  # announced before (the usual start)
                return None
        async with self._db.execute(
            "SELECT 1 FROM pledges WHERE withdrawn_at IS NULL AND version < ? LIMIT 1", (version,)
        ) as cur:
            anyone = await cur.fetchone() is not None
        if not anyone:
            job_id = await self._open_job(key, "notice", payload, now)
            return None if job_id is None else (job_id, 0)
        audience = {"kind": PLEDGED_BEFORE, "value": version}
        job_id = await self._open_audience_job(key, "notice", payload, audience, now)
        if job_id is None:
            return None
        return job_id, await self._queue_audience(job_id, now)

    @writes
    async def _open_job(
        self, key: str, kind: str, payload: dict[str, Any], now: datetime
    ) -> int | None:
        return await self._new_job(key, kind, payload, now)

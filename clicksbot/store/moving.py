"""Moving a SQLite database into PostgreSQL (`clicksbot migrate-store`): every table, copied
in one transaction, then checked row by row count."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clicksbot.store.db import Store
from clicksbot.store.dialect import COPYING_SQL, PgConnection, describe, is_url
from clicksbot.store.errors import StoreError
from clicksbot.store.files import RunLock

BATCH = 10_000
_OWN = "schema_migrations"  # each side records its own; the versions must agree


def _order(db: sqlite3.Connection, tables: list[str]) -> list[str]:
    """Tables in an order that loads each one after those its foreign keys point to."""
    needs = {
        t: {str(r[2]) for r in db.execute(f'PRAGMA foreign_key_list("{t}")')} & set(tables)
        for t in tables
    }
    done: list[str] = []
    while len(done) < len(tables):
        ready = [t for t in tables if t not in done and needs[t] <= {*done, t}]
        if not ready:  # a cycle: load the rest as they come (not in clicksbot's schema)
            ready = [t for t in tables if t not in done]
        done.extend(sorted(ready))
    return done


async def _count(store: Store, table: str) -> int:
    async with store._db.execute(f'SELECT COUNT(*) FROM "{table}"') as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def copy_to_postgresql(
    source: Path, url: str, progress: Callable[[str], None] = lambda line: None
) -> dict[str, int]:
    """Copy the SQLite database `source` into the empty PostgreSQL database `url`; return the
    rows per table, checked equal on both sides. The bot must be stopped (its lock is taken).

    The target gets clicksbot's schema first (the same migrations, so the same version); a
    target that already holds any row is refused, and a copy that fails leaves it empty."""
    if not is_url(url):
        raise StoreError(f"{url}: expected a postgresql://user@host/dbname URL")
    name = describe(url)
    if not source.is_file():
        raise StoreError(f"{source}: no such SQLite database")
    lock = RunLock(source, exclusive=True)
    lock.acquire()
    try:
        lite = await Store.open(source)  # brings its schema to this version first
        try:
            target = await Store.open(url)
            try:
                return await _copy(lite, target, source, name, progress)
            finally:
                await target.close()
        finally:
            await lite.close()
    finally:
        lock.release()


async def _copy(
    lite: Store, target: Store, source: Path, name: str, progress: Callable[[str], None]
) -> dict[str, int]:
    if await lite.schema_version() != await target.schema_version():
        raise StoreError(
            f"{name}: its schema is version {await target.schema_version()}, the file's "
            f"{await lite.schema_version()}; use the same clicksbot version for both"
        )
    tables = [t for t in await lite.table_names() if t != _OWN]
    theirs = set(await target.table_names())
    for table in sorted(theirs - {_OWN}):
        rows = await _count(target, table)
        if rows:
            raise StoreError(
                f"{name}: not empty (table {table} has {rows} rows); "
                "migrate-store copies only into an empty database"
            )
    missing = sorted(set(tables) - theirs)
    if missing:
        raise StoreError(f"{name}: has no table {', '.join(missing)}; is it clicksbot's?")
    pg = target._db
    assert isinstance(pg, PgConnection)
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    counts: dict[str, int] = {}
    try:
        order = _order(reader, tables)
        async with pg._pool.connection() as conn, conn.transaction():
            # audience_counts is copied as it is: its triggers do not count the people again.
            await conn.execute(COPYING_SQL)
            for table in order:
                columns = [str(r[1]) for r in reader.execute(f'PRAGMA table_info("{table}")')]
                names = ", ".join(f'"{c}"' for c in columns)
                cursor = reader.execute(f'SELECT {names} FROM "{table}"')
                copied = 0
                async with conn.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    while batch := cursor.fetchmany(BATCH):
                        for row in batch:
                            await copy.write_row(row)
                        copied += len(batch)
                counts[table] = copied
                if "id" in columns and table in pg._identity:
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                        f' COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
                    )
                progress(f"{table}: {copied} rows")
    except Exception as exc:
        if isinstance(exc, StoreError):
            raise
        line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"{name}: the copy failed and was undone ({line})") from None
    finally:
        reader.close()
    for table in order:
        there = await _count(target, table)
        here = await _count(lite, table)
        if there != here or here != counts[table]:
            raise StoreError(
                f"{name}: table {table} has {there} rows, the file {here}; the copy is not whole"
            )
    # Statistics for the planner now, rather than when autovacuum gets to the new rows: the
    # triggers' plans and the per-person queries pick their indexes from them.
    await target._db.execute("ANALYZE")
    progress("statistics gathered (ANALYZE)")
    return counts


def counts_line(counts: dict[str, Any]) -> str:
    """One line of the rows copied, for the command's report."""
    return ", ".join(f"{t} {n}" for t, n in counts.items())

"""The benchmark populations on PostgreSQL (issue 19): moved once per size, copied per run.

A cached SQLite population (population.py) is moved into a database of its own on the server,
`clicksbot_bench_<people>_seed<seed>_mix<mix>`, by the code `clicksbot migrate-store` runs
(`clicksbot.store.moving.copy_to_postgresql`, from a copy of the file: the cached file is never
opened for writing), then `VACUUM ANALYZE`d, as autovacuum would soon after such a load. A
comment on that database records that the move finished, the schema version and how long it
took; a database without it (a move cut short) is dropped and moved again.

Each run of the bot works on a copy, `CREATE DATABASE clicksbot_run_<people> TEMPLATE ...`
(a file copy: `STRATEGY FILE_COPY` where the server has it), so the kept data never changes.

The URL given is the server's, with any database the user may connect to (`postgres`, say):
the databases above are made beside it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import population

from clicksbot.store.dialect import describe
from clicksbot.store.migrations import MIGRATIONS
from clicksbot.store.moving import copy_to_postgresql

MARK = "clicksbot scale benchmark "
SETTINGS = ("server_version", "shared_buffers", "effective_cache_size", "work_mem",
            "maintenance_work_mem", "max_connections", "fsync", "synchronous_commit",
            "full_page_writes", "max_wal_size", "wal_level")  # fmt: skip


def with_database(url: str, name: str) -> str:
    """The same server URL, naming another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=10)


def _quoted(name: str) -> str:
    assert name.replace("_", "").isalnum(), name
    return f'"{name}"'


def server_settings(url: str) -> dict[str, str]:
    """The server's settings that matter for the figures (printed beside them)."""
    with _admin(url) as db:
        return {name: str(db.execute(f"SHOW {name}").fetchone()[0]) for name in SETTINGS}


@dataclass(frozen=True)
class Kept:
    """A population kept on the server, as moved."""

    name: str
    url: str
    move_seconds: float  # migrate-store's copy (COPY of every table, row counts checked)
    analyze_seconds: float
    bytes: int  # the database's size after the move, less an empty database's


def kept_name(built: population.Built) -> str:
    return f"clicksbot_bench_{built.people}_seed{built.seed}_mix{population.MIX_VERSION}"


def _comment(url: str, name: str) -> dict[str, Any] | None:
    with _admin(url) as db:
        row = db.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    if row is None or not row[0] or not str(row[0]).startswith(MARK):
        return None
    found: dict[str, Any] = json.loads(str(row[0])[len(MARK) :])
    return found


def mark(url: str, name: str, move_seconds: float, analyze_seconds: float) -> Kept:
    """Record on the kept database that its move finished (and what it cost)."""
    with _admin(url) as db:
        size = int(db.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0])
        empty = int(db.execute("SELECT pg_database_size('template1')").fetchone()[0])
        info = {"schema": len(MIGRATIONS), "move_seconds": round(move_seconds, 1),
                "analyze_seconds": round(analyze_seconds, 1), "bytes": size - empty}  # fmt: skip
        from psycopg import sql

        comment = sql.SQL("COMMENT ON DATABASE {} IS {}")  # (no parameters in DDL)
        db.execute(comment.format(sql.Identifier(name), sql.Literal(MARK + json.dumps(info))))
    return Kept(name, with_database(url, name), move_seconds, analyze_seconds, size - empty)


async def kept(
    built: population.Built, url: str, scratch: Path, log: Callable[[str], None] = print
) -> Kept:
    """Return the population kept on the server, moving it there the first time."""
    name = kept_name(built)
    target = with_database(url, name)
    info = _comment(url, name)
    if info is not None and 0 < int(info.get("schema", 0)) <= len(MIGRATIONS):
        # Moved by an older schema: each run's copy is brought up to date (`up_to_date`),
        # as a deployed server's database would be; the kept one stays as moved.
        return Kept(name, target, info["move_seconds"], info["analyze_seconds"], info["bytes"])
    with _admin(url) as db:
        db.execute(f"DROP DATABASE IF EXISTS {_quoted(name)}")
        db.execute(f"CREATE DATABASE {_quoted(name)}")
    size = built.path.stat().st_size
    log(f"  moving {built.people:,} people into PostgreSQL {describe(target)} (once; kept) ...")
    file = population.copy(built, scratch / "moving.sqlite3")
    try:
        began = time.perf_counter()
        await copy_to_postgresql(file, target)
        moved = time.perf_counter() - began
    finally:
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(str(file) + suffix).unlink(missing_ok=True)
    began = time.perf_counter()
    with _admin(target) as db:
        db.execute("VACUUM ANALYZE")
    analyzed = time.perf_counter() - began
    result = mark(url, name, moved, analyzed)
    log(f"  moved {size / 2**20:,.0f} MiB of SQLite in {moved:.1f} s (VACUUM ANALYZE "
        f"{analyzed:.1f} s): {result.bytes / 2**20:,.0f} MiB in PostgreSQL")  # fmt: skip
    return result


def run_copy(url: str, source: Kept, people: int) -> tuple[str, float]:
    """Make a fresh copy of a kept population for one run; return its URL and the seconds."""
    name = f"clicksbot_run_{people}_{os.getpid()}"  # two runs at once do not share one
    began = time.perf_counter()
    with _admin(url) as db:
        drop(url, name)
        version = int(db.execute("SHOW server_version_num").fetchone()[0])
        strategy = " STRATEGY FILE_COPY" if version >= 150000 else ""
        db.execute(f"CREATE DATABASE {_quoted(name)} TEMPLATE {_quoted(source.name)}{strategy}")
    return with_database(url, name), time.perf_counter() - began


async def up_to_date(url: str) -> float:
    """Apply the migrations newer than a run's copy (the store's own, as at a start-up, so
    that no timed start-up applies them); return the seconds it took."""
    from clicksbot.store import Store

    began = time.perf_counter()
    store = await Store.open(url)
    await store.close()
    return time.perf_counter() - began


def drop(url: str, name: str) -> None:
    with _admin(url) as db:
        db.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")


def add_groups(url: str, total: int, seed: int = 18) -> int:
    """population.add_groups on PostgreSQL: the same groups, added to the run's copy."""
    with _admin(url) as db:
        (have,) = db.execute(
            "SELECT COUNT(*) FROM group_settings WHERE daily_time IS NOT NULL"
        ).fetchone()
        rows = population.groups_to_add(int(have), total, seed)
        with db.transaction(), db.cursor() as cur:
            cur.executemany(
                "INSERT INTO group_settings (chat_id, language, daily_time, time_zone, updated_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                rows,
            )
        return len(rows)

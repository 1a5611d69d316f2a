"""The PostgreSQL store: its schema and version history, `clicksbot migrate-store`, and what
the command line says about a PostgreSQL database (never its password).

Tests that need a server run when CLICKSBOT_TEST_DATABASE names one (`bash .ci/postgres
start` makes a throwaway one) and are skipped, saying so, when it does not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pgtest
import psycopg
import pytest

from clicksbot.store import Store, StoreError
from clicksbot.store.dialect import POSTGRESQL_MIGRATIONS, describe, migration_sql, placeholders
from clicksbot.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
needs_server = pytest.mark.skipif(
    not pgtest.enabled(),
    reason="no PostgreSQL server: set CLICKSBOT_TEST_DATABASE=postgresql://... "
    "(`bash .ci/postgres start` prints one)",
)


def cli(*args: str, cwd: Path, url: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CLICKSBOT_DATABASE_URL"}
    if url:
        env["CLICKSBOT_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "clicksbot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_server
async def test_migrations_apply_once_with_one_version_history(store_url: str) -> None:
    store = await Store.open(store_url)
    assert store.is_postgresql
    assert await store.schema_version() == len(MIGRATIONS)
    assert "users" in await store.table_names()
    await store.close()
    store = await Store.open(store_url)  # again: nothing to apply
    async with store._db.execute("SELECT id, name FROM schema_migrations ORDER BY id") as cur:
        rows = await cur.fetchall()
    assert [r[1] for r in rows] == [name for name, _ in MIGRATIONS]
    await store.close()


@needs_server
async def test_foreign_keys_hold_and_ids_come_back(store_url: str) -> None:
    store = await Store.open(store_url)
    await store.touch_user(1, "en", NOW)
    first = await store.ask(1, "q1", "evaluate", "any", "f", (0, 1, 2), NOW)
    second = await store.ask(1, "q2", "evaluate", "any", "f", (2, 1, 0), NOW)
    assert second == first + 1
    with pytest.raises(Exception, match="foreign key"):
        await store.ask(999, "q1", "evaluate", "any", "f", (0, 1, 2), NOW)
    await store.close()


@needs_server
async def test_a_newer_database_is_refused(store_url: str) -> None:
    with psycopg.connect(store_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO schema_migrations VALUES (%s, 'm999_future', '2030-01-01')",
            (len(MIGRATIONS) + 1,),
        )
    with pytest.raises(StoreError, match="newer clicksbot"):
        await Store.open(store_url)


async def fill(path: Path) -> None:
    """A SQLite database with rows in the tables people fill."""
    store = await pgtest.OPEN_AS_IS(path)
    for user in range(1, 41):
        await store.touch_user(user, "en", NOW)
        await store.mark_tip_seen(user, "en-source-t01", NOW)
        asked = await store.ask(user, "q1", "evaluate", "any", "f", (0, 1, 2), NOW)
        await store.record_answer(asked, user, 1, user % 2 == 0, NOW, box=1, due=None)
        await store.add_activity_day(user, NOW.date())
        await store.award_badge(user, "first", NOW)
        await store.invite_code(user, lambda u=user: f"code{u}")  # type: ignore[misc]
    await store.close()


@needs_server
async def test_migrate_store_copies_every_table_and_refuses_a_second_time(
    tmp_path: Path, store_url: str
) -> None:
    source = tmp_path / "bot.sqlite3"
    await fill(source)
    # The target as a new server's database is: empty, no schema yet.
    target = store_url.rsplit("/", 1)[0] + "/" + store_url.rsplit("/", 1)[1] + "_moved"
    name = target.rsplit("/", 1)[1]
    with psycopg.connect(pgtest.ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        done = cli("migrate-store", "--from", str(source), "--to", target, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "every table's row count checked" in done.stdout
        assert "copied users: 40 rows" in done.stdout
        assert "copied answers: 40 rows" in done.stdout

        lite = await pgtest.OPEN_AS_IS(source)
        moved = await Store.open(target)
        tables = await lite.table_names()
        assert tables == await moved.table_names()
        for table in tables:
            counts = []
            for store in (lite, moved):
                async with store._db.execute(f"SELECT COUNT(*) FROM {table}") as cur:
                    counts.append((await cur.fetchone())[0])  # type: ignore[index]
            assert counts[0] == counts[1], table
        assert await moved.get_user(7) == await lite.get_user(7)
        assert await moved.learner_record(8) == await lite.learner_record(8)
        # The identity went past the ids copied: a new question gets a new id.
        assert await moved.ask(1, "q9", "evaluate", "any", "f", (0, 1, 2), NOW) == 41
        await moved.close()
        await lite.close()

        again = cli("migrate-store", "--from", str(source), "--to", target, cwd=tmp_path)
        assert again.returncode == 2
        assert again.stderr.count("\n") == 1
        assert "not empty" in again.stderr and "only into an empty database" in again.stderr
    finally:
        with psycopg.connect(pgtest.ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def test_a_database_it_cannot_reach_is_named_without_its_password(tmp_path: Path) -> None:
    """No server needed: nothing listens on port 1 of loopback."""
    config = tmp_path / "clicksbot.yaml"
    config.write_text("database: postgresql://clicks:hunter2-secret@127.0.0.1:1/campaign\n")
    done = cli("stats", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2
    assert "postgresql://127.0.0.1:1/campaign: cannot connect" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert "clicks:" not in done.stderr + done.stdout


def test_backup_on_postgresql_explains_pg_dump(tmp_path: Path) -> None:
    done = cli(
        "backup", str(tmp_path / "copy"), cwd=tmp_path, url="postgresql://u:pw@127.0.0.1:1/db"
    )
    assert done.returncode == 2
    assert "pg_dump" in done.stderr and "pw" not in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_bad_database_url_is_one_line(tmp_path: Path) -> None:
    done = cli("stats", cwd=tmp_path, url="mysql://u@h/db")
    assert done.returncode == 2
    assert "CLICKSBOT_DATABASE_URL" in done.stderr and "postgresql://" in done.stderr


def test_every_migration_has_postgresql_text() -> None:
    """No server needed. A migration whose SQLite text PostgreSQL cannot take as translated
    (a trigger's body, AUTOINCREMENT, a PRAGMA) needs its own text in POSTGRESQL_MIGRATIONS."""
    sqlite_only = re.compile(r"CREATE\s+TRIGGER|AUTOINCREMENT|PRAGMA|WITHOUT\s+ROWID", re.I)
    for name, sql in MIGRATIONS:
        text = migration_sql(name, sql)
        if name in POSTGRESQL_MIGRATIONS:
            # Its own text: triggers there are PostgreSQL's, each running a PL/pgSQL function.
            triggers = re.findall(r"CREATE\s+TRIGGER\b.*?;", text, re.I | re.S)
            assert all("EXECUTE FUNCTION" in t for t in triggers), name
            text = re.sub(r"CREATE\s+TRIGGER\b.*?;", "", text, flags=re.I | re.S)
        assert not sqlite_only.search(text), (
            f"{name}: SQLite-only SQL; add its PostgreSQL text to "
            "clicksbot.store.dialect.POSTGRESQL_MIGRATIONS"
        )
        assert not re.search(r"\bid\s+INTEGER\s+PRIMARY\s+KEY", text, re.I), name


def test_placeholders_leave_quoted_text_alone() -> None:
    assert placeholders("SELECT ? FROM t WHERE k LIKE 'a?%' AND v = ?") == (
        "SELECT %s FROM t WHERE k LIKE 'a?%%' AND v = %s"
    )
    assert describe("postgresql://u:secret@db.example:6432/clicks?sslmode=require") == (
        "postgresql://db.example:6432/clicks"
    )


@needs_server
async def test_an_older_postgresql_database_is_upgraded_with_its_counts(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL database at m015 with people, answers and pledges (one person with two
    live versions) gets m016's summaries, m017's pledge totals and m018's audience sizes
    counted; then withdrawing both pledges in one statement keeps the sizes true."""
    from clicksbot.store import db as store_db

    name = store_url.rsplit("/", 1)[1] + "_old"
    target = store_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pgtest.ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS[:15])
        await (await Store.open(target)).close()
        with psycopg.connect(target) as conn:
            for user, language, country in ((1, "en", "MY"), (2, "ms", None), (3, "en", "PH")):
                conn.execute(
                    "INSERT INTO users (id, language, created_at, last_seen_at, country, tip_time)"
                    " VALUES (%s, %s, 'x', 'x', %s, '08:00')",
                    (user, language, country),
                )
            conn.execute(
                "INSERT INTO answers (user_id, question_id, competency, topic, fingerprint,"
                " option_order, asked_at, answered_at, correct) VALUES"
                " (1, 'q1', 'k', 'any', 'f', '0,1', %(t)s, %(t)s, 1),"
                " (1, 'q1', 'k', 'any', 'f', '0,1', %(t)s, %(t)s, 0)",
                {"t": "2026-01-01T00:00:00+00:00"},
            )
            conn.execute(
                "INSERT INTO pledges (user_id, version, language, country, pledged_at)"
                " VALUES (1, 1, 'en', 'MY', %(t)s), (1, 2, 'en', 'TH', %(t)s),"
                " (2, 1, 'ms', NULL, %(t)s)",
                {"t": "2026-01-01T00:00:00+00:00"},
            )
        monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS)
        store = await Store.open(target)
        try:
            summaries = await store.question_summaries(1)
            assert (summaries["q1"].answered, summaries["q1"].answered_right) == (2, 1)
            counts = await store.pledge_counts(days=0)
            assert counts.total == 2 and counts.by_country == {"TH": 1, None: 1}
            kinds = [{"kind": k} for k in ("all", "subscribers", "pledged", "unpledged")]
            kinds += [{"kind": "language", "value": c} for c in ("en", "ms")]
            kinds += [{"kind": "country", "value": c} for c in ("MY", "PH", "TH")]
            expected = [3, 3, 2, 1, 2, 1, 1, 1, 1]
            assert [await store.audience_size(k) for k in kinds] == expected
            assert [await store.count_audience(k) for k in kinds] == expected
            assert await store.withdraw_pledge(1, NOW)  # both live versions, one statement
            sizes = [await store.audience_size(k) for k in kinds]
            assert sizes == [await store.count_audience(k) for k in kinds]
            assert sizes == [3, 3, 1, 2, 2, 1, 1, 1, 0]
        finally:
            await store.close()
    finally:
        with psycopg.connect(pgtest.ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]

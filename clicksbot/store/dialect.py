"""The one place where SQLite and PostgreSQL differ.

The store's SQL is written once, in the SQLite dialect that PostgreSQL also speaks (`?`
placeholders, `ON CONFLICT`, `TEXT` timestamps in ISO 8601, UTC, which sort as they read).
For PostgreSQL, `PgConnection` gives the store the same surface aiosqlite does, over psycopg 3
and a psycopg-pool pool: placeholders are translated, `lastrowid` comes from `RETURNING id`,
rows are plain tuples, numbers come back as `int` (or `float`), errors as `sqlite3`'s classes,
and a `@writes` method holds one pooled connection for its whole transaction (see
`write_session`). Migrations keep one version history: each one's SQLite text is translated
(`translate_ddl`), or replaced where a migration says so (`POSTGRESQL_MIGRATIONS`).

Why psycopg 3 with psycopg-pool: it is PostgreSQL's maintained Python driver, async native,
works behind PgBouncer (no server-side prepared statements are needed: client-side binding),
and its binary wheel carries libpq, so nothing else needs installing.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import sqlite3
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

SCHEMES = ("postgresql://", "postgres://")


def _audience_keys(who: str, pledges: str) -> str:
    """The audiences (keys of `audience_counts`) of the people in `who` (a relation of `uid`s,
    each once), their pledges read from `pledges` (a relation shaped as the table): m018's
    `_M018_KEYS` for many people at once."""
    return f"""
        SELECT 'all' AS k FROM users u JOIN {who} w ON w.uid = u.id
            WHERE u.unreachable_since IS NULL
        UNION ALL SELECT 'subscribers' FROM users u JOIN {who} w ON w.uid = u.id
            WHERE u.unreachable_since IS NULL AND u.tip_time IS NOT NULL
        UNION ALL SELECT 'language:' || u.language FROM users u JOIN {who} w ON w.uid = u.id
            WHERE u.unreachable_since IS NULL
        UNION ALL SELECT CASE WHEN EXISTS (SELECT 1 FROM {pledges} p WHERE p.user_id = u.id
            AND p.withdrawn_at IS NULL) THEN 'pledged' ELSE 'unpledged' END
            FROM users u JOIN {who} w ON w.uid = u.id WHERE u.unreachable_since IS NULL
        UNION ALL SELECT 'country:' || c FROM (
            SELECT u.id, u.country AS c FROM users u JOIN {who} w ON w.uid = u.id
                WHERE u.unreachable_since IS NULL AND u.country IS NOT NULL
            UNION SELECT p.user_id, p.country FROM {pledges} p
                JOIN users u ON u.id = p.user_id JOIN {who} w ON w.uid = u.id
                WHERE p.withdrawn_at IS NULL AND p.country IS NOT NULL
                AND u.unreachable_since IS NULL) AS countries"""


def _audience_change(who: str, before: str) -> str:
    """Add to `audience_counts` what the people in `who` now count, less what they counted
    with the pledges of `before` (the table as it was before the statement)."""
    return f"""
        WITH who AS ({who}), before_pledges AS NOT MATERIALIZED ({before})
        INSERT INTO audience_counts (key, count)
        SELECT k, SUM(n) FROM (
            SELECT k, 1 AS n FROM ({_audience_keys("who", "pledges")}) AS now_in
            UNION ALL
            SELECT k, -1 FROM ({_audience_keys("who", "before_pledges")}) AS was_in
        ) AS change GROUP BY k
        ON CONFLICT (key) DO UPDATE SET count = audience_counts.count + excluded.count;"""


# While `clicksbot migrate-store` copies tables (audience_counts with them), the triggers that
# keep the audience sizes stand aside for its transaction.
def _turn_on(setting: str) -> str:
    """The statement that turns a setting of ours on for the rest of its transaction."""
    return f"SELECT set_config('clicksbot.{setting}', 'on', true)"


def _is_on(setting: str) -> str:
    """A trigger's test of that setting (unset is off)."""
    return f"COALESCE(current_setting('clicksbot.{setting}', true), '') = 'on'"


COPYING_SQL = _turn_on("copying")
_COPYING = _is_on("copying")
# The next statement of the transaction queues outbox rows read from `users` in the same
# statement (an audience's window, see store.delivery; a new pact's notice is one): their
# people are there by construction, so the outbox's check of its people (m023) stands aside for
# that statement only (m026) and puts the setting back.
FROM_USERS_SQL = _turn_on("from_users")
_FROM_USERS = _is_on("from_users")

_USER_CHANGE = (
    "OLD.language IS DISTINCT FROM NEW.language OR OLD.country IS DISTINCT FROM NEW.country"
    " OR (OLD.tip_time IS NULL) <> (NEW.tip_time IS NULL)"
    " OR (OLD.unreachable_since IS NULL) <> (NEW.unreachable_since IS NULL)"
)

# m018 on PostgreSQL: the same table, counts and column, the triggers in PL/pgSQL. A person's
# row changes once a statement, so users' triggers are per row, as SQLite's: before a change
# (their audiences leave), after it (they join again). One statement may change several
# pledges of one person (withdrawing them all), and PostgreSQL runs AFTER row triggers at the
# end of the statement, so pledges' triggers are per statement: from the rows as they were and
# are (transition tables), each person's audiences before and after. The slot's chunks page
# `users` by id here (no rowid): an index in that order.
_M018_PG = f"""
        CREATE TABLE audience_counts (
            key   TEXT PRIMARY KEY,
            count BIGINT NOT NULL
        );
        INSERT INTO audience_counts (key, count)
        SELECT k, COUNT(*) FROM ({_audience_keys("(SELECT id AS uid FROM users)", "pledges")}
        ) AS everyone GROUP BY k;
        CREATE FUNCTION audience_person(person BIGINT, change INTEGER) RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO audience_counts (key, count)
            SELECT k, change * COUNT(*) FROM (
                {_audience_keys("(SELECT person AS uid)", "pledges")}) AS theirs GROUP BY k
            ON CONFLICT (key) DO UPDATE SET count = audience_counts.count + excluded.count;
        END $$;
        CREATE FUNCTION audience_user() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT {_COPYING} THEN
                IF TG_OP = 'INSERT' THEN
                    PERFORM audience_person(NEW.id, 1);
                ELSIF TG_OP = 'DELETE' OR TG_WHEN = 'BEFORE' THEN
                    PERFORM audience_person(OLD.id, -1);
                ELSE
                    PERFORM audience_person(NEW.id, 1);
                END IF;
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER audience_user_added AFTER INSERT ON users
            FOR EACH ROW EXECUTE FUNCTION audience_user();
        CREATE TRIGGER audience_user_leaves BEFORE DELETE ON users
            FOR EACH ROW EXECUTE FUNCTION audience_user();
        CREATE TRIGGER audience_user_before BEFORE UPDATE
            OF language, country, tip_time, unreachable_since ON users
            FOR EACH ROW WHEN ({_USER_CHANGE}) EXECUTE FUNCTION audience_user();
        CREATE TRIGGER audience_user_after AFTER UPDATE
            OF language, country, tip_time, unreachable_since ON users
            FOR EACH ROW WHEN ({_USER_CHANGE}) EXECUTE FUNCTION audience_user();
        CREATE FUNCTION audience_pledges() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_COPYING} THEN
                RETURN NULL;
            END IF;
            IF TG_OP = 'INSERT' THEN
                {
    _audience_change(
        "SELECT DISTINCT user_id AS uid FROM new_rows",
        "SELECT * FROM pledges WHERE id NOT IN (SELECT id FROM new_rows)",
    )
}
            ELSIF TG_OP = 'UPDATE' THEN
                {
    _audience_change(
        "SELECT o.user_id AS uid FROM old_rows o JOIN new_rows n ON n.id = o.id"
        " WHERE o.user_id <> n.user_id"
        " OR (o.withdrawn_at IS NULL) <> (n.withdrawn_at IS NULL)"
        " OR (o.withdrawn_at IS NULL AND o.country IS DISTINCT FROM n.country)"
        " UNION SELECT n.user_id FROM old_rows o JOIN new_rows n ON n.id = o.id"
        " WHERE o.user_id <> n.user_id",
        "SELECT * FROM pledges WHERE id NOT IN (SELECT id FROM new_rows)"
        " UNION ALL SELECT * FROM old_rows",
    )
}
            ELSE
                {
    _audience_change(
        "SELECT DISTINCT user_id AS uid FROM old_rows",
        "SELECT * FROM pledges UNION ALL SELECT * FROM old_rows",
    )
}
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER audience_pledges_added AFTER INSERT ON pledges
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION audience_pledges();
        CREATE TRIGGER audience_pledges_changed AFTER UPDATE ON pledges
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION audience_pledges();
        CREATE TRIGGER audience_pledges_removed AFTER DELETE ON pledges
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION audience_pledges();
        ALTER TABLE jobs ADD COLUMN filling TEXT;
        CREATE INDEX jobs_filling ON jobs (id) WHERE filling IS NOT NULL;
        CREATE INDEX users_by_tip_slot_id ON users (time_zone, tip_time, id);
"""


def _m020_pg() -> str:
    """m020 on PostgreSQL: the same tables and index, the counts in BIGINT (a packed count
    passes 2**32 at the first answer), the triggers in PL/pgSQL, weeks counted from dates."""
    from clicksbot.store.migrations import M020_BITS, M020_KINDS
    from clicksbot.store.migrations import m020_adds as adds

    names = [name for _, _, name in M020_KINDS]
    mask = (1 << M020_BITS) - 1

    def upsert(values: list[str]) -> str:
        return (
            f"INSERT INTO impact_people (user_id, {', '.join(names)})"
            f" VALUES (NEW.user_id, {', '.join(values)})"
            " ON CONFLICT (user_id) DO UPDATE SET "
            + ", ".join(f"{n} = impact_people.{n} + excluded.{n}" for n in names)
            + ";"
        )

    def week(day: str) -> str:
        return f"((CAST({day} AS date) - DATE '1970-01-05') / 7)"

    changes = [f"{n} - {o}" for n, o in zip(adds("NEW"), adds("OLD"), strict=True)]
    return f"""
        CREATE TABLE impact_people (
            user_id   BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            {" ".join(f"{n} BIGINT NOT NULL DEFAULT 0," for n in names)}
            last_week INTEGER,
            weeks     BIGINT NOT NULL DEFAULT 0
        );
        INSERT INTO impact_people (user_id, {", ".join(names)})
            SELECT user_id, {", ".join(f"SUM{a}" for a in adds("answers"))}
            FROM answers WHERE correct IS NOT NULL GROUP BY user_id;
        INSERT INTO impact_people (user_id, last_week, weeks)
            SELECT w.user_id, l.last, SUM(CAST(1 AS BIGINT) << (l.last - w.week))
            FROM (SELECT DISTINCT user_id, {week("day")} AS week FROM activity_days) w
            JOIN (SELECT user_id, MAX({week("day")}) AS last
                  FROM activity_days GROUP BY user_id) l ON l.user_id = w.user_id
            WHERE l.last - w.week < {M020_BITS} GROUP BY w.user_id, l.last
            ON CONFLICT (user_id) DO UPDATE SET
                last_week = excluded.last_week, weeks = excluded.weeks;
        CREATE FUNCTION impact_answer() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_COPYING} THEN
                RETURN NULL;
            ELSIF TG_OP = 'INSERT' THEN
                {upsert(adds("NEW"))}
            ELSE
                {upsert(changes)}
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER impact_answer_added AFTER INSERT ON answers
            FOR EACH ROW WHEN (NEW.correct IS NOT NULL) EXECUTE FUNCTION impact_answer();
        CREATE TRIGGER impact_answer_changed AFTER UPDATE OF correct, confidence, competency
            ON answers FOR EACH ROW WHEN (OLD.correct IS DISTINCT FROM NEW.correct
            OR OLD.confidence IS DISTINCT FROM NEW.confidence
            OR OLD.competency IS DISTINCT FROM NEW.competency)
            EXECUTE FUNCTION impact_answer();
        -- A shift of {M020_BITS} weeks or more leaves only the new week (PostgreSQL, unlike
        -- SQLite, does not promise 0 for a shift past the width).
        CREATE FUNCTION impact_day() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_COPYING} THEN
                RETURN NULL;  -- migrate-store copies impact_people as it is
            END IF;
            INSERT INTO impact_people (user_id, last_week, weeks)
                VALUES (NEW.user_id, {week("NEW.day")}, 1)
            ON CONFLICT (user_id) DO UPDATE SET
                weeks = CASE
                    WHEN impact_people.last_week IS NULL THEN 1
                    WHEN excluded.last_week - impact_people.last_week >= {M020_BITS} THEN 1
                    WHEN excluded.last_week >= impact_people.last_week THEN
                        ((impact_people.weeks << (excluded.last_week - impact_people.last_week))
                         | 1) & {mask}
                    WHEN impact_people.last_week - excluded.last_week < {M020_BITS} THEN
                        impact_people.weeks
                        | (CAST(1 AS BIGINT) << (impact_people.last_week - excluded.last_week))
                    ELSE impact_people.weeks END,
                last_week = GREATEST(COALESCE(impact_people.last_week, excluded.last_week),
                                     excluded.last_week);
            RETURN NULL;
        END $$;
        CREATE TRIGGER impact_day_added AFTER INSERT ON activity_days
            FOR EACH ROW EXECUTE FUNCTION impact_day();
        CREATE TABLE campaign_people (
            user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            campaign_id BIGINT NOT NULL,
            PRIMARY KEY (user_id, campaign_id)
        );
        INSERT INTO campaign_people (user_id, campaign_id)
            SELECT d.user_id, CAST(split_part(j.key, ':', 2) AS BIGINT)
            FROM jobs j JOIN deliveries d ON d.job_id = j.id
            WHERE j.kind = 'campaign' AND d.state = 'sent'
            ON CONFLICT DO NOTHING;
        CREATE INDEX users_for_impact ON users (id, language, country, created_at);
"""


# The check of an outbox statement's new rows (m023, m026): their people, then their job.
_DELIVERIES_CHECKED = """\
            -- A seek a row into users' key; a seek a job (a statement queues one job).
            IF EXISTS (SELECT 1 FROM new_rows n
                       WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = n.user_id)) THEN
                RAISE EXCEPTION 'insert on table "deliveries" violates its foreign key check'
                    ' of user_id: no such person' USING ERRCODE = 'foreign_key_violation';
            END IF;
            IF EXISTS (SELECT 1 FROM (SELECT DISTINCT job_id FROM new_rows) n
                       WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = n.job_id)) THEN
                RAISE EXCEPTION 'insert on table "deliveries" violates its foreign key check'
                    ' of job_id: no such job' USING ERRCODE = 'foreign_key_violation';
            END IF;"""

# m023 on PostgreSQL: the outbox's foreign keys become checks and cascades per statement.
# A foreign key checks each inserted row on its own (a query, and a lock on the person's row):
# queueing a message for 97,000 people took 1.69 s in one statement with both keys, 0.85 s
# without them, 0.96 s with the checks below (100k people, PostgreSQL 15, EXPLAIN ANALYZE:
# the two keys' triggers were 7.1 ms of a window of 500 people's 17.3 ms). The checks read the
# statement's new rows at once; the cascades delete the rows of the people and jobs a
# statement deleted. What they do not do is lock the person's row: a person deleted by one
# instance while another queues them a message could leave that row behind, which the outbox
# never sends (it reads rows joined with their person) and which goes with its job. The store
# writes one transaction at a time per instance, and only the leader fills and forgets.
# Ids are never changed (the keys refused it); the checks refuse it too. Each statement of the
# checks and cascades finds its rows by index, a seek a row, whatever its size: the plan of a
# statement in PL/pgSQL is kept for the connection, and one made for many rows (a hash join)
# would read the whole outbox to delete one person's rows (16 ms at 10k people, 100k rows).
_M023_PG = f"""
        DO $$
        DECLARE c record;
        BEGIN
            FOR c IN SELECT conname FROM pg_constraint
                WHERE conrelid = 'deliveries'::regclass AND contype = 'f'
            LOOP
                EXECUTE format('ALTER TABLE deliveries DROP CONSTRAINT %I', c.conname);
            END LOOP;
        END $$;
        CREATE FUNCTION deliveries_check() RETURNS trigger LANGUAGE plpgsql
        SET enable_hashjoin = off SET enable_mergejoin = off AS $$
        BEGIN
{_DELIVERIES_CHECKED}
            RETURN NULL;
        END $$;
        CREATE TRIGGER deliveries_checked AFTER INSERT ON deliveries
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION deliveries_check();
        CREATE FUNCTION deliveries_keys_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'update on table "deliveries" violates its foreign key check:'
                ' an outbox row keeps its person and job' USING ERRCODE = 'foreign_key_violation';
        END $$;
        CREATE TRIGGER deliveries_keys_kept BEFORE UPDATE OF job_id, user_id ON deliveries
            FOR EACH ROW WHEN (OLD.job_id <> NEW.job_id OR OLD.user_id <> NEW.user_id)
            EXECUTE FUNCTION deliveries_keys_kept();
        CREATE FUNCTION deliveries_ids_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM deliveries d WHERE
                       (TG_TABLE_NAME = 'users' AND d.user_id = OLD.id)
                       OR (TG_TABLE_NAME = 'jobs' AND d.job_id = OLD.id)) THEN
                RAISE EXCEPTION 'update on table "%" violates the foreign key check of'
                    ' "deliveries": the outbox still has rows for this id', TG_TABLE_NAME
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER deliveries_user_id_kept BEFORE UPDATE OF id ON users
            FOR EACH ROW WHEN (OLD.id <> NEW.id) EXECUTE FUNCTION deliveries_ids_kept();
        CREATE TRIGGER deliveries_job_id_kept BEFORE UPDATE OF id ON jobs
            FOR EACH ROW WHEN (OLD.id <> NEW.id) EXECUTE FUNCTION deliveries_ids_kept();
        CREATE FUNCTION deliveries_cascade() RETURNS trigger LANGUAGE plpgsql
        SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
        BEGIN
            IF TG_TABLE_NAME = 'users' THEN
                DELETE FROM deliveries WHERE user_id IN (SELECT id FROM old_rows);
            ELSE
                DELETE FROM deliveries WHERE job_id IN (SELECT id FROM old_rows);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER deliveries_of_users AFTER DELETE ON users
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION deliveries_cascade();
        CREATE TRIGGER deliveries_of_jobs AFTER DELETE ON jobs
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION deliveries_cascade();
"""

# m024 on PostgreSQL: the same column, backfill and index; the triggers in PL/pgSQL. A new
# reminder takes its person's zone before it is written; `migrate-store` copies the zone as it
# is in the file. The triggers come before the copy of the zones: creating one locks `users`
# against changes until the migration commits, so an older instance still serving cannot
# change a zone between the copy and the trigger.
_M024_PG = f"""
        ALTER TABLE reminders ADD COLUMN time_zone TEXT;
        CREATE FUNCTION reminders_zone_new() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT {_COPYING} THEN
                NEW.time_zone := (SELECT u.time_zone FROM users u WHERE u.id = NEW.user_id);
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER reminders_zone_new BEFORE INSERT ON reminders
            FOR EACH ROW EXECUTE FUNCTION reminders_zone_new();
        CREATE FUNCTION reminders_zone_moved() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE reminders SET time_zone = NEW.time_zone WHERE user_id = NEW.id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER reminders_zone_moved AFTER UPDATE OF time_zone ON users
            FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
            EXECUTE FUNCTION reminders_zone_moved();
        UPDATE reminders SET time_zone = (
            SELECT u.time_zone FROM users u WHERE u.id = reminders.user_id);
        DROP INDEX IF EXISTS reminders_by_usual;
        CREATE INDEX reminders_by_zone ON reminders (time_zone, usual);
"""

# m025 on PostgreSQL: the pledges' audience trigger (m018) reads only what a statement
# changed. Per statement, it ran its whole query even when no pledge changed in a way that
# counts (a /forget's `UPDATE pledges SET via = NULL` changing none: 8 ms at a million people),
# and the pledges "as they were" were the whole table, which the planner read through to join
# them with the few people concerned (a pledged person's deletion: 34 ms). It now returns at
# once when nothing counts, and reads the pledges of the people concerned only (by index).
_PLEDGE_MATTERS = (
    "o.user_id <> n.user_id"
    " OR (o.withdrawn_at IS NULL) <> (n.withdrawn_at IS NULL)"
    " OR (o.withdrawn_at IS NULL AND o.country IS DISTINCT FROM n.country)"
)
_THEIR_PLEDGES = "SELECT * FROM pledges WHERE user_id IN (SELECT uid FROM who)"
_M025_PG = f"""
        CREATE OR REPLACE FUNCTION audience_pledges() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_COPYING} THEN
                RETURN NULL;
            END IF;
            IF TG_OP = 'INSERT' THEN
                IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
                    RETURN NULL;
                END IF;
                {
    _audience_change(
        "SELECT DISTINCT user_id AS uid FROM new_rows",
        f"{_THEIR_PLEDGES} AND id NOT IN (SELECT id FROM new_rows)",
    )
}
            ELSIF TG_OP = 'UPDATE' THEN
                IF NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                               WHERE {_PLEDGE_MATTERS}) THEN
                    RETURN NULL;
                END IF;
                {
    _audience_change(
        f"SELECT o.user_id AS uid FROM old_rows o JOIN new_rows n ON n.id = o.id"
        f" WHERE {_PLEDGE_MATTERS}"
        " UNION SELECT n.user_id FROM old_rows o JOIN new_rows n ON n.id = o.id"
        " WHERE o.user_id <> n.user_id",
        f"{_THEIR_PLEDGES} AND id NOT IN (SELECT id FROM new_rows)"
        " UNION ALL SELECT * FROM old_rows",
    )
}
            ELSE
                IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
                    RETURN NULL;
                END IF;
                {
    _audience_change(
        "SELECT DISTINCT user_id AS uid FROM old_rows",
        f"{_THEIR_PLEDGES} UNION ALL SELECT * FROM old_rows",
    )
}
            END IF;
            RETURN NULL;
        END $$;
"""

# m026 on PostgreSQL: the outbox's check of its people and job (m023) stands aside for a
# statement that read its people from `users` itself (FROM_USERS_SQL before it): a seek into
# users' key a row, it was a fifth of queueing an audience's window (4.5 of 20 ms for 2,000
# people at 10k), and found nothing that statement had not just read. Every other insert is
# checked as before, the next statement of the same transaction too.
_M026_PG = f"""
        CREATE OR REPLACE FUNCTION deliveries_check() RETURNS trigger LANGUAGE plpgsql
        SET enable_hashjoin = off SET enable_mergejoin = off AS $$
        BEGIN
            IF {_FROM_USERS} THEN
                PERFORM set_config('clicksbot.from_users', '', true);
                RETURN NULL;
            END IF;
{_DELIVERIES_CHECKED}
            RETURN NULL;
        END $$;
"""

# m027 on PostgreSQL: the same column and backfill; a new reminder takes its person's tip time
# with the zone, and a changed tip time is followed, as the zone is (m024). The person's row
# is read `FOR SHARE`: a change of their zone or tip time by another instance's transaction
# under way is waited for (then read), and one that comes after waits for the new reminder
# to be committed, so that its trigger finds it; either way the copy ends up equal.
_M027_PG = f"""
        ALTER TABLE reminders ADD COLUMN tip_time TEXT;
        CREATE OR REPLACE FUNCTION reminders_zone_new() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT {_COPYING} THEN
                SELECT u.time_zone, u.tip_time INTO NEW.time_zone, NEW.tip_time
                    FROM users u WHERE u.id = NEW.user_id FOR SHARE;
            END IF;
            RETURN NEW;
        END $$;
        CREATE FUNCTION reminders_tip_moved() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE reminders SET tip_time = NEW.tip_time WHERE user_id = NEW.id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER reminders_tip_moved AFTER UPDATE OF tip_time ON users
            FOR EACH ROW WHEN (OLD.tip_time IS DISTINCT FROM NEW.tip_time)
            EXECUTE FUNCTION reminders_tip_moved();
        UPDATE reminders SET tip_time = (
            SELECT u.tip_time FROM users u WHERE u.id = reminders.user_id);
"""

# Per migration name: its PostgreSQL text, where translating the SQLite text is not enough
# (triggers, say). The SQLite text stays the source of the schema; this is the exception.
POSTGRESQL_MIGRATIONS: dict[str, str] = {
    "m018_jobs_at_scale": _M018_PG,
    "m020_impact_index": _m020_pg(),
    "m023_deliveries_checked_per_statement": _M023_PG,
    "m024_reminders_by_zone": _M024_PG,
    "m025_pledge_audience_by_change": _M025_PG,
    "m026_deliveries_from_users": _M026_PG,
    "m027_reminders_keep_tip_time": _M027_PG,
}

# Tables whose rows get their `id` from the database (`id INTEGER PRIMARY KEY` in SQLite, an
# identity column here): an INSERT into one returns the new id, SQLite's `lastrowid`.
_IDENTITY_RE = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY\b", re.IGNORECASE)
_CREATE_RE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", re.IGNORECASE)
_INSERT_RE = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


def is_url(target: object) -> bool:
    """Whether a `database` setting names a PostgreSQL server rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(SCHEMES)


def describe(url: str) -> str:
    """Name a PostgreSQL database for messages and logs: host, port and database, never the
    user's password (nor the user)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{host}{port}{parts.path or '/'}"


def placeholders(sql: str) -> str:
    """Turn SQLite's `?` placeholders into psycopg's `%s` (and a literal `%` into `%%`),
    leaving quoted strings and names alone."""
    out: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
            out.append("%%" if char == "%" else char)
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


def translate_ddl(sql: str) -> str:
    """Turn a migration's SQLite DDL into PostgreSQL's: an `id INTEGER PRIMARY KEY` becomes an
    identity column, another `INTEGER PRIMARY KEY` or a column that references a table's id a
    BIGINT (as the ids it holds); a table `WITHOUT ROWID` is created plainly (PostgreSQL
    has no rowid to leave out)."""
    sql = re.sub(r"\)\s*WITHOUT\s+ROWID\b", ")", sql, flags=re.IGNORECASE)
    sql = _IDENTITY_RE.sub("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql)
    sql = re.sub(r"\bINTEGER(\s+PRIMARY\s+KEY\b)", r"BIGINT\1", sql, flags=re.IGNORECASE)
    return re.sub(
        r"\bINTEGER(\s+(?:NOT\s+NULL\s+)?REFERENCES\b)", r"BIGINT\1", sql, flags=re.IGNORECASE
    )


def migration_sql(name: str, sqlite_sql: str) -> str:
    """The PostgreSQL text of one migration."""
    return POSTGRESQL_MIGRATIONS.get(name) or translate_ddl(sqlite_sql)


def identity_tables(migrations: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The tables whose `id` the database assigns, read off the migrations."""
    tables: set[str] = set()
    for _, sql in migrations:
        for match in _CREATE_RE.finditer(sql):
            body = sql[match.end() : sql.find(";", match.end())]
            if _IDENTITY_RE.search(body):
                tables.add(match.group(1).lower())
    return frozenset(tables)


def _params(params: Sequence[Any] | None) -> tuple[Any, ...] | None:
    # SQLite stores a bool as 0 or 1 in an INTEGER column; PostgreSQL wants the number.
    if params is None:
        return None
    return tuple(int(p) if isinstance(p, bool) else p for p in params)


@contextlib.contextmanager
def _errors() -> Generator[None, None, None]:
    """Raise PostgreSQL's errors as `sqlite3`'s classes, the ones the store's callers catch
    (a taken invitation code is an IntegrityError on both)."""
    import psycopg

    try:
        yield
    except psycopg.IntegrityError as exc:
        raise sqlite3.IntegrityError(str(exc).strip()) from exc
    except psycopg.OperationalError as exc:
        raise sqlite3.OperationalError(str(exc).strip()) from exc
    except psycopg.Error as exc:
        raise sqlite3.DatabaseError(str(exc).strip()) from exc


class RowsCursor:
    """A finished statement's results, read into memory (as aiosqlite's cursors are used)."""

    def __init__(
        self,
        rows: list[tuple[Any, ...]],
        rowcount: int,
        lastrowid: int | None,
        description: Any,
    ) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.description = description

    async def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    async def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        rows = self._rows[self._next : self._next + size]
        self._next += len(rows)
        return rows

    def __aiter__(self) -> RowsCursor:
        return self

    async def __anext__(self) -> tuple[Any, ...]:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def close(self) -> None:
        self._rows = []


class Pending:
    """What `execute` returns: awaited, the cursor; `async with`, the cursor too (as aiosqlite)."""

    def __init__(self, run: Any) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, RowsCursor]:
        return self._run().__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> RowsCursor:
        cursor: RowsCursor = await self._run()
        return cursor

    async def __aexit__(self, *exc: object) -> None:
        return None


# The connection of the `@writes` transaction under way in this task, if any.
_held: contextvars.ContextVar[Any] = contextvars.ContextVar("clicksbot_pg_held", default=None)


class PgConnection:
    """PostgreSQL through a pool, with the surface of the aiosqlite connection the store uses.

    Outside a write, each statement takes a pooled connection in autocommit mode and gives it
    back with its rows read. A `@writes` method holds one connection from its first statement
    to its commit or rollback, so it reads its own writes and commits them at once. Its
    transaction's `BEGIN` goes with its first statement, in the same round trip (a reply's
    write is one statement, often: a round trip was a third of it)."""

    def __init__(self, pool: Any, url: str, identity: frozenset[str]) -> None:
        self._pool = pool
        self.url = url
        self.name = describe(url)
        self._identity = identity
        # The held connections whose transaction has not begun yet (by id: see `session`).
        self._unbegun: set[int] = set()

    @classmethod
    async def connect(
        cls, url: str, identity: frozenset[str], *, max_size: int = 10
    ) -> PgConnection:
        import psycopg
        from psycopg.adapt import Loader
        from psycopg_pool import AsyncConnectionPool

        class Number(Loader):
            # NUMERIC (a SUM of BIGINTs, an AVG) as SQLite gives it: an int, or a float.
            def load(self, data: Any) -> int | float:
                text = bytes(data).decode()
                try:
                    return int(text)
                except ValueError:
                    return float(text)

        class Flag(Loader):
            # A comparison read as a value (`via IS NOT NULL`) is 0 or 1, as in SQLite.
            def load(self, data: Any) -> int:
                return 1 if bytes(data) in (b"t", b"\x01") else 0

        async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
            conn.adapters.register_loader("numeric", Number)
            conn.adapters.register_loader("bool", Flag)
            # A client that dies inside a transaction (its link frozen, its process gone
            # without closing) has the server end it, and free its rows, within minutes.
            await conn.execute(
                f"SET idle_in_transaction_session_timeout = {IDLE_IN_TRANSACTION_MS}"
            )

        # One connection first: a wrong host or password is one clear line, at once, instead
        # of a pool retrying in the background. It is then the pool's first (not closed for
        # the pool to open another: a command such as `clicksbot stats` made two).
        settings: dict[str, Any] = {"autocommit": True, "cursor_factory": psycopg.AsyncClientCursor}
        with _errors():
            handed = [await psycopg.AsyncConnection.connect(url, connect_timeout=10, **settings)]

        class Handed(psycopg.AsyncConnection[Any]):
            @classmethod
            async def connect(cls, conninfo: str = "", **kwargs: Any) -> Any:
                if handed:
                    return handed.pop()
                return await super().connect(conninfo, **kwargs)

        pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            connection_class=Handed,
            kwargs=settings,
            configure=configure,
        )
        try:
            await pool.open(wait=True, timeout=30)
        finally:
            for unused in handed:
                await unused.close()
        return cls(pool, url, identity)

    # -- statements ----------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Pending:
        async def run() -> RowsCursor:
            return await self._run(sql, params, many=None)

        return Pending(run)

    async def execute_fetchall(
        self, sql: str, params: Sequence[Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run one statement and return all its rows (aiosqlite's shortcut: one round trip)."""
        cursor = await self._run(sql, params, many=None)
        return await cursor.fetchall()

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> RowsCursor:
        return await self._run(sql, None, many=[_params(p) or () for p in seq])

    async def executescript(self, sql: str) -> RowsCursor:
        return await self._run(sql, None, many=None)

    async def execute_all(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Run statements whose results nobody reads as one query: one round trip for all
        of them (client-side binding sends it as one simple query), not one each."""
        if statements:
            sql = ";\n".join(sql for sql, _ in statements)
            params = tuple(p for _, values in statements for p in values)
            await self._run(sql, params, many=None, lastrowid=False)

    async def _run(
        self,
        sql: str,
        params: Sequence[Any] | None,
        many: list[tuple[Any, ...]] | None,
        *,
        lastrowid: bool = True,
    ) -> RowsCursor:
        held = _held.get()
        if held is not None:
            return await self._on(held, sql, params, many, lastrowid=lastrowid)
        with _errors():
            async with self._pool.connection() as conn:
                return await self._on(conn, sql, params, many, lastrowid=lastrowid)

    async def _on(
        self,
        conn: Any,
        sql: str,
        params: Sequence[Any] | None,
        many: list[tuple[Any, ...]] | None,
        *,
        lastrowid: bool = True,
    ) -> RowsCursor:
        """Run a statement on `conn`; an INSERT into a table with an identity column returns
        the new id as `lastrowid` (as SQLite's), unless told not to (`execute_all`'s
        statements, whose results nobody reads)."""
        returning = False
        insert = _INSERT_RE.match(sql)
        if (
            lastrowid
            and many is None
            and insert is not None
            and insert.group(1).lower() in self._identity
            and "RETURNING" not in sql.upper()
        ):
            sql = sql.rstrip().rstrip(";") + " RETURNING id"
            returning = True
        bound = _params(params)
        text = placeholders(sql) if bound or many else sql
        begin = id(conn) in self._unbegun
        self._unbegun.discard(id(conn))
        with _errors():
            async with conn.cursor() as cur:
                if many is not None:
                    if begin:
                        await cur.execute("BEGIN")
                    if many:
                        await cur.executemany(text, many)
                    return RowsCursor([], max(cur.rowcount, 0), None, None)
                if begin:
                    # One query of two statements (client-side binding sends it as one
                    # simple query): the first result is BEGIN's, the statement's is next.
                    await cur.execute("BEGIN; " + text, bound or None)
                    cur.nextset()
                else:
                    await cur.execute(text, bound or None)
                rows = [tuple(r) for r in await cur.fetchall()] if cur.description else []
                if returning:
                    last = int(rows[0][0]) if rows else None
                    return RowsCursor([], cur.rowcount, last, None)
                return RowsCursor(rows, cur.rowcount, None, cur.description)

    # -- transactions --------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        """Hold one connection for a `@writes` method, in a transaction of its own.

        The connection stays in autocommit mode (psycopg would send `BEGIN` on its own, a
        round trip before the first statement): the first statement carries the `BEGIN`
        (see `_on`), as does the first after a commit or a rollback."""
        if _held.get() is not None:  # already in one (a write calling a helper that writes)
            yield
            return
        with _errors():
            async with self._pool.connection() as conn:
                token = _held.set(conn)
                self._unbegun.add(id(conn))
                try:
                    yield
                finally:
                    _held.reset(token)
                    self._unbegun.discard(id(conn))
                    if not conn.closed:
                        await conn.rollback()  # nothing, after a commit

    async def commit(self) -> None:
        held = _held.get()
        if held is not None:
            with _errors():
                await held.commit()  # nothing, if no statement began the transaction
            self._unbegun.add(id(held))

    async def rollback(self) -> None:
        held = _held.get()
        if held is not None:
            with _errors():
                await held.rollback()
            self._unbegun.add(id(held))

    async def stream(
        self, sql: str, params: Sequence[Any] | None, size: int
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """A long read's rows, `size` at a time, from a server-side cursor (never all in
        memory), on a pooled connection of its own."""
        bound = _params(params)
        text = placeholders(sql) if bound else sql
        with _errors():
            async with (
                self._pool.connection() as conn,
                conn.transaction(),
                conn.cursor(name="clicksbot_stream") as cur,
            ):
                await cur.execute(text, bound or None)
                while rows := await cur.fetchmany(size):
                    yield [tuple(r) for r in rows]

    async def close(self) -> None:
        await self._pool.close()


@contextlib.asynccontextmanager
async def write_session(db: Any) -> AsyncIterator[None]:
    """The connection a `@writes` method writes on: SQLite's single one as it is, or, for
    PostgreSQL, one pooled connection held to the end of the transaction."""
    if isinstance(db, PgConnection):
        async with db.session():
            yield
    else:
        yield


IDLE_IN_TRANSACTION_MS = 300_000  # a store connection idle inside a transaction: ended
LEASE_LOCK_MS = 2_000  # the lease's statement waits this long at most for the lease row
LEASE_STATEMENT_MS = 5_000  # and runs this long at most


class PgLeaseLine:
    """The lease's own connection to PostgreSQL, apart from the pool: a renewal never waits
    for a pooled connection, nor behind the store's writes. Each lease action is one
    autocommit statement. A statement that fails or is given up (a leader at its deadline
    cancels it) takes its connection with it; the next one opens a new connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Any = None

    async def run(self, sql: str, params: Sequence[Any]) -> tuple[list[tuple[Any, ...]], int]:
        """Run one statement; return its rows and its row count."""
        import psycopg

        conn, self._conn = self._conn, None  # in use: a concurrent call opens its own
        with _errors():
            if conn is None or conn.closed:
                conn = await psycopg.AsyncConnection.connect(
                    self.url,
                    autocommit=True,
                    connect_timeout=5,
                    cursor_factory=psycopg.AsyncClientCursor,
                )
                await conn.execute(
                    f"SET lock_timeout = {LEASE_LOCK_MS};"
                    f" SET statement_timeout = {LEASE_STATEMENT_MS};"
                    f" SET idle_in_transaction_session_timeout = {LEASE_STATEMENT_MS}"
                )
            try:
                async with conn.cursor() as cur:
                    await cur.execute(placeholders(sql), _params(params))
                    rows = [tuple(r) for r in await cur.fetchall()] if cur.description else []
                    count = cur.rowcount
            except BaseException:
                await conn.close()
                raise
        if self._conn is None:
            self._conn = conn
        else:
            await conn.close()
        return rows, count

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()


# Held while migrations run, so that two instances starting at once apply each one once.
MIGRATION_LOCK = 0x636C69636B73  # "clicks"

TABLE_NAMES_SQL = (
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
)


async def stream_rows(
    db: Any, sql: str, params: Sequence[Any] = (), size: int = 500
) -> AsyncIterator[tuple[Any, ...]]:
    """Yield a long read's rows holding `size` of them at a time: aiosqlite's cursor as it
    goes (store.reading.WholeReads), PostgreSQL's server-side cursor (ordinary statements
    are read whole on both)."""
    async for rows in db.stream(sql, params, size):
        for row in rows:
            yield row


async def execute_all(db: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Run statements in order whose results nobody reads: on PostgreSQL in one round trip
    (a person's deletion was some thirty, most of its time); on SQLite one after another, as
    its statements make no trip."""
    if isinstance(db, PgConnection):
        await db.execute_all(statements)
        return
    for sql, params in statements:
        await db.execute(sql, params)


def columns_sql(db: object) -> str:
    """A statement that names a table's columns in their order (its one argument: the
    table's name)."""
    if is_postgresql(db):
        return (
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"
        )
    return "SELECT name FROM pragma_table_info(?) ORDER BY cid"


def is_postgresql(db: object) -> bool:
    """Whether a store's connection is PostgreSQL's (for the few SQLite-only steps)."""
    return isinstance(db, PgConnection)


def page_key(db: object) -> str:
    """The column that pages `users` in the order of its tip-slot index, chunk after chunk:
    SQLite's rowid (the index's last column), PostgreSQL's id (no rowid; m018 there adds an
    index that ends in id)."""
    return "id" if is_postgresql(db) else "rowid"


def now_ms(db: object) -> str:
    """SQL for the database's own clock, in milliseconds since 1970, for leases: PostgreSQL's
    `clock_timestamp()` (one clock for every instance, on whatever machines they run), or
    SQLite's (the clock of the one machine whose processes share the file)."""
    if is_postgresql(db):
        return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
    return "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"


def for_update(db: object) -> str:
    """What a read of a row that a transaction goes on to change ends with: PostgreSQL locks
    it (another transaction's read of it waits its turn); SQLite has one writer already."""
    return " FOR UPDATE" if is_postgresql(db) else ""


def skip_locked(db: object) -> str:
    """What a claim's read of outbox rows ends with: PostgreSQL locks the rows it takes and
    skips those another transaction is taking; SQLite has one writer at a time already."""
    return " FOR UPDATE SKIP LOCKED" if is_postgresql(db) else ""

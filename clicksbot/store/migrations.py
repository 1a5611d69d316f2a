"""Numbered schema migrations, applied in order at start and recorded in the database."""

from __future__ import annotations

# Append only: a migration that has shipped is never edited, a change is a new migration.
# The SQL stays portable (no SQLite-only types) so a PostgreSQL store can follow it.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "m001_users",
        """
        CREATE TABLE users (
            id              BIGINT PRIMARY KEY,           -- Telegram user id
            language        TEXT NOT NULL,                -- interface language code
            language_chosen INTEGER NOT NULL DEFAULT 0,   -- 1 once the person picked it
            created_at      TEXT NOT NULL,                -- ISO 8601, UTC
            last_seen_at    TEXT NOT NULL                 -- ISO 8601, UTC
        );
        """,
    ),
]

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
    (
        "m002_learning",
        """
        ALTER TABLE users ADD COLUMN time_zone TEXT;     -- IANA name; NULL: the bot's default
        CREATE TABLE seen_tips (
            user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            tip_id   TEXT NOT NULL,
            seen_at  TEXT NOT NULL,                      -- the latest time it was shown
            times    INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (user_id, tip_id)
        );
        -- One row per question put to a person; the answer fills it in. Button presses carry
        -- the row id, so a press can only ever answer a question its presser was asked.
        CREATE TABLE answers (
            id           INTEGER PRIMARY KEY,
            user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            question_id  TEXT NOT NULL,
            competency   TEXT NOT NULL,
            topic        TEXT NOT NULL,                  -- the chosen topic: a competency, or any
            fingerprint  TEXT NOT NULL,                  -- the question as asked (a digest)
            option_order TEXT NOT NULL,                  -- shown order, e.g. "2,0,1"
            asked_at     TEXT NOT NULL,
            answered_at  TEXT,
            choice       INTEGER,                        -- index into the pack's options
            correct      INTEGER
        );
        CREATE INDEX answers_by_user ON answers (user_id, question_id);
        -- Days (in the person's time zone) with at least one tip read or question answered.
        CREATE TABLE activity_days (
            user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            day     TEXT NOT NULL,                       -- YYYY-MM-DD, local
            PRIMARY KEY (user_id, day)
        );
        CREATE TABLE badges (
            user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            badge_id  TEXT NOT NULL,
            earned_at TEXT NOT NULL,
            PRIMARY KEY (user_id, badge_id)
        );
        """,
    ),
    (
        "m003_delivery",
        """
        ALTER TABLE users ADD COLUMN country TEXT;        -- ISO 3166 code the person picked
        ALTER TABLE users ADD COLUMN tip_time TEXT;       -- daily tip at HH:MM local; NULL: none
        ALTER TABLE users ADD COLUMN tip_day TEXT;        -- local day of the last daily tip queued
        ALTER TABLE users ADD COLUMN unreachable_since TEXT;  -- blocked the bot, or gone
        ALTER TABLE users ADD COLUMN unreachable_reason TEXT;
        CREATE INDEX users_by_tip_slot ON users (time_zone, tip_time);
        -- One row per fan-out: a daily-tip slot on one day, a broadcast. The key makes it unique,
        -- so a slot that two clocks see (a start-up catch-up and the scheduler) is queued once.
        CREATE TABLE jobs (
            id          INTEGER PRIMARY KEY,
            key         TEXT NOT NULL UNIQUE,
            kind        TEXT NOT NULL,                     -- tip | message
            payload     TEXT NOT NULL DEFAULT '{}',        -- JSON, by kind
            created_at  TEXT NOT NULL
        );
        -- The outbox: one row per (job, person), so nobody is queued twice; each outcome is
        -- written as it happens, and a restart carries on with the pending rows.
        CREATE TABLE deliveries (
            job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            state       TEXT NOT NULL DEFAULT 'pending',   -- pending|sent|failed|unreachable
            attempts    INTEGER NOT NULL DEFAULT 0,
            message_id  BIGINT,
            error       TEXT,
            updated_at  TEXT NOT NULL,
            PRIMARY KEY (job_id, user_id)
        );
        CREATE INDEX deliveries_by_state ON deliveries (state, job_id, user_id);
        """,
    ),
    (
        "m004_pact",
        """
        ALTER TABLE users ADD COLUMN invite_code TEXT;    -- random, in the person's /invite link
        ALTER TABLE users ADD COLUMN referred_by BIGINT;  -- who invited them (credited once)
        CREATE UNIQUE INDEX users_by_invite_code ON users (invite_code);
        CREATE INDEX users_by_referrer ON users (referred_by);
        -- One row per pledge; withdrawing keeps the row (withdrawn_at), so a person may pledge
        -- a version again later, but has at most one live pledge per version.
        CREATE TABLE pledges (
            id                  INTEGER PRIMARY KEY,
            user_id             BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            version             INTEGER NOT NULL,
            language            TEXT NOT NULL,
            country             TEXT,                  -- ISO 3166 code, if they gave it
            display_name        TEXT,                  -- printed on the certificate, if given
            via                 BIGINT,                -- the inviter, if they came invited
            pledged_at          TEXT NOT NULL,
            withdrawn_at        TEXT,
            certificate_file_id TEXT                   -- Telegram's copy, to send it again
        );
        CREATE UNIQUE INDEX pledges_live ON pledges (user_id, version) WHERE withdrawn_at IS NULL;
        CREATE INDEX pledges_by_time ON pledges (pledged_at);
        """,
    ),
    (
        "m005_moderation",
        """
        CREATE TABLE moderators (
            user_id    BIGINT PRIMARY KEY,
            granted_by BIGINT NOT NULL,
            granted_at TEXT NOT NULL
        );
        -- Every moderator and admin action, for `clicksbot audit`.
        CREATE TABLE audit_log (
            id      INTEGER PRIMARY KEY,
            at      TEXT NOT NULL,
            actor   BIGINT,                                -- NULL: the command line
            action  TEXT NOT NULL,
            target  TEXT,
            details TEXT NOT NULL DEFAULT '{}'             -- JSON
        );
        -- A sequence of tips sent to an audience on a schedule; `position` is the next step,
        -- `last_run_at` the occurrence it last went out for, so a restart neither repeats nor
        -- skips a step.
        CREATE TABLE campaigns (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,
            status      TEXT NOT NULL,                     -- active|paused|cancelled|done
            audience    TEXT NOT NULL,                     -- JSON: {"kind": ..., "value": ...}
            tips        TEXT NOT NULL,                     -- JSON list of tip ids
            start_day   TEXT NOT NULL,                     -- YYYY-MM-DD, local
            send_time   TEXT NOT NULL,                     -- HH:MM, local
            time_zone   TEXT NOT NULL,
            repeat      TEXT NOT NULL,                     -- daily|weekdays|weekly|once
            position    INTEGER NOT NULL DEFAULT 0,
            last_run_at TEXT,
            origin      TEXT NOT NULL,                     -- "bot" or the YAML file it came from
            created_by  BIGINT,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        -- A one-off message to an audience, now or at a set time.
        CREATE TABLE broadcasts (
            id          INTEGER PRIMARY KEY,
            created_by  BIGINT NOT NULL,
            audience    TEXT NOT NULL,                     -- JSON, as for campaigns
            payload     TEXT NOT NULL,                     -- JSON: html, photo, button
            send_at     TEXT NOT NULL,
            status      TEXT NOT NULL,                     -- scheduled|queued|cancelled
            job_id      INTEGER REFERENCES jobs (id),
            created_at  TEXT NOT NULL
        );
        ALTER TABLE jobs ADD COLUMN cancelled_at TEXT;
        """,
    ),
    (
        "m006_privacy",
        """
        -- What forgotten people leave behind: only anonymous totals ("pledges", "pledges:MY",
        -- "answers", "friends:<inviter id>", ...), so the counters people see stay right.
        CREATE TABLE forgotten_totals (
            key   TEXT PRIMARY KEY,
            count INTEGER NOT NULL
        );
        CREATE INDEX users_by_last_seen ON users (last_seen_at);
        """,
    ),
    (
        "m007_groups",
        """
        -- The bot in group chats: settings per group, questions posted there, one answer per
        -- person and question, and the members who chose to appear on the leaderboard.
        CREATE TABLE group_settings (
            chat_id     BIGINT PRIMARY KEY,
            language    TEXT NOT NULL,
            daily_time  TEXT,                              -- HH:MM local; NULL: no daily post
            time_zone   TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE TABLE group_questions (
            id          INTEGER PRIMARY KEY,
            chat_id     BIGINT NOT NULL,
            question_id TEXT NOT NULL,
            competency  TEXT NOT NULL,
            asked_at    TEXT NOT NULL
        );
        CREATE TABLE group_answers (
            group_question_id INTEGER NOT NULL REFERENCES group_questions (id) ON DELETE CASCADE,
            user_id     BIGINT NOT NULL,
            chat_id     BIGINT NOT NULL,
            competency  TEXT NOT NULL,
            correct     INTEGER NOT NULL,
            answered_at TEXT NOT NULL,
            PRIMARY KEY (group_question_id, user_id)
        );
        CREATE INDEX group_answers_by_chat ON group_answers (chat_id, user_id);
        CREATE TABLE group_members (
            chat_id      BIGINT NOT NULL,
            user_id      BIGINT NOT NULL,
            display_name TEXT NOT NULL,                    -- as they agreed to be shown
            joined_at    TEXT NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        );
        """,
    ),
    (
        "m008_group_quiz_message",
        """
        -- The group's message that shows the question, so its tally of answers can be edited
        -- in place instead of posting one message per answer.
        ALTER TABLE group_questions ADD COLUMN message_id BIGINT;
        CREATE INDEX group_questions_by_chat ON group_questions (chat_id, asked_at);
        """,
    ),
    (
        "m009_forgotten_marks",
        """
        -- What a forgotten person leaves so that coming back (the same link, the pact again)
        -- cannot count them twice nor tell their inviter twice: short keyed digests that many
        -- Telegram accounts share (see clicksbot/store/marks.py), never an id.
        CREATE TABLE salts (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL                            -- hex
        );
        CREATE TABLE forgotten_marks (
            id      INTEGER PRIMARY KEY,
            kind    TEXT NOT NULL,                         -- pledge | friend
            mark    TEXT NOT NULL,                         -- the digest
            inviter BIGINT,                                -- friend: who brought them (known)
            country TEXT,                                  -- pledge: where it is counted
            told    TEXT NOT NULL DEFAULT '',              -- friend: notices sent, e.g. "joined"
            pledged INTEGER NOT NULL DEFAULT 0             -- friend: counted as having pledged
        );
        CREATE INDEX forgotten_marks_by_mark ON forgotten_marks (kind, mark, inviter);
        CREATE INDEX forgotten_marks_by_inviter ON forgotten_marks (inviter);
        """,
    ),
    (
        "m010_progress_messages",
        """
        -- The live progress message of a fan-out: which message to edit, for which job, and
        -- what it says, so a restart in the middle carries on editing it to the summary.
        CREATE TABLE progress_messages (
            job_id     INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
            chat_id    BIGINT NOT NULL,                    -- the moderator who started it
            what       TEXT NOT NULL,                      -- broadcast:<id> or campaign:<id>
            message_id BIGINT,                             -- NULL until first sent
            shown      TEXT NOT NULL DEFAULT '',           -- the text on screen
            created_at TEXT NOT NULL
        );
        """,
    ),
    (
        "m011_rounds",
        """
        -- A round of questions on one topic, ended by a score card: at most one per person (a
        -- new round replaces it; a command ends it). `asked` lists the rows of `answers` the
        -- round put to them, in order, so a restart in the middle carries on where it was.
        CREATE TABLE rounds (
            user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            topic      TEXT NOT NULL,                      -- a competency, or any
            english    INTEGER NOT NULL DEFAULT 0,         -- 1: in English (none in theirs)
            size       INTEGER NOT NULL,                   -- questions in the round
            asked      TEXT NOT NULL DEFAULT '',           -- answers.id in order, e.g. "12,15"
            started_at TEXT NOT NULL
        );
        """,
    ),
    (
        "m012_greeted",
        """
        -- When /start first greeted the person: a person is greeted as new until then, even
        -- if they wrote something else first (or came back after /forget). Everyone already
        -- here has been greeted.
        ALTER TABLE users ADD COLUMN greeted_at TEXT;
        UPDATE users SET greeted_at = created_at;
        """,
    ),
    (
        "m013_checkups",
        """
        -- The discernment checkup: one row per checkup a person starts. While it is under
        -- way, `answers` holds one letter per item answered (r: judged real, f: judged fake),
        -- so a restart loses nothing; once it ends, only what the report and the impact
        -- report need stays (the counts), and the ids of the items shown, so that the next
        -- checkup draws others.
        CREATE TABLE checkups (
            id           INTEGER PRIMARY KEY,
            user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            language     TEXT NOT NULL,                -- the language of the items shown
            items        TEXT NOT NULL,                -- item ids as shown, comma-separated
            answers      TEXT NOT NULL DEFAULT '',     -- under way: r or f per item; then ''
            started_at   TEXT NOT NULL,
            finished_at  TEXT,
            n_real       INTEGER,                      -- real items shown
            n_fake       INTEGER,                      -- false items shown
            hits         INTEGER,                      -- real items judged real
            false_alarms INTEGER                       -- false items judged real
        );
        CREATE INDEX checkups_by_user ON checkups (user_id, started_at);
        -- When a checkup was last offered to the person unasked (at a quiz), so that it is
        -- offered once, and again only after a while.
        ALTER TABLE users ADD COLUMN checkup_offered_at TEXT;
        """,
    ),
    (
        "m014_reminders",
        """
        -- The streak reminder, for the people who turned it on (and only them: turning it off
        -- deletes the row). The usual time is worked out from when the person answers; the
        -- last day keeps reminders to one a day.
        CREATE TABLE reminders (
            user_id  BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            usual    TEXT NOT NULL,                        -- HH:MM local, a quarter hour
            last_day TEXT                                  -- local day of the last reminder
        );
        """,
    ),
    (
        "m015_confidence",
        """
        -- How sure the person said they were of an answer, asked after they choose and before
        -- they see the result: 1 guessing, 2 fairly sure, 3 sure; NULL: skipped, or asked
        -- before this was asked at all.
        ALTER TABLE answers ADD COLUMN confidence INTEGER;
        """,
    ),
    (
        "m020_impact_index",
        """
        -- The impact report counts each person's answers by competency and by confidence,
        -- then finds their cohort: these indexes hold every column it reads, in the order it
        -- groups them, so it reads them rather than the wider tables, and sorts nothing per
        -- answer.
        CREATE INDEX answers_for_impact ON answers (user_id, competency, confidence, correct);
        CREATE INDEX users_for_impact ON users (id, language, country, created_at);
        """,
    ),
]

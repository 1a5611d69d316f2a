"""Numbered schema migrations, applied in order at start and recorded in the database."""

from __future__ import annotations

# Part of m018 (never edit): the audiences a person is in, as keys of `audience_counts`; {uid}
# is who, {skip} a pledge to leave out (NULL: none). Reachable people only, as the outbox.
_M018_KEYS = (
    "SELECT 'all' AS k FROM users u WHERE u.id = {uid} AND u.unreachable_since IS NULL"
    " UNION ALL SELECT 'subscribers' FROM users u WHERE u.id = {uid}"
    "  AND u.unreachable_since IS NULL AND u.tip_time IS NOT NULL"
    " UNION ALL SELECT 'language:' || u.language FROM users u WHERE u.id = {uid}"
    "  AND u.unreachable_since IS NULL"
    " UNION ALL SELECT CASE WHEN EXISTS (SELECT 1 FROM pledges p WHERE p.user_id = u.id"
    "  AND p.withdrawn_at IS NULL AND p.id IS NOT {skip}) THEN 'pledged' ELSE 'unpledged' END"
    "  FROM users u WHERE u.id = {uid} AND u.unreachable_since IS NULL"
    " UNION ALL SELECT 'country:' || c FROM (SELECT u.country AS c FROM users u"
    "  WHERE u.id = {uid} AND u.unreachable_since IS NULL AND u.country IS NOT NULL"
    "  UNION SELECT p.country FROM pledges p JOIN users u ON u.id = p.user_id"
    "  WHERE p.user_id = {uid} AND p.withdrawn_at IS NULL AND p.id IS NOT {skip}"
    "  AND p.country IS NOT NULL AND u.unreachable_since IS NULL)"
)


def _m018_tally(uid: str, sign: int, skip: str = "NULL") -> str:
    return (
        "INSERT INTO audience_counts (key, count) SELECT k, "
        + str(sign)
        + " FROM ("
        + _M018_KEYS.format(uid=uid, skip=skip)
        + ") WHERE 1 ON CONFLICT (key) DO UPDATE SET count = count + excluded.count;"
    )


_M018_USER_CHANGE = (
    "OLD.language IS NOT NEW.language OR OLD.country IS NOT NEW.country"
    " OR (OLD.tip_time IS NULL) != (NEW.tip_time IS NULL)"
    " OR (OLD.unreachable_since IS NULL) != (NEW.unreachable_since IS NULL)"
)
_M018_PLEDGE_CHANGE = (
    "OLD.user_id != NEW.user_id OR (OLD.withdrawn_at IS NULL) != (NEW.withdrawn_at IS NULL)"
    " OR (OLD.withdrawn_at IS NULL AND OLD.country IS NOT NEW.country)"
)
M018 = f"""
        -- How many reachable people each audience of the broadcast picker holds ("all",
        -- "subscribers", "pledged", "unpledged", "language:<code>", "country:<code>"), kept
        -- by the triggers below in the same transaction as every change, so the picker reads
        -- its counts instead of counting a million rows. A person is in "country:X" if they
        -- picked X or a live pledge of theirs says X (as the audience's filter).
        CREATE TABLE audience_counts (
            key   TEXT PRIMARY KEY,
            count INTEGER NOT NULL
        );
        INSERT INTO audience_counts (key, count)
        SELECT k, COUNT(*) FROM (
            SELECT 'all' AS k FROM users WHERE unreachable_since IS NULL
            UNION ALL SELECT 'subscribers' FROM users
                WHERE unreachable_since IS NULL AND tip_time IS NOT NULL
            UNION ALL SELECT 'language:' || language FROM users WHERE unreachable_since IS NULL
            UNION ALL SELECT CASE WHEN EXISTS (SELECT 1 FROM pledges p WHERE p.user_id = u.id
                AND p.withdrawn_at IS NULL) THEN 'pledged' ELSE 'unpledged' END
                FROM users u WHERE u.unreachable_since IS NULL
            UNION ALL SELECT 'country:' || c FROM (
                SELECT u.id, u.country AS c FROM users u
                    WHERE u.unreachable_since IS NULL AND u.country IS NOT NULL
                UNION SELECT p.user_id, p.country FROM pledges p JOIN users u ON u.id = p.user_id
                    WHERE p.withdrawn_at IS NULL AND p.country IS NOT NULL
                    AND u.unreachable_since IS NULL)
        ) GROUP BY k;
        CREATE TRIGGER audience_user_added AFTER INSERT ON users BEGIN
            {_m018_tally("NEW.id", 1)}
        END;
        CREATE TRIGGER audience_user_leaves BEFORE DELETE ON users BEGIN
            {_m018_tally("OLD.id", -1)}
        END;
        CREATE TRIGGER audience_user_before BEFORE UPDATE
            OF language, country, tip_time, unreachable_since ON users
            WHEN {_M018_USER_CHANGE} BEGIN
            {_m018_tally("OLD.id", -1)}
        END;
        CREATE TRIGGER audience_user_after AFTER UPDATE
            OF language, country, tip_time, unreachable_since ON users
            WHEN {_M018_USER_CHANGE} BEGIN
            {_m018_tally("NEW.id", 1)}
        END;
        -- A pledge insert may be ignored (a second tap): its AFTER trigger alone does both.
        CREATE TRIGGER audience_pledge_added AFTER INSERT ON pledges
            WHEN NEW.withdrawn_at IS NULL BEGIN
            {_m018_tally("NEW.user_id", -1, "NEW.id")}
            {_m018_tally("NEW.user_id", 1)}
        END;
        CREATE TRIGGER audience_pledge_before BEFORE UPDATE
            OF user_id, withdrawn_at, country ON pledges
            WHEN {_M018_PLEDGE_CHANGE} BEGIN
            {_m018_tally("OLD.user_id", -1)}
        END;
        CREATE TRIGGER audience_pledge_after AFTER UPDATE
            OF user_id, withdrawn_at, country ON pledges
            WHEN {_M018_PLEDGE_CHANGE} BEGIN
            {_m018_tally("NEW.user_id", 1)}
        END;
        -- (A pledge goes with its person, whose trigger has taken them out already.)
        CREATE TRIGGER audience_pledge_before_delete BEFORE DELETE ON pledges
            WHEN OLD.withdrawn_at IS NULL BEGIN
            {_m018_tally("OLD.user_id", -1)}
        END;
        CREATE TRIGGER audience_pledge_after_delete AFTER DELETE ON pledges
            WHEN OLD.withdrawn_at IS NULL BEGIN
            {_m018_tally("OLD.user_id", 1)}
        END;
        -- A daily-tip slot is queued a chunk at a time, each its own transaction: until the
        -- last, `filling` holds what is left to do (JSON), so a restart finishes it.
        ALTER TABLE jobs ADD COLUMN filling TEXT;
        CREATE INDEX jobs_filling ON jobs (id) WHERE filling IS NOT NULL;
"""


# Append only: a migration that has shipped is never edited, a change is a new migration.
# The SQL stays portable (no SQLite-only types) so a PostgreSQL store can follow it: there each
# text is translated by `dialect.translate_ddl` (`id INTEGER PRIMARY KEY` becomes an identity
# column); a migration that needs other text there (a trigger, say) gives it in
# `dialect.POSTGRESQL_MIGRATIONS` under the same name, so both keep one version history.
# The impact report's summary of each person (see clicksbot/store/impact.py): what one answer
# adds to the column of its competency and of its confidence level, packed as
# answers * 2**32 + right answers, and the week of the 1970-01-05 (a Monday) calendar a day
# falls in.
_M020_COMPETENCIES = (
    "critical-thinking", "creativity", "literacy", "intercultural", "citizenship",
    "knowledge", "sustainability",
)  # fmt: skip
M020_KINDS = [("competency", f"'{c}'", "c_" + c.replace("-", "_")) for c in _M020_COMPETENCIES]
M020_KINDS += [("confidence", str(level), f"sure_{level}") for level in (1, 2, 3)]
_M020_WEEK = "CAST((julianday({0}) - 2440591.5) / 7 AS INTEGER)"
M020_BITS = 62  # weeks a person's mask remembers, back from their latest active week


def m020_adds(row: str) -> list[str]:
    """What the answer `row` (NEW or OLD) adds to each column of the summary."""
    return [
        f"(CASE WHEN {row}.correct IS NOT NULL AND {row}.{column} = {value}"
        f" THEN {1 << 32} + {row}.correct ELSE 0 END)"
        for column, value, _ in M020_KINDS
    ]


def _m020_upsert(adds: list[str]) -> str:
    names = [name for _, _, name in M020_KINDS]
    return (
        f"INSERT INTO impact_people (user_id, {', '.join(names)})"
        f" VALUES (NEW.user_id, {', '.join(adds)})"
        " ON CONFLICT (user_id) DO UPDATE SET "
        + ", ".join(f"{n} = {n} + excluded.{n}" for n in names)
        + ";"
    )


_M020_CHANGES = list(zip(m020_adds("NEW"), m020_adds("OLD"), strict=True))
_M020_NAMES = ", ".join(name for _, _, name in M020_KINDS)
M020 = f"""
        -- The impact report reads one row per person instead of every answer and every
        -- active day: the triggers below keep it in the same transaction as the answer (or
        -- the rating, or the active day) it counts, so its figures are the ones counted from
        -- the rows themselves. Per competency and per confidence level (1 guessing, 2 fairly
        -- sure, 3 sure): the answers given and how many were right, packed in one number,
        -- answers * 2**32 + right. The weeks: `last_week`, the latest week the person was
        -- active in (weeks counted from Monday 1970-01-05, by their local days), and `weeks`,
        -- a bit per week back from it (bit 0: that week) for the last {M020_BITS} weeks, more
        -- than the longest report. Answers and days go only with their person, as this does.
        CREATE TABLE impact_people (
            user_id   BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            {" ".join(f"{n} INTEGER NOT NULL DEFAULT 0," for _, _, n in M020_KINDS)}
            last_week INTEGER,                      -- NULL: no active day yet
            weeks     INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        INSERT INTO impact_people (user_id, {_M020_NAMES})
            SELECT user_id, {", ".join(f"SUM({a})" for a in m020_adds("answers"))}
            FROM answers WHERE correct IS NOT NULL GROUP BY user_id;
        INSERT INTO impact_people (user_id, last_week, weeks)
            SELECT w.user_id, l.last, SUM(1 << (l.last - w.week))
            FROM (SELECT DISTINCT user_id, {_M020_WEEK.format("day")} AS week
                  FROM activity_days) w
            JOIN (SELECT user_id, MAX({_M020_WEEK.format("day")}) AS last
                  FROM activity_days GROUP BY user_id) l ON l.user_id = w.user_id
            WHERE l.last - w.week < {M020_BITS} GROUP BY w.user_id
            ON CONFLICT (user_id) DO UPDATE SET
                last_week = excluded.last_week, weeks = excluded.weeks;
        CREATE TRIGGER impact_answer_added AFTER INSERT ON answers
            WHEN NEW.correct IS NOT NULL BEGIN
            {_m020_upsert(m020_adds("NEW"))}
        END;
        CREATE TRIGGER impact_answer_changed AFTER UPDATE OF correct, confidence, competency
            ON answers WHEN OLD.correct IS NOT NEW.correct
            OR OLD.confidence IS NOT NEW.confidence OR OLD.competency IS NOT NEW.competency
            BEGIN
            {_m020_upsert([f"{n} - {o}" for n, o in _M020_CHANGES])}
        END;
        CREATE TRIGGER impact_day_added AFTER INSERT ON activity_days BEGIN
            INSERT INTO impact_people (user_id, last_week, weeks)
                VALUES (NEW.user_id, {_M020_WEEK.format("NEW.day")}, 1)
            ON CONFLICT (user_id) DO UPDATE SET
                weeks = CASE
                    WHEN last_week IS NULL THEN 1
                    WHEN excluded.last_week >= last_week THEN
                        ((weeks << (excluded.last_week - last_week)) | 1) & {(1 << M020_BITS) - 1}
                    WHEN last_week - excluded.last_week < {M020_BITS} THEN
                        weeks | (1 << (last_week - excluded.last_week))
                    ELSE weeks END,
                last_week = MAX(COALESCE(last_week, excluded.last_week), excluded.last_week);
        END;
        -- The campaigns whose steps the outbox sent each person, for the report's campaign
        -- cohorts: kept when the outbox's rows are folded into counts (two days after), and
        -- going with the person. Nothing else of the message is kept here.
        CREATE TABLE campaign_people (
            user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            campaign_id INTEGER NOT NULL,             -- campaigns.id
            PRIMARY KEY (user_id, campaign_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO campaign_people (user_id, campaign_id)
            SELECT d.user_id, CAST(substr(j.key, 10, instr(substr(j.key, 10), ':') - 1) AS INTEGER)
            FROM jobs j JOIN deliveries d ON d.job_id = j.id
            WHERE j.kind = 'campaign' AND d.state = 'sent';
        -- The report finds each person's cohort in this index rather than the wider table.
        CREATE INDEX users_for_impact ON users (id, language, country, created_at);
"""

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
        "m016_boosters",
        """
        -- One row per question a person was asked: how often they answered it (and right),
        -- when it was last put to them, and its Leitner box for spaced boosters (see
        -- clicksbot/services/boosters.py). Kept in the same write as the answer, so picking
        -- the next question reads one row per question, never the whole answer history.
        CREATE TABLE boosters (
            user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            answered    INTEGER NOT NULL DEFAULT 0,          -- times answered
            answered_right INTEGER NOT NULL DEFAULT 0,       -- of them, right
            last_asked  TEXT NOT NULL,                       -- ISO 8601, UTC
            box         INTEGER NOT NULL DEFAULT 0,          -- 0 none, 1-4 boxes, 5 mastered
            due_day     TEXT,                                -- YYYY-MM-DD local; NULL: not due
            PRIMARY KEY (user_id, question_id)
        );
        CREATE INDEX boosters_due ON boosters (user_id, due_day);
        -- Questions asked before boosters existed: counted, but in no box (no booster due).
        INSERT INTO boosters (user_id, question_id, answered, answered_right, last_asked)
            SELECT user_id, question_id, COUNT(answered_at), COALESCE(SUM(correct), 0),
                   MAX(asked_at)
            FROM answers GROUP BY user_id, question_id;
        -- When the person rated how sure they were of an answer, or skipped it: the result
        -- was shown then. NULL with an answer: the step was never answered (or not asked).
        ALTER TABLE answers ADD COLUMN rated_at TEXT;
        """,
    ),
    (
        "m017_person_indexes",
        """
        -- What is done for one person reads that person's rows only, however many people
        -- there are: /mydata, /forget (and the deletions its ON DELETE CASCADE makes, which
        -- need an index on the child's column), a 403 in the outbox (their pending messages),
        -- invitations. tests/test_query_plans.py keeps it so.
        CREATE INDEX deliveries_by_user ON deliveries (user_id, state);
        CREATE INDEX pledges_by_user ON pledges (user_id);
        CREATE INDEX pledges_by_via ON pledges (via);
        CREATE INDEX group_answers_by_user ON group_answers (user_id);
        CREATE INDEX group_members_by_user ON group_members (user_id);
        CREATE INDEX audit_log_by_actor ON audit_log (actor);
        CREATE INDEX audit_log_by_target ON audit_log (target);
        CREATE INDEX broadcasts_by_creator ON broadcasts (created_by);
        CREATE INDEX broadcasts_by_job ON broadcasts (job_id);
        CREATE INDEX campaigns_by_creator ON campaigns (created_by);
        CREATE INDEX moderators_by_granter ON moderators (granted_by);
        -- People with a live pledge, kept as running totals by the country of their newest
        -- live pledge ('' for none given): /pact reads a handful of rows instead of counting
        -- every pledge. Written in the same transaction as the pledge it counts;
        -- `clicksbot stats --check` recounts them from the pledges.
        CREATE TABLE pledge_totals (
            country TEXT PRIMARY KEY,                      -- ISO 3166 code, or ''
            people  INTEGER NOT NULL
        );
        INSERT INTO pledge_totals (country, people)
            SELECT COALESCE(country, ''), COUNT(*) FROM (
                SELECT country, ROW_NUMBER() OVER (
                    PARTITION BY user_id ORDER BY version DESC, id DESC) AS newest
                FROM pledges WHERE withdrawn_at IS NULL) AS live
            WHERE newest = 1 GROUP BY COALESCE(country, '');
        -- What is left of a fan-out's outbox rows once they are done and a couple of days old
        -- (see `compact_deliveries`): how many went each way, not to whom.
        ALTER TABLE jobs ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN unreachable INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
        -- Tables keyed by (person, thing) keep each row once, in the order of their key,
        -- rather than in the table and again in its key's index: 40% less space for them, 13%
        -- of the file. (PostgreSQL has no rowid: its tables would be created plainly.)
        CREATE TABLE seen_tips_keyed (
            user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            tip_id   TEXT NOT NULL,
            seen_at  TEXT NOT NULL,                      -- the latest time it was shown
            times    INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (user_id, tip_id)
        ) WITHOUT ROWID;
        INSERT INTO seen_tips_keyed (user_id, tip_id, seen_at, times)
            SELECT user_id, tip_id, seen_at, times FROM seen_tips;
        DROP TABLE seen_tips;
        ALTER TABLE seen_tips_keyed RENAME TO seen_tips;
        CREATE TABLE activity_days_keyed (
            user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            day     TEXT NOT NULL,                       -- YYYY-MM-DD, local
            PRIMARY KEY (user_id, day)
        ) WITHOUT ROWID;
        INSERT INTO activity_days_keyed (user_id, day) SELECT user_id, day FROM activity_days;
        DROP TABLE activity_days;
        ALTER TABLE activity_days_keyed RENAME TO activity_days;
        CREATE TABLE badges_keyed (
            user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            badge_id  TEXT NOT NULL,
            earned_at TEXT NOT NULL,
            PRIMARY KEY (user_id, badge_id)
        ) WITHOUT ROWID;
        INSERT INTO badges_keyed (user_id, badge_id, earned_at)
            SELECT user_id, badge_id, earned_at FROM badges;
        DROP TABLE badges;
        ALTER TABLE badges_keyed RENAME TO badges;
        """,
    ),
    ("m018_jobs_at_scale", M018),
    (
        "m019_dialogues",
        """
        -- A conversation under way (the pact's questions, a broadcast or a campaign being
        -- composed): its step and what it has gathered, so that a restart, or another
        -- instance taking over, carries on where the person was. The row goes when the
        -- conversation ends (done, cancelled, timed out, or left for another command), and
        -- with the person at /forget; a row older than its conversation's timeout is dropped
        -- at the next start.
        CREATE TABLE dialogues (
            name       TEXT NOT NULL,                 -- the conversation: pact, broadcast, ...
            chat_id    BIGINT NOT NULL,
            user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            state      TEXT,                          -- the step, as JSON (NULL: none yet)
            draft      TEXT,                          -- what it gathered, as JSON (NULL: nothing)
            updated_at TEXT NOT NULL,
            PRIMARY KEY (name, chat_id, user_id)
        );
        CREATE INDEX dialogues_by_user ON dialogues (user_id);
        """,
    ),
    ("m020_impact_index", M020),
    (
        "m021_leader",
        """
        -- Who leads: one row per lease (`leader`), held by one running instance until its
        -- expiry, renewed well before. Times are milliseconds since 1970 by the database's
        -- own clock (see store.leases), `term` counts the takeovers.
        CREATE TABLE leases (
            name       TEXT PRIMARY KEY,
            holder     TEXT NOT NULL,
            term       BIGINT NOT NULL,
            taken_at   BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        );
        -- An outbox row taken by a leader to send: by whom, and until when (by the
        -- database's clock). Another instance leaves it alone until then.
        ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
        ALTER TABLE deliveries ADD COLUMN claimed_until BIGINT;
        """,
    ),
    (
        "m022_reminders_by_usual",
        """
        -- A reminder slot's people without a daily tip are found by their usual time (see
        -- store.reminders.queue_reminder_slot), not by reading every reminder: at a million
        -- people each of a day's slots read 100k reminders, 250 ms of write lock each.
        CREATE INDEX reminders_by_usual ON reminders (usual);
        """,
    ),
    (
        "m023_deliveries_checked_per_statement",
        """
        -- PostgreSQL only (see dialect._M023_PG): an outbox row's person and job are checked
        -- once a statement there, not once a row. SQLite's foreign keys stay as they are.
        """,
    ),
    (
        "m024_reminders_by_zone",
        """
        -- A reminder keeps its person's time zone (kept equal by the triggers), so that a
        -- reminder slot reads the reminders of its own zone and time (see
        -- store.reminders.queue_reminder_slot): by usual time alone, each zone's slot read
        -- every zone's reminders of that time, at a million people 10-90 ms of write lock a
        -- slot, hundreds of slots at start. NULL: the person has no zone (the default one).
        -- The triggers come before the copy: a zone changed meanwhile (by an older instance
        -- still serving, on PostgreSQL) is then either copied or followed.
        ALTER TABLE reminders ADD COLUMN time_zone TEXT;
        CREATE TRIGGER reminders_zone_new AFTER INSERT ON reminders
        BEGIN
            UPDATE reminders SET time_zone = (
                SELECT u.time_zone FROM users u WHERE u.id = NEW.user_id)
            WHERE user_id = NEW.user_id;
        END;
        CREATE TRIGGER reminders_zone_moved AFTER UPDATE OF time_zone ON users
        WHEN OLD.time_zone IS NOT NEW.time_zone
        BEGIN
            UPDATE reminders SET time_zone = NEW.time_zone WHERE user_id = NEW.id;
        END;
        UPDATE reminders SET time_zone = (
            SELECT u.time_zone FROM users u WHERE u.id = reminders.user_id);
        DROP INDEX IF EXISTS reminders_by_usual;
        CREATE INDEX reminders_by_zone ON reminders (time_zone, usual);
        """,
    ),
    (
        "m025_pledge_audience_by_change",
        """
        -- PostgreSQL only (see dialect._M025_PG): the pledges' audience trigger reads only
        -- what a statement changed. SQLite's triggers are per row already.
        """,
    ),
    (
        "m026_deliveries_from_users",
        """
        -- PostgreSQL only (see dialect._M026_PG): the outbox's check of its people stands
        -- aside for a statement that read them from users itself. SQLite's foreign keys
        -- stay as they are.
        """,
    ),
    (
        "m027_reminders_keep_tip_time",
        """
        -- A reminder keeps its person's daily-tip time too (kept equal by the triggers, as
        -- its zone since m024), so that the reminder slots, found at every start (see
        -- store.reminders.reminder_times), are read from the reminders alone: joined with
        -- users, at a million people on PostgreSQL, it read every person in 0.7-1.2 s on
        -- three processes at once, beside the start's first replies.
        ALTER TABLE reminders ADD COLUMN tip_time TEXT;
        DROP TRIGGER reminders_zone_new;
        CREATE TRIGGER reminders_zone_new AFTER INSERT ON reminders
        BEGIN
            UPDATE reminders SET (time_zone, tip_time) = (
                SELECT u.time_zone, u.tip_time FROM users u WHERE u.id = NEW.user_id)
            WHERE user_id = NEW.user_id;
        END;
        CREATE TRIGGER reminders_tip_moved AFTER UPDATE OF tip_time ON users
        WHEN OLD.tip_time IS NOT NEW.tip_time
        BEGIN
            UPDATE reminders SET tip_time = NEW.tip_time WHERE user_id = NEW.id;
        END;
        UPDATE reminders SET tip_time = (
            SELECT u.tip_time FROM users u WHERE u.id = reminders.user_id);
        """,
    ),
]

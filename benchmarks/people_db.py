"""Build a clicksbot database that looks like real use by many people, quickly (executemany).

The schema comes from `Store.open` (every migration); the rows are written with plain sqlite3.
The mix, per person on average (documented so figures can be compared):

- a `users` row: one of 8 languages and 12 countries, one of 6 time zones; 40% subscribed to
  the daily tip; 10% have an invitation code; 10% came through a friend's invitation;
- 8 questions asked (`answers`), 7 of them answered, with confidence;
- 5 tips read (`seen_tips`), 5 active days, 1 badge;
- 30% pledged (with a country), a third of them invited (`via`); 5% of those withdrew;
- the outbox: `tip_days` days of daily-tip slots, each delivered to every subscriber (sent),
  and one broadcast still under way with `pending_share` of everyone pending;
- 5% answered 3 questions in one of people/200 groups; 2% appear on its leaderboard;
- 10% took a checkup, 5% have a round on the go, 10% turned the streak reminder on.

    from people_db import build
    build(Path("people.sqlite3"), people=100_000)
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clicksbot.store import Store

FIRST_ID = 10_000_000  # people are FIRST_ID, FIRST_ID + 1, ...
LANGUAGES = ("en", "ms", "id", "fil", "th", "vi", "kk", "uz")
COUNTRIES = ("MY", "ID", "PH", "TH", "VN", "KZ", "UZ", "SG", "BN", "KH", "LA", "MM")
ZONES = (
    "Asia/Kuala_Lumpur", "Asia/Jakarta", "Asia/Manila", "Asia/Bangkok", "Asia/Almaty",
    "Asia/Tashkent",
)  # fmt: skip
COMPETENCIES = ("C", "L", "I", "K", "S", "X", "Q")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def build(
    path: Path,
    people: int,
    *,
    tip_days: int = 10,
    pending_share: float = 0.1,
    seed: int = 18,
) -> None:
    """Write a database of `people` at `path` (which must not exist yet)."""
    asyncio.run(_schema(path))
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA foreign_keys=OFF")
    ids = range(FIRST_ID, FIRST_ID + people)
    day = timedelta(days=1)

    def users() -> Iterator[tuple[object, ...]]:
        for n, uid in enumerate(ids):
            created = NOW - timedelta(days=rng.randrange(1, 300))
            seen = NOW - timedelta(minutes=rng.randrange(1, 60 * 24 * 200))
            zone = ZONES[n % len(ZONES)]
            tip = f"{7 + n % 3:02d}:00" if n % 5 < 2 else None
            code = f"c{uid:010d}" if n % 10 == 0 else None
            via = FIRST_ID + (n * 7919) % people if n % 10 == 5 and people > 1 else None
            yield (
                uid, LANGUAGES[n % len(LANGUAGES)], 1, _ts(created), _ts(seen), zone,
                COUNTRIES[n % len(COUNTRIES)], tip, None, code, via, _ts(created),
            )  # fmt: skip

    db.executemany(
        "INSERT INTO users (id, language, language_chosen, created_at, last_seen_at, time_zone,"
        " country, tip_time, tip_day, invite_code, referred_by, greeted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        users(),
    )

    def answers() -> Iterator[tuple[object, ...]]:
        for uid in ids:
            for k in range(8):
                comp = COMPETENCIES[(uid + k) % 7]
                asked = NOW - timedelta(minutes=rng.randrange(1, 60 * 24 * 200))
                done = k < 7
                yield (
                    uid, f"{comp.lower()}-{(uid + k) % 60:03d}", comp, comp,
                    f"{rng.getrandbits(64):016x}", "2,0,3,1", _ts(asked),
                    _ts(asked + timedelta(seconds=20)) if done else None,
                    rng.randrange(4) if done else None, rng.randrange(2) if done else None,
                    rng.randrange(1, 4) if done else None,
                )  # fmt: skip

    db.executemany(
        "INSERT INTO answers (user_id, question_id, competency, topic, fingerprint,"
        " option_order, asked_at, answered_at, choice, correct, confidence)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        answers(),
    )
    db.executemany(
        "INSERT INTO seen_tips (user_id, tip_id, seen_at, times) VALUES (?, ?, ?, 1)",
        ((uid, f"tip-{(uid + k) % 90:03d}", _ts(NOW - k * day)) for uid in ids for k in range(5)),
    )
    db.executemany(
        "INSERT INTO activity_days (user_id, day) VALUES (?, ?)",
        ((uid, (NOW - k * day).date().isoformat()) for uid in ids for k in range(5)),
    )
    db.executemany(
        "INSERT INTO badges (user_id, badge_id, earned_at) VALUES (?, 'first-answer', ?)",
        ((uid, _ts(NOW)) for uid in ids),
    )

    def pledges() -> Iterator[tuple[object, ...]]:
        for n, uid in enumerate(ids):
            if n % 10 >= 3:
                continue
            at = NOW - timedelta(minutes=rng.randrange(1, 60 * 24 * 120))
            withdrawn = _ts(at + day) if n % 20 == 1 else None
            via = FIRST_ID + (n * 31) % people if n % 3 == 0 and people > 1 else None
            yield (uid, 1, LANGUAGES[n % 8], COUNTRIES[n % 12], via, _ts(at), withdrawn)

    db.executemany(
        "INSERT INTO pledges (user_id, version, language, country, via, pledged_at, withdrawn_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        pledges(),
    )
    subscribers = [uid for n, uid in enumerate(ids) if n % 5 < 2]
    for d in range(tip_days, 0, -1):
        at = NOW - d * day
        for zone in ZONES:
            for tip_time in ("07:00", "08:00", "09:00"):
                cur = db.execute(
                    "INSERT INTO jobs (key, kind, payload, created_at) VALUES (?, 'tip', '{}', ?)",
                    (f"tip:{at.date().isoformat()}:{zone}:{tip_time}", _ts(at)),
                )
                job = cur.lastrowid
                db.executemany(
                    "INSERT INTO deliveries (job_id, user_id, state, attempts, message_id,"
                    " updated_at) VALUES (?, ?, 'sent', 1, ?, ?)",
                    (
                        (job, uid, rng.randrange(1, 1 << 30), _ts(at))
                        for uid in subscribers
                        if ZONES[(uid - FIRST_ID) % 6] == zone
                        and f"{7 + (uid - FIRST_ID) % 3:02d}:00" == tip_time
                    ),
                )
    cur = db.execute(
        "INSERT INTO jobs (key, kind, payload, created_at)"
        " VALUES ('broadcast:1', 'broadcast', '{\"html\": \"Hello\"}', ?)",
        (_ts(NOW),),
    )
    db.executemany(
        "INSERT INTO deliveries (job_id, user_id, state, updated_at) VALUES (?, ?, ?, ?)",
        (
            (cur.lastrowid, uid, "pending" if rng.random() < pending_share else "sent", _ts(NOW))
            for uid in ids
        ),
    )
    groups = max(1, people // 200)
    for g in range(groups):
        chat = -1_000_000_000 - g
        db.execute(
            "INSERT INTO group_settings (chat_id, language, daily_time, time_zone, updated_at)"
            " VALUES (?, 'en', NULL, 'Asia/Kuala_Lumpur', ?)",
            (chat, _ts(NOW)),
        )
        for q in range(3):
            db.execute(
                "INSERT INTO group_questions (chat_id, question_id, competency, asked_at)"
                " VALUES (?, ?, 'C', ?)",
                (chat, f"c-{q:03d}", _ts(NOW - q * day)),
            )
    questions = [r[0] for r in db.execute("SELECT id FROM group_questions ORDER BY id")]
    db.executemany(
        "INSERT INTO group_answers (group_question_id, user_id, chat_id, competency, correct,"
        " answered_at) VALUES (?, ?, ?, 'C', ?, ?)",
        (
            (questions[(n // 20 % groups) * 3 + q], uid, -1_000_000_000 - n // 20 % groups,
             rng.randrange(2), _ts(NOW))
            for n, uid in enumerate(ids) if n % 20 == 0 for q in range(3)
        ),
    )  # fmt: skip
    db.executemany(
        "INSERT INTO group_members (chat_id, user_id, display_name, joined_at)"
        " VALUES (?, ?, 'Someone', ?)",
        ((-1_000_000_000 - n // 50 % groups, uid, _ts(NOW)) for n, uid in enumerate(ids)
         if n % 50 == 0),
    )  # fmt: skip
    db.executemany(
        "INSERT INTO checkups (user_id, language, items, answers, started_at, finished_at,"
        " n_real, n_fake, hits, false_alarms)"
        " VALUES (?, 'en', 'a,b,c,d,e,f', '', ?, ?, 3, 3, 2, 1)",
        ((uid, _ts(NOW), _ts(NOW)) for n, uid in enumerate(ids) if n % 10 == 0),
    )
    db.executemany(
        "INSERT INTO rounds (user_id, topic, size, started_at) VALUES (?, 'any', 5, ?)",
        ((uid, _ts(NOW)) for n, uid in enumerate(ids) if n % 20 == 0),
    )
    db.executemany(
        "INSERT INTO reminders (user_id, usual) VALUES (?, '19:00')",
        ((uid,) for n, uid in enumerate(ids) if n % 10 == 0),
    )
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    asyncio.run(_totals(path))


async def _schema(path: Path) -> None:
    store = await Store.open(path)
    await store.close()


async def _totals(path: Path) -> None:
    """Count the pledges written behind the store's back into its running totals."""
    store = await Store.open(path)
    try:
        check = getattr(store, "check_pledge_totals", None)  # not in clicksbot before m017
        if check is not None:
            await check(fix=True)
    finally:
        await store.close()


def person(people: int, n: int) -> int:
    """Return the id of the nth person (0-based) of a database built for `people`."""
    return FIRST_ID + n % people

"""What the bot does for one person (or one group, one fan-out, one message) reads that
person's rows only, however many people there are: every statement such a store method issues
is caught as it runs on a populated database and its plan is asked of SQLite (EXPLAIN QUERY
PLAN), which must not scan a table that grows with people, nor read a whole state of one.

Every public store method is listed here, either run and checked, or set aside with the reason
(a fan-out, a count over everyone): a new method fails `test_every_store_method_is_classified`
until it is put in one list or the other, so a new per-person query cannot be forgotten.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import shutil
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import REPO

from clicksbot.store import Store
from clicksbot.store.checkups import CheckupCounts
from clicksbot.store.delivery import Delivery

_spec = importlib.util.spec_from_file_location("people_db", REPO / "benchmarks" / "people_db.py")
assert _spec is not None and _spec.loader is not None
people_db = importlib.util.module_from_spec(_spec)
sys.modules["people_db"] = people_db
_spec.loader.exec_module(people_db)

PEOPLE = 3000  # enough rows that SQLite plans as it does for a million (checked at 1M too)
NOW = people_db.NOW
P = people_db.FIRST_ID  # person 0: pledged, in a group, with a checkup, a round, a reminder
FRESH = 1  # a newcomer made during the run, then forgotten

# Tables whose rows grow with the number of people (or with what each person does).
GROWING = {
    "users", "answers", "seen_tips", "activity_days", "badges", "pledges", "deliveries",
    "group_answers", "group_members", "group_questions", "checkups", "rounds", "reminders",
    "forgotten_marks", "forgotten_totals", "jobs", "audit_log",
}  # fmt: skip
# Columns with few values: an index search on them alone reads a large share of the table.
COARSE = {"state", "kind", "language", "country", "time_zone", "tip_time", "competency", "topic"}


@dataclass
class World:
    """Ids found in the populated database, for the calls to use."""

    asked: int
    chat: int
    group_question: int
    job: int
    checkup: int
    pledge: int


Call = Callable[[Store, World], Awaitable[object]]


def delivery(w: World, user: int = P) -> Delivery:
    return Delivery(w.job, user, 0, "broadcast", {}, "en")


LATER = NOW + timedelta(hours=1)
# Run in this order (some use what earlier ones made), each traced and every statement checked.
CHECKED: dict[str, Call] = {
    "touch_user": lambda s, w: s.touch_user(P, "en", LATER),
    "get_user": lambda s, w: s.get_user(P),
    "greet": lambda s, w: s.greet(P, LATER),
    "set_language": lambda s, w: s.set_language(P, "ms", LATER),
    "set_place": lambda s, w: s.set_place(P, "MY", "Asia/Kuala_Lumpur"),
    "set_tip_time": lambda s, w: s.set_tip_time(P, "07:00"),
    "tip_history": lambda s, w: s.tip_history(P),
    "mark_tip_seen": lambda s, w: s.mark_tip_seen(P, "tip-001", LATER),
    "ask": lambda s, w: s.ask(P, "c-001", "C", "C", "0123456789abcdef", (1, 0, 2), LATER),
    "get_asked": lambda s, w: s.get_asked(w.asked),
    "answer_view": lambda s, w: s.answer_view(w.asked),
    "record_answer": lambda s, w: s.record_answer(
        w.asked, P, 1, True, LATER, box=2, due=LATER.date()
    ),
    "record_answer_and_progress": lambda s, w: s.record_answer_and_progress(
        w.asked,
        P,
        1,
        True,
        LATER,
        box=2,
        due=LATER.date(),
        day=LATER.date(),
        badges=("first_answer", "streak_3"),
    ),
    "learner_record": lambda s, w: s.learner_record(P),
    "add_activity_day": lambda s, w: s.add_activity_day(P, LATER.date()),
    "award_badge": lambda s, w: s.award_badge(P, "streak-3", LATER),
    "invite_code": lambda s, w: s.invite_code(P + 1, lambda: "abcdefghijk"),
    "inviter": lambda s, w: s.inviter("abcdefghijk"),
    "referred_by": lambda s, w: s.referred_by(P + 5),
    "invitation_counts": lambda s, w: s.invitation_counts(P),
    "live_pledge": lambda s, w: s.live_pledge(P),
    "pledge": lambda s, w: s.pledge(P, 2, "en", None, LATER),
    "set_pledge_details": lambda s, w: s.set_pledge_details(w.pledge, country="PH"),
    "set_certificate_file_id": lambda s, w: s.set_certificate_file_id(w.pledge, "file-1"),
    "rename_pledge": lambda s, w: s.rename_pledge(w.pledge, "Ana"),
    "pledge_counts": lambda s, w: s.pledge_counts(days=0),  # as /pact asks
    "withdraw_pledge": lambda s, w: s.withdraw_pledge(P, LATER),
    "personal_data": lambda s, w: s.personal_data(P),
    "forgotten_total": lambda s, w: s.forgotten_total("pledges"),
    "add_moderator": lambda s, w: s.add_moderator(P + 2, P, LATER),
    "is_moderator": lambda s, w: s.is_moderator(P + 2),
    "remove_moderator": lambda s, w: s.remove_moderator(P + 2),
    "audit": lambda s, w: s.audit(P, "broadcast", str(P + 3), {}, LATER),
    "cancel_broadcasts_by": lambda s, w: s.cancel_broadcasts_by(P),
    "create_broadcast": lambda s, w: s.create_broadcast(
        P, {"kind": "all"}, {"html": "Hi"}, LATER, LATER
    ),
    "broadcast": lambda s, w: s.broadcast(1),
    "cancel_broadcast": lambda s, w: s.cancel_broadcast(1),
    "create_campaign": lambda s, w: s.create_campaign(
        "c", {"kind": "all"}, ["tip-001"], LATER.date(), "09:00", "UTC", "daily", "bot", P, LATER
    ),
    "campaign": lambda s, w: s.campaign(1),
    "set_campaign_status": lambda s, w: s.set_campaign_status(1, "paused", LATER),
    "group_settings": lambda s, w: s.group_settings(w.chat),
    "set_group_settings": lambda s, w: s.set_group_settings(w.chat, "en", None, "UTC", LATER),
    "post_group_question": lambda s, w: s.post_group_question(w.chat, "c-002", "C", LATER),
    "group_question": lambda s, w: s.group_question(w.group_question),
    "set_group_question_message": lambda s, w: s.set_group_question_message(w.group_question, 7),
    "latest_group_question": lambda s, w: s.latest_group_question(w.chat),
    "answer_group_question": lambda s, w: s.answer_group_question(
        w.group_question, P + 1, w.chat, "C", True, LATER
    ),
    "group_answer": lambda s, w: s.group_answer(w.group_question, P),
    "group_question_tally": lambda s, w: s.group_question_tally(w.group_question),
    "group_questions_asked": lambda s, w: s.group_questions_asked(w.chat),
    "join_leaderboard": lambda s, w: s.join_leaderboard(w.chat, P + 1, "Bo", LATER),
    "leaderboard": lambda s, w: s.leaderboard(w.chat),
    "leave_leaderboard": lambda s, w: s.leave_leaderboard(w.chat, P + 1),
    "group_figures": lambda s, w: s.group_figures(w.chat),
    "current_round": lambda s, w: s.current_round(P),
    "start_round": lambda s, w: s.start_round(P, "C", False, 5, LATER),
    "round_marks": lambda s, w: s.round_marks(P, (w.asked,)),
    "end_round": lambda s, w: s.end_round(P),
    "checkups": lambda s, w: s.checkups(P),
    "get_checkup": lambda s, w: s.get_checkup(w.checkup),
    "start_checkup": lambda s, w: s.start_checkup(P + 1, "en", ("a", "b"), LATER),
    "answer_checkup": lambda s, w: s.answer_checkup(w.checkup, P, "", "r"),
    "finish_checkup": lambda s, w: s.finish_checkup(
        w.checkup, P, "r", CheckupCounts(1, 1, 1, 0), LATER
    ),
    "drop_checkup": lambda s, w: s.drop_checkup(w.checkup, P),
    "checkup_offered_at": lambda s, w: s.checkup_offered_at(P),
    "mark_checkup_offered": lambda s, w: s.mark_checkup_offered(P, LATER),
    "answers_since": lambda s, w: s.answers_since(P, NOW - timedelta(days=30), 5),
    "question_summaries": lambda s, w: s.question_summaries(P),
    "question_picks": lambda s, w: s.question_picks(P),
    "question_summary": lambda s, w: s.question_summary(P, "c-001"),
    "due_boosters": lambda s, w: s.due_boosters(P, LATER.date()),
    "upcoming_boosters": lambda s, w: s.upcoming_boosters(P, LATER.date()),
    "calibration": lambda s, w: s.calibration(P),
    "rate_answer": lambda s, w: s.rate_answer(w.asked, P, 3, LATER),
    "badges_earned_at": lambda s, w: s.badges_earned_at(P, LATER),
    "reminder": lambda s, w: s.reminder(P),
    "set_reminder": lambda s, w: s.set_reminder(P, "19:00"),
    "reminded_on": lambda s, w: s.reminded_on(P, LATER.date()),
    "move_reminder": lambda s, w: s.move_reminder(P, "19:15"),
    "claim_reminder": lambda s, w: s.claim_reminder(P, LATER.date()),
    "delete_reminder": lambda s, w: s.delete_reminder(P),
    "answer_times": lambda s, w: s.answer_times(P, NOW - timedelta(days=30)),
    "played_on": lambda s, w: s.played_on(P, date(2026, 11, 22)),
    "queue_notice": lambda s, w: s.queue_notice(f"invite:joined:{P + 5}", P, {}, LATER),
    "job_progress": lambda s, w: s.job_progress(w.job),
    "watch_progress": lambda s, w: s.watch_progress(w.job, P, "broadcast:1", LATER),
    "progress_shown": lambda s, w: s.progress_shown(w.job, 9, "Sending"),
    "end_progress": lambda s, w: s.end_progress(w.job),
    "pending_deliveries": lambda s, w: s.pending_deliveries((w.job, P), 100),
    "hold_lease": lambda s, w: s.hold_lease("leader", "me", 10),
    "lease": lambda s, w: s.lease("leader"),
    "claim_deliveries": lambda s, w: s.claim_deliveries("me", (w.job, P), 100, 10),
    "give_up_lease": lambda s, w: s.give_up_lease("leader", "me"),
    "delivery_sent": lambda s, w: s.delivery_sent(delivery(w), 11, LATER),
    "deliveries_sent": lambda s, w: s.deliveries_sent([(delivery(w, P + 1), 12, "t")], LATER),
    "delivery_failed": lambda s, w: s.delivery_failed(delivery(w, P + 2), "x", LATER, final=True),
    "delivery_skipped": lambda s, w: s.delivery_skipped(delivery(w, P + 3), "played", LATER),
    "delivery_unreachable": lambda s, w: s.delivery_unreachable(delivery(w, P + 4), "403", LATER),
    "cancel_job": lambda s, w: s.cancel_job(w.job + 1, LATER),
    "set_dialogue_state": lambda s, w: s.set_dialogue_state("pact", P, P, 1, LATER),
    "save_dialogue_draft": lambda s, w: s.save_dialogue_draft("pact", P, P, {"a": 1}, LATER),
    "dialogue_draft": lambda s, w: s.dialogue_draft("pact", P, P),
    "drop_dialogue_drafts": lambda s, w: s.drop_dialogue_drafts(P),
    "audience_size": lambda s, w: s.audience_size({"kind": "language", "value": "en"}),
    "forget_some": lambda s, w: s.forget_some([P + 3, P + 4], 0.02),
    # A newcomer invited by P who pledges, then asks to be forgotten; then P does.
    "credit_invitation": lambda s, w: fresh_friend(s),
    "forget": lambda s, w: forget_both(s),
}

# Reads and writes over everyone (or over a whole fan-out) by their nature: not per person.
SET_ASIDE: dict[str, str] = {
    "open": "opens the database",
    "close": "closes it",
    "schema_version": "the schema",
    "table_names": "the schema",
    "count_users": "a count of everyone (health check)",
    "delivery_stats": "the outbox's figures for /stats and /metrics",
    "tip_slots": "the daily-tip slots, at start",
    "reminder_times": "the reminder slots, at start",
    "all_group_settings": "the groups' daily posts, at start",
    "progress_messages": "the unfinished progress messages, at start",
    "scheduled_broadcasts": "the broadcasts waiting, for /campaigns",
    "due_broadcasts": "the broadcasts due, every minute",
    "campaigns": "the campaigns, for /campaigns",
    "moderators": "the moderators, for /moderators",
    "audit_entries": "the newest audit lines, for `clicksbot audit`",
    "queue_tip_slot": "a fan-out to a slot's subscribers",
    "queue_reminder_slot": "a fan-out to a slot's people",
    "queue_message": "a fan-out to everyone",
    "queue_broadcast": "a fan-out to an audience",
    "run_campaign_step": "a fan-out to an audience",
    "queue_pact_update": "a fan-out to earlier pledgers",
    "inactive_people": "retention: who was inactive",
    "dialogues": "the conversations under way, at start",
    "expire_dialogues": "conversations past their timeout, at start",
    "finish_fills": "the slots left half queued, at start",
    "fill_ahead": "a fan-out's next people, a window at a time, ahead of the outbox",
    "count_audience": "an audience counted row by row, for checks and tests",
    "purge_deliveries": "retention: old outbox rows",
    "scrub_log": "empties the write-ahead log: no query",
    "compact_deliveries": "upkeep: old outbox rows, in batches (a test of its own)",
    "check_pledge_totals": "`clicksbot stats --check`: recounts every pledge",
    "export_pledges": "`clicksbot export pledges`: every pledge",
    "cohort_sizes": "the impact report: everyone, counted by cohort",
    "impact_counts": "the impact report: everyone's answers and days, counted by cohort",
    "campaign_names": "the impact report: every campaign's name",
}


async def fresh_friend(store: Store) -> None:
    fresh = P + PEOPLE + FRESH
    await store.touch_user(fresh, "en", LATER)
    await store.credit_invitation(fresh, P, LATER)
    live, _ = await store.pledge(fresh, 1, "en", P, LATER)
    await store.set_pledge_details(live.id, display_name="Cy", country="MY")


async def forget_both(store: Store) -> None:
    assert await store.forget(P + PEOPLE + FRESH)
    assert await store.forget(P)


def public_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(Store)
        if not name.startswith("_")
        and (inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member))
    }


def test_every_store_method_is_classified() -> None:
    """A new store method must be checked here or set aside with a reason."""
    methods = public_methods()
    assert not set(CHECKED) & set(SET_ASIDE)
    unlisted = methods - set(CHECKED) - set(SET_ASIDE)
    assert not unlisted, f"add to CHECKED (with a call) or SET_ASIDE (with why): {unlisted}"
    assert not (set(CHECKED) | set(SET_ASIDE)) - methods, "a listed method is gone"


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "people.sqlite3"
    people_db.build(path, PEOPLE, tip_days=3)
    return path


def fresh_copy(populated: Path, tmp_path: Path, *, analyze: bool) -> Path:
    path = tmp_path / "people.sqlite3"
    shutil.copy(populated, path)
    db = sqlite3.connect(path)
    if analyze:
        db.execute("ANALYZE")
    else:
        db.execute("DROP TABLE IF EXISTS sqlite_stat1")
    db.commit()
    db.close()
    return path


def world(path: Path) -> World:
    db = sqlite3.connect(path)

    def one(sql: str, *args: object) -> int:
        row = db.execute(sql, args).fetchone()
        assert row is not None, sql
        return int(row[0])

    w = World(
        asked=one("SELECT MAX(id) FROM answers WHERE user_id = ?", P),
        chat=one("SELECT chat_id FROM group_answers WHERE user_id = ?", P),
        group_question=one("SELECT group_question_id FROM group_answers WHERE user_id = ?", P),
        job=one("SELECT job_id FROM deliveries WHERE user_id = ? ORDER BY job_id DESC", P),
        checkup=one("SELECT id FROM checkups WHERE user_id = ?", P),
        pledge=one("SELECT id FROM pledges WHERE user_id = ?", P),
    )
    db.execute("UPDATE checkups SET finished_at = NULL WHERE id = ?", (w.checkup,))
    db.execute(
        "INSERT INTO jobs (key, kind, payload, created_at) VALUES ('broadcast:2', 'broadcast',"
        " '{}', ?)",
        (NOW.isoformat(),),
    )
    db.execute(
        "INSERT INTO deliveries (job_id, user_id, updated_at) SELECT ?, id, ? FROM users",
        (w.job + 1, NOW.isoformat()),
    )
    db.commit()
    db.close()
    return w


KEYWORDS = {"WHERE", "SET", "ON", "VALUES", "JOIN", "LEFT", "GROUP", "ORDER", "LIMIT", "SELECT"}


def tables_of(sql: str) -> dict[str, str]:
    """Return the names a statement's plan may show (aliases too), each with its table."""
    names: dict[str, str] = {}
    for table, alias in re.findall(
        r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, re.IGNORECASE
    ):
        names[table] = table
        if alias and alias.upper() not in KEYWORDS:
            names[alias] = table
    return names


def problems(db: sqlite3.Connection, sql: str) -> list[str]:
    """Return what is wrong with a statement's plan: scans, or searches on coarse columns
    only, or skip-scans, of tables that grow with people."""
    if re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|RELEASE)\b", sql, re.I):
        return []
    if sql.lstrip().startswith("--"):  # what a pragma function runs inside (pragma_table_info)
        return []
    names = tables_of(sql)
    found = []
    for row in db.execute("EXPLAIN QUERY PLAN " + sql):
        detail = str(row[3])
        scan = re.match(r"SCAN (\w+)", detail)
        if scan and names.get(scan.group(1), scan.group(1)) in GROWING:
            found.append(detail)
        search = re.match(r"SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \((.*)\)", detail)
        if search and names.get(search.group(1), search.group(1)) in GROWING:
            # A column, or a row of them ("(job_id,user_id)>(?,?)": a range of both).
            terms = re.findall(r"(\([\w,]+\)|\w+)[=<>]", search.group(2))
            columns = {c for term in terms for c in term.strip("()").split(",")}
            # ANY(x): a skip-scan, one search per value of x (per fan-out, say): it grows.
            if columns <= COARSE or "ANY(" in search.group(2):
                found.append(detail)
    return found


async def traced_run(path: Path, w: World, only: list[str] | None = None) -> dict[str, list[str]]:
    """Run the CHECKED calls on the database at `path`; return each one's statements."""
    store = await Store.open(path)
    issued: dict[str, list[str]] = {}
    current: list[str] = []
    await store._db.set_trace_callback(lambda sql: current.append(sql))
    if store._on_loop is not None:  # the updates' reads and writes (store.reading)
        store._on_loop.connection.set_trace_callback(current.append)
    try:
        for name, call in CHECKED.items():
            if only is not None and name not in only:
                continue
            current.clear()
            result = call(store, w)
            if inspect.isasyncgen(result):
                _ = [row async for row in result]
            else:
                await result
            issued[name] = list(current)
    finally:
        await store.close()
    return issued


@pytest.mark.sqlite_only(
    "SQLite's EXPLAIN QUERY PLAN, on a SQLite file built by benchmarks/people_db.py"
)
@pytest.mark.parametrize("analyze", [False, True], ids=["no statistics", "after ANALYZE"])
async def test_no_per_person_query_reads_everyone(
    populated: Path, tmp_path: Path, analyze: bool
) -> None:
    """Every statement of every per-person store method finds its rows by an index: no SCAN
    of a table that grows with people, no search on a coarse column (a state) alone, with
    SQLite's statistics (as `PRAGMA optimize` leaves them) and without (a new database)."""
    path = fresh_copy(populated, tmp_path, analyze=analyze)
    w = world(path)
    issued = await traced_run(path, w)
    assert set(issued) == set(CHECKED)
    assert sum(map(len, issued.values())) > 2 * len(CHECKED)  # the tracing caught them
    db = sqlite3.connect(path)
    bad = {
        f"{name}: {sql}": found
        for name, statements in issued.items()
        for sql in statements
        if (found := problems(db, sql))
    }
    db.close()
    assert not bad, "\n".join(f"{k}\n    -> {v}" for k, v in bad.items())


@pytest.mark.sqlite_only(
    "SQLite's EXPLAIN QUERY PLAN, on a SQLite file built by benchmarks/people_db.py"
)
@pytest.mark.parametrize("analyze", [False, True], ids=["no statistics", "after ANALYZE"])
async def test_the_outbox_upkeep_finds_jobs_by_their_rows(
    populated: Path, tmp_path: Path, analyze: bool
) -> None:
    """Folding old outbox rows into counts (every ten minutes) finds the jobs that still have
    rows by seeks into the outbox's key, never by reading every job: jobs stay until retention
    drops them, most of them long since without rows. Its batches are lookups by index too."""
    path = fresh_copy(populated, tmp_path, analyze=analyze)
    store = await Store.open(path)
    issued: list[str] = []
    try:
        await store._db.set_trace_callback(issued.append)
        scans = await store._scan_connection()  # where the job lookup runs (store.scans)
        await scans.set_trace_callback(issued.append)
        assert await store.compact_deliveries(NOW + timedelta(days=30), most=40, batch=20) == 40
    finally:
        await store.close()
    assert any("jobs" in sql and "deliveries" in sql for sql in issued)  # the lookup, traced
    db = sqlite3.connect(path)
    bad = {sql: found for sql in issued if (found := problems(db, sql))}
    db.close()
    assert not bad, "\n".join(f"{k}\n    -> {v}" for k, v in bad.items())


@pytest.mark.sqlite_only(
    "SQLite's EXPLAIN QUERY PLAN, on a SQLite file built by benchmarks/people_db.py"
)
def test_deleting_a_person_cascades_by_index(populated: Path, tmp_path: Path) -> None:
    """Every foreign key's child column leads an index, so that deleting a person (or a job,
    a group's question) finds the rows that go with them without reading whole tables: the
    cascade of /forget does not show in the plan of `DELETE FROM users`."""
    path = fresh_copy(populated, tmp_path, analyze=True)
    db = sqlite3.connect(path)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    checked, bad = 0, []
    for table in tables:
        for fk in db.execute(f"PRAGMA foreign_key_list({table})"):
            column = fk[3]
            for row in db.execute(f"EXPLAIN QUERY PLAN DELETE FROM {table} WHERE {column} = 1"):
                if str(row[3]).startswith("SCAN"):
                    bad.append(f"{table}.{column} (references {fk[2]}): {row[3]}")
            checked += 1
    db.close()
    assert checked >= 12
    assert not bad, bad


@pytest.mark.sqlite_only(
    "SQLite's EXPLAIN QUERY PLAN, on a SQLite file built by benchmarks/people_db.py"
)
async def test_the_guard_sees_a_missing_index(populated: Path, tmp_path: Path) -> None:
    """Without the index on a delivery's person, /mydata scans the outbox (or, with
    statistics, searches it once per fan-out) and a 403 reads every pending message: the
    check above would fail."""
    path = fresh_copy(populated, tmp_path, analyze=False)
    w = world(path)
    db = sqlite3.connect(path)
    db.execute("DROP INDEX deliveries_by_user")
    db.commit()
    issued = await traced_run(path, w, only=["personal_data", "delivery_unreachable"])
    found = [p for sql in issued["personal_data"] for p in problems(db, sql)]
    assert any(p.startswith("SCAN deliveries") for p in found), found
    found = [p for sql in issued["delivery_unreachable"] for p in problems(db, sql)]
    assert any("(state=?)" in p for p in found), found
    db.execute("ANALYZE")
    found = [p for sql in issued["personal_data"] for p in problems(db, sql)]
    assert any("ANY(job_id)" in p for p in found), found
    db.close()

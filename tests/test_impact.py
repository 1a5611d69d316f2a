"""The impact report: cohorts too small are merged or left out, the figures are right on a
database whose answers we know, /impact works for moderators only (photos and a CSV file),
and `clicksbot impact` writes its files and says a bad option in one line."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pgtest
import pytest
from conftest import TOKEN, Running, started

from clicksbot.app import OUTBOX_HISTORY, runtime_of
from clicksbot.sandbox import Emulator
from clicksbot.services.checkup import Score
from clicksbot.services.impact import MIN_PEOPLE, ImpactReport, Plan, impact_report, plan, to_csv
from clicksbot.store import Store
from clicksbot.store.impact import OTHER

MONDAY = date(2026, 11, 2)  # the first week of a four-week report made on 2026-11-25
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def stamp(day: date, hour: int = 10) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


class Seed:
    """Rows written straight into a database the store created, as a busy bot would have
    left them (the store has no method to write months of history at once)."""

    def __init__(self, path: Path, first_id: int = 1000) -> None:
        self.path = path
        self.next_id = first_id

    def person(
        self, language: str = "en", joined: date = MONDAY, *, country: str | None = None
    ) -> int:
        self.next_id += 1
        with pgtest.connect(self.path) as db:
            db.execute(
                "INSERT INTO users (id, language, language_chosen, created_at, last_seen_at,"
                " country) VALUES (?, ?, 1, ?, ?, ?)",
                (self.next_id, language, stamp(joined), stamp(joined), country),
            )
        return self.next_id

    def active(self, user_id: int, *days: date) -> None:
        with pgtest.connect(self.path) as db:
            db.executemany(
                "INSERT INTO activity_days (user_id, day) VALUES (?, ?)",
                [(user_id, d.isoformat()) for d in days],
            )

    def answer(
        self, user_id: int, competency: str, correct: bool, confidence: int | None = None
    ) -> None:
        with pgtest.connect(self.path) as db:
            db.execute(
                "INSERT INTO answers (user_id, question_id, competency, topic, fingerprint,"
                " option_order, asked_at, answered_at, choice, correct, confidence)"
                " VALUES (?, 'q', ?, ?, 'f', '0,1', ?, ?, 0, ?, ?)",
                (user_id, competency, competency, stamp(MONDAY), stamp(MONDAY), int(correct),
                 confidence),
            )  # fmt: skip

    def checkup(self, user_id: int, day: date, hits: int, false_alarms: int) -> None:
        with pgtest.connect(self.path) as db:
            db.execute(
                "INSERT INTO checkups (user_id, language, items, started_at, finished_at,"
                " n_real, n_fake, hits, false_alarms) VALUES (?, 'en', 'a', ?, ?, 5, 5, ?, ?)",
                (user_id, stamp(day), stamp(day, 11), hits, false_alarms),
            )


async def seeded(path: Path) -> Seed:
    """A new database with every migration, to seed."""
    await (await Store.open(path)).close()
    return Seed(path)


async def report_of(path: Path, by: str = "language", weeks: int = 4) -> ImpactReport:
    store = await Store.open(path)
    try:
        return await impact_report(store, by, weeks, NOW, today=TODAY)
    finally:
        await store.close()


# -- who is shown -------------------------------------------------------------------------


def test_plan_shows_ten_and_merges_nine() -> None:
    """A cohort of 10 is shown by name; one of 9 is merged into "other", and when "other"
    would then hold fewer than 10, the smallest cohort shown joins it (so that the total
    less the cohorts shown cannot tell the 9 apart); fewer than 10 in all shows nothing."""
    assert plan({"en": 12, "ms": 10}) == Plan(("en", "ms"), False, 0)
    merged = plan({"en": 12, "ms": 10, "vi": 9})
    assert merged.shown == ("en",) and merged.other and merged.hidden == 0
    enough = plan({"en": 12, "ms": 10, "vi": 9, "th": 1})
    assert enough.shown == ("en", "ms") and enough.other
    assert plan({"en": 9}) == Plan((), False, 9)
    many = plan({f"c{i}": 100 - i for i in range(8)})
    assert many.shown == ("c0", "c1", "c2", "c3") and many.other  # a phone shows five lines


async def test_cohorts_under_ten_are_merged_or_hidden(tmp_path: Path) -> None:
    """On a real database: 9 Vietnamese speakers are never shown as such; with one more
    person beside them, "other" has its 10 and Malay (10) keeps its own name; 9 people in
    all show nothing at all."""
    path = tmp_path / "a.sqlite3"
    seed = await seeded(path)
    for language, n in (("en", 12), ("ms", 10), ("vi", 9)):
        for _ in range(n):
            seed.active(seed.person(language), MONDAY)
    report = await report_of(path)
    assert [c.key for c in report.cohorts] == ["all", "en", OTHER]
    assert {c.key: c.people for c in report.cohorts} == {"all": 31, "en": 12, OTHER: 19}
    labels = {row[1] for row in csv.reader(io.StringIO(to_csv(report).decode()))}
    assert labels == {"cohort", "all", "en", "other"}

    seed.active(seed.person("th"), MONDAY)
    report = await report_of(path)
    assert [c.key for c in report.cohorts] == ["all", "en", "ms", OTHER]
    assert {c.key: c.people for c in report.cohorts}[OTHER] == 10


async def test_nine_people_in_all_show_nothing(tmp_path: Path) -> None:
    small = tmp_path / "b.sqlite3"
    seed = await seeded(small)
    for _ in range(9):
        seed.active(seed.person("en"), MONDAY)
    report = await report_of(small)
    assert report.empty and report.hidden == 9


async def test_groups_count_a_person_once_in_other(tmp_path: Path) -> None:
    """By group: a person in two small groups is one person of "other", so two groups of
    the same 6 people make no "other" of 12: they are left out."""
    path = tmp_path / "g.sqlite3"
    seed = await seeded(path)
    people = [seed.person() for _ in range(16)]
    with pgtest.connect(path) as db:
        for chat, members in ((-1, people[:6]), (-2, people[:6]), (-3, people[:12])):
            db.executemany(
                "INSERT INTO group_members (chat_id, user_id, display_name, joined_at)"
                " VALUES (?, ?, 'x', ?)",
                [(chat, uid, stamp(MONDAY)) for uid in members],
            )
    report = await report_of(path, "group")
    keys = {c.key: c.people for c in report.cohorts}
    # -3 (12) is shown; -1 (6), -2 (6) and the 4 in no group add up to 16, but are the same
    # 6 people twice and 4 more: "other" holds 10 people, counted once each.
    assert keys == {"-3": 12, OTHER: 10}


# -- the figures ----------------------------------------------------------------------------


async def test_figures_on_a_known_database(tmp_path: Path) -> None:
    """Retention, activity, accuracy by competency, calibration and the change in
    discernment come out as counted by hand; a figure from 9 people stays blank."""
    path = tmp_path / "k.sqlite3"
    seed = await seeded(path)
    week = [MONDAY + timedelta(weeks=w) for w in range(4)]
    early = [seed.person(joined=week[0]) for _ in range(10)]  # joined in week 0
    later = [seed.person(joined=week[1]) for _ in range(10)]  # joined in week 1
    old = seed.person(joined=MONDAY - timedelta(days=30))  # joined before the report
    for i, uid in enumerate(early):
        days = [week[0]] + [week[1]] * (i < 5) + [week[2] + timedelta(days=1)] * (i < 2)
        seed.active(uid, *days, *([week[3]] if i == 0 else []))
    seed.active(early[0], week[0] + timedelta(days=2))  # two days in one week: once
    for i, uid in enumerate(later):
        seed.active(uid, week[1], *([week[2]] if i < 3 else []))
    seed.active(old, week[2])

    for i, uid in enumerate(early):  # literacy: 10 people, 15 of 20 right
        seed.answer(uid, "literacy", True)
        seed.answer(uid, "literacy", i < 5)
    for uid in later[:9]:  # creativity: only 9 people
        seed.answer(uid, "creativity", True)
    for i, uid in enumerate(early):  # sure: 8 of 10 right; guessing: 3 of 10
        seed.answer(uid, "knowledge", i < 8, confidence=3)
        seed.answer(uid, "knowledge", i < 3, confidence=1)
    for uid in later[:5]:  # fairly sure: 5 people only
        seed.answer(uid, "knowledge", True, confidence=2)

    for uid in later:  # ten people, two checkups each
        seed.checkup(uid, week[1], hits=3, false_alarms=2)
        seed.checkup(uid, week[3], hits=5, false_alarms=0)
    seed.checkup(old, week[0], hits=2, false_alarms=2)  # three: the first and the latest
    seed.checkup(old, week[1], hits=0, false_alarms=5)
    seed.checkup(old, week[2], hits=4, false_alarms=1)
    seed.checkup(early[0], week[0], hits=5, false_alarms=5)  # one checkup: not a change

    report = await report_of(path)
    (en,) = report.cohorts
    assert en.key == "en" and en.people == 21
    assert report.since == MONDAY and report.weeks == 4
    assert en.active == (10, 15, 6, 1)
    assert en.returning == (0, 5, 6, 1)
    retention = [s.value for s in en.retention]
    assert retention == [pytest.approx(8 / 20), pytest.approx(2 / 20), pytest.approx(1 / 10)]
    assert [s.people for s in en.retention] == [20, 20, 10]

    literacy = en.competencies["literacy"]
    assert (literacy.people, literacy.count, literacy.part) == (10, 20, 15)
    assert literacy.value == pytest.approx(0.75)
    assert en.competencies["creativity"].value is None  # 9 people: blank
    assert en.calibration[3].value == pytest.approx(0.8)
    assert en.calibration[1].value == pytest.approx(0.3)
    assert en.calibration[2].value is None  # 5 people

    d = en.discernment
    assert d is not None and d.people == 11
    first = (10 * Score(5, 5, 3, 2).discernment + Score(5, 5, 2, 2).discernment) / 11
    latest = (10 * Score(5, 5, 5, 0).discernment + Score(5, 5, 4, 1).discernment) / 11
    assert d.first_d == pytest.approx(first) and d.latest_d == pytest.approx(latest)
    assert d.latest_d > d.first_d
    assert d.first_c == pytest.approx((10 * Score(5, 5, 3, 2).bias + Score(5, 5, 2, 2).bias) / 11)
    assert d.latest_c == pytest.approx((10 * Score(5, 5, 5, 0).bias + Score(5, 5, 4, 1).bias) / 11)

    rows = list(csv.reader(io.StringIO(to_csv(report).decode())))
    assert rows[0] == ["figure", "cohort", "item", "measure", "value"]
    assert ["retention", "en", "1", "share_active", "0.400"] in rows
    assert ["competency", "en", "literacy", "accuracy", "0.750"] in rows
    assert ["competency", "en", "creativity", "people", f"fewer than {MIN_PEOPLE}"] in rows
    assert not any(r[1:3] == ["en", "creativity"] and r[3] == "answers" for r in rows)
    assert ["calibration", "en", "sure", "accuracy", "0.800"] in rows
    assert ["discernment", "en", "", "people_two_checkups", "11"] in rows
    assert not any(str(uid) in ",".join(r) for r in rows for uid in (*early, *later))


async def test_campaign_cohort_is_who_a_campaign_reached(tmp_path: Path) -> None:
    """By campaign: the people a campaign's steps were sent to (not those it failed to
    reach), named by the campaign; still so once the outbox has folded its rows into counts
    (after OUTBOX_HISTORY, as the bot does), and without them once forgotten."""
    path = tmp_path / "c.sqlite3"
    seed = await seeded(path)
    reached = [seed.person("ms") for _ in range(11)]
    others = [seed.person("en") for _ in range(11)]
    store = await Store.open(path)
    try:
        sent_at = NOW - OUTBOX_HISTORY - timedelta(hours=1)
        campaign_id = await store.create_campaign(
            "Pause first", {"kind": "language", "value": "ms"}, ["t1", "t2"], MONDAY, "09:00",
            "UTC", "once", "bot", None, sent_at,
        )  # fmt: skip
        for _ in range(2):  # two steps, as the campaign's schedule runs them
            campaign = await store.campaign(campaign_id)
            assert campaign is not None
            assert await store.run_campaign_step(campaign, sent_at, sent_at) is not None
            pending = await store.pending_deliveries(None, 100)
            assert {d.user_id for d in pending} == set(reached)
            # The outbox: every message reaches Telegram but one person's, which fails.
            ok = [d for d in pending if d.user_id != reached[-1]]
            await store.deliveries_sent([(d, 1, None) for d in ok], sent_at)
            (failed,) = [d for d in pending if d.user_id == reached[-1]]
            await store.delivery_failed(failed, "Bad Request", sent_at, final=True)
        assert await store.compact_deliveries(NOW - OUTBOX_HISTORY) == 22
        with pgtest.connect(path) as db:
            assert db.execute("SELECT COUNT(*) FROM deliveries").fetchone() == (0,)

        report = await impact_report(store, "campaign", 4, NOW, today=TODAY)
        assert {c.key: c.people for c in report.cohorts} == {str(campaign_id): 10, "": 12}
        assert report.names == {str(campaign_id): "Pause first"}
        assert f"{campaign_id}: Pause first" in to_csv(report).decode()
        mine = await store.personal_data(reached[0])
        assert mine["campaign_people"] == [{"user_id": reached[0], "campaign_id": campaign_id}]
        assert "campaign_people" not in await store.personal_data(reached[-1])

        assert await store.forget(reached[0])
        report = await impact_report(store, "campaign", 4, NOW, today=TODAY)
        # 9 people reached are too few to show: with the rest, one cohort of "other".
        assert {c.key: c.people for c in report.cohorts} == {OTHER: 21}
        with pgtest.connect(path) as db:
            assert db.execute(
                "SELECT COUNT(*) FROM campaign_people WHERE user_id = ?", (reached[0],)
            ).fetchone() == (0,)
    finally:
        await store.close()
    del others


# -- the bot --------------------------------------------------------------------------------


async def test_impact_sends_a_moderator_photos_and_a_csv(bot: Running) -> None:
    """A moderator's /impact asks how to group; a press brings an album of charts, its
    caption saying what is never shown, and the CSV; anyone else is answered as to an
    unknown command, and a press by someone no longer a moderator does nothing."""
    mod = await started(bot, "Mod")
    nobody = await started(bot, "Nobody")
    object.__setattr__(bot.settings, "admins", frozenset({mod.id}))
    seed = Seed(bot.settings.database, first_id=5000)
    for i in range(12):
        uid = seed.person("en", TODAY)
        seed.active(uid, TODAY)
        seed.answer(uid, "literacy", i % 3 != 0, confidence=1 + i % 3)

    nobody.send("/impact")
    assert "I don't know the command /impact" in (await nobody.receive()).text

    mod.send("/impact")
    ask = await mod.receive()
    assert "Impact report" in ask.text
    assert ask.button_texts == ["Language", "Country", "Group", "Campaign"]
    await mod.press(ask, "Language")
    working = await mod.receive_edit()
    assert "Counting" in working.text
    album = [await mod.receive(timeout=120) for _ in range(5)]
    assert all("photo" in m.raw for m in album)
    assert len({m.raw["media_group_id"] for m in album}) == 1
    assert "Impact report" in album[0].text and "No one's own answers" in album[0].text
    document = await mod.receive(timeout=30)
    sent = bot.emulator.files[document.raw["document"]["file_id"]].decode()
    assert sent.startswith("figure,cohort,item,measure,value")
    assert document.raw["document"]["file_name"].endswith(".csv")
    assert document.button_texts == ["Language", "Country", "Group", "Campaign"]
    assert [c.method for c in bot.emulator.calls if c.method == "sendMediaGroup"] == [
        "sendMediaGroup"
    ]

    # Someone pressing those buttons who is not a moderator (or no longer one) gets nothing.
    object.__setattr__(bot.settings, "admins", frozenset())
    answer = await mod.press(document, "Country")
    assert answer["show_alert"]
    await mod.expect_silence(0.5)
    store = runtime_of(bot.app).store
    assert store is not None
    actions = [e.action for e in await store.audit_entries()]
    assert actions == ["impact_report"]


async def test_impact_with_too_few_people_says_so(bot: Running) -> None:
    """Fewer than 10 people: no charts, a plain line saying why."""
    mod = await started(bot, "Mod")
    object.__setattr__(bot.settings, "admins", frozenset({mod.id}))
    mod.send("/impact")
    await mod.press(await mod.receive(), "Country")
    await mod.receive_edit()
    too_few = await mod.receive_edit(timeout=30)
    assert "Fewer than 10 people" in too_few.text
    assert bot.emulator.sent("sendMediaGroup") == []


# -- the emulator's albums ------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"
    b"\x90\x91h6"
)


async def test_emulator_albums_as_telegram_takes_them() -> None:
    """sendMediaGroup: 2 to 10 photos (or documents, not both), one message each sharing a
    media_group_id, each caption checked like any other."""
    emulator = Emulator(token=TOKEN)
    person = emulator.person("Ann")
    person.send("/start")

    def photos(n: int, caption: str = "x") -> tuple[dict[str, object], dict[str, bytes]]:
        media = [{"type": "photo", "media": f"attach://p{i}", "caption": caption}
                 for i in range(n)]  # fmt: skip
        return {"chat_id": person.id, "media": media}, {f"p{i}": PNG for i in range(n)}

    status, body = await emulator.call(TOKEN, "sendMediaGroup", *photos(5))
    assert status == 200 and len(body["result"]) == 5
    assert len({m["media_group_id"] for m in body["result"]}) == 1
    for n, why in ((1, "2 to 10"), (11, "Too much messages")):
        status, body = await emulator.call(TOKEN, "sendMediaGroup", *photos(n))
        assert status == 400 and why in body["description"]
    status, body = await emulator.call(TOKEN, "sendMediaGroup", *photos(2, "x" * 1025))
    assert status == 400 and "caption is too long" in body["description"]
    raw, files = photos(2)
    raw["media"][1] = {"type": "document", "media": "attach://p1"}  # type: ignore[index]
    status, body = await emulator.call(TOKEN, "sendMediaGroup", raw, files)
    assert status == 400 and "can't use the media" in body["description"]
    status, body = await emulator.call(TOKEN, "sendMediaGroup", {"chat_id": person.id,
                                                                 "media": "{}"})  # fmt: skip
    assert status == 400 and "Array of InputMedia" in body["description"]


# -- the command line -----------------------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    env.pop("CLICKSBOT_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "clicksbot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


async def test_cli_writes_charts_and_csv_and_refuses_bad_options(tmp_path: Path) -> None:
    """`clicksbot impact --out DIR` writes five PNG charts and the CSV and says where; a bad
    option, cohort or number of weeks is one line on stderr with exit code 2."""
    path = tmp_path / "db.sqlite3"
    seed = await seeded(path)
    for i in range(12):
        uid = seed.person("ms" if i % 2 else "en")
        seed.active(uid, MONDAY)
        seed.answer(uid, "literacy", True, confidence=3)
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {path}\n", encoding="utf-8")
    out = tmp_path / "report"
    done = await asyncio.to_thread(
        run_cli, "impact", "-c", str(config), "--out", str(out), "--by", "language",
        "--weeks", "6", "--language", "ru", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in out.iterdir())
    assert len([f for f in files if f.endswith(".png")]) == 5
    assert any(f.endswith(".csv") for f in files)
    assert str(out.resolve()) in done.stdout
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for bad, said in (
        (["--weeks", "0"], "--weeks must be a whole number from 1 to 52"),
        (["--by", "town"], "--by must be one of language, country, group, campaign"),
        (["--language", "xx"], "--language must be one of"),
        (["--wekks", "3"], "unrecognized arguments: --wekks"),
    ):
        done = await asyncio.to_thread(run_cli, "impact", "-c", str(config), *bad, cwd=tmp_path)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and said in lines[0], done.stderr
        assert "Traceback" not in done.stderr
    if pgtest.enabled():
        return  # the store is the PostgreSQL database (CLICKSBOT_DATABASE_URL): none is missing
    missing = tmp_path / "none.yaml"
    missing.write_text(f"database: {tmp_path / 'nothing.sqlite3'}\n", encoding="utf-8")
    done = await asyncio.to_thread(run_cli, "impact", "-c", str(missing), cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1

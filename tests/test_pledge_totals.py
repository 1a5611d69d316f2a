"""The pact counter is kept as running totals, written with each pledge, change of country,
withdrawal and /forget; `clicksbot stats --check` recounts them from the pledges and puts a
wrong one right. A database from before the totals gets them counted when it is upgraded."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import REPO, Running, started
from test_pact import pledge

from clicksbot.app import runtime_of
from clicksbot.store import Store
from clicksbot.store import db as store_db
from clicksbot.store.migrations import MIGRATIONS


def stats_check(database: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run the real `clicksbot stats --check` on a database."""
    config = tmp / "config.yaml"
    config.write_text(f"database: {database}\npacks_dir: {REPO / 'quizzes'}\n")
    return subprocess.run(
        [sys.executable, "-m", "clicksbot", "stats", "--check", "--config", str(config)],
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
        env={**os.environ, "CLICKSBOT_TOKEN": ""},
    )  # fmt: skip


def totals(database: Path) -> dict[str, int]:
    db = sqlite3.connect(database)
    try:
        return {r[0]: r[1] for r in db.execute("SELECT country, people FROM pledge_totals")}
    finally:
        db.close()


async def test_the_counter_follows_pledges_countries_withdrawals_and_forgetting(
    bot: Running, tmp_path: Path
) -> None:
    """What /pact shows stays what the pledges say through every change, and the recount of
    `clicksbot stats --check` agrees with the kept totals."""
    store = runtime_of(bot.app).store
    assert store is not None
    ana, ben, cai = [await started(bot, name) for name in ("Ana", "Ben", "Cai")]
    await pledge(bot, ana, "Ana", "Malaysia")
    await pledge(bot, ben, None, "Malaysia")
    await pledge(bot, cai, None, None)
    cai.send("/pact")
    text = (await cai.receive()).text
    assert "3 people have taken the pact" in text
    assert totals(bot.settings.database) == {"MY": 2, "": 1}

    # Cai gives a country later: they move from "no country" to it.
    live = await store.live_pledge(cai.id)
    assert live is not None
    await store.set_pledge_details(live.id, country="PH")
    assert totals(bot.settings.database) == {"MY": 2, "": 0, "PH": 1}

    assert await store.withdraw_pledge(ben.id, datetime.now(UTC))
    assert not await store.withdraw_pledge(ben.id, datetime.now(UTC))  # once
    counts = await store.pledge_counts(days=0)
    assert counts.total == 2 and counts.by_country == {"MY": 1, "PH": 1}

    # Forgotten, Cai still counts, anonymously, in their country (and never twice).
    assert await store.forget(cai.id)
    assert totals(bot.settings.database)["PH"] == 0
    counts = await store.pledge_counts(days=0)
    assert counts.total == 2 and counts.by_country == {"MY": 1, "PH": 1}

    result = stats_check(bot.settings.database, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the pledge totals agree with the pledges" in result.stdout
    assert "pledges (live): 2" in result.stdout


async def test_stats_check_reports_and_fixes_a_wrong_total(tmp_path: Path) -> None:
    """A total that disagrees with the pledges (a hand edit, a bug) is reported, by country,
    with both figures, and set to the recount; exit code 1 says so to a script."""
    database = tmp_path / "bot.sqlite3"
    store = await Store.open(database)
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    for user_id, country in ((1, "PH"), (2, "PH"), (3, "MY")):
        await store.touch_user(user_id, "en", now)
        live, _ = await store.pledge(user_id, 1, "en", None, now)
        await store.set_pledge_details(live.id, country=country)
    await store.close()
    db = sqlite3.connect(database)
    db.execute("UPDATE pledge_totals SET people = 7 WHERE country = 'PH'")
    db.execute("DELETE FROM pledge_totals WHERE country = 'MY'")
    db.commit()
    db.close()

    result = stats_check(database, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "pledges in PH: the total said 7, the pledges count 2; fixed" in result.stdout
    assert "pledges in MY: the total said 0, the pledges count 1; fixed" in result.stdout
    assert "pledges (live): 3" in result.stdout
    assert totals(database) == {"PH": 2, "MY": 1}
    again = stats_check(database, tmp_path)
    assert again.returncode == 0 and "agree" in again.stdout


async def test_an_older_database_gets_its_totals_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upgrading a database with pledges (one person with two live versions, one withdrawn)
    counts each person once, in the country of their newest live pledge."""
    database = tmp_path / "old.sqlite3"
    before = next(i for i, (name, _) in enumerate(MIGRATIONS) if name == "m017_person_indexes")
    monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS[:before])
    store = await Store.open(database)
    await store.close()
    db = sqlite3.connect(database)
    db.executemany(
        "INSERT INTO users (id, language, created_at, last_seen_at) VALUES (?, 'en', 'x', 'x')",
        [(1,), (2,), (3,)],
    )
    db.executemany(
        "INSERT INTO pledges (user_id, version, language, country, pledged_at, withdrawn_at)"
        " VALUES (?, ?, 'en', ?, '2026-01-01T00:00:00+00:00', ?)",
        [(1, 1, "MY", None), (1, 2, "PH", None), (2, 1, None, None), (3, 1, "MY", "2026")],
    )
    db.commit()
    db.close()
    monkeypatch.setattr(store_db, "MIGRATIONS", MIGRATIONS)
    store = await Store.open(database)
    try:
        counts = await store.pledge_counts(days=0)
        assert counts.total == 2 and counts.by_country == {"PH": 1, None: 1}
        assert await store.check_pledge_totals(fix=False) == {}
    finally:
        await store.close()

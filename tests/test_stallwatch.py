"""The benchmarks' stall log (benchmarks/stallwatch.py) sees what the store does on the event
loop's own thread, which aiosqlite's calls do not show: how a slow reply in scale.py is traced
to a read there, a write there, or the write lock another method held."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from clicksbot.store import Store

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def stallwatch() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "stallwatch", REPO / "benchmarks" / "stallwatch.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.sqlite_only("the loop's own connection is SQLite's")
async def test_the_stall_log_shows_the_loops_reads_writes_and_the_write_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = await Store.open(tmp_path / "clicksbot.sqlite3")
    try:
        await store.touch_user(7001, "en", NOW)
        capsys.readouterr()
        watch = stallwatch()
        undo = watch.watch_store(store, 0.0)  # every call is "slow"
        with pytest.raises(RuntimeError):  # once only: a lock watched twice would break
            watch.watch_store(store, 0.0)
        try:
            # A read of the person on the loop's connection, and "last seen" written there.
            await store.touch_user(7001, "en", NOW + timedelta(hours=1))
        finally:
            undo()
        watched = capsys.readouterr().err
        await store.touch_user(7001, "en", NOW + timedelta(hours=2))  # undone: nothing
        assert capsys.readouterr().err == ""
    finally:
        await store.close()
    lines = watched.splitlines()
    assert any(line.startswith("[slow read]") and "FROM users" in line for line in lines), lines
    assert any(line.startswith("[slow write]") and "Store._seen" in line for line in lines)
    assert any(line.startswith("[write lock]") and "Store._seen waited" in line for line in lines)
    assert any(line.startswith("[write lock]") and "Store._seen held it" in line for line in lines)

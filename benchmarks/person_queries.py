"""Time the per-person store actions on a large database: /forget, /mydata, /pact's counter,
an invitation count, a 403 (`delivery_unreachable`); print the figures and the machine.

Builds (once, kept beside the others in the folder given) a database of PEOPLE with the mix
documented in benchmarks/people_db.py, then runs each action for SAMPLE different people
through the real `Store`, and prints the median and the slowest, in milliseconds.

    python benchmarks/person_queries.py [--people 100000] [--sample 30] [--dir /tmp/clicks]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from people_db import FIRST_ID, build

from clicksbot.store import Store
from clicksbot.store.delivery import Delivery
from clicksbot.store.privacy import scrub


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{python}, {os.cpu_count()} cores, load average {load}"


async def timed(label: str, sample: list[int], act: Callable[[int], Awaitable[object]]) -> None:
    times = []
    for uid in sample:
        start = time.perf_counter()
        await act(uid)
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"  {label:<34} median {statistics.median(times):8.2f} ms   "
        f"slowest {max(times):8.2f} ms   ({len(times)} people)"
    )


async def run(path: Path, people: int, sample: int, offset: int) -> None:
    start = time.perf_counter()
    store = await Store.open(path)  # brings the schema up to date (new indexes: a while)
    print(f"opened in {time.perf_counter() - start:.1f} s, schema {await store.schema_version()}")
    try:
        step = max(1, people // sample)
        # People 0, 3, 5 mod 10 pledged / were invited / are in groups: spread over everyone.
        chosen = [FIRST_ID + (offset + i * step) % people for i in range(sample)]
        now = datetime.now(UTC)
        await timed("/pact counter (pledge_counts)", chosen[:10], lambda _: store.pledge_counts(0))
        await timed("invitation_counts", chosen, store.invitation_counts)
        await timed("/mydata (personal_data)", chosen, store.personal_data)

        async def blocked(uid: int) -> None:
            job = await store._count(  # type: ignore[attr-defined]
                "SELECT job_id FROM deliveries WHERE user_id = ? ORDER BY job_id DESC LIMIT 1",
                uid,
            )
            row = Delivery(job[0][0], uid, 0, "broadcast", {}, "en")
            await store.delivery_unreachable(row, "Forbidden: bot was blocked by the user", now)

        await timed("403 (delivery_unreachable)", chosen[: sample // 2], blocked)
        await timed("/forget (forget)", [u + 1 for u in chosen], store.forget)
        # The same, in its two parts: the deleting transaction, then emptying the log.
        forget = getattr(store, "_forget")  # noqa: B009 - a private part, timed on its own
        await timed("  its transaction alone", [u + 2 for u in chosen], forget)
        await timed("  emptying the log (scrub)", chosen[:10], lambda _: scrub(store))
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/clicksbot-bench"))
    parser.add_argument("--offset", type=int, default=0, help="start with this person")
    parser.add_argument("--fresh", action="store_true", help="build the database again")
    parser.add_argument(
        "--db", type=Path, help="time on this database (built for --people) instead; it changes"
    )
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.db or args.dir / f"people-{args.people}.sqlite3"
    if args.db is None and (args.fresh or not path.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        start = time.perf_counter()
        build(path, args.people)
        print(f"built {path} in {time.perf_counter() - start:.1f} s")
    size = path.stat().st_size
    per = size / args.people
    print(f"{args.people:,} people, {size / 2**20:.0f} MiB ({per:.0f} bytes a person)")
    print(machine())
    asyncio.run(run(path, args.people, args.sample, args.offset))


if __name__ == "__main__":
    main()

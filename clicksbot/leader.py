"""Leader and standby: exactly one running instance receives updates, runs the clock and the
outbox; the others wait to take over.

The leader holds a lease in the database (store.leases): a row with its holder and an expiry,
taken when free or expired, renewed every `renew` seconds for `lease` seconds. A standby looks
every `standby` seconds and takes the lease once it has expired: within `lease + standby`
seconds of the leader's death, however it died (`kill -9` gives nothing up).

Whose clock: the expiry is written and compared by the database's clock only (one clock for
every instance, whatever the instances' own clocks read). The leader reasons on its own
monotonic clock, from the moment it *asked* for each renewal: the database wrote the expiry no
earlier than that, so the leader's idea of when its lease ends is never later than the
database's, as long as the database host's wall clock runs true. That is trusted, not
checked: if the database host's clock steps forward by more than `lease - renew` seconds (7 s
at the defaults), a standby sees the lease expired while the leader still acts, and two
instances lead for up to that long; a step back delays a takeover by as much. A step of an
instance's own wall clock changes nothing.

Fencing: a leader that has not renewed for `lease - renew` seconds (the database does not
answer), or that is told another instance holds the lease, stops polling, its jobs and its
outbox at once and is a standby again: it has stopped before the lease can pass to anyone
else. The deadline is kept whatever the database does: a renewal that has not answered by
then is left to end in the background (`_ask`). The first step is synchronous (`halt`): the
outbox sends nothing more and the JobQueue starts no job from that moment, before anything
is awaited; the outbox also checks `may_act()` before each send, and the lease in the same
statement as it claims rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

from clicksbot.store import Store
from clicksbot.store.leases import LEADER, Lease

logger = logging.getLogger(__name__)

T = TypeVar("T")
RETRY = 1.0  # seconds between tries to renew once a renewal failed


class Role(Enum):
    """What this instance is doing."""

    STANDBY = "standby"
    LEADER = "leader"


def holder_id() -> str:
    """A name for this instance in the lease: host, process and a random part (a process id
    can come back after a restart)."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(3)}"


class Leadership:
    """Takes, keeps and gives up the leader lease; starts and stops the leader's work."""

    def __init__(
        self,
        store: Store,
        *,
        lead: Callable[[int], Awaitable[None]],
        step_down: Callable[[bool], Awaitable[None]],
        halt: Callable[[], None] | None = None,
        lease: float = 10.0,
        renew: float = 3.0,
        standby: float = 2.0,
        holder: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.holder = holder or holder_id()
        self.lease = lease
        self.renew = renew
        self.standby = standby
        self._lead = lead
        self._step_down = step_down
        self._halt = halt or (lambda: None)
        self._monotonic = monotonic
        self.role = Role.STANDBY
        self.term: int | None = None
        self.terms = 0  # how many times this instance has led
        self.looks = 0  # how many looks at the lease the database has answered
        self._valid_until = 0.0  # by the monotonic clock: the lease ends no earlier
        self._rest_until = 0.0  # no look before this (monotonic), after a failed start
        self._next_renewal = 0.0
        self._failing = False  # renewals or looks are failing (said once, not each time)
        self._waiting_for: str | None = None  # the holder a standby last said it waits for
        self._task: asyncio.Task[None] | None = None
        self._starting: asyncio.Task[None] | None = None  # the leader's work starting
        self._late: set[asyncio.Future[Any]] = set()  # requests given up, ending
        self.first_look = asyncio.Event()  # set once the first look has been answered

    @property
    def leading(self) -> bool:
        return self.role is Role.LEADER

    @property
    def fence_at(self) -> float:
        """When, by the monotonic clock, this leader stops unless it has renewed by then (a
        lease's last renew interval before it may pass to anyone else); 0 for a standby."""
        return self._valid_until - self.renew if self.leading else 0.0

    def may_act(self) -> bool:
        """Whether this instance may do the leader's work this moment: it leads, and its
        deadline to renew has not passed (read synchronously, e.g. before each send)."""
        return self.leading and self._monotonic() < self.fence_at

    @property
    def led_from_the_start(self) -> bool:
        """Whether this instance leads since its first look (nobody led while it started)."""
        return self.leading and self.looks == 1 and self.terms == 1

    def start(self) -> None:
        """Start looking for (and keeping) the lease in the running event loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="clicksbot leadership")

    async def stop(self) -> None:
        """Stop: a leader stops its work, then gives the lease up so a standby takes over at
        its next look rather than at the expiry."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.leading:
            await self._fence("this instance is stopping", hurry=False)

            async def give_up() -> bool:
                return await self.store.give_up_lease(LEADER, self.holder)

            try:  # not for ever: a database that hangs lets the lease expire instead
                if await self._within(give_up(), self.renew):
                    logger.info("Leader lease given up: a standby takes over at its next look")
            except Exception as exc:
                logger.warning("The leader lease could not be given up (%s); it expires in "
                               "%.0f s", _reason(exc), self.lease)  # fmt: skip

    async def _run(self) -> None:
        while True:
            if self.leading:
                await self._keep()
            else:
                await self._look()

    async def _look(self) -> None:
        """As a standby: take the lease if it is free or expired, else wait and look again."""
        rest = self._rest_until - self._monotonic()
        if rest > 0:  # its work failed to start: another standby may take the lease first
            await asyncio.sleep(rest)
        asked = self._monotonic()
        try:
            held = await self._ask(self.lease)
        except Exception as exc:  # the database does not answer: look again later
            if not self._failing:
                logger.warning("Standby: the database does not answer (%s); looking again "
                               "every %.0f s", _reason(exc), self.standby)  # fmt: skip
            self._failing = True
            self.first_look.set()
            await asyncio.sleep(self.standby)
            return
        self._failing = False
        self.looks += 1
        if held is None:
            await self._say_waiting()
            self.first_look.set()
            await asyncio.sleep(self.standby)
            return
        self._valid_until = asked + self.lease
        self._next_renewal = asked + self.renew
        self.role, self.term, self._waiting_for = Role.LEADER, held.term, None
        self.terms += 1
        logger.info(
            "Leader: this instance (%s) holds the lease, term %d: it receives updates, runs "
            "the clock and the outbox", self.holder, held.term,
        )  # fmt: skip
        # The work starts beside the renewals: however long it takes, the lease is kept.
        self._starting = asyncio.create_task(self._start_work(held.term), name="clicksbot lead")

    async def _start_work(self, term: int) -> None:
        try:
            await self._lead(term)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Leader: starting the leader's work failed; standing by")
            await self._fence("its work could not start", starting=False)
            self._rest_until = self._monotonic() + self.lease
            with contextlib.suppress(Exception):
                await self.store.give_up_lease(LEADER, self.holder)
        finally:
            self.first_look.set()

    async def _ask(self, timeout: float) -> Lease | None:
        """Take or renew the lease, waiting `timeout` seconds at most for the answer.

        The request runs as a task of its own and is not waited for past the deadline: a
        database that hangs (a frozen network) can take many seconds more to give a cancelled
        statement up (psycopg first asks the server to cancel it), and the leader must stop
        at its deadline, not then. The late request is cancelled in the background."""

        async def request() -> Lease | None:
            return await self.store.hold_lease(LEADER, self.holder, self.lease)

        return await self._within(request(), timeout)

    async def _within(self, request: Awaitable[T], timeout: float) -> T:
        """Await a lease request for `timeout` seconds at most, never for its cancellation."""
        task = asyncio.ensure_future(request)
        try:
            done, _ = await asyncio.wait({task}, timeout=max(0.0, timeout))
        except asyncio.CancelledError:  # stopping: the request ends in the background
            self._let_go(task)
            raise
        if not done:
            self._let_go(task)
            raise TimeoutError(f"no answer from the database in {timeout:.1f} s")
        return task.result()

    def _let_go(self, task: asyncio.Future[Any]) -> None:
        task.cancel()
        self._late.add(task)
        task.add_done_callback(_forget(self._late))

    async def _say_waiting(self) -> None:
        try:
            lease = await self.store.lease(LEADER)
        except Exception:
            return
        if lease is not None and lease.holder != self._waiting_for:
            self._waiting_for = lease.holder
            logger.info(
                "Standby: %s leads (term %d, its lease runs %.1f s more); this instance (%s) "
                "takes over if it stops renewing", lease.holder, lease.term,
                max(0.0, lease.expires_in), self.holder,
            )  # fmt: skip

    async def _keep(self) -> None:
        """As the leader: renew on time; step down the moment the lease may be lost."""
        fence_at = self.fence_at
        wait = min(self._next_renewal, fence_at) - self._monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if not self.leading:  # its work failed to start meanwhile
            return
        asked = self._monotonic()
        if asked >= fence_at:
            await self._fence(f"the lease could not be renewed for {self.lease - self.renew:.0f} s")
            return
        try:
            held = await self._ask(fence_at - asked)
        except TimeoutError:  # no answer by the deadline: stop now, whatever comes later
            await self._fence(
                f"the lease could not be renewed for {self.lease - self.renew:.0f} s"
                " (the database does not answer)"
            )
            return
        except Exception as exc:  # try again soon, until fence_at
            if not self._failing:
                logger.warning("Leader: the lease could not be renewed (%s); trying again",
                               _reason(exc))  # fmt: skip
            self._failing = True
            self._next_renewal = self._monotonic() + RETRY
            return
        if held is None:
            await self._fence("another instance holds the lease now")
            return
        if self._failing:
            logger.info("Leader: the lease is renewed again")
        self._failing = False
        self._valid_until = asked + self.lease
        self._next_renewal = asked + self.renew

    async def _fence(self, why: str, *, starting: bool = True, hurry: bool = True) -> None:
        """Stop the leader's work now, and stand by (`hurry`: the lease may pass soon)."""
        if not self.leading:
            return
        self.role = Role.STANDBY
        try:  # at once, before anything is awaited: no send or job starts from now on
            self._halt()
        except Exception:
            logger.exception("Standby: halting the leader's work failed")
        task, self._starting = self._starting, None
        if starting and task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        say = logger.warning if hurry else logger.info
        say("Standby: this instance stopped leading (%s): no updates, jobs or outbox until it "
            "holds the lease again", why)  # fmt: skip
        try:
            await self._step_down(hurry)
        except Exception:
            logger.exception("Standby: stopping the leader's work failed")


def _forget(tasks: set[asyncio.Future[Any]]) -> Callable[[asyncio.Future[Any]], None]:
    """A done callback: drop a late request once it has ended (and read its outcome)."""

    def done(task: asyncio.Future[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()

    return done


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

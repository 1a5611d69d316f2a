"""The outbox: one sending loop for everything that goes to many people.

Jobs put one `deliveries` row per person in the database (a broadcast's or a campaign step's
people a few thousand ahead of this loop, which asks the store for more before each read:
`Store.fill_ahead`); this loop streams the pending rows in batches, sends each under the
`Pacer`, and writes every outcome the moment it is known. A restart
carries on with the rows still pending, so nobody is dropped, and nobody whose message was
recorded as sent gets it again: only the messages on their way at a crash (at most `in_flight`)
can go out twice, since Telegram cannot tell a bot whether a lost reply's message arrived.

Under a leader (`holder`, see clicksbot.leader) the rows are claimed as they are read, for
`claim_seconds`, and only while the holder leads: a standby that takes over leaves the rows
the old leader had claimed until those claims expire, then sends whatever is still pending.
So a takeover, too, repeats at most the `in_flight` messages whose outcome was not written.

A claim is only good while it lasts: a leader claims no more rows at a time than it can send
in about half the claim's time (`claim_batch`), sends a row only while its claim has time
left (else it claims it again first), and sends nothing once `may_send()` says it no longer
leads (checked before each send, without waiting for the database) or once `halt()` was
called (the first, synchronous, step of stepping down).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime

from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot

from clicksbot.delivery.compose import Composer, NoLongerWanted, NothingToSend
from clicksbot.delivery.limiter import Lane, Pacer
from clicksbot.store import Store
from clicksbot.store.delivery import Delivery

logger = logging.getLogger(__name__)

BATCH = 500
RETRIES = 5  # attempts before a server error or timeout counts as a failure
BACKOFF = 1.0  # seconds before the first retry; doubled for each further one
READ_RETRY = 5.0  # seconds before reading the table again after an error
IDLE_CHECK = 30.0  # seconds between looks at the table when nothing woke the loop
TOKEN_RETRY = 300.0  # seconds to hold all sending when the Bot API refuses the token
CLAIM_LOOK = 1.0  # seconds between looks for rows whose claims (another leader's) expire
CLAIM_MARGIN = 0.3  # the part of a claim's time left for the sends on their way at its end


def claim_batch(send_rate: float, claim_seconds: float, in_flight: int) -> int:
    """Rows to claim at a time: what can go out in half the claim's time at `send_rate`
    (0: no limit), so a batch is sent well before its claims end; at least `in_flight`."""
    if send_rate <= 0:
        return BATCH
    return max(in_flight, min(BATCH, int(send_rate * claim_seconds / 2)))


class NotLeading(Exception):
    """The database says this instance does not hold the leader lease: it must not send."""


class Outbox:
    """Sends the pending deliveries, `in_flight` at a time, until stopped."""

    def __init__(
        self,
        store: Store,
        bot: ExtBot[Lane],
        composer: Composer,
        pacer: Pacer,
        clock: Callable[[], datetime],
        *,
        in_flight: int = 8,
        batch: int = BATCH,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        count: Callable[[str], None] | None = None,
        paid: frozenset[str] = frozenset(),
        holder: str | None = None,
        claim_seconds: float = 10.0,
        may_send: Callable[[], bool] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        # The leader lease's holder this outbox sends for (None: no leadership, rows are read
        # unclaimed, as by one process alone), and how long a claim on a row lasts.
        self.holder = holder
        self.claim_seconds = claim_seconds
        self.may_send = may_send or (lambda: True)
        self._claimed_until = float("inf")  # by the monotonic clock: this read's claims end
        self._monotonic = monotonic
        self._started_at = monotonic()
        self.count = count or (lambda outcome: None)  # told each outcome, for the metrics
        # Kinds of job (broadcast, campaign) sent as Telegram's paid broadcasts: faster, and
        # Telegram charges Stars for them (config `allow_paid_broadcast`).
        self.paid = paid
        self.store = store
        self.bot = bot
        self.composer = composer
        self.pacer = pacer
        self.clock = clock
        self.batch = batch
        self.retries = retries
        self.backoff = backoff
        self._slots = asyncio.Semaphore(in_flight)
        self._changed = asyncio.Event()  # new rows, a finished send, or stop
        self._sending: set[tuple[int, int]] = set()
        # Rows finished since the current read of the table began: that read may still show
        # them as pending, so they are skipped until the next read.
        self._finished: set[tuple[int, int]] = set()
        # Rows whose outcome could not be written: this process never sends them again.
        self._unrecorded: set[tuple[int, int]] = set()
        # Sent rows waiting to be written, and whether a task is writing them now.
        self._to_record: list[tuple[Delivery, int, str | None, asyncio.Future[None]]] = []
        self._recording = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._cancelled: set[int] = set()  # jobs stopped: rows already read are skipped

    def start(self) -> None:
        """Start the sending loop in the running event loop."""
        if self._runner is None:
            self._stopping = False
            self._started_at = self._monotonic()
            self._runner = asyncio.create_task(self._run(), name="clicksbot outbox")

    def cancel(self, job_id: int) -> None:
        """Skip a job's rows not yet on their way (the store has marked them cancelled)."""
        self._cancelled.add(job_id)

    def wake(self) -> None:
        """Tell the loop that rows were queued."""
        self._changed.set()

    def halt(self) -> None:
        """Send nothing more from now on, at once (no waiting); `stop` then ends the loop."""
        self._stopping = True
        self._changed.set()

    def _sendable(self, claimed_until: float) -> bool:
        """Whether a message may go out this moment: not halted, still leading, and its row
        still claimed (with a margin for the send itself)."""
        return not self._stopping and self.may_send() and self._monotonic() < claimed_until

    @property
    def idle(self) -> bool:
        """Whether nothing is on its way right now."""
        return not self._sending

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking rows, let the sends on their way finish (up to `timeout`), then stop."""
        self._stopping = True
        self._changed.set()
        if self._runner is not None:
            self._runner.cancel()  # it may be waiting for a slot held through a long 429 pause
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=timeout)
            for task in late:  # their rows stay pending and are sent after the restart
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _run(self) -> None:
        cursor: tuple[int, int] | None = None
        started = False  # whether this pass over the table sent anything
        while not self._stopping:
            if cursor is None:
                self._changed.clear()
                started = False
            self._finished.clear()
            try:
                rows = await self._read(cursor)
            except NotLeading:
                logger.warning("The outbox stops sending: this instance does not lead")
                cursor = None
                self._changed.clear()
                await self._wait(READ_RETRY)
                continue
            except Exception:
                logger.exception("The outbox could not read its rows; trying again soon")
                cursor = None
                self._changed.clear()  # a send finished earlier must not cut the wait short
                await self._wait(READ_RETRY)
                continue
            claimed_until = self._claimed_until
            for row in rows:
                position = row.position
                if position in self._sending or position in self._finished:
                    continue  # on its way (a retry waiting, say), or done since the read began
                if position in self._unrecorded:
                    continue  # perhaps sent, but not recorded: never twice from here
                await self._slots.acquire()
                if row.job_id in self._cancelled:  # stopped while this row waited its turn
                    self._slots.release()
                    continue
                if self._stopping:
                    self._slots.release()
                    return
                if not self._sendable(claimed_until):  # claims ran out meanwhile: claim again
                    self._slots.release()
                    break
                started = True
                self._sending.add(row.position)
                task = asyncio.create_task(self._deliver(row, claimed_until))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if not self._stopping and not self._sendable(claimed_until):
                cursor = None  # claims ran out (a long pause): read, and claim, again
                if not self.may_send():
                    await self._wait(CLAIM_LOOK)
            elif len(rows) == self.batch:
                cursor = rows[-1].position
            elif started:
                cursor = None  # look again from the top: rows queued behind the cursor
            else:
                await self._wait(self._idle_wait())
                cursor = None

    async def _read(self, cursor: tuple[int, int] | None) -> list[Delivery]:
        """The next rows to send: claimed for this leader, or (no leadership) as they are.
        Before each read, the audiences still being queued are topped up, so that a
        broadcast's next people are waiting (see `Store.fill_ahead`); a read after a top-up
        starts from the top, where an earlier job's new rows are."""
        if self.holder is not None and not self.may_send():
            raise NotLeading
        try:
            if await self.store.fill_ahead(self.clock()):
                cursor = None  # the new rows may be behind the cursor (an earlier job's)
        except Exception:  # what is queued already is sent meanwhile; the next read tries again
            logger.exception("The outbox could not queue more of a broadcast's people")
        if self.holder is None:
            return await self.store.pending_deliveries(cursor, self.batch)
        asked = self._monotonic()
        rows = await self.store.claim_deliveries(
            self.holder, cursor, self.batch, self.claim_seconds
        )
        if rows is None:
            raise NotLeading
        # The database wrote the claims no earlier than `asked`; leave a margin for a send
        # on its way when the claim ends.
        self._claimed_until = asked + self.claim_seconds * (1 - CLAIM_MARGIN)
        return rows

    def _idle_wait(self) -> float:
        """How long to wait when nothing is left to send: a leader that has just taken over
        looks again every second while the claims of the one before it may still run."""
        fresh = self._monotonic() - self._started_at <= self.claim_seconds + CLAIM_LOOK
        return CLAIM_LOOK if self.holder is not None and fresh else IDLE_CHECK

    async def _wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def _deliver(self, row: Delivery, claimed_until: float = float("inf")) -> None:
        try:
            await self._attempts(row, claimed_until)
        except Exception as exc:  # a bug must not stop the loop, nor be retried for ever
            logger.exception("The outbox failed on job %s for a person", row.job_id)
            try:
                await self.store.delivery_failed(
                    row, f"internal error: {exc!r}", self.clock(), final=True
                )
            except Exception:
                logger.exception("The outbox could not record a failure")
                self._unrecorded.add(row.position)  # it may have been sent: not again
        finally:
            self._finished.add(row.position)
            self._sending.discard(row.position)
            self._slots.release()
            self._changed.set()

    async def _attempts(self, row: Delivery, claimed_until: float) -> None:
        attempts = row.attempts
        while True:
            if not self._sendable(claimed_until):  # halted, not leading, claim ran out: later
                return
            try:
                letter = await self.composer.compose(row)
                paid = True if row.kind in self.paid else None  # None: not sent at all
                if letter.photo is not None:
                    message = await self.bot.send_photo(
                        row.user_id,
                        letter.photo,
                        caption=letter.reply.text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=letter.reply.keyboard,
                        rate_limit_args=Lane.OUTBOX,
                        allow_paid_broadcast=paid,
                    )
                else:
                    message = await self.bot.send_message(
                        row.user_id,
                        letter.reply.text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=letter.reply.keyboard,
                        rate_limit_args=Lane.OUTBOX,
                        allow_paid_broadcast=paid,
                    )
            except RetryAfter as exc:  # too fast for Telegram: everyone waits, then this again
                seconds = exc.retry_after
                wait = seconds if isinstance(seconds, int | float) else seconds.total_seconds()
                logger.warning("Telegram asked the outbox to wait %.0f s", wait)
                self.pacer.pause(wait)
                continue
            except InvalidToken:  # the token was revoked, or api_url is wrong: not this row's fault
                logger.error("The Bot API refuses the token; the outbox waits %.0f s", TOKEN_RETRY)
                self.pacer.pause(TOKEN_RETRY)
                continue
            except Forbidden as exc:  # blocked the bot, or the account is gone
                await self.store.delivery_unreachable(row, exc.message, self.clock())
                self.count("unreachable")
                return
            except BadRequest as exc:
                if "chat not found" in exc.message.lower():
                    await self.store.delivery_unreachable(row, exc.message, self.clock())
                    self.count("unreachable")
                else:  # the message itself is wrong: retrying cannot help
                    logger.error("Telegram refused an outbox message of job %s: %s",
                                 row.job_id, exc.message)  # fmt: skip
                    await self.store.delivery_failed(row, exc.message, self.clock(), final=True)
                    self.count("failed")
                return
            except (NetworkError, TelegramError) as exc:  # 5xx, timeouts, a lost connection
                attempts += 1
                final = attempts >= self.retries or not isinstance(exc, NetworkError)
                await self.store.delivery_failed(row, str(exc), self.clock(), final=final)
                if final:
                    self.count("failed")
                    return
                delay = self.backoff * 2 ** (attempts - 1)
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                continue
            except NoLongerWanted as exc:
                await self.store.delivery_skipped(row, str(exc), self.clock())
                return
            except NothingToSend as exc:
                await self.store.delivery_failed(row, str(exc), self.clock(), final=True)
                return
            await self._record_sent(row, message.message_id, letter.tip_id)
            self.count("sent")
            return

    async def _record_sent(self, row: Delivery, message_id: int, tip_id: str | None) -> None:
        """Write that a message was sent, together with the others that finished meanwhile:
        one transaction for many rows keeps the database from setting the pace. Returns once
        this row's outcome is on disk (so at most `in_flight` rows are ever unrecorded)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._to_record.append((row, message_id, tip_id, done))
        if not self._recording:  # nobody is writing: this task writes for everyone waiting
            self._recording = True
            try:
                while self._to_record:
                    batch, self._to_record = self._to_record, []
                    try:
                        await self.store.deliveries_sent(
                            [(r, m, t) for r, m, t, _ in batch], self.clock()
                        )
                    except Exception as exc:
                        for *_, waiting in batch:
                            if not waiting.done():
                                waiting.set_exception(exc)
                    else:
                        for *_, waiting in batch:
                            if not waiting.done():
                                waiting.set_result(None)
            finally:
                self._recording = False
        await done

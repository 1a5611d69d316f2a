"""Updates from different people are handled at once; one person's are handled in order."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import JSONDict, ODVInput, TimePeriod
from telegram.ext import BaseUpdateProcessor, ExtBot
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from clicksbot.delivery.limiter import Lane
from clicksbot.render.callbacks import message_unread

logger = logging.getLogger(__name__)


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    """PTB's update processor hook, keyed by person.

    Concurrency keeps one slow reply from holding up everyone else; ordering per person keeps a
    double tap or two quick commands from racing each other.
    """

    def __init__(
        self,
        max_concurrent_updates: int = 8,
        max_waiting: int = 4096,
        observe: Callable[[object, float], None] | None = None,
    ) -> None:
        self.observe = observe  # told (update, seconds) after each update, for the metrics
        # Run after each update, before the person's next: writes the conversation steps it
        # moved to the store (clicksbot.persistence.settle), so none waits for a timer.
        self.settle: Callable[[], Awaitable[None]] | None = None
        # PTB takes one of its slots before do_process_update runs; if those were the real
        # limit, one person's burst would fill them all while their updates run one by one.
        # So PTB's slots only cap how many updates may wait, and ours are taken after the
        # person's turn has come.
        super().__init__(max_waiting)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run one update after any earlier update of the same person, in a free slot."""
        key = _person(update)
        if key is None:
            async with self._slots:
                await coroutine
                if self.settle is not None:
                    await self.settle()
            if self.observe is not None:
                self.observe(update, 0.0)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._slots:
                began = time.perf_counter()
                try:
                    await coroutine
                    if self.settle is not None:
                        await self.settle()
                finally:
                    if self.observe is not None:
                        self.observe(update, time.perf_counter() - began)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle people: memory stays bounded
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _person(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class ShownMessages:
    """The messages recent quiz presses were made on, as PTB built them from what `read_update`
    keeps of them, for the next press on the same message.

    A question takes three presses in its one message (an option, how sure, the next
    question), and what is kept of the message (its chat, id and date) is the same each time.
    PTB builds a Message as some hundred fields, each set one by one on a frozen object: 146
    us of the 219 a press took to read. A message comes back by everything that was kept of it,
    so it is the object PTB would build; PTB's objects are frozen, and those kept are shared.
    Only the most recent `size` are kept (each about 2 KB), in memory only.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._messages: dict[str, Message] = {}  # oldest first

    def get(self, shown: JSONDict, bot: ExtBot[Any]) -> Message:
        """Return the Message built from `shown` (a press's message, as read_update trims it)."""
        key = repr(shown)
        message = self._messages.pop(key, None)
        if message is None:
            message = Message.de_json(shown, bot)
            if len(self._messages) >= self.size:
                del self._messages[next(iter(self._messages))]
        self._messages[key] = message  # now the most recent
        return message

    def __len__(self) -> int:
        return len(self._messages)


@dataclass
class Intake:
    """What the bot knows of its polling: where to start, and when a poll last succeeded."""

    monotonic: Callable[[], float] = time.monotonic
    skip_to: int = 0  # the offset after the last update that could not be read
    polled_at: float | None = None  # the last successful poll (None: not polling)
    shown: ShownMessages = field(default_factory=ShownMessages)  # see read_update

    def stalled(self, seconds: float) -> bool:
        """Whether the bot polls and no poll has succeeded for `seconds`."""
        return self.polled_at is not None and self.monotonic() - self.polled_at > seconds


# Set while replies go out whose returned Message nothing reads: see `unread`.
_UNREAD: ContextVar[bool] = ContextVar("clicksbot_unread", default=False)


@contextmanager
def unread() -> Iterator[None]:
    """Within this block (in this task, and in the tasks it starts), a send or an edit that
    Telegram answers with the Message it sent or edited returns True instead, as an edit of an
    inline message does, and the Message is never built: PTB builds each one, every field an
    object of its own, and for the reply to a press that was about a tenth of the bot's time,
    for an object nobody looked at. Errors are raised as ever."""
    token = _UNREAD.set(True)
    try:
        yield
    finally:
        _UNREAD.reset(token)


# What a press of MESSAGE_UNREAD comes without (see read_update): nothing its handler reads.
UNREAD_FIELDS = ("reply_markup", "text", "entities", "caption", "caption_entities", "from",
                 "edit_date", "link_preview_options")  # fmt: skip


def read_update(
    data: JSONDict, bot: ExtBot[Any], shown_messages: ShownMessages | None = None
) -> Update:
    """PTB's Update from what Telegram sent (`data`, changed in place), but that a quiz's press
    comes with only the pressed message's place (chat, id, date, topic, and whether it shows
    a picture): its handler reads nothing else of it. What a button means is in its payload,
    and what follows in the store; the reply takes the message's place by chat and id (see
    render.callbacks.MESSAGE_UNREAD). PTB builds each field as an object of its own (each
    button, each bold word, the bot as sender): for a question's message, about a third of
    reading the press. Other presses keep it all (a reminder's stop button reads its own
    keyboard). With `shown_messages`, what is left of the message is built once for the
    presses made on it (see ShownMessages). Raises as `Update.de_json` does."""
    query = data.get("callback_query")
    if isinstance(query, dict) and message_unread(query.get("data")):
        shown = query.get("message")
        if isinstance(shown, dict):
            for name in UNREAD_FIELDS:
                shown.pop(name, None)
            if shown_messages is not None:
                message = shown_messages.get(shown, bot)
                del query["message"]
                update = Update.de_json(data, bot)
                assert update.callback_query is not None  # built from the dict, or raised
                with update.callback_query._unfrozen():  # PTB's own way to set a field
                    update.callback_query.message = message
                return update
    return Update.de_json(data, bot)


# A button's fields, as PTB names them for the Bot API (a field a later PTB adds is among them).
BUTTON_FIELDS = InlineKeyboardButton.__slots__


def plain_keyboard(markup: InlineKeyboardMarkup) -> JSONDict | None:
    """Return an inline keyboard as the Bot API reads it, as PTB's `to_dict` would, when its
    buttons hold only text, links and payloads; None when one holds more (a web app, a login
    link, a text to copy, fields PTB does not know) or it has no row: PTB's own `to_dict`.

    PTB turns each button into its dict generically (every field of every object looked up
    and copied): 50 us for a question's four options, as long again as building them.
    """
    if markup.api_kwargs or not markup.inline_keyboard:
        return None
    rows = []
    for row in markup.inline_keyboard:
        buttons = []
        for button in row:
            if button.api_kwargs:
                return None
            fields = {}
            for name in BUTTON_FIELDS:
                value = getattr(button, name)
                if value is None:
                    continue
                if not isinstance(value, str | bool):
                    return None  # an object of its own
                fields[name] = value
            buttons.append(fields)
        rows.append(buttons)
    return {"inline_keyboard": rows}


# The number types sent as they are (an enum of numbers goes PTB's way, which sends its value).
PLAIN_NUMBERS = frozenset((int, float, bool))


def plain_call(data: JSONDict) -> JSONDict | None:
    """Return a call's parameters as the Bot API reads them, as PTB would send them, when each
    is text, a number, a flag, PTB's "not given" (with no `Defaults`) or a plain keyboard
    (`plain_keyboard`); None when one is anything else (a file, a date, an object): PTB's own.

    PTB passes every call's parameters through three generic layers (its defaults put in,
    each value classified for files, dates and objects, then gathered again for the
    transport): a press's answer and edit took 89-96 us of PTB's own work, 67-76 us this way
    (a micro-benchmark without the network).
    """
    plain = {}
    for name, value in data.items():
        if isinstance(value, DefaultValue):
            value = value.value
        if value is None:
            continue
        if isinstance(value, InlineKeyboardMarkup):
            value = plain_keyboard(value)
            if value is None:
                return None
        elif not isinstance(value, str) and type(value) not in PLAIN_NUMBERS:
            return None  # (text enums are text: sent as they are)
        plain[name] = value
    return plain


class IntakeBot(ExtBot[Lane]):
    """PTB's bot, reading the updates of each poll one by one (each by `read_update`), not
    reading the Messages its replies return when told they are not wanted (`unread`), and
    sending calls of plain parameters without PTB's generic layers (`plain_call`).

    PTB reads a poll's updates all at once: one it cannot parse (a field this PTB does not know
    the shape of) fails the whole poll, which logs the raw update (names, text) and is read again
    and again with the same offset, for ever. Here an update that cannot be read is skipped and
    logged once by its id and the error's kind, never its content, and the next poll starts
    after it. The moment of the last successful poll feeds `/healthz`.
    """

    def __init__(self, *args: Any, monotonic: Callable[[], float] = time.monotonic,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        with self._unfrozen():  # PTB freezes its bots; what changes lives in one record
            self.intake = Intake(monotonic)

    async def _post(
        self,
        endpoint: str,
        data: JSONDict | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> Any:
        """Make a call of plain parameters (`plain_call`) straight through the rate limiter to
        the transport, as PTB's `_post` and `_do_post` do; any other call goes PTB's way (one
        with `api_kwargs`, the rate limiter's arguments among them, or with `Defaults`)."""
        timeouts = {
            "read_timeout": read_timeout,
            "write_timeout": write_timeout,
            "connect_timeout": connect_timeout,
            "pool_timeout": pool_timeout,
        }
        plain = None
        if data and not api_kwargs and self.defaults is None and endpoint != "getUpdates":
            plain = plain_call(data)
        if plain is None:
            return await super()._post(endpoint, data, api_kwargs=api_kwargs, **timeouts)
        if self.rate_limiter is None:
            return await self._post_plain(endpoint, plain, **timeouts)
        return await self.rate_limiter.process_request(
            callback=self._post_plain,
            args=(endpoint, plain),
            kwargs=timeouts,
            endpoint=endpoint,
            data=plain,
            rate_limit_args=None,
        )

    async def _post_plain(
        self, endpoint: str, data: JSONDict, **timeouts: ODVInput[float]
    ) -> bool | JSONDict | list[JSONDict]:
        request = self._request[1]
        url = f"{self._base_url}/{endpoint}"
        request_data = RequestData([RequestParameter(name, value, None)
                                    for name, value in data.items()])  # fmt: skip
        unparsed = getattr(request, "_request_wrapper", None)  # PTB's, behind `post`
        if unparsed and self._unwanted(endpoint):
            # Nothing reads the Message: a success is not parsed either (the JSON of a question
            # and its keyboard, for nothing), and an error goes PTB's way, parsed and raised.
            payload = await unparsed(url=url, method="POST", request_data=request_data,
                                     **timeouts)  # fmt: skip
            if not payload.startswith(b"{"):  # no JSON at all (a proxy's page): PTB's error
                request.parse_json_payload(payload)
            return True
        result = await request.post(url=url, request_data=request_data, **timeouts)
        return self._unread(endpoint, result)

    @staticmethod
    def _unwanted(endpoint: str) -> bool:
        """Whether this call's Message is not wanted: a send or an edit inside `unread`."""
        return _UNREAD.get() and endpoint.startswith(("send", "edit"))

    @classmethod
    def _unread(
        cls, endpoint: str, result: bool | JSONDict | list[JSONDict]
    ) -> bool | JSONDict | list[JSONDict]:
        if isinstance(result, dict) and cls._unwanted(endpoint):
            return True  # see unread: PTB returns True as it is, without building anything
        return result

    async def _do_post(
        self,
        endpoint: str,
        data: JSONDict,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> bool | JSONDict | list[JSONDict]:
        markup = data.get("reply_markup")
        if isinstance(markup, InlineKeyboardMarkup):
            plain = plain_keyboard(markup)
            if plain is not None:
                data["reply_markup"] = plain
        result = await super()._do_post(
            endpoint,
            data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        return self._unread(endpoint, result)

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: TimePeriod | None = None,
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        intake = self.intake
        if intake.polled_at is None:
            intake.polled_at = intake.monotonic()  # polling starts: the clock of /healthz too
        if offset is not None and offset < intake.skip_to:
            offset = intake.skip_to
        seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout or 0
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._request[0].read_timeout or 0
        raw = await self._post(
            "getUpdates",
            {"timeout": timeout, "offset": offset, "limit": limit,
             "allowed_updates": allowed_updates},
            read_timeout=(read_timeout or 0) + seconds,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )  # fmt: skip
        intake.polled_at = intake.monotonic()
        updates = []
        for item in raw if isinstance(raw, list) else ():
            try:
                update = read_update(item, self, intake.shown)
            except Exception as exc:
                update_id = item.get("update_id") if isinstance(item, dict) else None
                logger.warning("Skipped update %s: it could not be read (%s)", update_id,
                               type(exc).__name__)  # fmt: skip
                if isinstance(update_id, int):
                    intake.skip_to = max(intake.skip_to, update_id + 1)
                continue
            self.insert_callback_data(update)
            updates.append(update)
        return tuple(updates)

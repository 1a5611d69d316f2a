"""The Bot API emulator: Telegram's behaviour and limits for the methods the bot uses, in memory.

`Emulator.call(token, method, params)` answers as Telegram would (`{"ok": ...}` bodies and
HTTP status codes); `server.py` puts it behind HTTP. Tests and the terminal chat act as people
through `Person`, inspect every call in `calls`, and inject faults with `fail()`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import re
import secrets
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from clicksbot.botapi import rules
from clicksbot.botapi.rules import ApiError

logger = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
UPDATE_TYPES = frozenset(
    {
        "message", "edited_message", "callback_query", "inline_query", "chosen_inline_result",
        "poll", "poll_answer", "my_chat_member", "chat_member", "chat_join_request",
    }
)  # fmt: skip
# Update types a bot receives when it does not list allowed_updates.
DEFAULT_UPDATES = UPDATE_TYPES - {"chat_member"}
MAX_UPLOAD = 10 * 1024 * 1024  # photos; Telegram allows 10 MB
MIN_ALBUM, MAX_ALBUM = 2, 10  # media in one sendMediaGroup


@dataclass
class Limits:
    """Telegram's flood limits as the emulator enforces them (as Telegram states them in
    https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this)."""

    per_chat_burst: int = 5  # a private chat takes a short burst ...
    per_chat_rate: float = 1.0  # ... then about one message a second
    global_burst: int = 30
    global_rate: float = 30.0  # about 30 messages a second overall
    # Messages sent with allow_paid_broadcast: "up to 1000 messages per second" (Bot API),
    # counted apart from the free 30 (the burst, a second's worth, as for the free pace).
    paid_burst: int = 1000
    paid_rate: float = 1000.0
    group_per_minute: int = 20  # 20 messages a minute in one group
    enforce: bool = True


@dataclass
class Call:
    """One request the bot made, and how it was answered."""

    method: str
    params: dict[str, Any]
    ok: bool
    result: Any = None
    error: ApiError | None = None
    injected: bool = False  # the error came from fail(), not from a rule
    at: float = field(default_factory=time.monotonic)  # when it was answered

    @property
    def refused(self) -> bool:
        """Return whether Telegram would have refused this request for its content (a bug)."""
        if self.ok or self.injected or self.error is None:
            return False
        if self.error.error_code != 400:
            return False  # 403 blocked, 429 flood: conditions of the world, not mistakes
        return "chat not found" not in self.error.description


@dataclass(frozen=True)
class MenuKey:
    """Which of the bot's command lists: a scope (its type, chat and member) and a language
    ("" for every language without a list of its own)."""

    scope: str
    chat_id: int | None = None
    user_id: int | None = None
    language: str = ""


@dataclass
class Fault:
    """An injected failure: the next `times` calls of `method` (None: any) fail like this."""

    method: str | None
    error_code: int
    description: str
    retry_after: int | None = None
    times: int = 1
    delay: float = 0.0
    chat_id: int | None = None


class _Bucket:
    """A token bucket: `burst` tokens, refilled at `rate` a second."""

    def __init__(self, burst: int, rate: float, clock: Callable[[], float]) -> None:
        self.burst, self.rate, self.clock = burst, rate, clock
        self.tokens = float(burst)
        self.stamp = clock()

    def take(self) -> float:
        """Take a token; return 0, or the seconds until one is free (nothing taken)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class _Window:
    """At most `count` events in any `span` seconds."""

    def __init__(self, count: int, span: float, clock: Callable[[], float]) -> None:
        self.count, self.span, self.clock = count, span, clock
        self.events: deque[float] = deque()

    def take(self) -> float:
        now = self.clock()
        while self.events and now - self.events[0] >= self.span:
            self.events.popleft()
        if len(self.events) < self.count:
            self.events.append(now)
            return 0.0
        return self.span - (now - self.events[0])


NAME_SUFFIX = "#filename"  # the file name of an upload travels beside it in `files`
MAX_DOCUMENT = 50 * 1024 * 1024  # bots may upload files up to 50 MB


class Params:
    """A request's parameters, from JSON (typed) or a form (all strings, objects as JSON)."""

    def __init__(self, raw: dict[str, Any], files: dict[str, bytes] | None = None) -> None:
        self.raw = raw
        self.files = files or {}

    def filename(self, key: str) -> str:
        """The name an uploaded file was sent with ("" if none)."""
        return self.files.get(key + NAME_SUFFIX, b"").decode("utf-8", errors="replace")

    def has(self, key: str) -> bool:
        return self.raw.get(key) not in (None, "")

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.raw.get(key)
        if value is None or value == "":
            if required:
                raise ApiError(400, f"Bad Request: {key} is empty")
            return None if value is None else ""
        if isinstance(value, bool | dict | list):
            raise ApiError(400, f'Bad Request: field "{key}" must be of type String')
        return str(value)

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self.raw.get(key)
        if value is None or value == "":
            if required:
                raise ApiError(400, f"Bad Request: {key} is empty")
            return None
        if isinstance(value, bool):
            raise ApiError(400, f'Bad Request: field "{key}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f'Bad Request: field "{key}" must be of type Integer') from None

    def flag(self, key: str) -> bool:
        value = self.raw.get(key)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def obj(self, key: str) -> Any:
        value = self.raw.get(key)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
        return value


@dataclass
class ChatState:
    """A chat as Telegram keeps it: its messages, and what the bot sent there."""

    id: int
    type: str
    title: str | None = None
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_message_id: int = 1
    inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    edits: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    members: set[int] = field(default_factory=set)
    bot_member: bool = True
    owner: int | None = None  # the group's creator, as getChatMember tells the bot

    def as_json(self, users: dict[int, dict[str, Any]]) -> dict[str, Any]:
        if self.type == "private":
            user = users[self.id]
            chat = {"id": self.id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if user.get(key):
                    chat[key] = user[key]
            return chat
        return {"id": self.id, "type": self.type, "title": self.title or "Group"}


class Emulator:
    """Telegram's Bot API for one bot, in memory."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_username: str = "clicksbot_sandbox_bot",
        bot_name: str = "clicksbot",
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token else 7000000001
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.limits = limits or Limits()
        self.clock = clock
        self.calls: list[Call] = []
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, ChatState] = {}
        self.blocked: set[int] = set()
        self.deactivated: set[int] = set()
        self.started: set[int] = set()  # users who have written to the bot
        self.commands: dict[MenuKey, list[dict[str, str]]] = {}  # setMyCommands' lists
        self.seen: set[int] = set()  # people the bot has met (in any update): it can find them
        self.webhook: dict[str, Any] | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update id, HTTP status)
        self._webhook_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._webhook_task: asyncio.Task[None] | None = None
        self.files: dict[str, bytes] = {}
        self.file_names: dict[str, str] = {}  # the name a file was uploaded with, if any
        # Telegram's file ids are its own: an id kept from another run of the emulator (in the
        # bot's database) names no file here, as another bot's would not on Telegram.
        self._file_prefix = secrets.token_hex(4)
        self.faults: list[Fault] = []
        self.listeners: list[Callable[[str, ChatState, dict[str, Any]], None]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._user_ids = itertools.count(100001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._update_event: asyncio.Event | None = None
        self._poll_generation = 0
        self._polling: asyncio.Event | None = None  # set to end the long poll under way
        # When each getUpdates came (time.monotonic), and when one was ended by another: as
        # Telegram does, a second poller's request ends the first one's with 409 Conflict
        # "terminated by other getUpdates request" (two instances polling are a bug).
        self.poll_times: list[float] = []
        self.conflicts: list[float] = []
        self._closed = False
        self._queries: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._inline: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._polls: dict[str, dict[str, Any]] = {}
        self._chat_buckets: dict[int, _Bucket] = {}
        self._group_windows: dict[int, _Window] = {}
        self._global = _Bucket(self.limits.global_burst, self.limits.global_rate, clock)
        self._paid = _Bucket(self.limits.paid_burst, self.limits.paid_rate, clock)
        self._methods: dict[str, Callable[[Params], Awaitable[Any]]] = {
            name.lower(): getattr(self, f"_m_{name}")
            for name in (
                "getMe", "logOut", "close", "getUpdates", "setWebhook", "deleteWebhook",
                "getWebhookInfo", "setMyCommands", "getMyCommands", "deleteMyCommands",
                "sendMessage", "editMessageText", "editMessageReplyMarkup",
                "editMessageCaption", "deleteMessage", "answerCallbackQuery", "sendChatAction",
                "sendPhoto", "sendDocument", "sendMediaGroup", "sendPoll", "stopPoll",
                "answerInlineQuery", "getChat",
                "getChatMember",
                "setMyDescription", "setMyShortDescription", "setChatMenuButton",
            )
        }  # fmt: skip

    # -- inspection ----------------------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        """Return the bot as a Telegram User object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    @property
    def refused(self) -> list[Call]:
        """Return the calls Telegram would have refused for their content."""
        return [c for c in self.calls if c.refused]

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        """Return the successful calls, of one method and to one chat if given."""
        return [
            c
            for c in self.calls
            if c.ok
            and (method is None or c.method.lower() == method.lower())
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    def menu(
        self, scope: str = "default", chat: ChatState | None = None, language: str = ""
    ) -> list[str] | None:
        """Return the commands the bot set for a scope (and chat) and language, by name;
        None if it set none there."""
        found = self.commands.get(MenuKey(scope, chat.id if chat else None, None, language))
        return None if found is None else [c["command"] for c in found]

    def menu_seen_by(self, person: Person, chat: ChatState | None = None) -> list[str]:
        """Return the command menu a person sees in a chat (theirs with the bot by default),
        found as Telegram finds it: the narrowest scope with a list, in their language
        first. (Chat administrators' scopes are not looked at: the emulator has no admins.)"""
        chat = chat or person.chat
        language = str(person.user.get("language_code") or "").split("-")[0].lower()
        if chat.type == "private":
            scopes = [MenuKey("chat", chat.id), MenuKey("all_private_chats")]
        else:
            scopes = [
                MenuKey("chat_member", chat.id, person.id),
                MenuKey("chat", chat.id),
                MenuKey("all_group_chats"),
            ]
        scopes.append(MenuKey("default"))
        for key in scopes:
            for code in (language, ""):
                found = self.commands.get(MenuKey(key.scope, key.chat_id, key.user_id, code))
                if found:
                    return [c["command"] for c in found]
        return []

    # -- people --------------------------------------------------------------------------

    def person(
        self,
        first_name: str = "Alice",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
    ) -> Person:
        """Return a new person who can talk to the bot."""
        uid = user_id if user_id is not None else next(self._user_ids)
        user: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[uid] = user
        self.chats.setdefault(uid, ChatState(uid, "private"))
        return Person(self, uid)

    def group(
        self, title: str, *members: Person, supergroup: bool = False, owner: Person | None = None
    ) -> ChatState:
        """Return a new group with these members and the bot in it (`owner` created it)."""
        gid = -(1000000000000 + next(self._group_ids)) if supergroup else -next(self._group_ids)
        chat = ChatState(gid, "supergroup" if supergroup else "group", title=title)
        chat.members = {m.id for m in members}
        if owner is not None:
            chat.members.add(owner.id)
            chat.owner = owner.id
        self.chats[gid] = chat
        return chat

    def fail(
        self,
        method: str | None,
        error_code: int = 500,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        delay: float = 0.0,
        chat_id: int | None = None,
    ) -> Fault:
        """Make the next `times` calls of `method` fail (after `delay` seconds, if any).

        error_code 0 with a delay only slows the calls down (for timeouts).
        """
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after or 1}",
                500: "Internal Server Error",
                502: "Bad Gateway",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request: chat not found",
            }.get(error_code, "Error")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        fault = Fault(method, error_code, description, retry_after, times, delay, chat_id)
        self.faults.append(fault)
        return fault

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for the bot, as Telegram does when something happens: for its
        long poll, or, once it set a webhook, posted to that URL with its secret token."""
        update = {"update_id": next(self._update_ids), **update}
        for body in update.values():  # whoever acted, the bot now knows (and can find)
            if isinstance(body, dict):
                who = body.get("from") or body.get("user")
                if isinstance(who, dict) and isinstance(who.get("id"), int):
                    self.seen.add(who["id"])
        if self.webhook is not None:
            if self._webhook_task is None or self._webhook_task.done():
                self._webhook_queue = asyncio.Queue()
                self._webhook_task = asyncio.get_running_loop().create_task(self._post_updates())
            self._webhook_queue.put_nowait(update)
            return update
        self._updates.append(update)
        self._event().set()
        return update

    async def _post_updates(self) -> None:
        """Post queued updates to the webhook, in order, retrying a refused one a few times."""
        import aiohttp

        async with aiohttp.ClientSession() as http:
            while True:
                update = await self._webhook_queue.get()
                hook = self.webhook
                if hook is None:
                    self._updates.append(update)
                    self._event().set()
                    continue
                headers = {}
                if hook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
                status = 0
                for _ in range(3):
                    try:
                        async with http.post(hook["url"], json=update, headers=headers) as reply:
                            status = reply.status
                    except aiohttp.ClientError:
                        status = 0
                    if 200 <= status < 300:
                        break
                    await asyncio.sleep(0.1)
                self.webhook_deliveries.append((int(update["update_id"]), status))

    def close(self) -> None:
        """Wake every waiting long poll so the server can stop."""
        self._closed = True
        self._event().set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()

    # -- the API -------------------------------------------------------------------------

    async def call(
        self,
        token: str,
        method: str,
        raw: dict[str, Any],
        files: dict[str, bytes] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API request; return the HTTP status and the JSON body."""
        if not self._token_ok(token):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        handler = self._methods.get(method.lower())
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        params = Params(raw, files)
        fault = self._take_fault(method, raw)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.error_code:
                error = ApiError(fault.error_code, fault.description, retry_after=fault.retry_after)
                self.calls.append(Call(method, raw, False, error=error, injected=True))
                return fault.error_code, error.to_json()
        try:
            result = await handler(params)
        except ApiError as error:
            self.calls.append(Call(method, raw, False, error=error))
            return error.error_code, error.to_json()
        if method.lower() != "getupdates" or result:
            self.calls.append(Call(method, raw, True, result=result))
        return 200, {"ok": True, "result": result}

    def _token_ok(self, token: str) -> bool:
        if self.token is not None:
            return token == self.token
        match = TOKEN_RE.match(token)
        if match is None:
            return False
        self.token, self.bot_id = token, int(match.group(1))  # the first bot to call owns it
        return True

    def _take_fault(self, method: str, raw: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            if fault.times <= 0:
                continue
            if fault.method is not None and fault.method.lower() != method.lower():
                continue
            if fault.method is None and method.lower() == "getupdates":
                continue
            if fault.chat_id is not None and str(raw.get("chat_id")) != str(fault.chat_id):
                continue
            fault.times -= 1
            return fault
        return None

    def _event(self) -> asyncio.Event:
        if self._update_event is None:
            self._update_event = asyncio.Event()
        return self._update_event

    # -- helpers for the methods ---------------------------------------------------------

    def _chat(self, params: Params) -> ChatState:
        raw = params.raw.get("chat_id")
        if raw in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _check_reachable(self, chat: ChatState) -> None:
        if chat.type == "private":
            if chat.id in self.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if chat.id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat.id not in self.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif not chat.bot_member:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")

    def _check_flood(self, chat: ChatState, *, paid: bool = False) -> None:
        """Refuse (429) a message over Telegram's limits: per chat, per group, and overall
        (the paid pace for a message sent with allow_paid_broadcast, the free one else)."""
        if not self.limits.enforce:
            return
        if chat.type == "private":
            bucket = self._chat_buckets.get(chat.id)
            if bucket is None:
                bucket = _Bucket(self.limits.per_chat_burst, self.limits.per_chat_rate, self.clock)
                self._chat_buckets[chat.id] = bucket
            wait = bucket.take()
        else:
            window = self._group_windows.get(chat.id)
            if window is None:
                window = _Window(self.limits.group_per_minute, 60.0, self.clock)
                self._group_windows[chat.id] = window
            wait = window.take()
        if not wait:
            wait = (self._paid if paid else self._global).take()
        if wait:
            seconds = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)

    def _reply_to(self, chat: ChatState, params: Params) -> dict[str, Any] | None:
        reply = params.obj("reply_parameters")
        message_id = params.integer("reply_to_message_id")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            if reply.get("chat_id") not in (None, chat.id, str(chat.id)):
                raise ApiError(400, "Bad Request: message to be replied not found")
        if message_id is None:
            return None
        original = chat.messages.get(int(message_id))
        if original is None:
            if isinstance(reply, dict) and reply.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return original

    def _new_message(
        self, chat: ChatState, sender: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        message = {
            "message_id": chat.next_message_id,
            "from": sender,
            "chat": chat.as_json(self.users),
            "date": int(time.time()),
            **body,
        }
        chat.next_message_id += 1
        chat.messages[message["message_id"]] = message
        return message

    def _bot_message(self, chat: ChatState, params: Params, body: dict[str, Any]) -> dict[str, Any]:
        """Check and record a message the bot sends; the caller has validated its content."""
        self._check_reachable(chat)
        reply_to = self._reply_to(chat, params)
        markup = rules.check_reply_markup(params.obj("reply_markup"))
        self._check_flood(chat, paid=params.flag("allow_paid_broadcast"))
        if reply_to is not None:
            body["reply_to_message"] = reply_to
        if self._inline_markup(markup):
            body["reply_markup"] = markup
        message = self._new_message(chat, self.bot_user, body)
        chat.inbox.put_nowait(message)
        self._notify("message", chat, message)
        return message

    def _notify(self, kind: str, chat: ChatState, message: dict[str, Any]) -> None:
        for listener in self.listeners:
            try:
                listener(kind, chat, message)
            except Exception:  # a watcher's failure must not change what the bot is told
                logger.exception("An emulator listener failed")

    def _target(self, params: Params) -> tuple[ChatState, dict[str, Any]]:
        if params.has("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message_id = params.integer("message_id", required=True)
        message = chat.messages.get(message_id or 0)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, message

    def _edited(self, chat: ChatState, message: dict[str, Any], changes: dict[str, Any]) -> Any:
        """Apply an edit (a None or empty value removes that field) unless it changes nothing."""
        new = dict(message)
        for key, value in changes.items():
            if value:
                new[key] = value
            else:
                new.pop(key, None)
        keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(new.get(k) == message.get(k) for k in keys):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.clear()
        message.update(new, edit_date=int(time.time()))
        chat.edits.put_nowait(message)
        self._notify("edit", chat, message)
        return message

    @staticmethod
    def _inline_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
        return markup if markup and "inline_keyboard" in markup else None

    # -- methods: the bot and updates ----------------------------------------------------

    async def _m_getMe(self, p: Params) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_logOut(self, p: Params) -> Any:
        return True

    async def _m_close(self, p: Params) -> Any:
        return True

    async def _m_getUpdates(self, p: Params) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.integer("offset")
        limit = p.integer("limit") or 100
        if not 1 <= limit <= 100:
            limit = 100
        timeout = max(0, p.integer("timeout") or 0)
        allowed = p.obj("allowed_updates")
        if isinstance(allowed, list) and allowed:
            self._allowed = {str(a) for a in allowed} & UPDATE_TYPES
        elif isinstance(allowed, list) or not hasattr(self, "_allowed"):
            self._allowed = set(DEFAULT_UPDATES)
        self.poll_times.append(time.monotonic())
        if self._polling is not None:  # another request is waiting: Telegram ends it now
            self._polling.set()
        if offset is not None and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        ended = asyncio.Event()
        self._polling = ended
        try:
            while True:
                wanted = [u for u in self._updates if self._is_allowed(u)]
                if wanted or self._closed:
                    return wanted[:limit]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                event = self._event()
                event.clear()
                waits = [asyncio.ensure_future(e.wait()) for e in (event, ended)]
                try:
                    await asyncio.wait(waits, timeout=remaining, return_when="FIRST_COMPLETED")
                finally:
                    for waiting in waits:
                        waiting.cancel()
                if generation != self._poll_generation:
                    self.conflicts.append(time.monotonic())
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
        finally:
            if self._polling is ended:
                self._polling = None

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kinds = set(update) - {"update_id"}
        return bool(kinds & getattr(self, "_allowed", DEFAULT_UPDATES))

    async def _m_setWebhook(self, p: Params) -> Any:
        url = p.text("url", required=False) or ""
        if not url:
            self.webhook = None
            return True
        if not url.startswith("https://") and not re.match(
            r"^http://(127\.|localhost|\[::1\])", url
        ):
            raise ApiError(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        secret = p.text("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret}
        return True

    async def _m_deleteWebhook(self, p: Params) -> Any:
        self.webhook = None
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, p: Params) -> Any:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _menu_key(self, p: Params) -> MenuKey:
        """The command list a call addresses: one per scope and language, as Telegram keeps
        them. A chat scope's chat must be one the bot can see; a private chat takes only the
        "chat" scope, and a channel none."""
        scope = rules.check_command_scope(p.raw.get("scope"))
        chat_id = scope.chat_id
        if chat_id is not None:
            chat = self._scope_chat(chat_id)
            if chat.type == "private" and scope.type != "chat":
                raise ApiError(400, "Bad Request: can't use specified scope in private chats")
            if chat.type == "channel":
                raise ApiError(400, "Bad Request: can't change commands in channel chats")
            chat_id = chat.id
        language = rules.check_command_language(p.raw.get("language_code"))
        return MenuKey(scope.type, chat_id, scope.user_id, language)

    def _scope_chat(self, chat_id: int | str) -> ChatState:
        """The chat a command scope names: a group the bot is in, or the private chat of a
        person the bot has met (Telegram cannot find anyone else)."""
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None  # no @usernames
        if chat is None or (chat.type == "private" and chat.id not in self.seen):
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    async def _m_setMyCommands(self, p: Params) -> Any:
        commands = rules.check_commands(p.obj("commands"))
        key = self._menu_key(p)
        if commands:
            self.commands[key] = commands
        else:  # an empty list is no list: the broader scopes show again
            self.commands.pop(key, None)
        return True

    async def _m_getMyCommands(self, p: Params) -> Any:
        return self.commands.get(self._menu_key(p), [])

    async def _m_deleteMyCommands(self, p: Params) -> Any:
        self.commands.pop(self._menu_key(p), None)
        return True

    async def _m_setMyDescription(self, p: Params) -> Any:
        if len(p.text("description") or "") > 512:
            raise ApiError(400, "Bad Request: description is too long")
        return True

    async def _m_setMyShortDescription(self, p: Params) -> Any:
        if len(p.text("short_description") or "") > 120:
            raise ApiError(400, "Bad Request: short description is too long")
        return True

    async def _m_setChatMenuButton(self, p: Params) -> Any:
        return True

    async def _m_getChat(self, p: Params) -> Any:
        chat = self._chat(p)
        return {**chat.as_json(self.users), "accent_color_id": 0, "max_reaction_count": 11}

    async def _m_getChatMember(self, p: Params) -> Any:
        chat = self._chat(p)
        user_id = p.integer("user_id", required=True)
        user = self.users.get(user_id or 0)
        if user is None or (chat.type == "private" and user_id != chat.id):
            raise ApiError(400, "Bad Request: user not found")
        if chat.type != "private" and user_id == chat.owner:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if chat.type == "private" or user_id in chat.members:
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    # -- methods: messages ---------------------------------------------------------------

    async def _m_sendMessage(self, p: Params) -> Any:
        chat = self._chat(p)
        text, entities = rules.check_message_text(
            p.raw.get("text"), p.text("parse_mode"), p.obj("entities")
        )
        body: dict[str, Any] = {"text": text}
        if entities:
            body["entities"] = entities
        return self._bot_message(chat, p, body)

    async def _m_editMessageText(self, p: Params) -> Any:
        chat, message = self._target(p)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = rules.check_message_text(
            p.raw.get("text"), p.text("parse_mode"), p.obj("entities")
        )
        markup = self._inline_markup(rules.check_reply_markup(p.obj("reply_markup")))
        return self._edited(
            chat, message, {"text": text, "entities": entities, "reply_markup": markup}
        )

    async def _m_editMessageReplyMarkup(self, p: Params) -> Any:
        chat, message = self._target(p)
        markup = self._inline_markup(rules.check_reply_markup(p.obj("reply_markup")))
        return self._edited(chat, message, {"reply_markup": markup})

    async def _m_editMessageCaption(self, p: Params) -> Any:
        chat, message = self._target(p)
        if "photo" not in message:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption, entities = rules.check_caption(
            p.raw.get("caption"), p.text("parse_mode"), p.obj("caption_entities")
        )
        markup = self._inline_markup(rules.check_reply_markup(p.obj("reply_markup")))
        return self._edited(
            chat,
            message,
            {"caption": caption, "caption_entities": entities, "reply_markup": markup},
        )

    async def _m_deleteMessage(self, p: Params) -> Any:
        chat = self._chat(p)
        message_id = p.integer("message_id", required=True) or 0
        message = chat.messages.get(message_id)
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        del chat.messages[message_id]
        self._notify("delete", chat, message)
        return True

    async def _m_sendChatAction(self, p: Params) -> Any:
        chat = self._chat(p)
        self._check_reachable(chat)
        if p.text("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _m_answerCallbackQuery(self, p: Params) -> Any:
        query_id = p.text("callback_query_id", required=True) or ""
        text = rules.check_callback_answer_text(p.raw.get("text"))
        future = self._queries.get(query_id)
        if future is None or future.done():
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        url = rules.check_callback_answer_url(p.raw.get("url"), self.bot_username)
        future.set_result({"text": text, "show_alert": p.flag("show_alert"), "url": url})
        return True

    async def _m_sendPhoto(self, p: Params) -> Any:
        chat = self._chat(p)
        caption, entities = rules.check_caption(
            p.raw.get("caption"), p.text("parse_mode"), p.obj("caption_entities")
        )
        photo = self._photo(p)
        body: dict[str, Any] = {"photo": photo}
        if caption:
            body["caption"] = caption
        if entities:
            body["caption_entities"] = entities
        return self._bot_message(chat, p, body)

    async def _m_sendDocument(self, p: Params) -> Any:
        chat = self._chat(p)
        caption, entities = rules.check_caption(
            p.raw.get("caption"), p.text("parse_mode"), p.obj("caption_entities")
        )
        body: dict[str, Any] = {"document": self._document(p)}
        if caption:
            body["caption"] = caption
        if entities:
            body["caption_entities"] = entities
        return self._bot_message(chat, p, body)

    def _document(
        self, p: Params, value: Any = None, field: str | None = "document"
    ) -> dict[str, Any]:
        """Read a document: the request's `document` (or an album item's `media`: `value`)."""
        value = p.raw.get("document") if field else value
        data: bytes | None = None
        name = ""
        if isinstance(value, str) and value.startswith("attach://"):
            key = value[len("attach://") :]
            data, name = p.files.get(key), p.filename(key)
        elif field and field in p.files:
            data, name = p.files[field], p.filename(field)
        elif isinstance(value, str) and value in self.files:
            data, name = self.files[value], self.file_names.get(value, "")
        if data is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if not data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > MAX_DOCUMENT:
            raise ApiError(400, "Bad Request: file is too big")
        file_id = f"document-{self._file_prefix}-{next(self._file_ids)}"
        self.files[file_id] = data
        if name:
            self.file_names[file_id] = name
        document: dict[str, Any] = {
            "file_id": file_id, "file_unique_id": file_id, "file_size": len(data),
        }  # fmt: skip
        if name:
            document["file_name"] = name
        return document

    async def _m_sendMediaGroup(self, p: Params) -> Any:
        """An album: 2 to 10 photos (or 2 to 10 documents: Telegram groups a document only
        with documents), each with its own caption; one message per item, sharing a
        media_group_id. The emulator sends no video or audio, so it refuses them.

        It counts as one send against the flood limits, as the bot's pacer counts it."""
        chat = self._chat(p)
        if not p.has("media"):
            raise ApiError(400, 'Bad Request: parameter "media" is required')
        media = p.obj("media")
        if not isinstance(media, list):
            raise ApiError(400, "Bad Request: expected an Array of InputMedia")
        if len(media) > MAX_ALBUM:
            raise ApiError(400, "Bad Request: Too much messages to send as an album")
        if len(media) < MIN_ALBUM:  # the Bot API's documented range (the wording is ours)
            raise ApiError(400, f"Bad Request: an album takes {MIN_ALBUM} to {MAX_ALBUM} media")
        kinds = set()
        bodies = []
        for item in media:
            if not isinstance(item, dict):
                raise ApiError(400, "Bad Request: InputMedia must be an Object")
            kind = item.get("type")
            if kind not in ("photo", "document"):
                raise ApiError(400, f"Bad Request: the emulator sends no {kind!s} in albums")
            kinds.add(kind)
            caption, entities = rules.check_caption(
                item.get("caption"), item.get("parse_mode"), item.get("caption_entities")
            )
            if kind == "photo":
                body: dict[str, Any] = {"photo": self._photo(p, item.get("media"), None)}
            else:
                body = {"document": self._document(p, item.get("media"), None)}
            if caption:
                body["caption"] = caption
            if entities:
                body["caption_entities"] = entities
            bodies.append(body)
        if len(kinds) > 1:
            raise ApiError(
                400, "Bad Request: can't use the media of the specified type in the album"
            )
        self._check_reachable(chat)
        reply_to = self._reply_to(chat, p)
        self._check_flood(chat)
        group_id = str(10_000_000_000 + next(self._file_ids))
        messages = []
        for body in bodies:
            body["media_group_id"] = group_id
            if reply_to is not None:
                body["reply_to_message"] = reply_to
            message = self._new_message(chat, self.bot_user, body)
            chat.inbox.put_nowait(message)
            self._notify("message", chat, message)
            messages.append(message)
        return messages

    def _photo(
        self, p: Params, value: Any = None, field: str | None = "photo"
    ) -> list[dict[str, Any]]:
        """Read a photo: the request's `photo` (or, in an album, an item's `media`: `value`,
        never a file of its own name)."""
        value = p.raw.get("photo") if field else value
        data: bytes | None = None
        name = ""
        if isinstance(value, str) and value.startswith("attach://"):
            key = value[len("attach://") :]
            data, name = p.files.get(key), p.filename(key)
        elif field and field in p.files:
            data, name = p.files[field], p.filename(field)
        if data is None:
            if isinstance(value, str) and value in self.files:
                data, name = self.files[value], self.file_names.get(value, "")
            elif isinstance(value, str) and re.match(r"^https?://", value):
                raise ApiError(400, "Bad Request: failed to get HTTP URL content")
            else:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if not data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > MAX_UPLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        size = _image_size(data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10000 or max(width, height) > 20 * min(width, height):
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        file_id = f"photo-{self._file_prefix}-{next(self._file_ids)}"
        self.files[file_id] = data
        if name:
            self.file_names[file_id] = name
        return [
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "width": width,
                "height": height,
                "file_size": len(data),
            }
        ]

    async def _m_sendPoll(self, p: Params) -> Any:
        chat = self._chat(p)
        poll_type = p.text("type") or "regular"
        question, options, explanation = rules.check_poll(
            p.raw.get("question"),
            p.obj("options"),
            poll_type=poll_type,
            correct_option_ids=p.obj("correct_option_ids"),
            explanation=p.raw.get("explanation"),
            explanation_parse_mode=p.text("explanation_parse_mode"),
            allows_multiple_answers=p.flag("allows_multiple_answers"),
        )
        poll_id = str(5000000000 + next(self._file_ids))
        correct = p.obj("correct_option_ids")
        poll: dict[str, Any] = {
            "id": poll_id,
            "question": question,
            "options": [
                {"text": text, "voter_count": 0, "persistent_id": f"{poll_id}-{i}"}
                for i, text in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": p.raw.get("is_anonymous") in (None, True, "true", "True"),
            "type": poll_type,
            "allows_multiple_answers": p.flag("allows_multiple_answers"),
            "allows_revoting": poll_type != "quiz",
            "members_only": False,
        }
        if poll_type == "quiz" and isinstance(correct, list):
            poll["correct_option_ids"] = [int(i) for i in correct]
        if explanation:
            poll["explanation"] = explanation
        message = self._bot_message(chat, p, {"poll": poll})
        self._polls[poll_id] = message
        return message

    async def _m_stopPoll(self, p: Params) -> Any:
        _, message = self._target(p)
        poll = message.get("poll")
        if poll is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        if poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        poll["is_closed"] = True
        return poll

    async def _m_answerInlineQuery(self, p: Params) -> Any:
        query_id = p.text("inline_query_id", required=True) or ""
        results = rules.check_inline_results(p.obj("results"))
        future = self._inline.get(query_id)
        if future is None or future.done():
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        future.set_result({"results": results, "next_offset": p.text("next_offset") or ""})
        return True


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) of a PNG or JPEG, or None if it is neither."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None


class BotMessage:
    """A message as a person sees it (the same object follows edits)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    @property
    def id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def text(self) -> str:
        return str(self.raw.get("text") or self.raw.get("caption") or "")

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.raw.get("entities") or self.raw.get("caption_entities") or [])

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.raw.get("reply_markup") or {}
        return [list(row) for row in markup.get("inline_keyboard", [])]

    @property
    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    @property
    def links(self) -> list[str]:
        return [str(e["url"]) for e in self.entities if e.get("type") == "text_link"]

    def readable(self) -> str:
        """Return the text with its formatting shown in plain characters."""
        return readable(self.text, self.entities)

    def __repr__(self) -> str:
        return f"BotMessage({self.id}, {self.text[:50]!r})"


def readable(text: str, entities: list[dict[str, Any]]) -> str:
    """Show formatting in plain text: *bold*, _italic_, `code`, and links as 'text (url)'."""
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    for entity in entities:
        before, after = {
            "bold": ("*", "*"),
            "italic": ("_", "_"),
            "underline": ("_", "_"),
            "strikethrough": ("~", "~"),
            "code": ("`", "`"),
            "pre": ("\n", "\n"),
            "spoiler": ("||", "||"),
            "blockquote": ("> ", ""),
            "expandable_blockquote": ("> ", ""),
            "text_link": ("", f" ({entity.get('url')})"),
        }.get(str(entity.get("type")), ("", ""))
        start = int(entity["offset"])
        opens.setdefault(start, []).append(before)
        closes.setdefault(start + int(entity["length"]), []).insert(0, after)
    out: list[str] = []
    position = 0  # in UTF-16 code units, as entity offsets are
    for char in text:
        out.extend(closes.get(position, []))
        out.extend(opens.get(position, []))
        out.append(char)
        position += 2 if ord(char) > 0xFFFF else 1
    out.extend(closes.get(position, []))
    return "".join(out)


class Person:
    """Someone in the emulated Telegram: they write, press buttons, answer polls, block the bot."""

    def __init__(self, emulator: Emulator, user_id: int) -> None:
        self.emulator = emulator
        self.id = user_id

    @property
    def user(self) -> dict[str, Any]:
        return self.emulator.users[self.id]

    @property
    def chat(self) -> ChatState:
        return self.emulator.chats[self.id]

    @property
    def messages(self) -> list[BotMessage]:
        """Return every message the bot has in this person's chat now, oldest first."""
        return [BotMessage(m) for m in self.chat.messages.values() if m["from"]["id"] != self.id]

    def send(
        self,
        text: str,
        chat: ChatState | None = None,
        *,
        reply_to: dict[str, Any] | None = None,
        forwarded_from: Person | None = None,
    ) -> dict[str, Any]:
        """Write a message (commands get their bot_command entity, as Telegram adds it), as a
        reply to an earlier message, or forwarding one written by `forwarded_from`."""
        chat = chat or self.chat
        body: dict[str, Any] = {"text": text}
        if reply_to is not None:
            body["reply_to_message"] = dict(reply_to)
        if forwarded_from is not None:
            body["forward_origin"] = {
                "type": "user",
                "date": int(time.time()),
                "sender_user": forwarded_from.user,
            }
        match = re.match(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
        if match:
            body["entities"] = [
                {"type": "bot_command", "offset": 0, "length": rules.utf16_len(match.group(0))}
            ]
        if chat.type == "private":
            self.emulator.started.add(self.id)
        message = self.emulator._new_message(chat, self.user, body)
        self.emulator.push_update({"message": message})
        return message

    def edit(self, message: dict[str, Any], text: str) -> None:
        """Edit a message this person sent earlier (the bot gets an edited_message update)."""
        message.update(text=text, edit_date=int(time.time()))
        self.emulator.push_update({"edited_message": dict(message)})

    def start(self, payload: str | None = None) -> dict[str, Any]:
        """Open the bot, through a deep link `t.me/<bot>?start=<payload>` if given."""
        if payload is not None and not rules.check_deep_link_payload(payload):
            raise ValueError(f"Telegram would not open a deep link with payload {payload!r}")
        return self.send("/start" + (f" {payload}" if payload else ""))

    def follow(self, answer: dict[str, Any]) -> dict[str, Any]:
        """Open the link the bot answered a press with (`url`), as Telegram's apps do: the
        private chat with the bot, which sends /start <payload> for the person.

        Telegram's apps open the link only when the answer has no text: with a text they show
        the text, and the link is lost; so an answer with both fails here."""
        url = answer.get("url")
        if not url:
            raise AssertionError(f"the press was answered without a link: {answer}")
        if answer.get("text"):
            raise AssertionError(
                f"Telegram's apps show the text {answer['text']!r} and do not open {url}"
            )
        query = urlsplit(url).query
        name, _, payload = query.partition("=")
        assert name == "start", url  # answerCallbackQuery allows no other link
        return self.start(payload)

    async def receive(self, timeout: float = 5.0) -> BotMessage:
        """Wait for the next new message the bot sends to this person."""
        return await self.receive_in(self.chat, timeout)

    async def receive_in(self, chat: ChatState, timeout: float = 5.0) -> BotMessage:
        """Wait for the next new message the bot sends in `chat`."""
        try:
            return BotMessage(await asyncio.wait_for(chat.inbox.get(), timeout))
        except TimeoutError:
            raise AssertionError(f"the bot sent nothing to chat {chat.id} in {timeout}s") from None

    async def receive_edit(self, timeout: float = 5.0) -> BotMessage:
        """Wait for the bot's next edit of a message in this person's chat."""
        try:
            return BotMessage(await asyncio.wait_for(self.chat.edits.get(), timeout))
        except TimeoutError:
            raise AssertionError(f"the bot edited nothing in {timeout}s") from None

    async def expect_silence(self, seconds: float = 0.3) -> None:
        """Assert that the bot sends this person nothing for a while."""
        try:
            message = await asyncio.wait_for(self.chat.inbox.get(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"the bot unexpectedly sent {message.get('text')!r}")

    async def press(
        self, message: BotMessage, button: str | int, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Press an inline button (by its text, a unique part of it, or its number from 0).

        Return the bot's answer to the press ({text, show_alert, url}).
        """
        return await self.press_data(message, self._callback_data(message, button), timeout)

    async def press_data(
        self, message: BotMessage, data: str, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send a button press with any payload (a forged one, in tests)."""
        return await self._press({"message": message.raw}, message, data, timeout)

    @staticmethod
    def _callback_data(message: BotMessage, button: str | int) -> str:
        flat = [b for row in message.buttons for b in row]
        if isinstance(button, int):
            chosen = flat[button]
        else:
            exact = [b for b in flat if b["text"] == button]
            partial = [b for b in flat if button in b["text"]]
            found = exact or partial
            if len(found) != 1:
                raise AssertionError(f"no single button {button!r} among {message.button_texts}")
            chosen = found[0]
        if "callback_data" not in chosen:
            raise AssertionError(
                f"button {chosen['text']!r} opens {chosen.get('url')}, not the bot"
            )
        return str(chosen["callback_data"])

    async def _press(
        self, where: dict[str, Any], message: BotMessage, data: str, timeout: float
    ) -> dict[str, Any]:
        """Push a callback query (on `where`: a message, or an inline message id) and wait for
        the bot's answer to it."""
        query_id = str(next(self.emulator._query_ids))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.emulator._queries[query_id] = future
        self.emulator.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user,
                    **where,
                    "chat_instance": str(message.raw["chat"]["id"]),
                    "data": data,
                }
            }
        )
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(f"the bot did not answer the press of {data!r}") from None

    async def inline_query(
        self, query: str, offset: str = "", timeout: float = 5.0
    ) -> dict[str, Any]:
        """Type `@bot query` in a chat; return the bot's answer ({results, next_offset})."""
        query_id = str(next(self.emulator._query_ids))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.emulator._inline[query_id] = future
        self.emulator.push_update(
            {"inline_query": {"id": query_id, "from": self.user, "query": query, "offset": offset}}
        )
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(f"the bot did not answer the inline query {query!r}") from None

    def send_inline_result(self, chat: ChatState, result: dict[str, Any]) -> BotMessage:
        """Pick an inline result (from `inline_query`): it is posted in `chat` "via" the bot,
        with its buttons, as Telegram does; returns that message as the chat sees it."""
        content = result.get("input_message_content") or {}
        body: dict[str, Any] = {"text": content.get("message_text", "")}
        if content.get("entities"):
            body["entities"] = content["entities"]
        if result.get("reply_markup"):
            body["reply_markup"] = result["reply_markup"]
        body["via_bot"] = self.emulator.bot_user
        message = self.emulator._new_message(chat, self.user, body)
        inline_id = f"inline-{next(self.emulator._query_ids)}"
        message["_inline_message_id"] = inline_id
        return BotMessage(message)

    async def press_inline(
        self, message: BotMessage, button: str | int, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Press a button of a message posted through inline mode: the bot gets the press
        with an inline_message_id and no message, as Telegram sends it."""
        where = {"inline_message_id": message.raw["_inline_message_id"]}
        return await self._press(where, message, self._callback_data(message, button), timeout)

    async def press_inline_data(
        self, message: BotMessage, data: str, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Press a button of an inline-posted message with callback data of one's own (a
        forged or outdated press); return the bot's answer."""
        where = {"inline_message_id": message.raw["_inline_message_id"]}
        return await self._press(where, message, data, timeout)

    def vote(self, message: BotMessage, *options: int) -> None:
        """Answer a poll (a non-anonymous poll tells the bot who chose what)."""
        poll = message.raw["poll"]
        if poll["is_closed"]:
            raise AssertionError("the poll is closed")
        for i in options:
            poll["options"][i]["voter_count"] += 1
        poll["total_voter_count"] += 1
        if not poll["is_anonymous"]:
            self.emulator.push_update(
                {
                    "poll_answer": {
                        "poll_id": poll["id"],
                        "user": self.user,
                        "option_ids": list(options),
                        "option_persistent_ids": [
                            poll["options"][i]["persistent_id"] for i in options
                        ],
                    }
                }
            )

    def block(self) -> None:
        """Block the bot: from now on, sending to this person is refused with 403."""
        self.emulator.blocked.add(self.id)
        self._member_update("member", "kicked")

    def unblock(self) -> None:
        """Unblock the bot."""
        self.emulator.blocked.discard(self.id)
        self._member_update("kicked", "member")

    def deactivate(self) -> None:
        """Delete this Telegram account."""
        self.emulator.deactivated.add(self.id)

    def add_bot_to(self, chat: ChatState) -> None:
        """Add the bot to a group (the bot is told, as Telegram tells it)."""
        self.emulator.push_update(
            {
                "my_chat_member": {
                    "chat": chat.as_json(self.emulator.users),
                    "from": self.user,
                    "date": int(time.time()),
                    "old_chat_member": {"status": "left", "user": self.emulator.bot_user},
                    "new_chat_member": {"status": "member", "user": self.emulator.bot_user},
                }
            }
        )

    def _member_update(self, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": self.emulator.bot_user}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self.emulator.push_update(
            {
                "my_chat_member": {
                    "chat": self.chat.as_json(self.emulator.users),
                    "from": self.user,
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

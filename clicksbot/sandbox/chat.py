"""The terminal chat: talk to the real bot through the local emulator, no Telegram, no token."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import itertools
import json
import logging
import os
import random
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from clicksbot import logs
from clicksbot.config import Secret, Settings
from clicksbot.content import Content
from clicksbot.content.pact import Pact
from clicksbot.render import callbacks as cb
from clicksbot.sandbox.emulator import BotMessage, ChatState, Emulator, Person, readable
from clicksbot.sandbox.server import EmulatorServer

logger = logging.getLogger(__name__)

SANDBOX_TOKEN = "1000000:sandbox-token-for-the-terminal-chat"
CHAT_USER_ID = 1001  # the same person every session, so progress carries over
CLASSMATES = (("Aiko", 1002), ("Budi", 1003))  # the test group's other members, every session
GROUP_TITLE = "Test class"
FILES_FOLDER = "chat-files"  # beside the database, unless --files says otherwise
QUIET_AFTER_REPLY = 1.1  # seconds of silence that end the bot's turn (it may send one a second)
FIRST_REPLY_WAIT = 5.0
CLASSMATE_DELAY = 1.0  # seconds before the classmates answer a group question
HELP = (
    "Type a message or a /command and press Enter. Buttons are shown as [1] [2] …: type a "
    "number to press one (to send a number as a message, type \\ before it: \\42).\n"
    "/group: a test group chat with you and two classmates; /private: back to your chat "
    "with the bot.\n"
    "@bot words (or @ words): inline mode, results to post in this chat by number.\n"
    "/quit (or Ctrl-D) leaves."
)
_NUMBER = re.compile(r"[0-9]{1,18}")
_INLINE = re.compile(r"@(\S*)(?:\s+(.*))?", re.DOTALL)
_BOT_LINK = re.compile(r"https?://t\.me/([A-Za-z0-9_]+)/?(?:\?start=([A-Za-z0-9_-]{1,64}))?")


@dataclass(frozen=True)
class _Button:
    """A numbered button: one press on one message's keyboard, as that keyboard was shown."""

    chat_id: int
    message_id: int
    showing: int  # which showing of the message's keyboard the number belongs to
    data: str | None = None  # callback data, for a button that calls the bot
    start: str | None = None  # a link into the bot's chat: the deep-link payload ("" if none)


@dataclass(frozen=True)
class _Result:
    """A numbered inline result, to post in the chat in front of the person."""

    result: dict[str, Any]


@dataclass(frozen=True)
class _More:
    """The next page of an inline query's results."""

    query: str
    offset: str


class Terminal:
    """Shows what the bot sends to one person (in their chat with it and in the test group),
    and turns typed lines into their messages, presses and inline queries."""

    def __init__(
        self,
        emulator: Emulator,
        person: Person,
        out: TextIO = sys.stdout,
        *,
        files: Path | None = None,
    ) -> None:
        self.emulator = emulator
        self.person = person
        self.out = out
        self.files = files
        self.place: ChatState = person.chat  # where typed messages go
        self.group: ChatState | None = None
        self.classmates: list[Person] = []
        self._saved: dict[bytes, Path] = {}  # a file's digest -> where it was saved
        self.numbers: dict[int, _Button | _Result | _More] = {}
        self._counter = itertools.count(1)
        self._showings = itertools.count(1)
        # (chat, message) -> its keyboard as last shown, that showing, and its numbers
        self._keyboards: dict[tuple[int, int], tuple[str, int, list[int | None]]] = {}
        self._activity = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._at_prompt = False
        self._told_bot = False  # the line being handled went to the bot: wait for its answer
        self._random = random.Random(CHAT_USER_ID)
        self.closed = False  # the output went away: stop reading
        emulator.listeners.append(self._on_event)

    # -- what the bot does -----------------------------------------------------------------

    def _watching(self, chat: ChatState) -> bool:
        return chat.id == self.person.id or (self.group is not None and chat.id == self.group.id)

    def _on_event(self, kind: str, chat: ChatState, message: dict[str, Any]) -> None:
        if not self._watching(chat):
            return
        if kind == "delete":  # its buttons go with it
            self._keyboards.pop((chat.id, int(message["message_id"])), None)
            return
        self._activity.set()
        where = "" if chat.type == "private" else f" in {chat.title}"
        label = f"bot{where}" if kind == "message" else f"bot{where} (edited)"
        self._show(label, chat, message, new=kind == "message")
        if kind == "message" and chat is self.group:
            self._classmates_answer(chat, message)

    def _show(
        self, label: str, chat: ChatState, message: dict[str, Any], *, new: bool = True
    ) -> None:
        """Print a message with its buttons numbered: an edit that changed them numbers them
        afresh (and their older numbers are gone); one that kept them keeps their numbers. A
        new message's photo or file is saved."""
        shown = BotMessage(message)
        text = readable(shown.text, shown.entities)
        if "photo" in message:
            text = "[photo] " + text
        if "document" in message:
            text = f"[file {message['document'].get('file_name', '')}] " + text
        if "poll" in message:
            poll = message["poll"]
            options = " / ".join(o["text"] for o in poll["options"])
            text = f"[poll] {poll['question']}\n{options}"
        lines = [f"\n{label}> " + text.rstrip().replace("\n", "\n     ")]
        saved = self._save_file(message) if new else None
        if saved:
            lines.append(f"     (saved to {saved})")
        key = (chat.id, shown.id)
        keyboard = json.dumps(shown.buttons, sort_keys=True)
        before = self._keyboards.get(key)
        if before is not None and before[0] == keyboard:
            showing, numbers = before[1], before[2]
        else:
            showing, numbers = next(self._showings), []
        position = 0
        for row in shown.buttons:
            cells = []
            for button in row:
                if position == len(numbers):
                    numbers.append(self._number(chat, shown, showing, button))
                cells.append(_cell(button, numbers[position]))
                position += 1
            lines.append("     " + "   ".join(cells))
        self._keyboards[key] = (keyboard, showing, numbers)
        self._print("\n".join(lines))

    def _number(
        self, chat: ChatState, shown: BotMessage, showing: int, button: dict[str, Any]
    ) -> int | None:
        """Give a button a new number; None for a link that leads out of the chat."""
        if "callback_data" in button:
            target = _Button(chat.id, shown.id, showing, data=str(button["callback_data"]))
        else:
            payload = self._bot_link(str(button.get("url", "")))
            if payload is None:
                return None
            target = _Button(chat.id, shown.id, showing, start=payload)
        number = next(self._counter)
        self.numbers[number] = target
        return number

    def _bot_link(self, url: str) -> str | None:
        """Return the deep-link payload of a t.me link to this bot ("" for none), else None."""
        link = _BOT_LINK.fullmatch(url)
        if link is None or link.group(1).lower() != self.emulator.bot_username.lower():
            return None
        return link.group(2) or ""

    def _save_file(self, message: dict[str, Any]) -> Path | None:
        """Save a photo or document the bot sent into the files folder; return where."""
        if self.files is None:
            return None
        if "photo" in message:
            file_id = str(message["photo"][-1]["file_id"])
        elif "document" in message:
            file_id = str(message["document"]["file_id"])
        else:
            return None
        data = self.emulator.files.get(file_id)
        if data is None:
            return None
        name = Path(self.emulator.file_names.get(file_id, "")).name
        if "photo" in message:
            suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
            if Path(name).suffix.lower() not in (".png", ".jpg", ".jpeg"):
                name = "photo" + suffix  # bytes sent without a name of their own
        digest = hashlib.sha256(data).digest()
        known = self._saved.get(digest)
        if known is not None and known.exists():
            return known  # the same picture again (a tip's, a question's): saved once
        try:
            path = _write_new(self.files, name or "file", data)
        except OSError as exc:
            self._print(f"     (!) could not save {name} in {self.files}: {exc.strerror}")
            return None
        self._saved[digest] = path
        return path

    def _print(self, text: str) -> None:
        try:
            if self._at_prompt:  # a message arrived while the person types: prompt again
                text = "\n" + text.lstrip("\n")
            print(text, file=self.out, flush=True)
            if self._at_prompt:
                print(self._prompt(), end="", file=self.out, flush=True)
        except OSError:  # the terminal or pipe went away (e.g. `| head`)
            self.closed = True

    def _prompt(self) -> str:
        return "you> " if self.place.type == "private" else f"you in {self.place.title}> "

    # -- what the person does ------------------------------------------------------------

    async def handle(self, line: str) -> None:
        """Act on one typed line: press a numbered button, switch chats, ask inline, or send it
        as a message. Nothing typed stops the chat."""
        line = line.strip()
        if not line:
            return
        self._activity.clear()
        self._told_bot = False
        try:
            await self._act(line)
        except Exception as exc:  # the person keeps their chat whatever goes wrong here
            logger.debug("The chat could not act on %r", line, exc_info=True)
            self._print(f"     (!) that did not work: {exc}")
            return
        if self._told_bot:  # wait for the bot's answer before reading on
            await self._settle()

    def _send(self, text: str) -> None:
        self._told_bot = True
        self.person.send(text, self.place)

    async def _act(self, line: str) -> None:
        if _NUMBER.fullmatch(line):
            await self._press(int(line))
        elif line.startswith("\\") and _NUMBER.fullmatch(line[1:]):
            self._send(line[1:])
        elif line == "/group":
            self._to_group()
        elif line == "/private":
            self.place = self.person.chat
            self._print("     (back in your private chat with the bot)")
        elif (inline := _INLINE.fullmatch(line)) and inline.group(1).lower() in (
            "",
            "bot",
            self.emulator.bot_username.lower(),
        ):
            await self._inline(inline.group(2) or "")
        else:
            self._send(line)

    async def _press(self, number: int) -> None:
        target = self.numbers.get(number)
        if target is None:
            self._print(
                f"     (!) There is no button {number}. Type the number of a button shown "
                f"above (to send {number} as a message, type \\{number})."
            )
            return
        if isinstance(target, _Result):
            self._post(target.result)
            return
        if isinstance(target, _More):
            await self._inline(target.query, target.offset)
            return
        chat = self.emulator.chats.get(target.chat_id)
        message = chat.messages.get(target.message_id) if chat is not None else None
        if chat is None or message is None:
            self._print(f"     (!) Button {number} is gone: its message was deleted.")
            return
        current = self._keyboards.get((chat.id, target.message_id))
        if current is None or current[1] != target.showing:
            now = [n for n in (current[2] if current else []) if n is not None]
            where = f"; its buttons are now {_span(now)}" if now else "; it has no buttons now"
            self._print(f"     (!) Button {number} is gone: that message has changed since{where}.")
            return
        if target.start is not None:
            self._open_bot(target.start)
            return
        assert target.data is not None
        shown = BotMessage(message)
        self._told_bot = True
        try:
            if "_inline_message_id" in message:
                answer = await self.person.press_inline_data(shown, target.data, FIRST_REPLY_WAIT)
            else:
                answer = await self.person.press_data(shown, target.data, FIRST_REPLY_WAIT)
        except AssertionError as exc:
            self._print(f"     (!) {exc}")
            return
        if answer.get("text"):
            mark = "(!)" if answer.get("show_alert") else "(i)"
            text = str(answer["text"]).replace("\n", "\n         ")
            self._print(f"     {mark} {text}")
        url = answer.get("url")
        if url:
            payload = self._bot_link(str(url))
            if payload is not None:
                self._open_bot(payload)
            else:
                self._print(f"     (the bot opens {url})")

    def _open_bot(self, payload: str) -> None:
        """Follow a link into the bot's chat, as Telegram does: there, /start with its payload."""
        self.place = self.person.chat
        self._print("     (opening your private chat with the bot)")
        if payload:
            self._send(f"/start {payload}")

    def _to_group(self) -> None:
        if self.group is None:
            self.classmates = [
                self.emulator.person(name, language_code=self.person.user.get("language_code"),
                                     user_id=user_id)
                for name, user_id in CLASSMATES
            ]  # fmt: skip
            self.group = self.emulator.group(GROUP_TITLE, *self.classmates, owner=self.person)
            self.place = self.group
            names = " and ".join(m.user["first_name"] for m in self.classmates)
            self._print(
                f"     (you made the group {GROUP_TITLE!r} with {names}, and added the bot; you "
                "are its owner. Try /quiz, /top join, /top, /groupdaily 07:30; /private goes "
                "back)"
            )
            self.person.add_bot_to(self.group)
            self._told_bot = True
            return
        self.place = self.group
        self._print(f"     (in the group {GROUP_TITLE!r}; /private goes back)")

    def _classmates_answer(self, chat: ChatState, message: dict[str, Any]) -> None:
        """The classmates answer each group question the bot posts, a moment later."""
        options = [
            str(b["callback_data"])
            for row in BotMessage(message).buttons
            for b in row
            if _action(str(b.get("callback_data", ""))) == "gq"
        ]
        if not options or not self.classmates:
            return

        async def answer() -> None:
            await asyncio.sleep(CLASSMATE_DELAY)
            for mate in self.classmates:
                current = chat.messages.get(int(message["message_id"]))
                if current is None:
                    return
                try:
                    await mate.press_data(
                        BotMessage(current), self._random.choice(options), FIRST_REPLY_WAIT
                    )
                except AssertionError:
                    continue
                self._print(f"     ({mate.user['first_name']} answered the question)")

        task = asyncio.get_running_loop().create_task(answer())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _inline(self, query: str, offset: str = "") -> None:
        """Ask the bot inline, as typing `@bot words` in a chat does; number its results."""
        try:
            answer = await self.person.inline_query(query, offset, FIRST_REPLY_WAIT)
        except AssertionError as exc:
            self._print(f"     (!) {exc}")
            return
        results = answer.get("results") or []
        heading = f"\ninline> @{self.emulator.bot_username} {query}".rstrip()
        if not results:
            self._print(heading + ": nothing found")
            return
        lines = [f"{heading}: type a number to post it in this chat"]
        for result in results:
            number = next(self._counter)
            self.numbers[number] = _Result(result)
            title = str(result.get("title") or result.get("id"))
            description = str(result.get("description") or "").replace("\n", " ")
            lines.append(f"     [{number}] {title}" + (f": {description}" if description else ""))
        if answer.get("next_offset"):
            number = next(self._counter)
            self.numbers[number] = _More(query, str(answer["next_offset"]))
            lines.append(f"     [{number}] more results")
        self._print("\n".join(lines))

    def _post(self, result: dict[str, Any]) -> None:
        """Post an inline result in the chat in front of the person, "via" the bot."""
        posted = self.person.send_inline_result(self.place, result)
        self._show(f"you via @{self.emulator.bot_username}", self.place, posted.raw)

    async def _settle(self) -> None:
        """Wait for the bot's turn to finish: a first reply, then a short silence."""
        try:
            await asyncio.wait_for(self._activity.wait(), FIRST_REPLY_WAIT)
        except TimeoutError:
            return
        while True:
            self._activity.clear()
            try:
                await asyncio.wait_for(self._activity.wait(), QUIET_AFTER_REPLY)
            except TimeoutError:
                return

    async def loop(self, stdin: TextIO = sys.stdin) -> None:
        """Read lines until /quit or end of input."""
        interactive = stdin.isatty()
        lines = _read_lines(stdin)
        try:
            while True:
                if interactive:
                    self._at_prompt = True
                    print(self._prompt(), end="", file=self.out, flush=True)
                line = await lines.get()
                self._at_prompt = False
                if line is None or self.closed or line.strip() in ("/quit", "/exit"):
                    break
                if not interactive:
                    self._print(f"{self._prompt()}{line.rstrip()}")
                await self.handle(line)
            if self._tasks and line is None:  # piped input: let the classmates finish
                await asyncio.wait(self._tasks, timeout=CLASSMATE_DELAY + FIRST_REPLY_WAIT)
        finally:
            for task in list(self._tasks):
                task.cancel()


def _read_lines(stdin: TextIO) -> asyncio.Queue[str | None]:
    """Read typed lines in a thread of their own, into a queue (None at the end). The thread
    does not hold up leaving (Ctrl-C while it waits for a line), and bytes that are not UTF-8
    are read as replacement characters, not as an error."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    raw = getattr(stdin, "buffer", None)

    def read() -> None:
        line: str | None = None
        try:
            while True:
                line = raw.readline().decode("utf-8", "replace") if raw else stdin.readline()
                if not line:
                    break
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):  # the chat is over already
                loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="chat-input", daemon=True).start()
    return queue


def _span(numbers: list[int]) -> str:
    """Say a run of button numbers: [5], or [5] to [8]."""
    if len(numbers) == 1:
        return f"[{numbers[0]}]"
    return f"[{numbers[0]}] to [{numbers[-1]}]"


def _cell(button: dict[str, Any], number: int | None) -> str:
    text = str(button.get("text", ""))
    if number is None:
        return f"[link] {text} ({button.get('url', '')})"
    if "callback_data" not in button:
        return f"[{number}] {text} (opens your chat with the bot)"
    return f"[{number}] {text}"


def _action(data: str) -> str | None:
    try:
        return cb.decode(data).action
    except cb.CallbackError:
        return None


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` to a new file in `folder` (readable by its owner only) named `name`, or
    `name-2`, `name-3` … when taken; return its path."""
    from clicksbot.store.files import FILE_MODE, make_folder

    make_folder(folder)
    stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
    for n in itertools.count(1):
        candidate = folder / (name if n == 1 else f"{stem}-{n}{dot}{suffix}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return candidate.resolve()
    raise AssertionError("unreachable")


def _banner(settings: Settings, name: str, admin: bool, files: Path) -> Sequence[str]:
    if admin:
        role = "an admin of the bot here, so the moderator commands work (/modhelp lists them)"
    else:
        role = (
            "not an admin: start the chat with --admin (or put "
            f"{CHAT_USER_ID} in `admins` in the config) to try the moderator commands"
        )
    return (
        "clicksbot chat: the real bot, on a local emulator (no Telegram, no token).",
        f"Database: {settings.database}",
        f"You are {name}, Telegram id {CHAT_USER_ID}: {role}.",
        f"Photos and files the bot sends are saved in {files}",
        HELP,
        "Say /start to begin.",
    )


async def _chat(
    settings: Settings,
    content: Content,
    pact: Pact,
    name: str,
    language: str | None,
    files: Path,
) -> None:
    from clicksbot.app import build_application, polling

    emulator = Emulator(token=SANDBOX_TOKEN)
    async with EmulatorServer(emulator) as server:
        local = dataclasses.replace(settings, token=Secret(SANDBOX_TOKEN), api_url=server.api_url)
        app = build_application(local, content, pact=pact)
        async with polling(app, poll_timeout=2):
            person = emulator.person(
                name, language_code=language or settings.default_language, user_id=CHAT_USER_ID
            )
            terminal = Terminal(emulator, person, files=files)
            admin = CHAT_USER_ID in settings.admins
            print("\n".join(_banner(settings, name, admin, files)), flush=True)
            await terminal.loop()
    print("Bye!")


def run_chat(
    settings: Settings,
    content: Content,
    pact: Pact,
    *,
    name: str,
    language: str | None,
    admin: bool = False,
    files: Path | None = None,
) -> int:
    """Run the terminal chat until the person leaves; return the exit code."""
    logs.configure("WARNING", [SANDBOX_TOKEN])
    if admin:
        settings = dataclasses.replace(settings, admins=settings.admins | {CHAT_USER_ID})
    folder = (files or settings.database.parent / FILES_FOLDER).resolve()
    try:
        asyncio.run(_chat(settings, content, pact, name, language, folder))
    except BrokenPipeError:  # the reader went away (e.g. `| head`): nothing left to show
        _silence_stdout()
    return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


async def _serve(port: int, token: str | None) -> None:
    emulator = Emulator(token=token)
    async with EmulatorServer(emulator, port=port) as server:
        print(f"Bot API emulator listening at {server.api_url}")
        print(f"Start the bot with CLICKSBOT_API_URL={server.api_url} in another terminal.")
        print(f"You are You, Telegram id {CHAT_USER_ID}.")
        print(HELP, flush=True)
        person = emulator.person("You", user_id=CHAT_USER_ID)
        await Terminal(emulator, person).loop()


def serve_forever(port: int, token: str | None) -> int:
    """Run the emulator alone with a terminal person in it, until they leave."""
    logs.configure("WARNING", [token or ""])
    logging.getLogger("clicksbot.sandbox").setLevel(logging.INFO)
    try:
        asyncio.run(_serve(port, token))
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:
        print(f"clicksbot: cannot listen on 127.0.0.1:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0

"""The terminal chat: talk to the real bot through the local emulator, no Telegram, no token."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
from typing import Any, TextIO

from clicksbot import logs
from clicksbot.config import Secret, Settings
from clicksbot.content import Content
from clicksbot.content.pact import Pact
from clicksbot.sandbox.emulator import BotMessage, ChatState, Emulator, Person, readable
from clicksbot.sandbox.server import EmulatorServer

SANDBOX_TOKEN = "1000000:sandbox-token-for-the-terminal-chat"
CHAT_USER_ID = 1001  # the same person every session, so progress carries over
QUIET_AFTER_REPLY = 0.4  # seconds of silence that end the bot's turn
FIRST_REPLY_WAIT = 5.0
HELP = (
    "Type a message or a /command and press Enter. Buttons are shown as [1] [2] …: type a "
    "number to press one. /quit (or Ctrl-D) leaves."
)


class Terminal:
    """Shows what the bot sends to one person, and turns typed lines into their messages."""

    def __init__(self, emulator: Emulator, person: Person, out: TextIO = sys.stdout) -> None:
        self.emulator = emulator
        self.person = person
        self.out = out
        self.buttons: dict[int, tuple[BotMessage, int]] = {}
        self._next_button = 1
        self._activity = asyncio.Event()
        self.closed = False  # the output went away: stop reading
        emulator.listeners.append(self._on_event)

    def _on_event(self, kind: str, chat: ChatState, message: dict[str, Any]) -> None:
        if chat.id != self.person.id or kind == "delete":
            return
        self._activity.set()
        shown = BotMessage(message)
        label = "bot" if kind == "message" else "bot (edited)"
        text = readable(shown.text, shown.entities)
        if "photo" in message:
            text = "[photo] " + text
        if "poll" in message:
            poll = message["poll"]
            options = " / ".join(o["text"] for o in poll["options"])
            text = f"[poll] {poll['question']}\n{options}"
        self._print(f"\n{label}> " + text.replace("\n", "\n     "))
        row_texts = []
        for row in shown.buttons:
            cells = []
            for button in row:
                flat_index = [b for r in shown.buttons for b in r].index(button)
                if "callback_data" in button:
                    number = self._next_button
                    self._next_button += 1
                    self.buttons[number] = (shown, flat_index)
                    cells.append(f"[{number}] {button['text']}")
                else:
                    cells.append(f"[link] {button['text']} ({button.get('url', '')})")
            row_texts.append("   ".join(cells))
        if row_texts:
            self._print("     " + "\n     ".join(row_texts))

    def _print(self, text: str) -> None:
        try:
            print(text, file=self.out, flush=True)
        except BrokenPipeError:
            self.closed = True

    async def handle(self, line: str) -> None:
        """Act on one typed line: press a numbered button, or send it as a message."""
        line = line.strip()
        if not line:
            return
        self._activity.clear()
        if line.isdigit() and int(line) in self.buttons:
            message, index = self.buttons[int(line)]
            try:
                answer = await self.person.press(message, index, timeout=FIRST_REPLY_WAIT)
            except AssertionError as exc:
                self._print(f"(!) {exc}")
                return
            if answer.get("text"):
                mark = "(!)" if answer.get("show_alert") else "(i)"
                self._print(f"     {mark} {answer['text']}")
        else:
            self.person.send(line)
        await self._settle()

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
        loop = asyncio.get_running_loop()
        interactive = stdin.isatty()
        while True:
            if interactive:
                print("you> ", end="", file=self.out, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line or self.closed or line.strip() in ("/quit", "/exit"):
                break
            if not interactive:
                self._print(f"you> {line.rstrip()}")
            await self.handle(line)


async def _chat(
    settings: Settings, content: Content, pact: Pact, name: str, language: str | None
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
            terminal = Terminal(emulator, person)
            print(
                f"clicksbot chat: the real bot, on a local emulator (database {settings.database})."
            )
            print(HELP)
            print("Say /start to begin.", flush=True)
            await terminal.loop()
    print("Bye!")


def run_chat(
    settings: Settings, content: Content, pact: Pact, *, name: str, language: str | None
) -> int:
    """Run the terminal chat until the person leaves; return the exit code."""
    logs.configure("WARNING", [SANDBOX_TOKEN])
    try:
        asyncio.run(_chat(settings, content, pact, name, language))
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

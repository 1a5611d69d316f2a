"""`clicksbot chat` as a teacher meets it in a real terminal: numbers that belong to the buttons
shown now, no number that stops the chat, the certificate saved where it says, groups, inline
mode and the moderator commands to try, and broken packs refused as `run` refuses them."""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, Running

from clicksbot.sandbox import chat
from clicksbot.sandbox.chat import Terminal as ChatTerminal

CHAT = [sys.executable, "-m", "clicksbot", "chat"]


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CLICKSBOT_")}


def config(folder: Path, packs: Path = REPO / "quizzes") -> Path:
    path = folder / "config.yaml"
    # (the discernment checkup, offered at a first quiz, is tried in tests/test_checkup.py)
    path.write_text(f"database: bot.sqlite3\npacks_dir: {packs}\ncheckup_offer: false\n")
    return path


class Terminal:
    """`clicksbot chat` on a pseudo-terminal: what a person types, and what they see."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        master, slave = os.openpty()
        self.process = subprocess.Popen(
            args,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=environment(),
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.screen = ""  # everything shown so far
        self.seen = 0  # where the next wait starts looking

    def type(self, line: str) -> None:
        self.seen = len(self.screen)
        os.write(self.master, line.encode() + b"\n")

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """Wait until the output since the last typed line matches `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.screen[self.seen :])
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"never saw {pattern!r}; the screen:\n{self.screen}")
            readable, _, _ = select.select([self.master], [], [], remaining)
            if not readable:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the chat has ended and closed the terminal
                data = b""
            if not data:
                if self.process.poll() is not None:
                    raise AssertionError(f"the chat ended; the screen:\n{self.screen}")
                continue
            self.screen += data.decode("utf-8", "replace").replace("\r\n", "\n")

    def reply(self, pattern: str) -> re.Match[str]:
        """Wait for the bot's answer matching `pattern`, then for the prompt after it."""
        found = self.wait_for(pattern)
        self.wait_for(pattern + r"[\s\S]*you> $")
        return found

    def close(self) -> int:
        try:
            return self.process.wait(timeout=20)
        finally:
            os.close(self.master)


def test_numbers_in_a_terminal_never_crash_and_the_certificate_is_saved(tmp_path: Path) -> None:
    """Through a pseudo-terminal: after an answer edits the question, its old numbers say the
    button is gone (they never press another one), unknown numbers say there is no such button,
    the new numbers work, and the certificate lands in the folder the chat named."""
    terminal = Terminal([*CHAT, "--config", str(config(tmp_path))], tmp_path)
    banner = terminal.wait_for(r"Say /start to begin\.")
    files = tmp_path / "chat-files"
    head = terminal.screen[: banner.end()]
    assert "Telegram id 1001" in head and "--admin" in head
    assert f"saved in {files}" in head

    terminal.type("/start")
    terminal.reply(r"Which language")
    terminal.type("/quiz")
    any_topic = terminal.reply(r"\[(\d+)\] Any topic").group(1)
    terminal.type(any_topic)
    question = terminal.reply(r"\[(\d+)\] A\. .*\n\s*\[(\d+)\] B\. ")
    option_a, option_b = question.group(1), question.group(2)
    terminal.type(option_a)
    sure = terminal.reply(r"How sure are you\?[\s\S]*\[(\d+)\] 💯 Sure").group(1)
    terminal.type(sure)  # the result takes the place of "how sure are you?"
    answered = terminal.reply(r"bot \(edited\)> [\s\S]*Your answer[\s\S]*\[(\d+)\] Next question")
    next_question = answered.group(1)

    terminal.type(option_b)  # shown before the edit: its button is not there any more
    terminal.reply(  # (a question with a picture keeps the picture, without its buttons)
        rf"Button {option_b} is gone: that message has changed since; "
        r"(its buttons are now|it has no buttons now)"
    )
    terminal.type(option_a)
    terminal.reply(rf"Button {option_a} is gone")
    for number in ("99999", "0", str(int(next_question) + 50)):
        terminal.type(number)
        terminal.reply(rf"There is no button {number}\.")
    terminal.type("123456789012345678901234567890")  # too long to be a number: a message
    terminal.reply(r"bot> ")
    terminal.type(next_question)
    terminal.reply(r"\[\d+\] A\. ")  # the numbers shown now press what they show

    terminal.type("/pact")
    commit = terminal.reply(r"\[(\d+)\] ✍️ I commit").group(1)
    terminal.type(commit)
    terminal.reply(r"What name should go on your certificate\?")
    terminal.type("Siti Rahma")
    skip = terminal.reply(r"Which country[\s\S]*\[(\d+)\] Skip").group(1)
    terminal.type(skip)
    saved = terminal.reply(r"\[photo\] [\s\S]*\(saved to (\S+)\)").group(1)
    terminal.type("/quit")
    terminal.wait_for("Bye!")
    assert terminal.close() == 0
    assert "Traceback" not in terminal.screen and "Error" not in terminal.screen
    certificate = Path(saved)
    assert certificate.parent == files and certificate.name == "mil-clicks-pact.png"
    assert certificate.read_bytes().startswith(b"\x89PNG")
    assert certificate.stat().st_mode & 0o077 == 0  # the person's name: theirs to read only


def run_chat(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    """Type these lines into `clicksbot chat` (a pause for each number like `sleep 2`)."""
    return subprocess.run(
        [*CHAT, "--config", str(config(tmp_path)), *args],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(),
        cwd=tmp_path,
        check=False,
    )


def test_a_group_with_classmates_and_inline_mode_can_be_tried(tmp_path: Path) -> None:
    """/group makes a test group with two classmates who answer its questions, where you may
    set the daily post; `@bot words` lists inline results there; /private goes back; files
    the bot sends are saved."""
    result = run_chat(
        tmp_path,
        ["/start", "/group", "/quiz", "/groupdaily 07:30", "@bot source", "/private", "/mydata"],
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "with Aiko and Budi" in out
    in_group = out.split("you> /group", 1)[1].split("you in Test class> /private", 1)[0]
    assert "bot in Test class> " in in_group and "Everyone can answer once" in in_group
    assert "(Aiko answered the question)" in out and "(Budi answered the question)" in out
    assert "Every day at 07:30" in in_group  # you own the group, so you may set its daily
    assert re.search(r"inline> @\w+ source: type a number", in_group)
    assert "[file clicksbot-my-data.json]" in out
    assert (tmp_path / "chat-files" / "clicksbot-my-data.json").exists()


async def test_posting_an_inline_question_and_answering_it(bot: Running, tmp_path: Path) -> None:
    """A numbered inline result is posted "via" the bot with buttons numbered afresh, a press
    on one is answered privately, and the posted message's numbers press its own buttons."""
    screen = io.StringIO()
    person = bot.emulator.person("Siti")
    terminal = ChatTerminal(bot.emulator, person, screen, files=tmp_path / "files")
    await terminal.handle("/start")
    await terminal.handle("@ chatbot sources")
    results = {n: t for n, t in terminal.numbers.items() if isinstance(t, chat._Result)}
    question = next(n for n, t in results.items() if str(t.result["id"]).startswith("q:"))
    assert f"[{question}] ❓ Quiz" in screen.getvalue()
    await terminal.handle(str(question))
    posted = screen.getvalue().split("you via @clicksbot_sandbox_bot> ", 1)[1]
    option = re.search(r"\[(\d+)\] A\. ", posted)
    assert option is not None and int(option.group(1)) > max(results)
    await terminal.handle(option.group(1))
    assert re.search(r"\(!\) (✅|❌)", screen.getvalue().rsplit(posted[-40:], 1)[1])


def test_the_chat_says_how_to_try_the_moderator_commands(tmp_path: Path) -> None:
    """Without --admin the chat says how to become one; with it, /modhelp answers."""
    plain = run_chat(tmp_path, ["/modhelp"])
    assert "not an admin: start the chat with --admin" in plain.stdout
    assert "For moderators" not in plain.stdout
    admin = run_chat(tmp_path, ["/modhelp"], "--admin")
    assert "You are You, Telegram id 1001: an admin" in admin.stdout
    assert "For moderators" in admin.stdout


def test_chat_refuses_broken_packs_as_run_does(tmp_path: Path) -> None:
    """A pack with errors stops `chat` with the very message `run` gives (exit 2), and
    --skip-broken-packs starts without that pack, as it does for `run`."""
    packs = tmp_path / "packs" / "en"
    packs.mkdir(parents=True)
    (packs / "broken.yaml").write_text("id: en-broken\ntitle Broken\nlanguage: en\n")
    path = config(tmp_path, packs.parent)
    env = {**environment(), "CLICKSBOT_TOKEN": "123:abc"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "clicksbot", *args, "--config", str(path)],
            input="/quit\n",
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,
            check=False,
        )

    chat, run = cli("chat"), cli("run")
    assert chat.returncode == run.returncode == 2
    assert chat.stderr == run.stderr
    assert "broken.yaml:2: (yaml): not valid YAML: `title Broken` has no colon" in chat.stderr
    assert "--skip-broken-packs" in chat.stderr.splitlines()[-1]
    skipped = cli("chat", "--skip-broken-packs")
    assert skipped.returncode == 0, skipped.stderr
    assert "Say /start to begin." in skipped.stdout


@pytest.mark.parametrize("number", ["5", "\\5"])
def test_a_backslash_sends_a_number_as_a_message(tmp_path: Path, number: str) -> None:
    """\\5 is the message "5"; a bare 5 is a button press (there is none yet)."""
    result = run_chat(tmp_path, [number])
    reply = result.stdout.split(f"you> {number}", 1)[1]
    if number == "5":
        assert "There is no button 5." in reply
    else:
        assert "bot> " in reply and "There is no button" not in reply

"""Logging set-up that never lets the bot token reach a log line."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable

# Chatty libraries kept at WARNING (their INFO lines are per request or per job run).
NOISY_LOGGERS = ("apscheduler", "aiohttp.access", "aiosqlite")


class RedactFilter(logging.Filter):
    """Replace every secret in a record's final text with a mask."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def add(self, secret: str) -> None:
        """Mask one more secret from now on."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        text = message
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self._secrets:
            text = text.replace(secret, "[token]")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "[token]")
        if text != message:
            record.msg, record.args = text, None
        return True


def quiet_libraries(level: str = "INFO") -> None:
    """Keep the libraries that would log the token, or log per request, at WARNING."""
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # PTB logs the full API URL (with the token) at DEBUG when a Bot is made.
    logging.getLogger("telegram.Bot").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("telegram.ext.ExtBot").setLevel(
        max(logging.INFO, logging.getLevelName(level))
    )
    # At DEBUG, PTB logs each whole update: what people wrote, their names. Users are minors;
    # debugging needs update ids and handlers, which the error log and our own lines give.
    for name in (
        "telegram.ext.Application",
        "telegram.ext.Updater",
        "telegram.ext.ConversationHandler",
    ):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, secrets: Iterable[str] = (), *, json_lines: bool = False) -> RedactFilter:
    """Send logs to stderr at `level`, masking `secrets`; quiet the libraries that leak URLs."""
    redact = RedactFilter(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLines()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(redact)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_libraries(level)
    return redact

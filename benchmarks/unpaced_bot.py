"""`clicksbot run`, with the bot's own pacing lifted: for benchmarks against an emulator whose
Telegram limits are off (`Limits(enforce=False)`), where simulated people tap at machine speed.

The bot paces its replies to Telegram's limits (about 30 messages a second overall, one a
second per chat after a short burst). A benchmark that measures how many updates the bot can
*handle* lifts Telegram's limits in the emulator, and so lifts the bot's mirror of them here,
as the test suite does (tests/conftest.py `pace_as`). Usage is that of `clicksbot run`.
"""

from __future__ import annotations

import sys

from clicksbot import app, cli
from clicksbot.delivery.limiter import Pacer


class UnpacedPacer(Pacer):
    """No overall pace and no per-chat burst limit: the emulator enforces none either."""

    def __init__(self, rate: float, **kwargs: object) -> None:
        super().__init__(0, chat_burst=10**9, **kwargs)  # type: ignore[arg-type]


if __name__ == "__main__":
    app.Pacer = UnpacedPacer  # type: ignore[misc]
    sys.exit(cli.main(sys.argv[1:]))

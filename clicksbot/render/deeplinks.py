"""Deep links into the private chat with the bot, `https://t.me/<bot>?start=<payload>`, for
what a group or a shared message cannot show: a question's full explanation and source.

Telegram takes payloads of 1 to 64 characters of A-Za-z0-9_-. Invitations are "i<code>"
(services.pact); explanations start with "ex_", which no invitation code can follow:
- `ex_g<row>`: a question posted in a group (its row), for someone who answered it there;
- `ex_q<option>_<question id>`: a question shared through inline mode, and the option the
  person chose (nothing of inline use is stored, so the link carries it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PAYLOAD = 64
_GROUP = re.compile(r"ex_g([1-9][0-9]{0,17})")
_SHARED = re.compile(r"ex_q([0-9]|1[01])_([a-z0-9][a-z0-9-]{2,39})")


@dataclass(frozen=True)
class Explain:
    """A request for a question's full explanation: of a group's question, or of a shared
    question with the option the person chose."""

    row: int | None = None
    question_id: str | None = None
    choice: int | None = None


def start_link(bot_username: str, payload: str) -> str:
    """Return the link that opens the private chat with the bot and sends /start <payload>."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload):
        raise ValueError(f"not a deep-link payload: {payload!r}")
    return f"https://t.me/{bot_username}?start={payload}"


def explain_group(row: int) -> str:
    """Return the payload for the full explanation of a group's question."""
    return f"ex_g{row}"


def explain_shared(question_id: str, choice: int) -> str:
    """Return the payload for the full explanation of a shared question, as answered."""
    payload = f"ex_q{choice}_{question_id}"
    if not _SHARED.fullmatch(payload):
        raise ValueError(f"no deep link fits question {question_id!r}, option {choice}")
    return payload


def decode(payload: str | None) -> Explain | None:
    """Return the explanation a /start payload asks for; None if it asks for none."""
    if not payload or len(payload) > MAX_PAYLOAD:
        return None
    if match := _GROUP.fullmatch(payload):
        return Explain(row=int(match.group(1)))
    if match := _SHARED.fullmatch(payload):
        return Explain(question_id=match.group(2), choice=int(match.group(1)))
    return None

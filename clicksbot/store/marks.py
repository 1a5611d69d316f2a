"""Marks: what a forgotten person leaves so that coming back cannot count them twice.

A mark is a short keyed digest (HMAC-SHA256 under a random salt kept in the database, cut to
20 bits) of the person's Telegram id, or of (inviter, invitee). It is short on purpose: its
2^20 values are shared by Telegram's billion accounts, about a thousand to a value, so even
with the database and its salt a mark cannot be turned back into a person, while a returning
person is still recognised. The cost of that shortness is that, rarely, a newcomer is taken
for a forgotten person: a counter then misses one (it never counts one twice) and an inviter
misses one notice. SECURITY.md says this in plain words.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import aiosqlite

MARK_HEX_DIGITS = 5  # 20 bits: about a thousand Telegram accounts share each value
_SALT_NAME = "forgotten_marks"


async def salt(db: aiosqlite.Connection, *, create: bool) -> bytes | None:
    """Return the database's salt for marks, making it (in the caller's transaction) if asked."""
    async with db.execute("SELECT value FROM salts WHERE name = ?", (_SALT_NAME,)) as cur:
        row = await cur.fetchone()
    if row is not None:
        return bytes.fromhex(str(row[0]))
    if not create:
        return None
    value = secrets.token_bytes(32)
    await db.execute("INSERT INTO salts (name, value) VALUES (?, ?)", (_SALT_NAME, value.hex()))
    return value


def mark(key: bytes, kind: str, *ids: int) -> str:
    """Return the mark of a person (or of an inviter and the friend they brought)."""
    message = ":".join([kind, *(str(i) for i in ids)]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:MARK_HEX_DIGITS]

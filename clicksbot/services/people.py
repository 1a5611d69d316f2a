"""People: meeting someone, and the language they use."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from clicksbot.store import Store, User


async def meet(store: Store, user_id: int, language: str, now: datetime) -> tuple[User, bool]:
    """Record that a person was seen now; a new person starts in `language`.

    Return the person and whether this was their first time.
    """
    return await store.touch_user(user_id, language, now)


async def choose_language(
    store: Store, user: User, language: str, available: Collection[str], now: datetime
) -> bool:
    """Switch a person's interface language; return whether it changed.

    Raise ValueError for a language the bot does not have.
    """
    if language not in available:
        raise ValueError(f"no interface in {language!r}")
    changed = language != user.language
    await store.set_language(user.id, language, now)
    return changed

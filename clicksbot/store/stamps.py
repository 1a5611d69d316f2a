"""How moments are written in the database: ISO 8601 text in UTC, to the second."""

from __future__ import annotations

from datetime import UTC, datetime


def to_text(moment: datetime) -> str:
    """Return a moment as stored (sorts as text in time order)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_text(value: str) -> datetime:
    """Return a stored moment."""
    return datetime.fromisoformat(value)

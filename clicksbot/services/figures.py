"""The outbox's figures for the people who run the bot: `clicksbot stats` and /stats."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from clicksbot.store import Store
from clicksbot.store.delivery import DeliveryStats


def start_of_day(now: datetime, time_zone: str) -> datetime:
    """Return the moment today began in `time_zone`."""
    zone = ZoneInfo(time_zone)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


async def delivery_figures(store: Store, now: datetime, time_zone: str) -> DeliveryStats:
    """Return subscribers, unreachable people, and today's sent and failed messages."""
    return await store.delivery_stats(start_of_day(now, time_zone))

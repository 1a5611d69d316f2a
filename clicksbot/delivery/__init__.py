"""Delivery: the outbox (rate-limited, resumable sending to many) and the clock of daily tips."""

from clicksbot.delivery.clock import DailyTips
from clicksbot.delivery.compose import Composer
from clicksbot.delivery.limiter import Lane, Pacer
from clicksbot.delivery.outbox import Outbox

__all__ = ["Composer", "DailyTips", "Lane", "Outbox", "Pacer"]

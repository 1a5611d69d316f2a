"""The store: every byte of state on disk, behind named async methods (all SQL lives here)."""

from clicksbot.store.db import (
    Asked,
    CompetencyScore,
    LearnerRecord,
    Store,
    User,
)
from clicksbot.store.errors import StoreError

__all__ = [
    "Asked",
    "CompetencyScore",
    "LearnerRecord",
    "Store",
    "StoreError",
    "User",
]

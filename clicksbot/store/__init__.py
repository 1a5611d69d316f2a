"""The store: every byte of state on disk, behind named async methods (all SQL lives here)."""

from clicksbot.store.db import Store, StoreError, User

__all__ = ["Store", "StoreError", "User"]

"""The store's one error: the database cannot be used as it is."""


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""

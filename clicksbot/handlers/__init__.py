"""Telegram-facing handlers, grouped by feature; each module exposes `register(app)`."""

"""clicksbot: a Telegram bot for Media and Information Literacy, a minute a day."""

__version__ = "0.1.0"

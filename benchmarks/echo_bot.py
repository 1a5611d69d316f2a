"""A bare PTB echo bot, the yardstick for the quiz benchmark.

    echo_bot.py API_URL TOKEN [aiohttp]

With `aiohttp` it uses clicksbot's transport instead of PTB's default httpx, to show how much of
the difference between the two bots is the transport.
"""

from __future__ import annotations

import logging
import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say back what was said."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    api_url, token = sys.argv[1], sys.argv[2]
    builder = ApplicationBuilder().token(token).base_url(api_url)
    if sys.argv[3:] == ["aiohttp"]:
        from clicksbot.transport import AiohttpRequest

        builder = builder.request(AiohttpRequest(64)).get_updates_request(AiohttpRequest(1))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling()


if __name__ == "__main__":
    main()

"""A bare PTB echo bot, the yardstick for the quiz benchmark.

    echo_bot.py API_URL TOKEN [aiohttp] [uvloop] [press]

With `aiohttp` it uses clicksbot's transport instead of PTB's default httpx, to show how much of
the difference between the two bots is the transport; with `uvloop` it runs on uvloop's event
loop, as clicksbot does where uvloop is installed (clicksbot.app.new_event_loop). With `press`
it is a bare bot of buttons instead: any message gets a question-sized message with four
buttons (A. to D.), and a press is answered while the message is edited in its place (a text of
the same size, the same buttons), the two Bot API calls a quiz press makes in clicksbot, with
none of its work around them, and as many updates at once as clicksbot handles.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

# About the size of a quiz question on the phone: a bold heading, the question, four options.
QUESTION = (
    "<b>Question {n}</b>\n\nA post shares a photo of a flooded street with the caption "
    '"Breaking: the city centre is under water right now". It has 12,000 shares, no source '
    "and no date. Before you share it, what is the best first step?\n\n"
    "A. Share it: so many shares means it is true\nB. Search for the photo to see where and "
    "when it first appeared\nC. Ask in the comments\nD. Wait until a friend shares it too"
)
OPTIONS = InlineKeyboardMarkup(
    [[InlineKeyboardButton(f"{letter}. option", callback_data=f"p:{letter}")] for letter in "ABCD"]
)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say back what was said."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Put a question with four buttons."""
    assert update.effective_message is not None
    text = QUESTION.format(n=1)
    await update.effective_message.reply_text(text, parse_mode="HTML", reply_markup=OPTIONS)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press while the next question takes the pressed one's place."""
    query = update.callback_query
    assert query is not None
    asked = context.chat_data
    assert asked is not None
    n = asked["n"] = asked.get("n", 1) + 1  # a new text each time: an edit must change it
    text = QUESTION.format(n=n)
    await asyncio.gather(
        query.answer(), query.edit_message_text(text, parse_mode="HTML", reply_markup=OPTIONS)
    )


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    api_url, token, modes = sys.argv[1], sys.argv[2], sys.argv[3:]
    builder = ApplicationBuilder().token(token).base_url(api_url)
    if "aiohttp" in modes:
        from clicksbot.transport import AiohttpRequest

        builder = builder.request(AiohttpRequest(64)).get_updates_request(AiohttpRequest(1))
    if "press" in modes:  # as many presses at once as clicksbot takes (its CONCURRENT_UPDATES)
        builder = builder.concurrent_updates(64)
    app = builder.build()
    if "uvloop" in modes:  # run_polling runs on the loop set here
        import uvloop

        asyncio.set_event_loop(uvloop.new_event_loop())
    if "press" in modes:
        app.add_handler(MessageHandler(filters.TEXT, ask))
        app.add_handler(CallbackQueryHandler(pressed))
    else:
        app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling()


if __name__ == "__main__":
    main()

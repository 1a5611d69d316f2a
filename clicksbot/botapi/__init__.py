"""What the Bot API accepts: Telegram's own rules, used by the bot and by the emulator alike."""

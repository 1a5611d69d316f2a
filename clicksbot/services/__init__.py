"""Domain logic: plain async functions over the store and content; nothing here knows Telegram."""

"""The local Bot API emulator (a real HTTP server on loopback) and the terminal chat built on it."""

from clicksbot.sandbox.emulator import BotMessage, Call, Emulator, Limits, Person
from clicksbot.sandbox.server import EmulatorServer

__all__ = ["BotMessage", "Call", "Emulator", "EmulatorServer", "Limits", "Person"]

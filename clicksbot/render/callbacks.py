"""The callback-data codec: short, versioned, validated payloads for inline buttons.

A payload reads `1|action|arg|arg`: the codec version, a known action and arguments that each
match that action's pattern. Anything else (a payload from an older version, a forged one, a
truncated one) is refused by `decode`, so handlers only ever see well-formed data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
SEPARATOR = "|"
MAX_BYTES = 64  # Telegram's limit for callback_data

_LANGUAGE = re.compile(r"[a-z]{2,3}")
_TOPIC = re.compile(r"any|[a-z][a-z-]{1,30}")
_ROW_ID = re.compile(r"[1-9][0-9]{0,17}")
_POSITION = re.compile(r"[0-9]|1[01]")
_COUNTRY = re.compile(r"[A-Z]{2}")
_ZONE = re.compile(r"[A-Za-z]+(/[A-Za-z0-9_+-]+){1,2}")
_HOUR = re.compile(r"[01][0-9]|2[0-3]")
_SLOT = re.compile(r"([01][0-9]|2[0-3]):(00|15|30|45)")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")

# action -> one pattern per argument (fullmatch)
ACTIONS: dict[str, tuple[re.Pattern[str], ...]] = {
    "lang": (_LANGUAGE,),  # choose an interface language
    "tip": (),  # another tip
    "topics": (),  # show the quiz topics
    "quiz": (_TOPIC,),  # a question on a topic (a competency, or any)
    "quizen": (_TOPIC,),  # the same, in English: the person's language has none on it
    "rounds": (re.compile(r"edit|new"),),  # the topics for a round (in place, or anew)
    "round": (_TOPIC,),  # a round of questions on a topic, ended by a score card
    "rounden": (_TOPIC,),  # the same, in English
    "picker": (),  # back from the round's topics to those of single questions, in place
    "ans": (_ROW_ID, _POSITION),  # answer asked question <row id> with shown option <n>
    # how sure of answer <row id>: 1 guessing, 2 fairly, 3 sure, 0 skip; 1: it was a booster
    "sure": (_ROW_ID, re.compile(r"[0-3]"), re.compile(r"[01]")),
    "review": (),  # the next due booster
    "ckgo": (),  # the discernment checkup: start it, or carry on with the one under way
    "ck": (_ROW_ID, _POSITION, re.compile(r"[rf]")),  # checkup <id>: item <n> is real or fake
    "where": (),  # daily tips: show the country picker
    "region": (re.compile(r"more|offset"),),  # more countries, or the UTC offsets
    "country": (_COUNTRY,),  # this country (its one zone, or its zones to pick from)
    "zone": (re.compile(r"[A-Z]{2}|-"), _ZONE),  # this zone, of this country (- for none)
    "hour": (_HOUR,),  # the daily tip in this hour: which minutes?
    "at": (_SLOT,),  # the daily tip at HH:MM
    # settings: start, stop, change time, language; show the settings again (Back)
    "daily": (re.compile(r"on|off|time|lang|show"),),
    "remind": (re.compile(r"on|off|stop"),),  # streak reminder: on, off (/settings), stop (itself)
    # the pact: commit to version <n>; certificate; invite; withdraw (ask), unpledge (sure),
    # keep (not sure after all); skip the name; no country; change the certificate's name, or
    # have none; read the commitments
    "pact": (
        re.compile(
            r"commit|cert|invite|withdraw|unpledge|keep|skipname|nocountry|rename|noname|read"
        ),
        re.compile(r"[1-9][0-9]{0,3}|-"),
    ),
    "pactc": (_COUNTRY,),  # the country of a pledge
    # moderators: an audience; a broadcast's send now / later / cancel; stop a fan-out;
    # pause / resume / cancel a campaign; the steps of a new campaign
    # (the countries, back from them to the audiences, or cancel)
    "aud": (
        re.compile(
            r"all|subscribers|pledged|unpledged|countries|back|cancel|lang-[a-z]{2,3}"
            r"|country-[A-Z]{2}"
        ),
    ),
    "bc": (re.compile(r"now|later|cancel|skip"),),
    "stop": (_ROW_ID,),
    "forget": (re.compile(r"yes|no"),),  # /forget: sure, or not
    "iq": (re.compile(r"[a-z0-9-]{3,40}"), _POSITION),  # a shared question's option <n>
    "gq": (_ROW_ID, _POSITION),  # answer group question <row id> with option <n>
    "camp": (re.compile(r"pause|resume|cancel"), _ROW_ID),
    "impact": (re.compile(r"language|country|group|campaign"),),  # the impact report, by
    "bcx": (_ROW_ID,),  # cancel scheduled broadcast <id>
    "cnew": (  # a new campaign's pack, repeat, go or cancel (its start: "when")
        re.compile(r"pack|repeat|go|cancel"),
        re.compile(r"[a-z0-9-]{1,40}"),
    ),
    # scheduling (a broadcast sent later, a campaign's start): the day <n> days from today,
    # an hour, the time HH:MM; back to the days or the hours
    "when": (re.compile(r"day|hour|at|back"), re.compile(r"[0-9]{1,2}|-|" + _CLOCK.pattern)),
    "mz": (re.compile(r"keep|" + _ZONE.pattern),),  # a moderator's own zone (or keep the default)
    "gz": (_CLOCK, _ZONE),  # a group's daily post at HH:MM in this zone ("did you mean")
}

# Actions that may carry one more argument: where their picker was opened ("s": /settings,
# which it returns to).
ORIGIN = re.compile(r"s")
WITH_ORIGIN = frozenset({"lang", "where", "region", "country", "zone"})


# The presses whose handler reads nothing of the pressed message but its place (chat, id,
# topic) and whether it shows a picture (handlers.learn's: a question, its answer and rating,
# the topics, a tip, the rounds): they are read without the rest, its keyboard and text above
# all (see clicksbot.updates.read_update). A handler of one of them that reads more must take
# it off this list. Another press keeps it all: one may need it (a reminder's stop button
# takes its own row off the keyboard it came on).
MESSAGE_UNREAD = frozenset(
    {"tip", "topics", "quiz", "quizen", "ans", "sure", "review", "rounds", "round", "rounden",
     "picker"}
)  # fmt: skip


def message_unread(data: object) -> bool:
    """Whether a press with this payload is one of MESSAGE_UNREAD's."""
    if not isinstance(data, str):
        return False
    version, _, rest = data.partition(SEPARATOR)
    return version == VERSION and rest.partition(SEPARATOR)[0] in MESSAGE_UNREAD


class CallbackError(ValueError):
    """A payload that is not one this version of the bot makes."""


@dataclass(frozen=True)
class Callback:
    """A decoded button press: which action, with which arguments."""

    action: str
    args: tuple[str, ...]
    origin: str | None = None  # where its picker was opened (see WITH_ORIGIN), if said


def encode(action: str, *args: str) -> str:
    """Return the payload for a button; raise ValueError if it would not be valid."""
    if action not in ACTIONS:
        raise ValueError(f"unknown callback action {action!r}")
    if not _fits(action, args):
        raise ValueError(f"bad arguments for callback action {action!r}: {args!r}")
    data = SEPARATOR.join((VERSION, action, *args))
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback payload longer than {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Callback:
    """Return the button press a payload stands for; raise CallbackError if it is not ours."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise CallbackError("empty or oversized payload")
    version, _, rest = data.partition(SEPARATOR)
    if version != VERSION:
        raise CallbackError(f"payload of version {version!r}")
    action, *args = rest.split(SEPARATOR)
    if action not in ACTIONS:
        raise CallbackError(f"unknown action {action!r}")
    if not _fits(action, tuple(args)):
        raise CallbackError(f"malformed arguments for {action!r}")
    if len(args) > len(ACTIONS[action]):
        return Callback(action, tuple(args[:-1]), args[-1])
    return Callback(action, tuple(args))


def _fits(action: str, args: tuple[str, ...]) -> bool:
    patterns = ACTIONS[action]
    if action in WITH_ORIGIN and len(args) == len(patterns) + 1:
        patterns = (*patterns, ORIGIN)
    return len(args) == len(patterns) and all(
        p.fullmatch(a) for p, a in zip(patterns, args, strict=True)
    )


def pattern(*actions: str) -> re.Pattern[str]:
    """Return the regex a CallbackQueryHandler uses to route these actions' presses."""
    either = "|".join(re.escape(action) for action in actions)
    return re.compile(rf"^{VERSION}\|(?:{either})(\||$)")

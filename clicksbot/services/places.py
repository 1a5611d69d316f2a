"""Where people are: the countries offered for daily tips and their time zones.

ASEAN and Central Asia come first (the networks this bot is made for), then countries where
the MIL CLICKS languages are spoken; anyone else picks a UTC offset. A country with one time
zone is one tap; Indonesia offers its three.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from babel import Locale
from babel.core import get_global
from babel.dates import format_time, get_timezone_location


@dataclass(frozen=True)
class Region:
    """A group of countries shown together in the picker."""

    key: str
    countries: tuple[str, ...]


ZONES: dict[str, tuple[str, ...]] = {
    # ASEAN
    "BN": ("Asia/Brunei",),
    "KH": ("Asia/Phnom_Penh",),
    "ID": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"),
    "LA": ("Asia/Vientiane",),
    "MY": ("Asia/Kuala_Lumpur",),
    "MM": ("Asia/Yangon",),
    "PH": ("Asia/Manila",),
    "SG": ("Asia/Singapore",),
    "TH": ("Asia/Bangkok",),
    "TL": ("Asia/Dili",),
    "VN": ("Asia/Ho_Chi_Minh",),
    # Central Asia
    "KZ": ("Asia/Almaty",),
    "KG": ("Asia/Bishkek",),
    "TJ": ("Asia/Dushanbe",),
    "TM": ("Asia/Ashgabat",),
    "UZ": ("Asia/Tashkent",),
    # More countries (MIL CLICKS languages: Portuguese, Serbian, Arabic; and neighbours)
    "PT": ("Europe/Lisbon",),
    "BR": ("America/Sao_Paulo",),
    "RS": ("Europe/Belgrade",),
    "EG": ("Africa/Cairo",),
    "MA": ("Africa/Casablanca",),
    "JO": ("Asia/Amman",),
    "SA": ("Asia/Riyadh",),
    "AE": ("Asia/Dubai",),
    "RU": ("Europe/Moscow",),
    "IN": ("Asia/Kolkata",),
    "CN": ("Asia/Shanghai",),
    "KR": ("Asia/Seoul",),
    "JP": ("Asia/Tokyo",),
    "AU": ("Australia/Sydney",),
}

MORE = ("PT", "BR", "RS", "EG", "MA", "JO", "SA", "AE", "RU", "IN", "CN", "KR", "JP", "AU")
REGIONS: tuple[Region, ...] = (
    Region("asean", ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN")),
    Region("central_asia", ("KZ", "KG", "TJ", "TM", "UZ")),
    Region("more", MORE),
)

# The country a person's Telegram language most likely means, offered first.
LIKELY_COUNTRY: dict[str, str] = {
    "ms": "MY", "id": "ID", "fil": "PH", "tl": "PH", "th": "TH", "km": "KH", "vi": "VN",
    "lo": "LA", "my": "MM", "kk": "KZ", "ky": "KG", "tg": "TJ", "tk": "TM", "uz": "UZ",
    "pt": "PT", "sr": "RS",
}  # fmt: skip

# Whole-hour offsets for everyone else: Etc/GMT-7 is UTC+7 (the sign is POSIX's, reversed).
OFFSETS: tuple[int, ...] = tuple(range(-12, 15))
_SLOT = re.compile(r"([01][0-9]|2[0-3]):(00|15|30|45)")
MINUTES = ("00", "15", "30", "45")


def likely_country(telegram_code: str | None, language: str) -> str | None:
    """Guess a person's country from their Telegram language tag: its region ("en-PH") if it
    has one the bot offers, else the country of the language ("ms"), else of `language`."""
    parts = (telegram_code or "").replace("_", "-").split("-")
    if len(parts) > 1 and parts[1].upper() in ZONES:
        return parts[1].upper()
    return LIKELY_COUNTRY.get(parts[0].lower()) or LIKELY_COUNTRY.get(language)


def offset_zone(hours: int) -> str:
    """Return the IANA zone of a whole-hour UTC offset."""
    if hours == 0:
        return "Etc/UTC"
    return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"


def offered_zones() -> frozenset[str]:
    """Return every zone the picker can set (payloads naming any other are refused)."""
    zones = {z for country in ZONES.values() for z in country}
    return frozenset(zones | {offset_zone(h) for h in OFFSETS})


def known_zone(name: str) -> bool:
    """Return whether `name` is an IANA zone this machine knows."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def valid_slot(value: str) -> bool:
    """Return whether `value` is a daily-tip time the bot offers ("HH:MM", quarter hours)."""
    return _SLOT.fullmatch(value) is not None


def country_name(country: str, language: str) -> str:
    """Return a country's name in a language (Babel's CLDR data), e.g. 'Filipina' in Malay."""
    for code in (language, "en"):
        try:
            name = Locale.parse(code).territories.get(country)
        except (ValueError, TypeError):
            continue
        if name:
            return str(name)
    return country


def flag(country: str) -> str:
    """Return a country's flag emoji."""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in country)


def zone_name(zone: str, language: str) -> str:
    """Return a zone's name for people, e.g. 'Jakarta' or 'UTC+7'."""
    if zone.startswith("Etc/"):
        return utc_label(zone)
    try:
        return str(get_timezone_location(zone, locale=language, return_city=True))
    except (ValueError, LookupError):
        return zone.rsplit("/", 1)[-1].replace("_", " ")


def utc_label(zone: str) -> str:
    """Return 'UTC+7' for Etc/GMT-7, 'UTC' for Etc/UTC."""
    if zone in ("Etc/UTC", "UTC", "Etc/GMT"):
        return "UTC"
    sign, hours = zone[len("Etc/GMT")], zone[len("Etc/GMT") + 1 :]
    return f"UTC{'-' if sign == '+' else '+'}{hours}"


def local_clock(zone: str, now: datetime, language: str) -> str:
    """Return the time it is now in a zone, written as the language writes times."""
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    return clock_text(local.time().replace(second=0, microsecond=0), language)


def clock_text(moment: time, language: str) -> str:
    """Return a time of day as a language writes it (7:30 AM, 07:30, ...)."""
    try:
        return str(format_time(moment, "short", locale=language))
    except (ValueError, TypeError):
        return moment.strftime("%H:%M")


# -- places as people type them -----------------------------------------------------------
#
# "Almaty", "Kazakhstan", "Манила", "UTC+5", "Asia/Tashkent": a country or city name in any
# interface language (Babel's CLDR data: country names, and the cities time zones are named
# after), a UTC offset, or an IANA name. A country whose zones all keep the same time (its
# offsets over a year) is one zone; one with several times (Indonesia) is a choice, as is a
# name that only looks like a known one ("Almatty": did you mean Almaty?).

# Cities people name that no time zone is named after: the networks' capitals and large
# cities, each with its country (whose time they keep) or its zone. Babel knows the rest.
CITIES: dict[str, str] = {
    "Astana": "KZ", "Nur-Sultan": "KZ", "Shymkent": "KZ", "Karaganda": "KZ",
    "Hanoi": "VN", "Ha Noi": "VN", "Da Nang": "VN", "Hai Phong": "VN",
    "Cebu": "PH", "Davao": "PH", "Quezon City": "PH", "Makati": "PH",
    "Penang": "MY", "George Town": "MY", "Johor Bahru": "MY", "Ipoh": "MY",
    "Surabaya": "Asia/Jakarta", "Bandung": "Asia/Jakarta", "Medan": "Asia/Jakarta",
    "Yogyakarta": "Asia/Jakarta", "Semarang": "Asia/Jakarta", "Denpasar": "Asia/Makassar",
    "Bali": "Asia/Makassar",
    "Chiang Mai": "TH", "Phuket": "TH", "Mandalay": "MM", "Naypyidaw": "MM",
    "Siem Reap": "KH", "Luang Prabang": "LA", "Osh": "KG", "Khujand": "TJ",
    "Bukhara": "UZ", "Namangan": "UZ", "Andijan": "UZ", "Turkmenabat": "TM",
}  # fmt: skip
SUGGESTIONS = 6  # at most this many zones offered in a "did you mean"
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+\-−])\s*(\d{1,2})(?:[:.]?([0-5]\d))?")
_APOSTROPHES = str.maketrans("", "", "'’ʻʼ`‘")


@dataclass(frozen=True)
class PlaceMatch:
    """What typed words name: the zones they may mean (the likeliest first), and whether the
    words named them (else they are guesses from words that only look alike)."""

    zones: tuple[str, ...]
    exact: bool

    @property
    def zone(self) -> str | None:
        """The one zone meant, when there is no doubt."""
        return self.zones[0] if self.exact and len(self.zones) == 1 else None


def find_zone(text: str, languages: Sequence[str], now: datetime) -> PlaceMatch:
    """Return the time zones `text` names: an IANA name, a UTC offset, or a country or city
    in any of `languages` (or English)."""
    words = " ".join(text.split())
    if not words:
        return PlaceMatch((), exact=False)
    canonical = _canonical_zones().get(words.casefold())
    if canonical is not None:
        return PlaceMatch((canonical,), exact=True)
    offset = _offset_zones(words, now)
    if offset is not None:
        return PlaceMatch(offset, exact=True)
    index = _names(tuple(dict.fromkeys(("en", *languages))))
    key = _normalized(words)
    if key in index:
        return PlaceMatch(_resolve(index[key], now), exact=True)
    close = difflib.get_close_matches(key, list(index), n=SUGGESTIONS, cutoff=0.8)
    zones = [z for name in close for z in _resolve(index[name], now)]
    return PlaceMatch(tuple(dict.fromkeys(zones))[:SUGGESTIONS], exact=False)


def country_zones(country: str, now: datetime) -> tuple[str, ...]:
    """Return one zone for each different time kept in a country (over the coming year),
    the zone the picker offers first, ordered by how late it is there now."""
    known = _territory_zones().get(country, ())
    preferred = ZONES.get(country, ())
    groups: dict[tuple[float, ...], list[str]] = {}
    for zone in (*preferred, *sorted(z for z in known if z not in preferred)):
        groups.setdefault(_behaviour(zone, now), []).append(zone)
    return tuple(group[0] for _, group in sorted(groups.items()))


def _behaviour(zone: str, now: datetime) -> tuple[float, ...]:
    """The offsets a zone keeps now and over the next year: equal for zones of equal time."""
    info = zoneinfo.ZoneInfo(zone)
    moments = (now + timedelta(days=30 * month) for month in range(13))
    return tuple((m.astimezone(info).utcoffset() or timedelta()).total_seconds() for m in moments)


def _resolve(targets: frozenset[str], now: datetime) -> tuple[str, ...]:
    zones: list[str] = []
    for target in sorted(targets):
        zones += country_zones(target, now) if len(target) == 2 else [target]
    return tuple(dict.fromkeys(zones))


def _offset_zones(words: str, now: datetime) -> tuple[str, ...] | None:
    """The zones of a typed UTC offset ("UTC+5", "+05:30", "GMT-3", "UTC"); None if the words
    are not one."""
    lowered = words.casefold().replace(" ", "")
    if lowered in ("utc", "gmt", "z"):
        return ("Etc/UTC",)
    match = _OFFSET.fullmatch(lowered)
    if match is None:
        return None
    sign = -1 if match.group(1) in "-−" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if not minutes and -12 <= sign * hours <= 14:
        return (offset_zone(sign * hours),)
    wanted = sign * (hours * 3600 + minutes * 60)
    offered = {z for zones in ZONES.values() for z in zones}
    groups: dict[tuple[float, ...], list[str]] = {}
    for zone in sorted(_zone_countries(), key=lambda z: (z not in offered, z)):
        if _offset_now(zone, now) == wanted:
            groups.setdefault(_behaviour(zone, now), []).append(zone)
    return tuple(group[0] for _, group in sorted(groups.items()))[:SUGGESTIONS]


def _offset_now(zone: str, now: datetime) -> float:
    offset = now.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


@functools.cache
def _territory_zones() -> dict[str, tuple[str, ...]]:
    """Every country's zones that this machine knows (Babel's CLDR data)."""
    found: dict[str, tuple[str, ...]] = {}
    for country, zones in get_global("territory_zones").items():
        usable = tuple(z for z in zones if known_zone(z))
        if usable and len(country) == 2:
            found[country] = usable
    return found


@functools.cache
def _zone_countries() -> frozenset[str]:
    """Every zone of a country that this machine knows."""
    return frozenset(z for zones in _territory_zones().values() for z in zones)


@functools.cache
def _canonical_zones() -> dict[str, str]:
    """IANA names, and the old names they replaced ("Asia/Saigon"), by their lower-case
    spelling; not the old one-word names ("Portugal"): those are countries, found by name."""
    names = {z.casefold(): z for z in _zone_countries()}
    for old, new in get_global("zone_aliases").items():
        if "/" in old and new.casefold() in names:
            names.setdefault(old.casefold(), new)
    return names


@functools.cache
def _names(languages: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Country and city names in `languages`, normalized, each with the countries (two
    letters) and zones it names."""
    index: dict[str, set[str]] = {}

    def add(name: str | None, target: str) -> None:
        key = _normalized(name or "")
        if key:
            index.setdefault(key, set()).add(target)

    zones = _zone_countries()
    for zone in zones:
        add(zone.rsplit("/", 1)[-1].replace("_", " "), zone)
    for old, new in get_global("zone_aliases").items():
        if new in zones and "/" in old:
            add(old.rsplit("/", 1)[-1].replace("_", " "), new)
    for name, target in CITIES.items():
        add(name, target)
    for language in languages:
        try:
            locale = Locale.parse(language)
        except (ValueError, TypeError):
            continue
        for country in _territory_zones():
            add(locale.territories.get(country), country)
        for zone in zones:
            add(locale.time_zones.get(zone, {}).get("city"), zone)
    return {key: frozenset(targets) for key, targets in index.items()}


def _normalized(text: str) -> str:
    """Lower case, no accents, apostrophes or invisible marks, one space between words."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))
    return " ".join(re.sub(r"[\W_]+", " ", kept).split())

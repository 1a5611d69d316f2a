"""Places and times in words, as people write them, read without Telegram: a city, a country
(in any interface language) or a UTC offset names its time zone; a day and a time name a
moment to come."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from clicksbot.services import places, when

LANGUAGES = ("en", "ms", "id", "fil", "th", "vi", "km", "ru", "kk", "uz", "pt", "sr", "ar")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday: 13:00 in Almaty, 16:00 in Manila


@pytest.mark.parametrize(
    ("words", "zone"),
    [
        ("Almaty", "Asia/Almaty"),
        ("almaty", "Asia/Almaty"),
        ("Алматы", "Asia/Almaty"),
        ("Kazakhstan", "Asia/Almaty"),  # one time everywhere since March 2024
        ("Қазақстан", "Asia/Almaty"),
        ("Astana", "Asia/Almaty"),
        ("Malaysia", "Asia/Kuala_Lumpur"),  # two zones, one time
        ("Kuala Lumpur", "Asia/Kuala_Lumpur"),
        ("Manila", "Asia/Manila"),
        ("Filipina", "Asia/Manila"),
        ("Tashkent", "Asia/Tashkent"),
        ("O'zbekiston", "Asia/Tashkent"),
        ("Hanoi", "Asia/Ho_Chi_Minh"),
        ("UTC+5", "Etc/GMT-5"),
        ("GMT-3", "Etc/GMT+3"),
        ("utc", "Etc/UTC"),
        ("+05:30", "Asia/Kolkata"),
        ("Asia/Bishkek", "Asia/Bishkek"),
        ("asia/saigon", "Asia/Ho_Chi_Minh"),
    ],
)
def test_a_place_in_words_names_its_zone(words: str, zone: str) -> None:
    assert places.find_zone(words, LANGUAGES, NOW).zone == zone


def test_a_country_of_several_times_lists_them_and_a_near_miss_is_a_guess() -> None:
    """Indonesia keeps three times: its zones, each once; "Almatty" only looks like Almaty;
    nonsense names nothing."""
    indonesia = places.find_zone("Indonesia", LANGUAGES, NOW)
    assert indonesia.exact and indonesia.zone is None
    assert indonesia.zones == ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
    guess = places.find_zone("Almatty", LANGUAGES, NOW)
    assert guess.zones == ("Asia/Almaty",) and not guess.exact and guess.zone is None
    assert places.find_zone("Narnia", LANGUAGES, NOW).zones == ()
    assert places.find_zone("UTC+15", LANGUAGES, NOW).zone is None


@pytest.mark.parametrize(
    ("words", "language", "moment"),
    [
        ("tomorrow 8:00", "en", datetime(2026, 11, 24, 8, 0)),
        ("Friday 18:30", "en", datetime(2026, 11, 27, 18, 30)),
        ("fri 6:30 pm", "en", datetime(2026, 11, 27, 18, 30)),
        ("2026-12-01 08:00", "en", datetime(2026, 12, 1, 8, 0)),
        ("1 December 9:15", "en", datetime(2026, 12, 1, 9, 15)),
        ("18:07", "en", datetime(2026, 11, 23, 18, 7)),  # later today
        ("07:00", "en", datetime(2026, 11, 24, 7, 0)),  # passed today: tomorrow
        ("ертең 7.30", "kk", datetime(2026, 11, 24, 7, 30)),
        ("esok 8:00", "ms", datetime(2026, 11, 24, 8, 0)),
        ("Jumaat 18:30", "ms", datetime(2026, 11, 27, 18, 30)),
    ],
)
def test_a_moment_in_words(words: str, language: str, moment: datetime) -> None:
    zone = "Asia/Almaty"
    found = when.parse_moment(words, zone, NOW, language)
    assert found == moment.replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize("words", ["yesterday 8:00", "2026-11-23 10:00", "someday", "7", "25:00"])
def test_words_that_are_no_moment_to_come(words: str) -> None:
    assert when.parse_moment(words, "Asia/Almaty", NOW, "en") is None

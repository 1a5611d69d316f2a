"""Campaigns written as YAML files, for `clicksbot campaign add FILE`.

name: Haze season
pack: en-check-the-source      # every tip of a pack, in order; or
# tips: [en-source-t01, en-source-t04]
audience: everyone             # everyone | subscribers | pledged | unpledged
# audience: {language: ms}     # or {country: MY}
start: 2026-12-01              # local day of the first step
time: "07:30"                  # local time of each step
time_zone: Asia/Kuala_Lumpur
repeat: daily                  # daily | weekdays | weekly | once
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

from clicksbot.content import Content
from clicksbot.delivery.campaigns import REPEATS
from clicksbot.services.places import ZONES, known_zone
from clicksbot.yamlfile import read_yaml

KEYS = ("name", "pack", "tips", "audience", "start", "time", "time_zone", "repeat")
NAME_MAX = 60
SIMPLE_AUDIENCES = {
    "everyone": "all",
    "all": "all",
    "subscribers": "subscribers",
    "pledged": "pledged",
    "unpledged": "unpledged",
}


class CampaignFileError(Exception):
    """A campaign file that cannot be used; the message names file, line and key."""


@dataclass(frozen=True)
class CampaignSpec:
    """A checked campaign, ready for the store."""

    name: str
    tips: list[str]
    audience: dict[str, Any]
    start: date
    send_time: str
    time_zone: str
    repeat: str


def load_campaign_file(path: Path, content: Content) -> CampaignSpec:
    """Read and check a campaign file against the loaded packs."""
    data, lines = read_yaml(path, CampaignFileError)

    def fail(key: str, problem: str) -> CampaignFileError:
        return CampaignFileError(f"{path}:{lines.get(key, 1)}: {key or '(file)'}: {problem}")

    if not isinstance(data, dict):
        raise fail("", f"expected keys {', '.join(KEYS)}")
    for key in data:
        if key not in KEYS:
            raise fail(str(key), f"unknown key; known keys are {', '.join(KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise fail("name", f"must be text of 1 to {NAME_MAX} characters")
    tips = _tips(data, content, fail)
    audience = _audience(data.get("audience", "everyone"), fail)
    start = data.get("start")
    if isinstance(start, str):
        try:
            start = date.fromisoformat(start)
        except ValueError:
            start = None
    if not isinstance(start, date):
        raise fail("start", "must be a day like 2026-12-01")
    send_time = str(data.get("time", ""))
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", send_time):
        raise fail("time", 'must be a time like "07:30" (in quotes)')
    time.fromisoformat(send_time)
    zone = data.get("time_zone")
    if not isinstance(zone, str) or not known_zone(zone):
        raise fail("time_zone", "must be an IANA time zone such as Asia/Manila")
    repeat = data.get("repeat", "daily")
    if repeat not in REPEATS:
        raise fail("repeat", f"must be one of {', '.join(REPEATS)}")
    return CampaignSpec(name.strip(), tips, audience, start, send_time, zone, str(repeat))


def _tips(data: dict[str, Any], content: Content, fail: Any) -> list[str]:
    if ("pack" in data) == ("tips" in data):
        raise fail("", "give either pack: (all its tips) or tips: (a list of tip ids)")
    if "pack" in data:
        pack = next((p for p in content.packs if p.id == data["pack"]), None)
        if pack is None or not pack.tips:
            known = ", ".join(p.id for p in content.packs if p.tips)
            raise fail("pack", f"no pack {data['pack']!r} with tips; packs: {known}")
        return [t.id for t in pack.tips]
    tips = data["tips"]
    if not isinstance(tips, list) or not tips:
        raise fail("tips", "must be a list of tip ids")
    for i, tip_id in enumerate(tips):
        if content.tip(str(tip_id)) is None:
            raise fail(f"tips[{i}]", f"no tip {tip_id!r} in the packs")
    return [str(t) for t in tips]


def _audience(value: Any, fail: Any) -> dict[str, Any]:
    if isinstance(value, str) and value in SIMPLE_AUDIENCES:
        return {"kind": SIMPLE_AUDIENCES[value]}
    if isinstance(value, dict) and len(value) == 1:
        ((kind, arg),) = value.items()
        if kind == "language" and isinstance(arg, str) and re.fullmatch(r"[a-z]{2,3}", arg):
            return {"kind": "language", "value": arg}
        if kind == "country" and isinstance(arg, str) and arg in ZONES:
            return {"kind": "country", "value": arg}
    raise fail(
        "audience",
        "must be everyone, subscribers, pledged, unpledged, {language: ms} or {country: MY}",
    )

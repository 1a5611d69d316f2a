"""The MIL CLICKS Pact: pledging, invitations and the counter (no Telegram here)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from clicksbot.content.pact import Pact
from clicksbot.store import Store, User
from clicksbot.store.pact import Pledge

INVITE_PREFIX = "i"  # deep-link payloads "i<code>" are invitations
_CODE = re.compile(r"[A-Za-z0-9_-]{11}")


def new_invite_code() -> str:
    """Return a fresh random code (11 URL-safe characters): nothing to guess from an id."""
    return secrets.token_urlsafe(8)


async def invite_payload(store: Store, user: User) -> str:
    """Return the deep-link payload of a person's invitation (≤ 64 characters, A-Za-z0-9_-)."""
    return INVITE_PREFIX + await store.invite_code(user.id, new_invite_code)


@dataclass(frozen=True)
class Arrival:
    """A new person came through a friend's invitation: who, and how many that friend brought."""

    inviter: int
    joined: int


async def arrive(
    store: Store, user: User, new: bool, payload: str | None, now: datetime
) -> Arrival | None:
    """Credit a new person to the friend whose invitation brought them (once, never oneself)."""
    if not new or not payload or not payload.startswith(INVITE_PREFIX):
        return None
    code = payload[len(INVITE_PREFIX) :]
    if not _CODE.fullmatch(code):
        return None
    inviter = await store.inviter(code)
    if inviter is None or not await store.credit_invitation(user.id, inviter, now):
        return None
    joined, _ = await store.invitation_counts(inviter)
    return Arrival(inviter, joined)


@dataclass(frozen=True)
class Taken:
    """A pledge, whether it is new, and the friend to tell (with their count) if new."""

    pledge: Pledge
    new: bool
    inviter: int | None
    inviter_pledged: int


async def take(store: Store, pact: Pact, user: User, now: datetime) -> Taken:
    """Record a person's pledge to the current pact (a second tap records nothing)."""
    via = await store.referred_by(user.id)
    pledge, new = await store.pledge(user.id, pact.version, user.language, via, now)
    pledged = 0
    if new and via is not None:
        _, pledged = await store.invitation_counts(via)
    return Taken(pledge, new, via if new else None, pledged)


@dataclass(frozen=True)
class PactStatus:
    """What /pact shows a person: their live pledge (if any) and the counter."""

    pledge: Pledge | None
    current: bool  # the live pledge is to the current version
    total: int
    country: str | None
    in_country: int


async def status(store: Store, pact: Pact, user: User) -> PactStatus:
    """Return a person's pledge and how many people (and in their country) took the pact."""
    pledge = await store.live_pledge(user.id)
    counts = await store.pledge_counts(days=0)
    country = (pledge.country if pledge else None) or user.country
    return PactStatus(
        pledge,
        pledge is not None and pledge.version == pact.version,
        counts.total,
        country,
        counts.by_country.get(country, 0) if country else 0,
    )

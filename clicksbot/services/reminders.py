"""The streak reminder: opt-in, at the person's usual time, only on days they have not played,
never in quiet hours (21:00 to 08:00 their time), at most once a day.

The usual time is the person's daily-tip time if they subscribed (a time they chose), else
the time they usually start answering questions: of the last weeks' days with answers, the
median of each day's first answer, rounded up to the quarter hour (a reminder comes after the
moment they would usually have played, never before it).

Quiet hours: a usual time between 04:00 and 08:00 (an early riser) moves to 08:00, still after
their habit. A usual time of 21:00 or later, or before 04:00 (a night owl), is skipped, not
moved before 21:00: the reminder would then come before they usually play, and so on most days
it would nag someone who was going to play anyway. /settings says so to whoever it concerns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clicksbot.store import Store, User

QUIET_FROM = time(21, 0)  # no reminder from here...
QUIET_UNTIL = time(8, 0)  # ...until here, in the person's time zone
NIGHT_ENDS = time(4, 0)  # a usual time before this belongs to the night before
LOOK_BACK = timedelta(days=28)  # the answers the usual time is worked out from
QUARTER = 15  # minutes: reminder times are quarter hours, as daily-tip times


@dataclass(frozen=True)
class ReminderView:
    """What /settings shows of the reminder: whether it is on, and when it comes."""

    on: bool
    usual: str | None = None  # "HH:MM": the tip time, or the usual time it is worked out from
    slot: str | None = None  # "HH:MM" it goes at; None when quiet hours skip it
    with_tip: bool = False  # it comes inside the daily tip


def _hhmm(value: str) -> time:
    return time.fromisoformat(value)


def quiet(moment: time) -> bool:
    """Whether a local time is in the quiet hours, when no reminder is sent."""
    return moment >= QUIET_FROM or moment < QUIET_UNTIL


def slot_of(usual: str) -> str | None:
    """Return the local "HH:MM" a reminder worked out from `usual` goes at, or None when it
    is skipped (a night owl's: see the module's docstring)."""
    at = _hhmm(usual)
    if at >= QUIET_FROM or at < NIGHT_ENDS:
        return None
    if at < QUIET_UNTIL:
        return QUIET_UNTIL.strftime("%H:%M")
    return usual


def served_by(slot: str) -> tuple[str, str]:
    """Return the range of usual times ("HH:MM", both ends included) a slot serves."""
    if slot == QUIET_UNTIL.strftime("%H:%M"):
        return NIGHT_ENDS.strftime("%H:%M"), slot
    return slot, slot


def usual_time(moments: list[datetime], zone: str) -> str | None:
    """Return the usual time of the first play of a day, from when a person played; None
    when there is nothing to go by.

    Days run from 04:00 to 04:00 here, so that a night owl's 00:30 counts as late, not early.
    The median of the days' first plays is robust to a few odd days; it is rounded up to the
    quarter hour.
    """
    shift = NIGHT_ENDS.hour * 60
    first: dict[date, int] = {}
    for moment in moments:
        local = moment.astimezone(ZoneInfo(zone))
        minutes = (local.hour * 60 + local.minute - shift) % (24 * 60)
        day = (local - timedelta(minutes=shift)).date()
        first[day] = min(first.get(day, minutes), minutes)
    if not first:
        return None
    ordered = sorted(first.values())
    median = ordered[(len(ordered) - 1) // 2]  # the lower median: a time that happened
    rounded = math.ceil(median / QUARTER) * QUARTER
    minutes = (rounded + shift) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _round_up(moment: datetime) -> str:
    minutes = math.ceil((moment.hour * 60 + moment.minute) / QUARTER) * QUARTER % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


async def _worked_out(store: Store, user: User, now: datetime, default_tz: str) -> str | None:
    zone = user.time_zone or default_tz
    return usual_time(await store.answer_times(user.id, now - LOOK_BACK), zone)


def view(user: User, usual: str | None) -> ReminderView:
    """Return what /settings shows of a person's reminder (`usual` None: it is off)."""
    if usual is None:
        return ReminderView(False)
    usual = user.tip_time or usual
    slot = slot_of(usual)
    return ReminderView(True, usual, slot, with_tip=slot is not None and slot == user.tip_time)


async def current(store: Store, user: User) -> ReminderView:
    """Return a person's reminder as /settings shows it."""
    reminder = await store.reminder(user.id)
    return view(user, reminder.usual if reminder else None)


async def turn_on(store: Store, user: User, now: datetime, default_tz: str) -> ReminderView:
    """Turn the reminder on at the person's usual time. With no answers to go by yet, the
    usual time is now (they are here now), until their answers say otherwise."""
    zone = ZoneInfo(user.time_zone or default_tz)
    usual = await _worked_out(store, user, now, default_tz)
    if usual is None:
        usual = _round_up(now.astimezone(zone))
    today = now.astimezone(zone).date()
    reminded = today if await store.reminded_on(user.id, today) else None
    await store.set_reminder(user.id, usual, reminded)
    return view(user, usual)


async def turn_off(store: Store, user: User) -> bool:
    """Turn the reminder off (its data is deleted); return whether it was on."""
    return await store.delete_reminder(user.id)


async def follow_habit(store: Store, user: User, now: datetime, default_tz: str) -> None:
    """Move a person's reminder to their usual time as it is now (run on the first play of
    a day: habits change)."""
    reminder = await store.reminder(user.id)
    if reminder is None:
        return
    usual = await _worked_out(store, user, now, default_tz)
    if usual is not None and usual != reminder.usual:
        await store.move_reminder(user.id, usual)


async def still_wanted(store: Store, user_id: int, day: date, now: datetime, zone: str) -> bool:
    """Whether a reminder queued for `day` is still to be sent: it is still on, the person
    has not played that day, and it is not quiet hours now (the outbox may be late)."""
    if quiet(now.astimezone(ZoneInfo(zone)).time()):
        return False
    return await store.reminder(user_id) is not None and not await store.played_on(user_id, day)


async def rides_on_tip(store: Store, user_id: int, now: datetime) -> bool:
    """Whether the daily tip being sent now carries the person's reminder: it comes at their
    tip time, they have not played today, it is not quiet hours, and they had no reminder
    today (this takes today's reminder)."""
    reminder = await store.reminder(user_id)
    if reminder is None:  # most people: one read, and done
        return False
    user = await store.get_user(user_id)
    if user is None or user.time_zone is None or not view(user, reminder.usual).with_tip:
        return False
    local = now.astimezone(ZoneInfo(user.time_zone))
    if quiet(local.time()) or await store.played_on(user_id, local.date()):
        return False
    return await store.claim_reminder(user_id, local.date())

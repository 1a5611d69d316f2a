"""Moderators' messages: audiences, broadcasts, campaigns and the live progress of a fan-out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clicksbot.i18n import Translator, language_name
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.services import places
from clicksbot.store.delivery import JobProgress
from clicksbot.store.moderation import Broadcast, Campaign


def broadcast_reply(payload: dict[str, Any]) -> Reply:
    """A broadcast exactly as its recipients see it (text or caption, and a link button)."""
    button = payload.get("button")
    keyboard = None
    if isinstance(button, dict):
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(str(button["text"]), url=str(button["url"]))]]
        )
    return Reply(str(payload.get("html", "")), keyboard)


def audience_name(t: Translator, audience: dict[str, Any]) -> str:
    """Say who an audience is, e.g. "people whose language is Bahasa Melayu"."""
    kind, value = audience.get("kind", "all"), audience.get("value")
    if kind == "language":
        return t("audience.language", language=esc(language_name(str(value))))
    if kind == "country":
        return t("audience.country", country=esc(places.country_name(str(value), t.language)))
    return t(f"audience.{kind}")


def audience_picker(t: Translator, languages: tuple[str, ...], sizes: dict[str, int]) -> Reply:
    """Buttons for the audiences (with their sizes): everyone, subscribers, pledged or not,
    a language, a country."""

    def button(label: str, key: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            f"{label} · {sizes.get(key, 0)}", callback_data=cb.encode("aud", key)
        )

    rows = [
        [button(t("audience.all"), "all"), button(t("audience.subscribers"), "subscribers")],
        [button(t("audience.pledged"), "pledged"), button(t("audience.unpledged"), "unpledged")],
    ]
    langs = [button(language_name(code), f"lang-{code}") for code in languages]
    rows += [langs[i : i + 3] for i in range(0, len(langs), 3)]
    rows.append(
        [
            InlineKeyboardButton(
                t("audience.by_country"), callback_data=cb.encode("aud", "countries")
            )
        ]
    )
    rows.append(
        [InlineKeyboardButton(t("moderation.cancel"), callback_data=cb.encode("aud", "cancel"))]
    )
    return Reply(t("moderation.choose_audience"), InlineKeyboardMarkup(rows))


def country_picker(t: Translator) -> Reply:
    """Every country the bot offers, for a country audience."""
    countries = [c for region in places.REGIONS for c in region.countries]
    buttons = [
        InlineKeyboardButton(
            f"{places.flag(c)} {places.country_name(c, t.language)}",
            callback_data=cb.encode("aud", f"country-{c}"),
        )
        for c in countries
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([InlineKeyboardButton(t("daily.back"), callback_data=cb.encode("aud", "back"))])
    return Reply(t("moderation.choose_country"), InlineKeyboardMarkup(rows))


def when(t: Translator, moment: datetime, zone: str) -> str:
    """A moment as the moderator reads it, in their zone."""
    local = moment.astimezone(ZoneInfo(zone))
    written = format_datetime(local, "medium", locale=t.language)
    return f"{esc(written)} ({esc(places.zone_name(zone, t.language))})"


def broadcast_confirm(t: Translator, audience: dict[str, Any], size: int) -> Reply:
    """Last check before a broadcast: to whom, how many; send now, schedule or cancel."""
    text = t.plural("broadcast.confirm", size, audience=audience_name(t, audience))
    rows = [
        [InlineKeyboardButton(t("broadcast.send_now"), callback_data=cb.encode("bc", "now"))],
        [InlineKeyboardButton(t("broadcast.schedule"), callback_data=cb.encode("bc", "later"))],
        [InlineKeyboardButton(t("moderation.cancel"), callback_data=cb.encode("bc", "cancel"))],
    ]
    return Reply(text, InlineKeyboardMarkup(rows))


def progress_text(
    t: Translator,
    title: str,
    job_id: int,
    progress: JobProgress,
    rate: float,
    *,
    final: bool | None = None,
) -> Reply:
    """The live progress of a fan-out (rate and time left once a rate is known), or its
    summary once nothing is pending (`final` forces either: the first view is "sending")."""
    done = progress.pending == 0 if final is None else final
    cancelled = progress.stopped
    figures = t(
        "sending.figures",
        sent=progress.sent,
        total=progress.total,
        remaining=progress.pending,
        unreachable=progress.unreachable,
        failed=progress.failed,
    )
    if done:
        head = t("sending.cancelled", title=title) if cancelled else t("sending.done", title=title)
        extra = t("sending.cancelled_count", count=progress.cancelled) if progress.cancelled else ""
        return Reply("\n".join(x for x in (head, figures, extra) if x))
    lines = [t("sending.title", title=title), figures]
    if rate > 0:
        eta = progress.pending / rate
        status = t("sending.rate", rate=f"{rate:.1f}")
        if eta:
            status += " · " + t("sending.eta", minutes=int(eta // 60), seconds=int(eta % 60))
        lines.append(status)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t("sending.stop"), callback_data=cb.encode("stop", str(job_id)))]]
    )
    return Reply("\n".join(lines), keyboard)


def campaign_line(t: Translator, campaign: Campaign) -> str:
    """One campaign in /campaigns."""
    return t(
        "campaign.line",
        id=campaign.id,
        name=esc(campaign.name),
        status=t(f"campaign.status_{campaign.status}"),
        step=campaign.position,
        steps=len(campaign.tips),
        time=esc(campaign.send_time),
        zone=esc(places.zone_name(campaign.time_zone, t.language)),
        repeat=t(f"campaign.repeat_{campaign.repeat}"),
        audience=audience_name(t, campaign.audience),
    )


BROADCASTS_LISTED = 10  # scheduled broadcasts shown in /campaigns; the command line has all
SNIPPET = 40  # characters of a broadcast's text shown to recognise it


def snippet(html_text: str, limit: int = SNIPPET) -> str:
    """The start of a broadcast's text, as plain text (escape it to show it)."""
    plain = " ".join(unescape(re.sub(r"<[^>]*>", "", html_text)).split())
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


def broadcast_line(t: Translator, broadcast: Broadcast, zone: str) -> str:
    """One scheduled broadcast in /campaigns: when, to whom, how it starts."""
    text = snippet(str(broadcast.payload.get("html", ""))) or "📷"
    return t(
        "campaign.broadcast_line",
        id=broadcast.id,
        when=when(t, broadcast.send_at, zone),
        audience=audience_name(t, broadcast.audience),
        text=esc(text),
    )


def _campaign_buttons(t: Translator, campaign: Campaign) -> list[InlineKeyboardButton]:
    """Pause or resume, and cancel, as a campaign's status allows."""
    actions = {"active": ("pause", "cancel"), "paused": ("resume", "cancel")}
    return [
        InlineKeyboardButton(
            t(f"campaign.{action}", id=campaign.id),
            callback_data=cb.encode("camp", action, str(campaign.id)),
        )
        for action in actions.get(campaign.status, ())
    ]


def campaigns_message(
    t: Translator,
    campaigns: list[Campaign],
    broadcasts: Sequence[Broadcast] = (),
    zone: str = "Etc/UTC",
) -> Reply:
    """Every campaign not finished, with pause / resume / cancel buttons, and the broadcasts
    waiting for their time (in the reader's zone), each with a cancel button; as many as
    fit one message, then how many more `clicksbot campaign list` shows."""
    room = LISTING_ROOM
    sections = [] if campaigns else [t("campaign.none")]
    rows = []
    if campaigns:
        lines = [campaign_line(t, c) for c in campaigns]
        shown = _fitting(lines, room)
        sections.append(_section(t, t("campaign.list_title"), lines[:shown], len(lines) - shown))
        rows += [b for c in campaigns[:shown] if (b := _campaign_buttons(t, c))]
    room -= sum(map(len, sections))
    if broadcasts:
        lines = [broadcast_line(t, b, zone) for b in broadcasts[:BROADCASTS_LISTED]]
        shown = _fitting(lines, room)
        title = t("campaign.broadcasts_title")
        sections.append(_section(t, title, lines[:shown], len(broadcasts) - shown))
        rows += [
            [
                InlineKeyboardButton(
                    t("campaign.broadcast_cancel", id=b.id),
                    callback_data=cb.encode("bcx", str(b.id)),
                )
            ]
            for b in broadcasts[:shown]
        ]
    return Reply("\n\n".join(sections), InlineKeyboardMarkup(rows) if rows else None)


# Characters the listing's lines may take: Telegram's 4096 (tags do not count, so the raw
# text is an upper bound), less room for the titles and the "and N more" lines.
LISTING_ROOM = 3600


def _fitting(lines: list[str], room: int) -> int:
    """Return how many of the lines (each with a blank line before it) fit in `room`."""
    used = 0
    for count, line in enumerate(lines):
        used += len(line) + 2
        if used > room:
            return count
    return len(lines)


def _section(t: Translator, title: str, lines: list[str], more: int) -> str:
    parts = [title, *lines]
    if more > 0:
        parts.append(t.plural("campaign.list_more", more))
    return "\n\n".join(parts)

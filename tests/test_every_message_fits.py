"""Every message the bot can send fits Telegram's limits, in every interface language.

Each renderer is fed its worst case (the longest tip and question of the language, every
badge, long names and numbers), and the result is checked with the emulator's strict rules:
HTML, 4096 characters, 100 entities, buttons and callback data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from conftest import REPO
from telegram import InlineKeyboardMarkup

from clicksbot.botapi import rules
from clicksbot.content import COMPETENCIES, Competency, load_content
from clicksbot.content.pact import DEFAULT_PACT, load_pact
from clicksbot.i18n import Catalogs, placeholders
from clicksbot.render import Reply, learning, messages, moderation, pact
from clicksbot.render import daily as daily_render
from clicksbot.services.learning import AnswerOutcome, AnswerStatus, AskedQuestion, TipPick
from clicksbot.services.pact import PactStatus
from clicksbot.services.progress import BADGES, Stats
from clicksbot.store import CompetencyScore, User
from clicksbot.store.delivery import JobProgress
from clicksbot.store.moderation import Broadcast, Campaign
from clicksbot.store.pact import Pledge

CATALOGS = Catalogs.load()
CONTENT, _ = load_content(REPO / "quizzes")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
LONG_NAME = "W" * 64  # display_name cuts names to 64


def check(reply: Reply | str, where: str) -> None:
    text = reply.text if isinstance(reply, Reply) else reply
    try:
        rules.check_message_text(text, "HTML", None)
        if isinstance(reply, Reply) and isinstance(reply.keyboard, InlineKeyboardMarkup):
            rules.check_reply_markup(reply.keyboard.to_dict())
    except rules.ApiError as exc:
        raise AssertionError(f"{where}: Telegram would refuse it: {exc.description}") from None


def longest(items: list, key) -> object:  # type: ignore[no-untyped-def, type-arg]
    return max(items, key=key)


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_every_key_alone_is_valid_telegram_html(language: str) -> None:
    """Each text, its placeholders filled with long values, is a message Telegram accepts."""
    t = CATALOGS.get(language)
    for message in CATALOGS.catalog("en"):
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        source = message.string if isinstance(message.string, str) else message.string[0]
        params = {name: "9" * 12 for name in placeholders(source) if name != "count"}
        text = t.plural(key, 2, **params) if isinstance(message.id, tuple) else t(key, **params)
        check(text, f"{language}:{key}")


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_every_composed_message_fits(language: str) -> None:
    t = CATALOGS.get(language)
    languages = CATALOGS.languages
    check(messages.welcome(t, LONG_NAME, new=True, languages=languages), "welcome")
    check(messages.welcome(t, LONG_NAME, new=False, languages=languages), "welcome back")
    check(messages.help_text(t), "help")
    check(messages.language_prompt(t, languages), "language")

    tips = list(CONTENT.tips(language)) or list(CONTENT.tips("en"))
    tip = longest(tips, lambda x: len(x.text) + len(x.source or ""))
    for daily, campaign in ((False, ""), (True, ""), (False, "C" * 60)):
        reply = learning.tip_message(t, TipPick(tip, True, []), "clicksbot_sandbox_bot",  # type: ignore[arg-type]
                                     daily=daily, campaign=campaign)  # fmt: skip
        check(reply, "tip")
    check(learning.topics_message(t, list(COMPETENCIES)), "topics")
    questions = list(CONTENT.questions(language)) or list(CONTENT.questions("en"))
    question = longest(
        questions, lambda q: len(q.text) + sum(map(len, q.options)) + len(q.explanation)
    )
    order = tuple(range(len(question.options)))  # type: ignore[attr-defined]
    check(learning.question_message(t, AskedQuestion(10**17, question, order, True)), "question")  # type: ignore[arg-type]
    for correct in (True, False):
        outcome = AnswerOutcome(AnswerStatus.RECORDED, question, 0, correct)  # type: ignore[arg-type]
        check(learning.answer_message(t, outcome), "answer")
    scores = {c: CompetencyScore(c.value, 9999, 9998) for c in COMPETENCIES}
    stats = Stats(99999, scores, 9999, 9999, tuple(b.id for b in BADGES))  # type: ignore[arg-type]
    check(learning.progress_message(t, stats, (9999, 9999)), "progress")
    for badge in BADGES:
        check(learning.badge_announcement(t, badge), f"badge {badge.id}")

    user = User(1, language, True, NOW, NOW, "Asia/Jakarta", "ID", "23:45")
    check(daily_render.where_message(t, "PH"), "where")
    check(daily_render.more_countries_message(t), "more countries")
    check(daily_render.offsets_message(t, NOW), "offsets")
    check(daily_render.zones_message(t, "ID", NOW), "zones")
    check(daily_render.hours_message(t, "Asia/Jakarta", NOW), "hours")
    check(daily_render.minutes_message(t, 23), "minutes")
    check(daily_render.subscribed_message(t, "Asia/Jakarta", "23:45"), "subscribed")
    check(daily_render.settings_message(t, user, "Asia/Jakarta", NOW), "settings")

    the_pact = load_pact(DEFAULT_PACT)
    pledge = Pledge(1, 1, 1, language, "PH", LONG_NAME[:40], None, NOW, None, None)
    for status in (
        PactStatus(None, False, 10**9, "PH", 10**8),
        PactStatus(pledge, True, 10**9, "PH", 10**8),
        PactStatus(pledge, False, 10**9, None, 0),
    ):
        check(pact.pact_message(t, the_pact, status), "pact")
        check(pact.pact_message(t, the_pact, status, expanded=True), "pact, expanded")
    check(pact.name_prompt(t), "name prompt")
    check(pact.country_prompt(t, "KZ"), "country prompt")
    caption = pact.certificate_caption(t)
    rules.check_caption(caption, None, None)
    check(pact.invite_message(t, "clicksbot_sandbox_bot", "i" + "A" * 11, 9999, 9999), "invite")
    check(pact.withdraw_prompt(t), "withdraw")

    sizes = {k: 10**6 for k in ("all", "subscribers", "pledged", "unpledged")}
    check(moderation.audience_picker(t, languages, sizes), "audience")
    check(moderation.country_picker(t), "audience countries")
    check(moderation.broadcast_confirm(t, {"kind": "country", "value": "PH"}, 10**6), "confirm")
    for stopped in (False, True):
        progress = JobProgress(10**5, 10**5, 10**5, 10**5, 10**5, stopped)
        check(moderation.progress_text(t, "T" * 80, 10**9, progress, 25.0), "sending")
        done = JobProgress(0, 10**5, 10**5, 10**5, 10**5, stopped)
        check(moderation.progress_text(t, "T" * 80, 10**9, done, 25.0), "sent")
        check(moderation.progress_text(t, "T" * 80, 10**9, done, 0.0, final=False), "first")
    campaigns = [
        Campaign(i, "N" * 60, status, {"kind": "language", "value": "ms"}, ("t",) * 40,
                 date(2026, 12, 1), "07:30", "Asia/Kuala_Lumpur", "weekdays", 3, None, "bot", 1)
        for i, status in enumerate(["active", "paused"] * 10, start=1)
    ]  # fmt: skip
    check(moderation.campaigns_message(t, campaigns), "campaigns")
    check(moderation.campaigns_message(t, campaigns * 3), "many campaigns")
    broadcasts = [
        Broadcast(10**6 + i, 1, {"kind": "country", "value": "PH"}, {"html": "<b>Ж</b>" * 900},
                  NOW, "scheduled", None)
        for i in range(25)
    ]  # fmt: skip
    check(moderation.campaigns_message(t, campaigns, broadcasts, "America/Argentina/Buenos_Aires"),
          "campaigns and broadcasts")  # fmt: skip
    check(moderation.campaigns_message(t, [], broadcasts[:1]), "broadcasts only")


def test_a_question_with_twelve_long_options_fits() -> None:
    """The limits of a pack (12 options of 100 characters, texts of 1000) fit a message."""
    from clicksbot.content import Question
    from clicksbot.content import limits as pack_limits

    options = tuple(f"{i:02d}" + "o" * (pack_limits.OPTION_MAX - 2) for i in range(12))
    question = Question("q-long", "post", "x" * pack_limits.QUESTION_TEXT_MAX, options, 0,
                        "e" * pack_limits.EXPLANATION_MAX, "https://example.org/" + "a" * 400,
                        "p", "en", Competency.KNOWLEDGE)  # fmt: skip
    for language in CATALOGS.languages:
        t = CATALOGS.get(language)
        check(
            learning.question_message(t, AskedQuestion(1, question, tuple(range(12)), False)),
            language,
        )
        check(
            learning.answer_message(t, AnswerOutcome(AnswerStatus.RECORDED, question, 11, False)),
            language,
        )

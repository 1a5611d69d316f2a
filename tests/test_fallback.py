"""Honest fallback: where a person's language has no question on a topic, the bot says so in
their language and offers English or another topic; English shown to them is marked."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, Clock

from clicksbot.app import build_application, polling
from clicksbot.config import Settings
from clicksbot.content import load_content
from clicksbot.sandbox import EmulatorServer


async def test_a_topic_missing_in_malay_is_said_in_malay_and_offered_in_english(
    server: EmulatorServer, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    packs = tmp_path / "quizzes"
    shutil.copytree(REPO / "quizzes" / "en", packs / "en")
    (packs / "ms").mkdir()
    shutil.copy(REPO / "quizzes" / "ms" / "asas-semak-fakta.yaml", packs / "ms")  # one topic
    content, problems = load_content(packs)
    assert not [p for p in problems if not p.warning]
    app = build_application(settings, content, clock=clock, base_url=server.api_url)
    async with polling(app, poll_timeout=1):
        siti = server.emulator.person("Siti", language_code="ms")
        siti.send("/quiz")
        topics = await siti.receive()
        await siti.press(topics, "Kreativiti")
        said = await siti.receive()
        assert "Belum ada soalan tentang Kreativiti dalam bahasa Melayu" in said.text
        assert said.button_texts == ["🇬🇧 Dalam bahasa Inggeris", "Tukar topik"]
        await siti.press(said, 0)
        question = await siti.receive()
        assert "Dalam bahasa Inggeris: belum ada dalam bahasa anda" in question.text
        await siti.press(question, 0)
        answered = await siti.receive_edit()
        next_data = answered.buttons[0][0]["callback_data"]
        assert next_data.startswith("1|quizen|")  # the next one in English too, unasked again
        await siti.press(topics, "Pemikiran kritis")  # her own language has this one
        own = await siti.receive()
        assert "bahasa Inggeris" not in own.text
        # Tips: her language has some; a Kazakh speaker's has none here: marked English.
        aru = server.emulator.person("Aru", language_code="kk")
        aru.send("/tip")
        tip = await aru.receive()
        assert "🇬🇧 Ағылшынша" in tip.text
    assert server.emulator.refused == []

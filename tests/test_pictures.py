"""Questions with a picture: sent as a photo with the question as its caption and the picture
in words; answered without losing the picture; in groups too, with the tally on the caption."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import Clock
from PIL import Image, ImageDraw

from clicksbot.app import build_application, polling
from clicksbot.config import Settings
from clicksbot.content import load_content
from clicksbot.sandbox import EmulatorServer

PACK = """\
id: en-test-pictures
title: Read the picture
language: en
competency: literacy
questions:
  - id: en-pic-q01
    kind: message
    skill: yes
    image: images/en-pic-q01.png
    alt: >-
      An SMS from "PARCEL-PH" says a parcel is held and asks for a fee at
      parcel-ph.delivery-fee.top.
    text: >-
      Look at the message in the picture. Who really owns the link it gives?
    options:
      - "The owner of delivery-fee.top"
      - "The national post office"
      - "The parcel company PARCEL-PH"
      - "Your phone company"
    answer: "The owner of delivery-fee.top"
    explanation: >-
      The owner is the name just before the ending: delivery-fee.top. Everything before
      it (parcel-ph.) can be made up by anyone. Open the courier's app or site yourself.
    source: https://www.ftc.gov/business-guidance/blog/2023/05/text-messages-trick-people
"""


def make_pack(folder: Path) -> Path:
    packs = folder / "quizzes"
    (packs / "en" / "images").mkdir(parents=True)
    (packs / "en" / "pictures.yaml").write_text(PACK)
    image = Image.new("RGB", (900, 500), "white")
    ImageDraw.Draw(image).text(
        (40, 40), "PARCEL-PH: pay at parcel-ph.delivery-fee.top", fill="black"
    )
    image.save(packs / "en" / "images" / "en-pic-q01.png")
    return packs


async def test_a_question_with_a_picture_in_a_private_chat_and_a_group(
    server: EmulatorServer, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    content, problems = load_content(make_pack(tmp_path))
    assert not [p for p in problems if not p.warning], problems
    app = build_application(settings, content, clock=clock, base_url=server.api_url)
    async with polling(app, poll_timeout=1):
        ana = server.emulator.person("Ana")
        ana.send("/quiz")
        topics = await ana.receive()
        await ana.press(topics, "Literacy")
        shown = await ana.receive()
        assert shown.raw.get("photo") and "Who really owns the link" in shown.raw["caption"]
        assert "In the picture: An SMS from" in shown.raw["caption"]
        answer = "The owner of delivery-fee.top"
        await ana.press(shown, next(b for b in shown.button_texts if answer in b))
        result = await ana.receive()  # the result follows the picture
        assert "Right" in result.text and "delivery-fee.top" in result.text
        assert "reply_markup" not in ana.chat.messages[shown.id]  # its options are gone
        ana.send("/quiz")
        await ana.receive()
        assert len(server.emulator.sent("sendPhoto")) == 1
        # In a group: the photo, and the tally on its caption.
        kids = [server.emulator.person(f"Kid {i}") for i in range(3)]
        chat = server.emulator.group("Class", *kids)
        kids[0].send("/quiz", chat)
        posted = await kids[0].receive_in(chat)
        assert posted.raw.get("photo")
        for kid in kids:
            await kid.press(posted, 0)
        await asyncio.sleep(5.5)
        assert "Answers so far: 3" in chat.messages[posted.id]["caption"]
        second = server.emulator.sent("sendPhoto")[-1]
        assert str(second.params["photo"]).startswith("photo-")  # the kept file id: no upload
    assert server.emulator.refused == []

"""The MIL CLICKS Pact end to end: pledge, certificate, invitations, withdrawal, new versions."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import pytest
from conftest import REPO, Running, started
from PIL import Image

from clicksbot.app import runtime_of
from clicksbot.cli import main
from clicksbot.content.pact import DEFAULT_PACT, Pact, PactError, load_pact
from clicksbot.i18n import Catalogs
from clicksbot.render.certificate import certificate_png, clean_name
from clicksbot.render.pact import certificate_text
from clicksbot.sandbox import BotMessage, Person
from clicksbot.store import Store
from clicksbot.store.pact import Pledge


async def until_sent(bot: Running, person: Person, part: str, timeout: float = 10) -> str:
    """Wait until the outbox has told this person something containing `part`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in bot.emulator.sent("sendMessage", chat_id=person.id):
            if part in str(call.params.get("text", "")):
                return str(call.params["text"])
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing with {part!r} was sent to {person.first_name}")


def photo_of(bot: Running, message: BotMessage) -> Image.Image:
    file_id = message.raw["photo"][-1]["file_id"]
    return Image.open(io.BytesIO(bot.emulator.files[file_id]))


async def pledge(bot: Running, person: Person, name: str | None, country: str | None) -> BotMessage:
    """Take the pact by its buttons; return the certificate photo message."""
    person.send("/pact")
    pact = await person.receive()
    await person.press(pact, "I commit")
    assert "You have taken the pact" in (await person.receive()).text
    ask = await person.receive()
    assert "What name should go on your certificate?" in ask.text
    if name is None:
        await person.press(ask, "Skip")
        countries = await person.receive_edit()
    else:
        person.send(name)
        countries = await person.receive()
    assert "Which country are you in?" in countries.text
    await person.press(countries, country or "Skip")
    await person.receive_edit()  # "Thank you! Here is your certificate."
    certificate = await person.receive()
    assert "certificate" in certificate.text.lower() and "photo" in certificate.raw
    suggestion = await person.receive()
    assert "invite friends" in suggestion.text.lower()
    return certificate


async def test_pact_commit_name_country_certificate_and_again(bot: Running) -> None:
    ana = await started(bot, "Ana")
    ana.send("/pact")
    pact = await ana.receive()
    assert "MIL CLICKS Pact" in pact.text and "Inspired by UNESCO's MIL CLICKS" in pact.text
    assert "0 people have taken the pact" in pact.text
    await ana.press(pact, "I commit")
    assert "You have taken the pact" in (await ana.receive()).text
    ask = await ana.receive()
    # A double tap on the old button records nothing more.
    answer = await ana.press(pact, "I commit")
    assert "already taken" in answer.get("text", "")
    ana.send("Ana <b>Santos</b>")  # markup in a name is just text
    countries = await ana.receive()
    assert countries.button_texts[0].startswith("🇵🇭") or "Philippines" in " ".join(
        countries.button_texts
    )
    await ana.press(countries, "Philippines")
    await ana.receive_edit()
    certificate = await ana.receive()
    assert len(certificate.text) <= 1024
    image = photo_of(bot, certificate)
    assert image.size == (1600, 1131)
    await ana.receive()  # the invitation suggestion
    del ask
    store = runtime_of(bot.app).store
    assert store is not None
    live = await store.live_pledge(ana.id)
    assert live is not None
    assert (live.display_name, live.country, live.version) == ("Ana <b>Santos</b>", "PH", 1)
    counts = await store.pledge_counts()
    assert counts.total == 1

    ana.send("/pact")
    again = await ana.receive()
    assert "You took this pact on" in again.text and "1 person has taken the pact" in again.text
    assert "1 of them in Philippines" in again.text
    ana.send("/certificate")
    assert "photo" in (await ana.receive()).raw
    # Sent again by Telegram's file id: no second upload on a slow connection.
    first, second = bot.emulator.sent("sendPhoto", chat_id=ana.id)
    assert second.params["photo"] == certificate.raw["photo"][-1]["file_id"]
    del first


async def test_skipping_name_and_country(bot: Running) -> None:
    ben = await started(bot, "Ben")
    certificate = await pledge(bot, ben, None, None)
    store = runtime_of(bot.app).store
    assert store is not None
    live = await store.live_pledge(ben.id)
    assert live is not None and live.display_name is None and live.country is None
    assert photo_of(bot, certificate).getbbox() is not None


async def test_invitation_credited_once_and_inviter_told(bot: Running) -> None:
    """A friend who starts through an invitation is credited once; the inviter hears of the
    join and of the pledge and sees the counts; inviting oneself counts for nothing."""
    ana = await started(bot, "Ana")
    ana.send("/invite")
    invite = await ana.receive()
    (link,) = [w for w in invite.text.split() if w.startswith("https://t.me/")]
    payload = link.split("?start=", 1)[1]
    assert len(payload) <= 64 and str(ana.id) not in payload
    assert invite.buttons[0][0]["url"].startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me")

    ana.start(payload)  # herself, through her own link: nothing
    await ana.receive()
    cai = bot.emulator.person("Cai")
    cai.start(payload)
    assert "Hi Cai" in (await cai.receive()).text
    assert "1 friend has joined" in await until_sent(bot, ana, "joined clicksbot")
    cai.start(payload)  # again: still one
    await cai.receive()
    await pledge(bot, cai, "Cai", "Malaysia")
    assert "1 of your friends has taken it" in await until_sent(bot, ana, "just took")
    ana.send("/progress")
    progress = await ana.receive()
    while "Your progress" not in progress.text:  # the two notices came first
        progress = await ana.receive()
    assert "1 friend joined through you. 1 took the pact." in progress.text
    store = runtime_of(bot.app).store
    assert store is not None
    assert await store.invitation_counts(ana.id) == (1, 1)
    assert await store.invitation_counts(cai.id) == (0, 0)
    live = await store.live_pledge(cai.id)
    assert live is not None and live.via == ana.id


async def test_withdrawing_stops_counting_and_keeps_the_record(bot: Running) -> None:
    dee = await started(bot, "Dee")
    await pledge(bot, dee, "Dee", None)
    dee.send("/pact")
    pact = await dee.receive()
    await dee.press(pact, "Withdraw")
    confirm = await dee.receive_edit()
    await dee.press(confirm, "No, keep it")
    assert "You took this pact" in (await dee.receive_edit()).text
    await dee.press(pact, "Withdraw")
    confirm = await dee.receive_edit()
    await dee.press(confirm, "Yes, withdraw")
    assert "withdrawn" in (await dee.receive_edit()).text
    store = runtime_of(bot.app).store
    assert store is not None
    assert await store.live_pledge(dee.id) is None
    assert (await store.pledge_counts()).total == 0
    rows = [row async for row in store.export_pledges()]
    assert len(rows) == 1 and rows[0][-1] is not None  # withdrawn_at kept
    dee.send("/certificate")
    assert "haven't taken the pact" in (await dee.receive()).text


async def test_a_new_pact_version_is_offered_to_earlier_pledgers(
    bot: Running, tmp_path: Path
) -> None:
    eve = await started(bot, "Eve")
    await pledge(bot, eve, "Eve", None)
    runtime = runtime_of(bot.app)
    version_two = DEFAULT_PACT.read_text().replace("version: 1", "version: 2")
    (tmp_path / "pact.yaml").write_text(version_two)
    runtime.pact = load_pact(tmp_path / "pact.yaml")
    eve.send("/pact")
    offer = await eve.receive()
    assert "new version of the pact" in offer.text
    # The old commit button (version 1) no longer records anything.
    store = runtime.store
    assert store is not None
    assert await store.queue_pact_update(2, {"key": "pact.updated", "params": {"version": 2}},
                                         runtime.clock()) is not None  # fmt: skip
    assert runtime.outbox is not None
    runtime.outbox.wake()
    assert "version 2" in await until_sent(bot, eve, "new version of the MIL CLICKS Pact")
    await eve.receive()  # that notice
    await eve.press(offer, "I commit")
    assert "You have taken the pact" in (await eve.receive()).text
    live = await store.live_pledge(eve.id)
    assert live is not None and live.version == 2


def test_certificates_for_latin_cyrillic_and_unsupported_names(tmp_path: Path) -> None:
    """Written to a folder and checked: right size, not blank; a name the font cannot draw
    is replaced by a plain statement, not by empty boxes."""
    from datetime import UTC, datetime

    catalogs = Catalogs.load()
    en = catalogs.get("en")
    pact = load_pact(DEFAULT_PACT)
    sizes = {}
    for label, name, language in (
        ("latin", "Nguyễn Thị Ánh", "en"),
        ("cyrillic", "Айгерим Жумабаева", "en"),
        ("unsupported", "अनीता शर्मा", "en"),  # Devanagari: no shipped font has it
        ("malay", "Siti Nurhaliza", "ms"),
    ):
        pledge = Pledge(1, 1, 1, language, None, clean_name(name), None,
                        datetime(2026, 11, 24, tzinfo=UTC), None, None)  # fmt: skip
        text = certificate_text(catalogs.get(language), en, pact, pledge, "clicksbot")
        if label == "unsupported":
            assert text.name is None and "cannot print" in text.name_fallback
        else:
            assert text.name == clean_name(name)
        path = tmp_path / f"{label}.png"
        path.write_bytes(certificate_png(text))
        image = Image.open(path)
        assert image.size == (1600, 1131)
        assert len(image.convert("L").getcolors(maxcolors=100_000) or []) > 10  # not blank
        sizes[label] = path.stat().st_size
    assert all(size < 300_000 for size in sizes.values()), sizes  # light on slow data


def test_names_are_cleaned() -> None:
    assert clean_name("  Ana\u202e  \x00Lopez ") == "Ana Lopez"
    assert clean_name("\u200b\u200b") is None
    assert len(clean_name("x" * 500) or "") == 40


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("version: 0\nlanguages: {}\n", ":1: version: must be a whole number"),
        ("version: 1\nlanguages:\n  ms: {}\n", ":3: languages: must hold the pact per language"),
        (
            "version: 1\nlanguages:\n  en:\n    title: T\n    intro: I\n    closing: C\n"
            "    commitments:\n      - one\n      - ''\n      - three\n",
            ":9: languages.en.commitments[1]: must be text",
        ),
        ("version: [\n", "not valid YAML"),
    ],
)
def test_a_broken_pact_file_is_reported_with_file_line_and_key(
    tmp_path: Path, body: str, problem: str
) -> None:
    path = tmp_path / "pact.yaml"
    path.write_text(body)
    with pytest.raises(PactError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        load_pact(path)


def test_the_shipped_pact_loads() -> None:
    pact = load_pact(DEFAULT_PACT)
    assert isinstance(pact, Pact) and pact.version >= 1
    assert "UNESCO" in pact.text("en").intro and "ms" in pact.texts


async def test_stats_and_export_of_pledges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    db = tmp_path / "bot.sqlite3"
    store = await Store.open(db)
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    for user_id, country in ((1, "PH"), (2, "PH"), (3, None)):
        await store.touch_user(user_id, "en", now)
        live, _ = await store.pledge(user_id, 1, "en", None, now)
        if country:
            await store.set_pledge_details(live.id, display_name="Secret Name", country=country)
    await store.withdraw_pledge(3, now)
    await store.close()
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {db}\npacks_dir: {REPO / 'quizzes'}\n")
    assert await asyncio.to_thread(main, ["stats", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "pledges (live): 2" in out and "PH                    2" in out
    assert "2026-11-24" in out
    target = tmp_path / "pledges.csv"
    assert (
        await asyncio.to_thread(
            main, ["export", "pledges", "--config", str(config), "--output", str(target)]
        )
        == 0
    )
    csv_text = target.read_text()
    assert csv_text.splitlines()[0] == "pledged_on,version,language,country,invited,withdrawn_on"
    assert len(csv_text.splitlines()) == 4
    assert "Secret Name" not in csv_text  # no names, no Telegram ids


async def test_the_pact_says_it_is_not_affiliated_with_unesco_and_uses_light_words(
    bot: Running,
) -> None:
    """In /pact and on the certificate; in Kazakh and Uzbek the pact is a promise (уәде,
    vaʼda), not an oath or a treaty."""
    alice = await started(bot, "Alice")
    alice.send("/pact")
    assert "not affiliated with UNESCO" in (await alice.receive()).text
    catalogs = Catalogs.load()
    assert "not affiliated with UNESCO" in catalogs.get("en")("certificate.credit")
    for language in catalogs.languages:  # UNESCO, ЮНЕСКО, يونسكو
        disclaimer = catalogs.get(language)("pact.disclaimer")
        assert any(name in disclaimer for name in ("UNESCO", "ЮНЕСКО", "يونسكو", "Унеск"))
    aru = await started(bot, "Aru", "kk")
    aru.send("/pact")
    pact = (await aru.receive()).text
    assert "уәде" in pact.lower() and "ант" not in pact.lower().split()
    dilnoza = await started(bot, "Dilnoza", "uz")
    dilnoza.send("/pact")
    pact = (await dilnoza.receive()).text
    assert "vaʼda" in pact.lower() and "ahdnoma" not in pact.lower()


@pytest.mark.sqlite_only("reads the SQLite file's bytes")
async def test_the_name_on_the_certificate_can_be_changed_later(bot: Running) -> None:
    """From /certificate: a new name (a new certificate, the old name gone from the disk), or
    none; a command in the middle ends the question."""
    mai = await started(bot, "Mai", "th")
    mai.send("/pact")
    await mai.press(await mai.receive(), "✍️")  # "I commit", in Thai
    await mai.receive()  # thanks
    await mai.receive()  # the name question
    mai.send("Mai Tran")
    countries = await mai.receive()
    await mai.press(countries, len(countries.button_texts) - 1)  # no country
    await mai.receive_edit()
    certificate = await mai.receive()
    await mai.receive()  # the invitation suggestion
    assert certificate.button_texts == ["✏️ เปลี่ยนชื่อ"]
    await mai.press(certificate, 0)
    assert "ส่งชื่อ" in (await mai.receive()).text
    mai.send("ใหม่ ใจดี")  # in Thai script now
    assert "เรียบร้อย" in (await mai.receive()).text
    renewed = await mai.receive()
    assert "photo" in renewed.raw
    store = runtime_of(bot.app).store
    assert store is not None
    live = await store.live_pledge(mai.id)
    assert live is not None and live.display_name == "ใหม่ ใจดี"
    raw = b"".join(p.read_bytes() for p in bot.settings.database.parent.glob("clicksbot.sqlite3*"))
    assert b"Mai Tran" not in raw  # the old name is gone from the files
    mai.send("/certificate")
    again = await mai.receive()
    await mai.press(again, 0)
    prompt = await mai.receive()
    await mai.press(prompt, 0)  # no name
    await mai.receive()
    await mai.receive()
    live = await store.live_pledge(mai.id)
    assert live is not None and live.display_name is None
    mai.send("/certificate")
    await mai.press(await mai.receive(), 0)
    await mai.receive()
    mai.send("/tip")  # moving on ends the question, said in a line; the tip comes, no name
    assert "↩️" in (await mai.receive()).text
    assert "💡" in (await mai.receive()).text
    live = await store.live_pledge(mai.id)
    assert live is not None and live.display_name is None

"""A name typed for a certificate, once forgotten or withdrawn, is in no byte on disk: not in
the database file's free space, not in its write-ahead log."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Running, started

from clicksbot.app import runtime_of
from clicksbot.sandbox import Person

NAME = "Quillon Vandermeer"


def raw_bytes(folder: Path) -> dict[str, bytes]:
    """Every file beside the database, as it is on disk."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def holding(folder: Path, text: str) -> list[str]:
    needle = text.encode()
    return [name for name, data in raw_bytes(folder).items() if needle in data]


async def pledge_with_name(bot: Running, person: Person) -> None:
    person.send("/pact")
    await person.press(await person.receive(), "I commit")
    assert "You have taken the pact" in (await person.receive()).text
    assert "What name" in (await person.receive()).text
    person.send(NAME)
    await person.press(await person.receive(), "Skip")  # the country
    await person.receive_edit()  # "Thank you! Here is your certificate."
    assert "photo" in (await person.receive()).raw
    assert "invite friends" in (await person.receive()).text.lower()


@pytest.mark.sqlite_only("the bytes of the SQLite files")
async def test_a_forgotten_name_is_in_no_byte_of_the_database_files(bot: Running) -> None:
    """After /forget, the name typed for a certificate is nowhere in the database file, its
    write-ahead log or its shared memory, not even in free space."""
    folder = bot.settings.database.parent
    kit = await started(bot, "Kit")
    await pledge_with_name(bot, kit)
    assert holding(folder, NAME)  # the search would find it
    kit.send("/forget")
    await kit.press(await kit.receive(), "Yes, delete it all")
    assert "deleted everything" in (await kit.receive_edit()).text
    store = runtime_of(bot.app).store
    assert store is not None and await store.get_user(kit.id) is None
    assert holding(folder, NAME) == []
    assert holding(folder, NAME.split()[1]) == []
    assert (folder / (bot.settings.database.name + "-wal")).stat().st_size == 0


@pytest.mark.sqlite_only("the bytes of the SQLite files")
async def test_a_withdrawn_pledges_name_is_in_no_byte_of_the_database_files(
    bot: Running,
) -> None:
    folder = bot.settings.database.parent
    lee = await started(bot, "Lee")
    await pledge_with_name(bot, lee)
    assert holding(folder, NAME)
    lee.send("/pact")
    pact = await lee.receive()
    await lee.press(pact, "Withdraw")
    await lee.press(await lee.receive_edit(), "Yes, withdraw")
    assert "withdrawn" in (await lee.receive_edit()).text
    assert holding(folder, NAME) == []

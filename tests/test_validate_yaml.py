"""`clicksbot validate` on YAML a teacher broke by hand: the line to change, what is wrong in
plain words, and how to fix it (never PyYAML's own words, never the line after the mistake)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from clicksbot.content import load_pack_file

PACK = """\
id: en-test
title: A test pack
language: en
competency: literacy
tips:
  - id: en-test-t01
    text: Check who made it.
    source: https://example.org/a
questions:
  - id: en-test-q01
    text: Which of these names who wrote it?
    options:
      - "A newspaper article"
      - "A forwarded rumour"
    answer: "A newspaper article"
    explanation: A newspaper article names its writer, so you can check them.
    source: https://example.org/b
"""
LINES = PACK.splitlines()


def broken(line: int, new: str) -> str:
    """The pack with line `line` (1-based) written as `new`."""
    lines = list(LINES)
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


# (what is broken, the text, the line to change, words the message must hold)
CASES = [
    ("tab", broken(7, "\ttext: Check who made it."), 7, ["a tab character", "spaces"]),
    ("tab in an item", broken(14, '\t  - "A forwarded rumour"'), 14, ["a tab", "spaces"]),
    ("tab after a name", broken(8, "    source:\thttps://example.org/a"), 8, ["tab", "`source:`"]),
    ("missing colon", broken(2, "title A test pack"), 2, ["no colon", "`name: value`"]),
    ("missing colon in an item", broken(7, "    text Check who made it."), 7, ["no colon"]),
    ("missing colon, last line", broken(17, "    source https://example.org/b"), 17, ["no colon"]),
    ("missing colon after id", broken(10, "  - id en-test-q01"), 10, ["no colon"]),
    (
        "no space after colon",
        broken(2, "title:Pack"),
        2,
        ["space after the colon", "`title: Pack`"],
    ),
    (
        "no space after dash",
        broken(14, '      -"A forwarded rumour"'),
        14,
        ["space after its dash"],
    ),
    (
        "indented too far",
        broken(7, "     text: Check who made it."),
        7,
        ["indented further than `id` on line 6", "5 spaces, not 4", "line it up"],
    ),
    (
        "indented too little",
        broken(11, "   text: Which of these names who wrote it?"),
        11,
        ["does not line up with line 10", "`text` starts after 3 spaces", "`id`", "after 4"],
    ),
    (
        "list item out of line",
        broken(14, '     - "A forwarded rumour"'),
        14,
        ["dash of this item starts after 5 spaces", "the dash on line 13 after 6"],
    ),
    (
        "top-level name indented",
        broken(3, " language: en"),
        3,
        ["`language` is indented further than `title`"],
    ),
    ("unclosed double quote", broken(7, '    text: "Check who made it.'), 7, ["never closed"]),
    (
        "unclosed single quote",
        broken(2, "title: 'A test pack"),
        2,
        ["quote mark '", "never closed"],
    ),
    ("unclosed quote in a list", broken(14, '      - "A forwarded rumour'), 14, ["never closed"]),
    ("quote inside quotes", broken(2, "title: 'It's a test'"), 2, ["write a ' twice", "'It''s'"]),
    ("text after quotes", broken(2, 'title: "A" test'), 2, ["more text follows it"]),
    (
        "colon in a text",
        broken(7, "    text: Note: check who made it."),
        7,
        ["colon and a space (`Note: `)", "double quotes", "`text: >-`"],
    ),
    ("unclosed bracket", broken(2, "title: [A test"), 2, ["[ opened in this line is never closed"]),
]


@pytest.mark.parametrize(
    ("text", "line", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_yaml_mistake_is_named_on_its_own_line_with_the_fix(
    tmp_path: Path, text: str, line: int, words: list[str]
) -> None:
    """One problem, on the line the teacher must change, in plain words that say the fix."""
    path = tmp_path / "en" / "test.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    _, problems = load_pack_file(path)
    assert len(problems) == 1, problems
    message = str(problems[0])
    assert f"test.yaml:{line}: (yaml): not valid YAML: " in message
    for word in words:
        assert word in message
    for jargon in ("token", "<block", "scanning", "mapping values", "expected ':'", "\\t"):
        assert jargon not in message


def test_the_validate_command_prints_the_plain_message(tmp_path: Path) -> None:
    """The real command line: `clicksbot validate FILE` prints the line and the fix, exit 1."""
    path = tmp_path / "en" / "broken.yaml"
    path.parent.mkdir()
    path.write_text(broken(2, "title A test pack"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "clicksbot", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.endswith(
        "broken.yaml:2: (yaml): not valid YAML: `title A test pack` has no colon after its "
        "name: write it as `name: value`, with a colon and a space (like `title: My pack`); if "
        "this line goes on with the text of the line above, indent it further than that line's "
        "name, or write that text as a block (`>-`)"
    )


def test_the_pack_as_written_is_sound(tmp_path: Path) -> None:
    """The pack these mistakes are made in loads without a problem."""
    path = tmp_path / "en" / "test.yaml"
    path.parent.mkdir()
    path.write_text(PACK, encoding="utf-8")
    pack, problems = load_pack_file(path)
    assert pack is not None and [p for p in problems if not p.warning] == []

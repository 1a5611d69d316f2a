"""Content packs: the shipped ones are sound, and every kind of mistake is reported by file:line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO

from clicksbot.content import COMPETENCIES, Competency, load_content, load_pack_file
from clicksbot.content.loader import validate_paths

GOOD = """\
id: en-good
title: A good pack
language: en
competency: critical-thinking
tips:
  - id: en-good-t01
    text: Search for the source before you share.
    source: https://www.unesco.org/en/media-information-literacy
questions:
  - id: en-good-q01
    kind: headline
    text: A headline says "Scientists confirm chocolate cures flu". Trustworthy?
    options:
      - "Yes"
      - "Check who published it first"
    answer: "Check who published it first"
    explanation: Look for the original study and what other outlets say about it.
    source: https://www.unesco.org/en/media-information-literacy
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def messages(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [str(p) for p in problems]


def test_shipped_packs_are_valid_and_meet_the_first_pack_minimum() -> None:
    """The English packs load with no errors and hold at least 10 tips and 10 questions."""
    content, problems = load_content(REPO / "quizzes")
    assert [p for p in problems if not p.warning] == []
    assert len(list(content.tips("en"))) >= 10
    assert len(list(content.questions("en"))) >= 10
    for question in content.questions():
        assert question.explanation and question.source.startswith("https://")
        assert question.correct_option in question.options


def test_a_good_pack_loads_into_frozen_models(tmp_path: Path) -> None:
    """A valid pack becomes a Pack with its tips and questions, the answer as an index."""
    pack, problems = load_pack_file(write(tmp_path, "en/good.yaml", GOOD))
    assert problems == []
    assert pack is not None
    assert pack.competency is Competency.CRITICAL_THINKING
    question = pack.questions[0]
    assert question.answer == 1 and question.correct_option == "Check who published it first"
    assert question.kind == "headline"


def test_every_mistake_is_reported_with_its_line(tmp_path: Path) -> None:
    """One run lists every problem of a broken pack, each as file:line: id: problem."""
    path = write(
        tmp_path,
        "en/broken.yaml",
        """\
        id: Bad Pack
        title: ""
        language: xx
        competency: critical thinkin
        colour: blue
        tips:
          - id: en-b-t01
            text: ""
            source: not-a-url
          - id: en-b-t01
            text: duplicated id
          - text: no id here
        questions:
          - id: en-b-q01
            kind: meme
            text: Is this real?
            options:
              - only one
            answer: two
            explanation: because
          - id: en-b-q02
            text: Which is it?
            options: ["a", "a", "yes", true]
            answer: 3
            explanation: Long explanation
            source: ftp://example.org/x
            extra: 1
        """,
    )
    _, problems = load_pack_file(path)
    found = messages(problems)
    expected = [
        (1, "'id' may hold only lowercase"),
        (2, "'title' is missing"),
        (3, "not a known language code"),
        (4, "did you mean 'critical-thinking'"),
        (5, "unknown key 'colour'"),
        (8, "'text' is missing"),
        (9, "'source' is not a web address"),
        (10, "id already used on line 7"),
        (12, "'id' is missing"),
        (15, "'kind' 'meme' is not one of"),
        (17, "'options' has 1"),
        (19, "'answer' 'two' is not one of the options"),
        (23, "option 2 repeats an earlier option"),
        (23, "option 4 must be text"),
        (24, "'answer' '3' is not one of the options"),
        (26, "'source' is not a web address"),
        (27, "unknown key 'extra'"),
    ]
    for line, text in expected:
        assert any(f"broken.yaml:{line}:" in f and text in f for f in found), (line, text, found)
    assert all(":" in f.split("broken.yaml:", 1)[1] for f in found)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    """A YAML mistake (an unquoted colon) is reported at its line with a hint."""
    path = write(
        tmp_path,
        "en/syntax.yaml",
        """\
        id: en-syntax
        title: Syntax
        language: en
        competency: knowledge
        tips:
          - id: en-syntax-t01
            text: Note: this breaks
              because: of the colon
        """,
    )
    _, problems = load_pack_file(path)
    assert len(problems) == 1
    assert "syntax.yaml:7:" in str(problems[0]) and "not valid YAML" in str(problems[0])


def test_limits_are_checked(tmp_path: Path) -> None:
    """Texts too long for a message, options too long for a button, too many options."""
    long_text = "x" * 1001
    options = "\n".join(f'      - "option {i}"' for i in range(13))
    path = write(
        tmp_path,
        "en/long.yaml",
        f"""\
id: en-long
title: Long
language: en
competency: literacy
tips:
  - id: en-long-t01
    text: {long_text}
    source: https://example.org/a
questions:
  - id: en-long-q01
    text: Which?
    options:
{options}
      - "{"y" * 101}"
    answer: option 1
    explanation: <b>Because</b>.
    source: https://example.org/a
""",
    )
    found = messages(load_pack_file(path)[1])
    assert any("'explanation' holds markup '<b>'" in f for f in found)
    assert any("'text' is 1001 characters; at most 1000" in f for f in found)
    assert any("option 14 is 101 characters; at most 100" in f for f in found)
    assert any("'options' has 14; give 2 to 12" in f for f in found)


def test_ids_must_be_unique_across_packs(tmp_path: Path) -> None:
    """The same item id in two packs is an error at the second one, naming the first."""
    write(tmp_path, "en/a.yaml", GOOD)
    write(tmp_path, "en/b.yaml", GOOD.replace("id: en-good\n", "id: en-other\n"))
    report = validate_paths([tmp_path])
    found = messages(list(report.errors))
    assert any("b.yaml:6: en-good-t01: id already used at" in f and "a.yaml:6" in f for f in found)
    assert [p.id for p in report.content.packs] == ["en-good"]


def test_language_must_match_its_folder(tmp_path: Path) -> None:
    """A Malay pack filed under en/ is reported."""
    path = write(tmp_path, "en/ms.yaml", GOOD.replace("language: en", "language: ms"))
    assert any("folder en/" in f for f in messages(load_pack_file(path)[1]))


def test_missing_source_is_a_warning(tmp_path: Path) -> None:
    """A tip without a source is loaded, with a warning to add one."""
    text = GOOD.replace(
        "    source: https://www.unesco.org/en/media-information-literacy\nquestions",
        "questions",
    )
    pack, problems = load_pack_file(write(tmp_path, "en/nosource.yaml", text))
    assert pack is not None
    assert [p.warning for p in problems] == [True]


def test_not_utf8_and_empty_files(tmp_path: Path) -> None:
    """A file that is not UTF-8, or empty, is reported rather than crashing the loader."""
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "latin1.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    (tmp_path / "en" / "empty.yaml").write_text("")
    found = messages(list(validate_paths([tmp_path]).errors))
    assert any("latin1.yaml:1: (file): is not UTF-8" in f for f in found)
    assert any("empty.yaml:1: (file): is empty" in f for f in found)


def run_validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clicksbot", "validate", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def test_validate_command_exits_0_on_shipped_packs() -> None:
    """`clicksbot validate quizzes/` is clean and prints counts per language and competency."""
    result = run_validate("quizzes/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "en: " in result.stdout and "question(s)" in result.stdout
    assert any(c.value in result.stdout for c in COMPETENCIES)


def test_validate_command_exits_1_and_lists_each_problem(tmp_path: Path) -> None:
    """On a pack with mistakes, `clicksbot validate` exits 1 and prints file:line for each."""
    path = write(tmp_path, "en/bad.yaml", GOOD.replace('answer: "Check who', 'answer: "Ask who'))
    write(tmp_path, "en/good.yaml", GOOD.replace("en-good", "en-fine"))
    result = run_validate(str(tmp_path))
    assert result.returncode == 1
    assert f"{path.name}:16: en-good-q01: 'answer'" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_odd_urls_and_self_referring_aliases_are_reported(tmp_path: Path) -> None:
    """A source with a broken host, or a YAML alias that refers to itself, is reported."""
    odd = write(
        tmp_path,
        "en/odd.yaml",
        GOOD.replace(
            "source: https://www.unesco.org/en/media-information-literacy\nquestions",
            'source: "https://[example.com"\nquestions',
        ),
    )
    loop = write(tmp_path, "en/loop.yaml", "id: &a [*a]\n")
    assert any("'source' is not a web address" in f for f in messages(load_pack_file(odd)[1]))
    assert messages(load_pack_file(loop)[1])


def test_a_value_that_is_not_what_it_looks_like_is_named_with_its_line(tmp_path: Path) -> None:
    """An option that looks like a date but is none (2021-02-30) and a tag nothing knows are
    errors saying where they are and what to write; the pack is left out, nothing crashes.
    `clicksbot validate` says the same and exits 1."""
    bad = GOOD.replace('- "Yes"', "- 2021-02-30").replace("title: A good pack", "title: !x A")
    path = write(tmp_path / "en", "dates.yaml", bad)
    report = validate_paths([tmp_path])
    found = messages(report.errors)
    assert f"{path}:2: (yaml): 'A' cannot be read with its tag (!x): remove the tag" in found
    assert (
        f"{path}:14: (yaml): '2021-02-30' looks like a date but is not one: put it in quotes"
        in found
    ), found
    assert not report.content.packs
    result = subprocess.run(
        [sys.executable, "-m", "clicksbot", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    assert "looks like a date but is not one" in result.stdout + result.stderr


def test_weak_items_are_warned_about(tmp_path: Path) -> None:
    """An explanation that only repeats the answer, options whose length gives the answer
    away, and a question another pack already asks are warnings (the pack still loads)."""
    weak = (
        GOOD.replace(
            "explanation: Look for the original study and what other outlets say about it.",
            "explanation: Check who published it first.",
        )
        .replace('- "Yes"', '- "No"')
        .replace(
            '"Check who published it first"',
            '"Check who published it first, then look for the study and what others say"',
        )
    )
    write(tmp_path / "en", "weak.yaml", weak)
    copy = GOOD.replace("en-good", "en-copy").replace("A good pack", "A copy")
    write(tmp_path / "en", "zcopy.yaml", copy)
    report = validate_paths([tmp_path])
    found = messages(report.warnings)
    assert any("weak.yaml:10: en-good-q01: warning: the explanation only repeats" in m
               for m in found), found  # fmt: skip
    assert any("options run from 2 to 73 characters" in m for m in found), found
    assert any("zcopy.yaml" in m and "looks like question en-good-q01" in m for m in found), found
    assert report.errors == [] and len(report.content.packs) == 2


def test_a_question_is_a_duplicate_from_four_fifths_of_its_words_shared(tmp_path: Path) -> None:
    """Questions of 15 and 12 words, all 12 shared, overlap by exactly 0.8: a duplicate,
    whichever comes first. With 11 of the 15 words they overlap by 0.73: not one."""
    words = [f"word{n}" for n in range(1, 16)]
    question = 'A headline says "Scientists confirm chocolate cures flu". Trustworthy?'
    for shared, duplicate in ((12, True), (11, False)):
        for longer_first in (True, False):
            texts = [" ".join(words), " ".join(words[:shared])]
            first, second = texts if longer_first else texts[::-1]
            folder = tmp_path / f"{shared}-{longer_first}" / "en"
            write(folder, "a.yaml", GOOD.replace(question, first))
            write(folder, "b.yaml", GOOD.replace("en-good", "en-b").replace(question, second))
            found = messages(validate_paths([folder]).warnings)
            said = any("b.yaml" in m and "looks like question en-good-q01" in m for m in found)
            assert said == duplicate, (shared, longer_first, found)


def test_shipped_content_meets_the_numbers_with_no_warnings() -> None:
    """At least 100 English tips and questions over all seven competencies, a starter pack
    (10 tips, 10 questions) in Malay, Indonesian, Filipino, Thai and Russian, no warnings."""
    report = validate_paths([REPO / "quizzes"])
    assert report.errors == [] and report.warnings == []
    content = report.content
    assert len(list(content.tips("en"))) >= 100 and len(list(content.questions("en"))) >= 100
    for competency in COMPETENCIES:
        assert list(content.questions("en", competency)), competency
    for language in ("ms", "id", "fil", "th", "ru"):
        assert len(list(content.tips(language))) >= 10, language
        assert len(list(content.questions(language))) >= 10, language

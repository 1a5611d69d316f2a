"""Load content packs from YAML, checking everything and reporting every problem by file:line."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from babel import Locale, UnknownLocaleError
from PIL import Image

from clicksbot import yamlfile
from clicksbot.content import limits
from clicksbot.content.models import (
    COMPETENCIES,
    QUESTION_KINDS,
    TECHNIQUES,
    CheckupItem,
    Competency,
    Content,
    Pack,
    Problem,
    Question,
    Tip,
)

# HTML tags, **bold**, __underline__ and [text](link): packs are plain text.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|\*\*[^*]+\*\*|__[^_]+__|\[[^\]]+\]\(https?://")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SPACE = re.compile(r"\s")
PACK_KEYS = (
    "id", "title", "language", "competency", "description", "review", "tips", "questions",
    "checkup",
)  # fmt: skip
# A pack's `review:` says whether a native speaker of its language has read it.
REVIEW_STATES = ("draft", "reviewed")
TIP_KEYS = ("id", "text", "source")
QUESTION_KEYS = (
    "id", "kind", "text", "options", "answer", "explanation", "source", "technique", "credible",
    "skill", "image", "alt",
)  # fmt: skip
# An item of the discernment checkup pool (a `checkup:` section): never a quiz question.
CHECKUP_KEYS = ("id", "text", "real", "source", "explanation")
PACK_SUFFIXES = (".yaml", ".yml")


@dataclass
class Node:
    """A YAML value with the line it starts on (1-based)."""

    value: Any  # dict[str, Node] | list[Node] | a plain scalar
    line: int
    key_lines: dict[str, int] | None = None


class _Report:
    """Collects the problems of one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def error(self, line: int, item: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, item, message))

    def warn(self, line: int, item: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, item, message, warning=True))

    @property
    def failed(self) -> bool:
        return any(not p.warning for p in self.problems)


def display_path(path: Path) -> str:
    """Return the path as a person would type it: relative to here when it is below here."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def load_content(directory: Path) -> tuple[Content, list[Problem]]:
    """Load every pack below `directory`; return the sound packs and every problem found.

    A pack with an error is left out of the content; warnings do not leave anything out.
    """
    if not directory.is_dir():
        problem = Problem(
            display_path(directory), 0, "(folder)", "not found: expected a folder of packs"
        )
        return Content.of(()), [problem]
    report = validate_paths([directory])
    return report.content, list(report.problems)


def load_pack_file(path: Path) -> tuple[Pack | None, list[Problem]]:
    """Load and check one pack file on its own."""
    pack, _, problems = _load(path)
    return pack, problems


# Weak items (warnings): an explanation adding fewer new words than this to the answer; options
# differing by more than this many characters and this ratio; questions sharing this much of
# their words (Jaccard) with one in another pack.
EXPLANATION_NEW_WORDS = 8
OPTION_SPREAD = 30
OPTION_RATIO = 2.5
DUPLICATE_OVERLAP = 0.8


def _drop_duplicates(
    loaded: list[tuple[Pack, dict[str, int]]], problems: list[Problem]
) -> list[Pack]:
    """Keep the first pack that uses an id; report (and leave out) any later pack reusing it."""
    seen: dict[str, str] = {}
    packs: list[Pack] = []
    for pack, lines in loaded:
        clashes = []
        ids = [pack.id] + [t.id for t in pack.tips] + [q.id for q in pack.questions]
        ids += [c.id for c in pack.checkup]
        for item_id in ids:
            if item_id in seen:
                clashes.append(item_id)
                problems.append(
                    Problem(
                        pack.path,
                        lines.get(item_id, 1),
                        item_id,
                        f"id already used at {seen[item_id]}; ids must be unique across all packs",
                    )
                )
        if clashes:
            continue
        for item_id in ids:
            seen[item_id] = f"{pack.path}:{lines.get(item_id, 1)}"
        packs.append(pack)
    return packs


def _load(path: Path) -> tuple[Pack | None, dict[str, int], list[Problem]]:
    report = _Report(display_path(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        report.error(1, "(file)", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")
        return None, {}, report.problems
    except OSError as exc:
        report.error(0, "(file)", f"cannot be read: {exc.strerror}")
        return None, {}, report.problems
    try:
        root = _parse_yaml(text, report)
    except RecursionError:
        report.error(1, "(yaml)", yamlfile.TOO_DEEP)
        return None, {}, report.problems
    if root is None:
        return None, {}, report.problems
    pack, lines = _pack(root, path, report)
    return (None if report.failed else pack), lines, report.problems


def _parse_yaml(text: str, report: _Report) -> Node | None:
    try:
        node = yamlfile.compose(text)
    except yaml.YAMLError as exc:
        line, what = yamlfile.problem(exc, text)
        report.error(line, "(yaml)", what)
        return None
    if node is None:
        report.error(1, "(file)", "is empty: a pack needs id, title, language, competency")
        return None
    return _convert(node, report)


def _convert(node: yaml.Node, report: _Report) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        values: dict[str, Node] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node, report))
            key_line = key_node.start_mark.line + 1
            if key in values:
                report.error(key_line, key, f"key given twice (first on line {key_lines[key]})")
                continue
            values[key] = _convert(value_node, report)
            values[key].line = key_line  # a value is reported where its key stands
            key_lines[key] = key_line
        return Node(values, line, key_lines)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, report) for item in node.value], line)
    return Node(_scalar(node, report), line)


def _scalar(node: yaml.Node, report: _Report) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return "(not a plain value)"
    try:
        return yamlfile.scalar(node)
    except yamlfile.ValueProblem as exc:
        report.error(node.start_mark.line + 1, "(yaml)", str(exc.problem))
        return node.value


# -- checks ------------------------------------------------------------------------------


def _keys(node: Node, allowed: tuple[str, ...], item: str, report: _Report) -> dict[str, Node]:
    fields: dict[str, Node] = node.value
    lines = node.key_lines or {}
    for key in fields:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"
            report.error(lines.get(key, node.line), item, f"unknown key '{key}'{hint}")
    return fields


def _text(
    fields: dict[str, Node],
    key: str,
    item: str,
    line: int,
    report: _Report,
    *,
    maximum: int,
    required: bool = True,
) -> str:
    node = fields.get(key)
    if node is None or node.value is None or node.value == "":
        if required:
            where = node.line if node is not None else line
            report.error(where, item, f"'{key}' is missing: add {key}: with the text")
        return ""
    if not isinstance(node.value, str):
        report.error(node.line, item, f"'{key}' must be text (put it in quotes)")
        return ""
    value = node.value.strip()
    markup = _MARKUP.search(value)
    if not value:
        report.error(node.line, item, f"'{key}' is empty")
    elif markup:
        report.error(
            node.line,
            item,
            f"'{key}' holds markup {markup.group(0)!r}: write plain text, the bot formats it",
        )
    elif len(value) > maximum:
        report.error(
            node.line,
            item,
            f"'{key}' is {len(value)} characters; at most {maximum} fit (shorten it)",
        )
    return value


def _url(fields: dict[str, Node], item: str, line: int, report: _Report) -> str:
    node = fields.get("source")
    if node is None or node.value in (None, ""):
        report.warn(line, item, "no 'source': add a link to a credible source that backs this")
        return ""
    value = node.value
    if not isinstance(value, str) or not _is_url(value.strip()):
        report.error(
            node.line, item, f"'source' is not a web address: {value!r} (start with https://)"
        )
        return ""
    if len(value.strip()) > limits.URL_MAX:
        report.error(node.line, item, f"'source' is longer than {limits.URL_MAX} characters")
    return value.strip()


def _is_url(value: str) -> bool:
    if _SPACE.search(value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:  # e.g. an unbalanced [ in the host
        return False
    return parts.scheme in ("http", "https") and "." in host and not host.endswith(".")


def _id(fields: dict[str, Node], line: int, report: _Report, fallback: str) -> tuple[str, int]:
    node = fields.get("id")
    if node is None or node.value in (None, ""):
        report.error(line, fallback, "'id' is missing: every pack, tip and question needs one")
        return "", line
    value = str(node.value)
    if not isinstance(node.value, str) or not ID_RE.match(value):
        report.error(node.line, value, "'id' may hold only lowercase letters a-z, digits and '-'")
    elif not limits.ID_MIN <= len(value) <= limits.ID_MAX:
        report.error(
            node.line,
            value,
            f"'id' is {len(value)} characters; use {limits.ID_MIN} to {limits.ID_MAX}",
        )
    return value, node.line


def _language(fields: dict[str, Node], item: str, line: int, report: _Report) -> str:
    node = fields.get("language")
    if node is None or not isinstance(node.value, str) or not node.value:
        report.error(line, item, "'language' is missing: a language code such as en or ms")
        return ""
    code = node.value
    valid = re.fullmatch(r"[a-z]{2,3}", code) is not None
    if valid:
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            valid = False
    if not valid:
        report.error(
            node.line,
            item,
            f"'language' {code!r} is not a known language code (such as en, ms, th)",
        )
        return ""
    return code


def _competency(fields: dict[str, Node], item: str, line: int, report: _Report) -> Competency:
    node = fields.get("competency")
    names = [c.value for c in COMPETENCIES]
    if node is None or node.value in (None, ""):
        report.error(line, item, f"'competency' is missing: one of {', '.join(names)}")
        return Competency.CRITICAL_THINKING
    value = str(node.value).strip().lower().replace(" ", "-").replace("_", "-")
    if value not in names:
        close = difflib.get_close_matches(value, names, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        report.error(
            node.line,
            item,
            f"'competency' {node.value!r} is not one of the seven: "
            f"{hint}use one of {', '.join(names)}",
        )
        return Competency.CRITICAL_THINKING
    return Competency(value)


def _items(
    fields: dict[str, Node],
    key: str,
    item: str,
    report: _Report,
    build: Callable[[Node], Any],
) -> list[Any]:
    node = fields.get(key)
    if node is None or node.value is None:
        return []
    if not isinstance(node.value, list):
        report.error(node.line, item, f"'{key}' must be a list (each entry starting with '- ')")
        return []
    out = []
    for entry in node.value:
        if not isinstance(entry.value, dict):
            report.error(
                entry.line, item, f"each entry of '{key}' must have keys like id: and text:"
            )
            continue
        built = build(entry)
        if built is not None:
            out.append(built)
    return out


def _pack(root: Node, path: Path, report: _Report) -> tuple[Pack | None, dict[str, int]]:
    if not isinstance(root.value, dict):
        report.error(
            root.line, "(file)", "a pack must start with keys such as id:, title:, language:"
        )
        return None, {}
    fields = _keys(root, PACK_KEYS, "(pack)", report)
    pack_id, pack_line = _id(fields, 1, report, "(pack)")
    item = pack_id or "(pack)"
    title = _text(fields, "title", item, 1, report, maximum=limits.TITLE_MAX)
    language = _language(fields, item, 1, report)
    competency = _competency(fields, item, 1, report)
    description = _text(
        fields, "description", item, 1, report, maximum=limits.DESCRIPTION_MAX, required=False
    )
    review = _choice(fields, "review", REVIEW_STATES, item, report) or "reviewed"
    folder = path.parent.name
    if language and re.fullmatch(r"[a-z]{2,3}", folder) and folder != language:
        report.error(
            fields["language"].line,
            item,
            f"'language' is {language!r} but the pack is in the folder {folder}/: "
            "move the file or fix the language",
        )
    lines: dict[str, int] = {pack_id: pack_line}
    seen: dict[str, int] = {}

    def remember(item_id: str, line: int) -> None:
        if item_id in seen or item_id == pack_id:
            first = seen.get(item_id, pack_line)
            report.error(line, item_id, f"id already used on line {first} of this pack")
        seen[item_id] = line
        lines.setdefault(item_id, line)

    def tip(entry: Node) -> Tip | None:
        f = _keys(entry, TIP_KEYS, "(tip)", report)
        tip_id, line = _id(f, entry.line, report, "(tip)")
        remember(tip_id, line)
        text = _text(f, "text", tip_id, line, report, maximum=limits.TIP_TEXT_MAX)
        source = _url(f, tip_id, line, report)
        return Tip(tip_id, text, source, pack_id, language, competency)

    def question(entry: Node) -> Question | None:
        return _question(entry, pack_id, language, competency, report, remember)

    def checkup_item(entry: Node) -> CheckupItem | None:
        return _checkup_item(entry, pack_id, language, report, remember)

    tips = _items(fields, "tips", item, report, tip)
    questions = _items(fields, "questions", item, report, question)
    checkup = _items(fields, "checkup", item, report, checkup_item)
    if not tips and not questions and not checkup:
        report.error(
            1, item, "the pack has no tips, no questions and no checkup items: add at least one"
        )
    pack = Pack(
        pack_id,
        title,
        language,
        competency,
        description,
        tuple(tips),
        tuple(questions),
        report.path,
        review,
        tuple(checkup),
    )
    return pack, lines


def _checkup_item(
    entry: Node,
    pack_id: str,
    language: str,
    report: _Report,
    remember: Callable[[str, int], None],
) -> CheckupItem:
    """An item of the discernment checkup: a headline or post, whether it is real, and the
    source that shows it (the article, or the fact-check that debunks it)."""
    f = _keys(entry, CHECKUP_KEYS, "(checkup item)", report)
    item_id, line = _id(f, entry.line, report, "(checkup item)")
    remember(item_id, line)
    text = _text(f, "text", item_id, line, report, maximum=limits.CHECKUP_TEXT_MAX)
    real_node = f.get("real")
    real = False
    if real_node is None or real_node.value in (None, ""):
        report.error(
            line, item_id, "'real' is missing: write real: yes for a true headline or post, "
            "real: no for a false one"
        )  # fmt: skip
    elif not isinstance(real_node.value, bool):
        report.error(real_node.line, item_id, f"'real' is {real_node.value!r}: write yes or no")
    else:
        real = real_node.value
    source_node = f.get("source")
    source = ""
    if source_node is None or source_node.value in (None, ""):
        report.error(
            line, item_id, "'source' is missing: a checkup item needs the link that shows it is "
            "real (the article) or false (the fact-check)"
        )  # fmt: skip
    else:
        source = _url(f, item_id, line, report)
    explanation = _text(
        f, "explanation", item_id, line, report,
        maximum=limits.CHECKUP_EXPLANATION_MAX, required=False,
    )  # fmt: skip
    return CheckupItem(item_id, text, real, source, pack_id, language, explanation)


def _question(
    entry: Node,
    pack_id: str,
    language: str,
    competency: Competency,
    report: _Report,
    remember: Callable[[str, int], None],
) -> Question | None:
    f = _keys(entry, QUESTION_KEYS, "(question)", report)
    qid, line = _id(f, entry.line, report, "(question)")
    remember(qid, line)
    kind_node = f.get("kind")
    kind = "scenario"
    if kind_node is not None and kind_node.value is not None:
        kind = str(kind_node.value)
        if kind not in QUESTION_KINDS:
            report.error(
                kind_node.line, qid, f"'kind' {kind!r} is not one of {', '.join(QUESTION_KINDS)}"
            )
    text = _text(f, "text", qid, line, report, maximum=limits.QUESTION_TEXT_MAX)
    options = _options(f, qid, line, report)
    answer = _answer(f, options, qid, line, report)
    explanation = _text(f, "explanation", qid, line, report, maximum=limits.EXPLANATION_MAX)
    source = _url(f, qid, line, report)
    _weak(qid, line, options, options[answer] if answer < len(options) else "", explanation,
          report)  # fmt: skip
    technique = _choice(f, "technique", TECHNIQUES, qid, report)
    image, alt = _image(f, qid, line, report)
    return Question(
        qid, kind, text, tuple(options), answer, explanation, source, pack_id, language, competency,
        technique=technique,
        image=image,
        alt=alt,
        credible=_flag(f, "credible", qid, report),
        skill=_flag(f, "skill", qid, report),
    )  # fmt: skip


def _image(
    f: dict[str, Node], item: str, line: int, report: _Report
) -> tuple[str | None, str | None]:
    """A question's picture (a PNG or JPEG beside the pack) and its words for those who
    cannot see it; both or neither."""
    node, alt_node = f.get("image"), f.get("alt")
    alt = _text(f, "alt", item, line, report, maximum=limits.ALT_MAX, required=node is not None)
    if node is None or node.value in (None, ""):
        if alt_node is not None:
            report.error(alt_node.line, item, "'alt' describes a picture, but there is no 'image'")
        return None, None
    name = str(node.value).strip()
    path = (Path(report.path).parent / name).resolve()
    if Path(name).is_absolute() or ".." in Path(name).parts:
        report.error(node.line, item, f"'image' {name!r} must be a file beside the pack, "
                     "e.g. images/my-picture.png")  # fmt: skip
        return None, None
    if not path.is_file():
        report.error(node.line, item, f"'image' {name!r} is not there: put the file in "
                     f"{display_path(path.parent)}/ or fix the name")  # fmt: skip
        return None, None
    problem = _image_problem(path)
    if problem:
        report.error(node.line, item, f"'image' {name!r} {problem}")
        return None, None
    return str(path), alt


def _image_problem(path: Path) -> str | None:
    """Say what keeps a file from being sent as a question's photo, if anything."""
    size = path.stat().st_size
    if size > limits.IMAGE_BYTES_MAX:
        return (f"is {size // 1024} KB; at most {limits.IMAGE_BYTES_MAX // 1024} KB "
                "(learners are often on slow data: make it smaller)")  # fmt: skip
    try:
        with Image.open(path) as image:
            kind, (width, height) = image.format, image.size
    except (OSError, ValueError):
        return "is not a picture Pillow can read: save it as PNG or JPEG"
    if kind not in ("PNG", "JPEG"):
        return f"is {kind}: save it as PNG or JPEG"
    if max(width, height) > limits.IMAGE_SIDE_MAX or max(width, height) > 20 * min(width, height):
        return (f"is {width}x{height}; keep each side at most {limits.IMAGE_SIDE_MAX} pixels "
                "and the long side at most 20 times the short one")  # fmt: skip
    return None


def _choice(
    f: dict[str, Node], key: str, allowed: tuple[str, ...], item: str, report: _Report
) -> str | None:
    node = f.get(key)
    if node is None or node.value is None:
        return None
    value = str(node.value)
    if value not in allowed:
        close = difflib.get_close_matches(value, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(allowed)}"
        report.error(node.line, item, f"'{key}' {value!r} is not known: {hint}")
        return None
    return value


def _flag(f: dict[str, Node], key: str, item: str, report: _Report) -> bool:
    node = f.get(key)
    if node is None or node.value is None:
        return False
    if not isinstance(node.value, bool):
        report.error(node.line, item, f"'{key}' must be yes or no")
        return False
    return node.value


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _weak(
    qid: str, line: int, options: list[str], answer: str, explanation: str, report: _Report
) -> None:
    """Warn about questions that teach little: an explanation that only repeats the answer,
    options whose lengths give the answer away."""
    if explanation and answer:
        in_answer = set(_words(answer))
        extra = [w for w in _words(explanation) if w not in in_answer]
        if len(extra) < EXPLANATION_NEW_WORDS:
            report.warn(line, qid, "the explanation only repeats the answer: say why it is "
                        "right, and how to check next time")  # fmt: skip
    lengths = [len(o) for o in options if o]
    if len(lengths) >= 2:
        short, long = min(lengths), max(lengths)
        if long - short > OPTION_SPREAD and long > OPTION_RATIO * short:
            report.warn(line, qid, f"options run from {short} to {long} characters: the right "
                        "one can stand out by its length alone; make them alike")  # fmt: skip


def _similar_questions(packs: list[Pack], problems: list[Problem], lines: dict[str, int]) -> None:
    """Warn about a question that says (nearly) what one in another pack of its language
    says. Each question is compared with the others of its language only, and only with
    those whose count of words could overlap enough: sets of m and n words (m <= n) share at
    most m/n of their union. (Comparing every pair took a fifth of the packs' loading.)"""
    seen_in: dict[str, dict[int, list[tuple[int, set[str], Question]]]] = {}
    order = 0
    for pack in packs:
        by_size = seen_in.setdefault(pack.language, {})
        for q in pack.questions:
            order += 1
            words = set(_words(q.text))
            if not words:
                continue
            size = len(words)
            sizes = range(
                math.ceil(size * DUPLICATE_OVERLAP - 1e-9),  # a size at the edge counts
                math.floor(size / DUPLICATE_OVERLAP + 1e-9) + 1,
            )
            candidates = sorted(
                (c for n in sizes for c in by_size.get(n, ())), key=lambda c: c[0]
            )  # in the order they came, as a person reading the packs would meet them
            for _, other_words, other in candidates:
                if other.pack_id == q.pack_id:
                    continue
                overlap = len(words & other_words) / len(words | other_words)
                if overlap >= DUPLICATE_OVERLAP:
                    problems.append(Problem(
                        pack.path, lines.get(q.id, 1), q.id,
                        f"looks like question {other.id} of pack {other.pack_id}: a duplicate?",
                        warning=True,
                    ))  # fmt: skip
                    break
            by_size.setdefault(size, []).append((order, words, q))


def _options(f: dict[str, Node], qid: str, line: int, report: _Report) -> list[str]:
    node = f.get("options")
    if node is None or not isinstance(node.value, list):
        report.error(
            node.line if node else line, qid, "'options' is missing: a list of 2 to 12 answers"
        )
        return []
    options: list[str] = []
    for number, option in enumerate(node.value, start=1):
        if not isinstance(option.value, str | int | float) or isinstance(option.value, bool):
            report.error(option.line, qid, f"option {number} must be text (put it in quotes)")
            options.append("")
            continue
        text = str(option.value).strip()
        if not text:
            report.error(option.line, qid, f"option {number} is empty")
        elif len(text) > limits.OPTION_MAX:
            report.error(
                option.line,
                qid,
                f"option {number} is {len(text)} characters; at most {limits.OPTION_MAX} fit",
            )
        elif text in options:
            report.error(option.line, qid, f"option {number} repeats an earlier option")
        options.append(text)
    if not limits.OPTIONS_MIN <= len(options) <= limits.OPTIONS_MAX:
        report.error(
            node.line,
            qid,
            f"'options' has {len(options)}; give {limits.OPTIONS_MIN} to {limits.OPTIONS_MAX}",
        )
    return options


def _answer(f: dict[str, Node], options: list[str], qid: str, line: int, report: _Report) -> int:
    node = f.get("answer")
    if node is None or node.value in (None, ""):
        report.error(line, qid, "'answer' is missing: copy the text of the right option")
        return 0
    value = str(node.value).strip()
    if value in options:
        return options.index(value)
    close = difflib.get_close_matches(value, [o for o in options if o], n=1)
    hint = f" did you mean {close[0]!r}?" if close else ""
    report.error(
        node.line,
        qid,
        f"'answer' {value!r} is not one of the options; it must be the exact text of one.{hint}",
    )
    return 0


def pack_files(paths: Iterable[Path], problems: list[Problem]) -> list[Path]:
    """Expand folders into the pack files below them; report paths that are not there."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in PACK_SUFFIXES and p.is_file())
            if not found:
                problems.append(
                    Problem(display_path(path), 0, "(folder)", "has no .yaml packs", warning=True)
                )
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            problems.append(Problem(display_path(path), 0, "(file)", "not found"))
    return out


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of checking packs: every problem, and what the sound packs hold."""

    problems: tuple[Problem, ...]
    content: Content

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    def summary(self) -> str:
        """Return the closing lines: counts per language and competency, then the verdict."""
        lines = []
        for language in sorted(self.content.languages):
            packs = [p for p in self.content.packs if p.language == language]
            tips = sum(len(p.tips) for p in packs)
            questions = sum(len(p.questions) for p in packs)
            drafts = sum(p.review == "draft" for p in packs)
            pool = [c for p in packs for c in p.checkup]
            real = sum(c.real for c in pool)
            lines.append(
                f"{language}: {len(packs)} pack(s), {tips} tip(s), {questions} question(s)"
                + (f", checkup {real} real and {len(pool) - real} false item(s)" if pool else "")
                + (
                    f" ({drafts} draft pack(s) awaiting a native speaker's review)"
                    if drafts
                    else ""
                )
            )
            for competency in COMPETENCIES:
                of = [p for p in packs if p.competency == competency]
                lines.append(
                    f"  {competency.value}: {sum(len(p.tips) for p in of)} tip(s), "
                    f"{sum(len(p.questions) for p in of)} question(s)"
                )
            asked = [q for p in packs for q in p.questions]
            if asked:
                lines.append("  " + _mix(asked))
        verdict = (
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
            if self.problems
            else "all packs are valid"
        )
        lines.append(verdict)
        return "\n".join(lines)


def _mix(questions: list[Question]) -> str:
    """The shape of a language's questions: how many show something trustworthy, have four
    options or more, name a manipulation technique, have the learner do the check, a picture."""
    count = len(questions)

    def share(n: int) -> str:
        return f"{n} ({round(100 * n / count)}%)"

    techniques = {q.technique for q in questions if q.technique}
    return (
        f"questions: credible {share(sum(q.credible for q in questions))}, "
        f"four options or more {share(sum(len(q.options) >= 4 for q in questions))}, "
        f"techniques {sum(bool(q.technique) for q in questions)} "
        f"({len(techniques)} of {len(TECHNIQUES)} kinds), "
        f"skill {sum(q.skill for q in questions)}, "
        f"pictures {sum(q.image is not None for q in questions)}"
    )


def validate_paths(paths: Iterable[Path]) -> ValidationReport:
    """Check pack files and folders together (ids must be unique across all of them)."""
    problems: list[Problem] = []
    loaded: list[tuple[Pack, dict[str, int]]] = []
    for path in pack_files(paths, problems):
        pack, lines, file_problems = _load(path)
        problems.extend(file_problems)
        if pack is not None:
            loaded.append((pack, lines))
    packs = _drop_duplicates(loaded, problems)
    all_lines = {item: line for _, lines in loaded for item, line in lines.items()}
    _similar_questions(packs, problems, all_lines)
    _floors(packs, problems)
    _checkup_pools(packs, problems)
    return ValidationReport(tuple(problems), Content.of(tuple(packs)))


def _checkup_pools(packs: list[Pack], problems: list[Problem]) -> None:
    """Warn where a language's checkup pool is too small to draw a checkup from."""
    for language in sorted({p.language for p in packs if p.checkup}):
        of = [p for p in packs if p.language == language]
        pool = [c for p in of for c in p.checkup]
        real = sum(c.real for c in pool)
        least = limits.CHECKUP_MIN_PER_SIDE
        if min(real, len(pool) - real) < least:
            fallback = "its people get the English one" if language != "en" else "there is none"
            problems.append(Problem(
                display_path(Path(of[0].path).parent), 0, f"({language})",
                f"the checkup pool has {real} real and {len(pool) - real} false item(s); a "
                f"checkup needs at least {least} of each, so until then {fallback}",
                warning=True,
            ))  # fmt: skip


def _floors(packs: list[Pack], problems: list[Problem]) -> None:
    """Warn where a language has fewer tips or questions on a competency than its floor."""
    for language in sorted({p.language for p in packs}):
        floor = limits.FLOORS.get(language, limits.DEFAULT_FLOOR)
        of = [p for p in packs if p.language == language]
        where = display_path(Path(of[0].path).parent) if of else language
        for competency in COMPETENCIES:
            tips = sum(len(p.tips) for p in of if p.competency == competency)
            questions = sum(len(p.questions) for p in of if p.competency == competency)
            if tips < floor or questions < floor:
                problems.append(Problem(
                    where, 0, f"({language})",
                    f"{competency.value} has {tips} tip(s) and {questions} question(s); "
                    f"learners in this language need at least {floor} of each: add a pack",
                    warning=True,
                ))  # fmt: skip

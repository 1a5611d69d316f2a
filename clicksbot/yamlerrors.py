"""YAML mistakes people make by hand (a tab, a missing colon, a line out of line, a quote left
open), recognised from PyYAML's error and the text, and said in plain words with the fix.

PyYAML says where it *noticed* a problem, which is often the line after the mistake (a missing
colon) or the end of the file (a quote left open); these rules find the line the person has to
change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

# A line's name and its colon, after any list dashes: `  - id: x` -> `id`.
_NAME = re.compile(r"([^\s#'\"\[{&*!|>%@`-][^:#]*?|[\"'][^\"']*[\"']):(?=\s|$)")
_INDENT_PROBLEMS = (
    "expected <block end>",
    "did not find expected key",
    "did not find expected '-' indicator",
)
# `title:Test`: a name and its value with no space between (not `https://...`).
_GLUED = re.compile(r"(?:-\s+)?([A-Za-z_][\w-]*):(?!//)(\S+)")
_CLOSING = {"[": "]", "{": "}"}
_LINE_UP = (
    "The names of one item, and the dashes of the items of one list, start in the same "
    "column: add or remove spaces at the start of the line so they line up."
)


@dataclass(frozen=True)
class _Shape:
    """What a line starts with: how far it is indented, a list dash, a name before a colon."""

    indent: int  # spaces before the first character
    dash: int | None  # the column of a list dash `- `
    name: str | None  # the name before `: `
    name_column: int | None  # where that name starts
    colon: int | None  # the column of its colon

    @property
    def lines_up_at(self) -> int:
        """The column that the next name of the same item lines up with."""
        return self.name_column if self.name_column is not None else self.indent


def _shape(line: str) -> _Shape:
    indent = len(line) - len(line.lstrip(" "))
    position, dash = indent, None
    while line[position : position + 2] == "- " or line[position:].rstrip() == "-":
        dash = position if dash is None else dash
        position += 2
        while line[position : position + 1] == " ":
            position += 1
    match = _NAME.match(line, position)
    if match is None:
        return _Shape(indent, dash, None, None, None)
    return _Shape(indent, dash, match.group(1).strip(), position, match.end() - 1)


def _meaningful(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#") and stripped not in ("---", "...")


def _spaces(count: int) -> str:
    return f"{count} space" + ("" if count == 1 else "s")


class _Text:
    """The document, for looking around the line PyYAML named."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.starts = [0]
        for line in text.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def line(self, number: int) -> str:
        """Return line `number` (1-based), "" beyond the end."""
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""

    def before(self, number: int) -> int | None:
        """Return the number of the last line before `number` that holds YAML (not a comment)."""
        for n in range(min(number, len(self.lines) + 1) - 1, 0, -1):
            if _meaningful(self.lines[n - 1]):
                return n
        return None

    def open_quote(self, last: int) -> tuple[int, str] | None:
        """Return the last line up to `last` whose value opens a quote that does not close
        where a quoted text can end (so YAML read on into the lines after it), and the quote."""
        for number in range(min(last, len(self.lines)), 0, -1):
            line = self.lines[number - 1]
            shape = _shape(line)
            start = shape.colon + 1 if shape.colon is not None else shape.dash
            if start is None:
                continue
            if shape.colon is None:
                start += 1  # past the dash
            while line[start : start + 1] == " ":
                start += 1
            quote = line[start : start + 1]
            if quote not in ("'", '"'):
                continue
            opening = self.starts[number - 1] + start
            closing = _closing_quote(self.text, opening)
            if closing is not None and self._offset_line(closing) == number:
                continue  # opened and closed on its own line
            if closing is None or not _ends_well(self.text, closing + 1):
                return number, quote
        return None

    def open_bracket(self, last: int) -> tuple[int, str] | None:
        """Return the last line up to `last` whose value opens a [ or { that it does not
        close, and that bracket."""
        for number in range(min(last, len(self.lines)), 0, -1):
            line = self.lines[number - 1]
            shape = _shape(line)
            value = line[shape.colon + 1 :] if shape.colon is not None else line
            value = value.strip()
            if value[:1] in ("[", "{") and value.count(value[0]) > value.count(_CLOSING[value[0]]):
                return number, value[0]
        return None

    def _offset_line(self, offset: int) -> int:
        for number, start in enumerate(self.starts[1:], 1):
            if offset < start:
                return number
        return len(self.lines)


def _closing_quote(text: str, opening: int) -> int | None:
    """Return the offset of the quote that closes the one at `opening`, or None."""
    quote = text[opening]
    i = opening + 1
    while i < len(text):
        char = text[i]
        if quote == '"' and char == "\\":
            i += 2
            continue
        if char == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                i += 2  # '' is one ' inside single quotes
                continue
            return i
        i += 1
    return None


def _ends_well(text: str, offset: int) -> bool:
    """Return whether a quoted text may end here: at the end of its line or before a comment,
    a colon (a quoted name) or a comma or bracket (inside [ ] or { })."""
    rest = text[offset:].split("\n", 1)[0].strip()
    return rest == "" or rest[0] in "#:,]}"


def explain(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str] | None:
    """Return the line to change and what is wrong there, in plain words with the fix; None
    when the error is none of the mistakes known here."""
    doc = _Text(text)
    problem = exc.problem or ""
    context = exc.context or ""
    if exc.problem_mark is None:
        return None
    at, column = exc.problem_mark.line + 1, exc.problem_mark.column
    opening = exc.context_mark
    since = opening.line + 1 if opening is not None else None
    if "\t" in problem or "'\\t'" in problem or "tab" in problem.lower():
        return at, _tab(doc.line(at))
    if opening is not None and context.startswith("while scanning a quoted scalar"):
        quote = doc.line(opening.line + 1)[opening.column : opening.column + 1]
        return opening.line + 1, _unclosed(quote or '"')
    if since is not None and context.startswith("while parsing a flow"):
        opened = doc.open_bracket(since)
        if opened is not None:
            return opened[0], _unclosed_bracket(opened[1])
    if "found '<scalar>'" in problem or problem == "could not find expected ':'":
        found = doc.open_quote(at)
        if found is not None:
            return found[0], _unclosed(found[1])
    if "found '<scalar>'" in problem:
        after = _after_quote(doc.line(at))
        if after is not None:
            return at, after
    if problem.startswith("found unknown escape character"):
        return at, (
            "a backslash (\\) inside double quotes starts a special character such as \\n: "
            "write \\\\ for a backslash, or put the text in single quotes"
        )
    if problem == "could not find expected ':'" and since is not None:
        return since, _no_colon(doc.line(since))
    if problem == "mapping values are not allowed here":
        return _colon_or_indent(doc, at, column)
    if any(p in problem for p in _INDENT_PROBLEMS):
        return at, _out_of_line(doc, at)
    return None


def _tab(line: str) -> str:
    column = line.find("\t")
    if column >= 0 and not line[:column].strip():
        return (
            "a tab character indents this line, and YAML allows only spaces there: replace "
            "the tab with spaces (many editors can be set to type spaces for the Tab key)"
        )
    shape = _shape(line)
    where = f" after `{shape.name}:`" if shape.name and shape.colon is not None else ""
    return (
        f"there is a tab character in this line{where}, where YAML allows only spaces: "
        "replace it with a space"
    )


def _unclosed(quote: str) -> str:
    return (
        f"the quote mark {quote} that starts this text is never closed, so YAML reads on into "
        f"the lines below: end the text with {quote} (or remove the opening {quote})"
    )


def _unclosed_bracket(bracket: str) -> str:
    closing = _CLOSING[bracket]
    return (
        f"the {bracket} opened in this line is never closed: add the closing {closing} (or "
        "write a list one item a line, each starting with `- `)"
    )


def _after_quote(line: str) -> str | None:
    """Text that goes on after its closing quote: `title: 'It's here'`."""
    shape = _shape(line)
    start = shape.colon + 1 if shape.colon is not None else None
    if start is None:
        return None
    while line[start : start + 1] == " ":
        start += 1
    quote = line[start : start + 1]
    if quote not in ("'", '"'):
        return None
    closing = _closing_quote(line, start)
    if closing is None or _ends_well(line, closing + 1):
        return None
    if quote == "'":
        return (
            "the text in single quotes ends at the next ' and more text follows it: inside "
            "single quotes write a ' twice ('It''s'), or put the text in double quotes "
            '("It\'s")'
        )
    return (
        'the text in double quotes ends at the next " and more text follows it: put the whole '
        'text inside the quotes, writing a " inside it as \\" (or put the text in single quotes)'
    )


def _no_colon(line: str) -> str:
    stripped = line.strip()
    glued = _GLUED.match(stripped)
    if glued is not None:
        return (
            f"`{glued.group(0)}` needs a space after the colon: write "
            f"`{glued.group(1)}: {glued.group(2)}`"
        )
    if stripped.startswith("-") and not stripped.startswith("- ") and stripped != "-":
        return (
            f"a list item needs a space after its dash: write `- {stripped[1:].strip()}` "
            f"instead of `{stripped}`"
        )
    shown = stripped if len(stripped) <= 30 else stripped[:29] + "…"
    return (
        f"`{shown}` has no colon after its name: write it as `name: value`, with a colon and "
        "a space (like `title: My pack`); if this line goes on with the text of the line "
        "above, indent it further than that line's name, or write that text as a block (`>-`)"
    )


def _colon_or_indent(doc: _Text, at: int, column: int) -> tuple[int, str] | None:
    """`mapping values are not allowed here`: a colon inside a text, a line indented too far
    (YAML reads it as more text of the line above), or a missing colon on the line above."""
    line = doc.line(at)
    shape = _shape(line)
    if shape.colon is not None and shape.colon < column:
        word = line[:column].split()[-1] if line[:column].split() else ""
        return at, (
            f"the text after `{shape.name}:` holds a colon and a space (`{word}: `), which "
            "YAML reads as a new name: put the whole text in double quotes, or write it as a "
            f"block (`{shape.name}: >-`, then the text on the next lines, indented)"
        )
    previous = doc.before(at)
    if previous is None:
        return None
    above = _shape(doc.line(previous))
    if above.colon is None:
        return previous, _no_colon(doc.line(previous))
    if shape.indent > above.lines_up_at:
        name = f"`{shape.name}`" if shape.name else "this line"
        return at, (
            f"{name} is indented further than `{above.name}` on line {previous} "
            f"({_spaces(shape.indent)}, not {above.lines_up_at}), so YAML reads it as more "
            f"text of that line: line it up with `{above.name}`"
        )
    return None


def _out_of_line(doc: _Text, at: int) -> str:
    """A line that does not line up with the one above it: say where each starts."""
    line = _shape(doc.line(at))
    previous = doc.before(at)
    if previous is None:
        return f"this line is indented {_spaces(line.indent)}: start it at the left edge"
    above = _shape(doc.line(previous))
    if line.dash is None and above.name_column is not None and above.indent > line.indent:
        # A name less indented than the line above: it belongs with a line further up.
        for number in range(previous, 0, -1):
            candidate = _shape(doc.line(number))
            if _meaningful(doc.line(number)) and candidate.indent <= line.indent:
                previous, above = number, candidate
                break
    if line.dash is not None:
        this = f"the dash of this item starts after {_spaces(line.dash)}"
    else:
        this = f"`{line.name}`" if line.name else "this line"
        this += f" starts after {_spaces(line.indent)}"
    if line.dash is not None and above.dash is not None:
        that = f"the dash on line {previous} after {above.dash}"
    elif above.name is not None and line.dash is None:
        that = f"`{above.name}` on line {previous} after {above.lines_up_at}"
    else:
        that = f"line {previous} after {above.indent}"
    return f"this line does not line up with line {previous}: {this}, but {that}. {_LINE_UP}"

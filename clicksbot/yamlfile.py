"""YAML written by people (packs, the pact, campaigns, the config): one strict parser for all.

Aliases and anchors (`&a`, `*a`) are refused as the parser meets them, before anything is
expanded: a few hundred bytes of nested aliases (a "billion laughs") would otherwise grow into
billions of values, and an alias inside its own anchor into endless recursion. People who write
these files never need them: the text is written out instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from clicksbot import yamlerrors

ALIASES_REFUSED = "aliases and anchors are not allowed: write the text out"
TOO_DEEP = "nested too deeply"


class AliasError(yaml.MarkedYAMLError):
    """An alias or an anchor, where the parser met it."""


class ValueProblem(yaml.MarkedYAMLError):
    """A value that cannot be read as what it looks like (the date 2021-02-30), or has a tag
    nothing here knows, where it stands."""


TEXT = "tag:yaml.org,2002:str"  # a scalar that is text: its value is its own
_KINDS = {
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "yes or no",
    "tag:yaml.org,2002:binary": "binary data",
}


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing every alias and anchor before it is composed."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise AliasError(problem=ALIASES_REFUSED, problem_mark=event.start_mark)
        return super().compose_node(parent, index)


# libyaml's parser, where PyYAML was built with it (its wheels are): valid packs load seven
# times faster than with the pure-Python parser, which took most of the bot's start-up.
_FastLoader: Any = getattr(yaml, "CSafeLoader", None)


def compose(text: str) -> yaml.Node | None:
    """Parse YAML into its node tree (each node knows its line); None for an empty document.

    Raise `yaml.YAMLError` for text that is not YAML, `AliasError` for an alias or anchor, and
    a `yaml.MarkedYAMLError` saying so for nesting too deep to follow.

    libyaml reads it first, refusing aliases and anchors from its events before a node is
    built; text it finds wrong is read again by the pure-Python parser, whose errors
    `problem` knows how to explain (and so is text with a tab, which libyaml takes in places
    where PyYAML refuses it: both must accept the same files).
    """
    if _FastLoader is not None and "\t" not in text:  # libyaml allows tabs PyYAML refuses
        try:
            return _compose_fast(text)
        except RecursionError:
            raise yaml.MarkedYAMLError(problem=TOO_DEEP) from None
        except yaml.YAMLError:
            pass  # read again below, for the error as people are told it
    loader = _StrictLoader(text)
    try:
        return loader.get_single_node()
    except RecursionError:
        raise yaml.MarkedYAMLError(problem=TOO_DEEP) from None
    finally:
        loader.dispose()


def _compose_fast(text: str) -> yaml.Node | None:
    for event in yaml.parse(text, Loader=_FastLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.YAMLError(ALIASES_REFUSED)  # the strict parser says where
    loader = _FastLoader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
    finally:
        loader.dispose()
    return node


def construct(node: yaml.Node | None) -> Any:
    """Turn a node tree from `compose` into plain Python values (dicts, lists, scalars).

    Raise `ValueProblem` for the first value that cannot be read as what it looks like."""
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except RecursionError:
        raise yaml.MarkedYAMLError(problem=TOO_DEEP) from None
    except (ValueError, TypeError, OverflowError):  # PyYAML's own, with no line: find it
        for each in _scalars(node):
            scalar(each)
        raise
    finally:
        loader.dispose()


def scalar(node: yaml.ScalarNode) -> Any:
    """Return the value of one scalar; raise `ValueProblem`, saying what to write instead,
    for one that cannot be read as what it looks like or whose tag is unknown."""
    if node.tag == TEXT:  # most of what people write (a loader for each cost 0.3 s a start)
        return node.value
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        kind = _KINDS.get(node.tag)
        what = (
            f"'{node.value}' cannot be read with its tag ({node.tag}): remove the tag"
            if kind is None
            else f"'{node.value}' looks like {kind} but is not one: put it in quotes"
        )
        raise ValueProblem(problem=what, problem_mark=node.start_mark) from None
    finally:
        loader.dispose()


def _scalars(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    """Every scalar of a node tree, keys included, in the order they are written."""
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)


def load(text: str) -> Any:
    """Parse YAML into plain Python values, refusing aliases and anchors (see `compose`)."""
    return construct(compose(text))


def problem(exc: yaml.YAMLError, text: str = "") -> tuple[int, str]:
    """Return the line to change (1-based; 1 when unknown) and a plain statement of what is
    wrong there; with the `text` that failed, common mistakes are named with their fix."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    if isinstance(exc, AliasError):
        return line, ALIASES_REFUSED
    if isinstance(exc, ValueProblem):
        return line, str(exc.problem)
    if text and isinstance(exc, yaml.MarkedYAMLError):
        explained = yamlerrors.explain(exc, text)
        if explained is not None:
            return explained[0], f"not valid YAML: {explained[1]}"
    what = getattr(exc, "problem", None) or str(exc) or "not valid YAML"
    return line, f"not valid YAML: {what}"


def read_yaml(path: Path, error: type[Exception]) -> tuple[Any, dict[str, int]]:
    """Read a small YAML file: its data and the line of each key path (`a.b`, `a.list[2]`).

    Raise `error` with "file:line: what is wrong" when it cannot be read or parsed.
    """
    text = ""
    try:
        text = path.read_text(encoding="utf-8")
        root = compose(text)
        data = construct(root)
        lines = key_lines(root) if root is not None else {}
    except RecursionError:
        raise error(f"{path}:1: {TOO_DEEP}") from None
    except FileNotFoundError:
        raise error(f"{path}: not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: is not UTF-8 text; save it as UTF-8") from None
    except yaml.YAMLError as exc:
        line, what = problem(exc, text)
        raise error(f"{path}:{line}: {what}") from None
    return data, lines


def key_lines(node: yaml.Node, path: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Map each key path (`languages.en.title`, `...commitments[2]`) to its line."""
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            key_lines(value, f"{path}.{key.value}" if path else str(key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key_lines(item, f"{path}[{i}]", out)
    return out

"""Telegram's own rules for what the Bot API accepts, pure and as strict as Telegram.

The emulator checks every call against them, and the bot uses them too (the broadcast preview).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from urllib.parse import urlsplit

__all__ = [
    "ApiError",
    "CommandScope",
    "check_callback_answer_text",
    "check_callback_answer_url",
    "check_caption",
    "check_command_language",
    "check_command_scope",
    "check_commands",
    "check_deep_link_payload",
    "check_inline_results",
    "check_message_text",
    "check_poll",
    "check_reply_markup",
    "parse_html",
    "parse_text",
    "utf16_len",
]

_MAX_MESSAGE_LENGTH = 4096
_MAX_CAPTION_LENGTH = 1024
_MAX_ENTITIES = 100
_MAX_CALLBACK_DATA_BYTES = 64
_MAX_INLINE_BUTTONS = 100
_MAX_INLINE_BUTTONS_PER_ROW = 8
_MAX_REPLY_BUTTONS = 300
_MAX_REPLY_BUTTONS_PER_ROW = 12
_MAX_PLACEHOLDER_LENGTH = 64
_MAX_COPY_TEXT_LENGTH = 256
_MAX_COMMANDS = 100
_MAX_COMMAND_LENGTH = 32
_MAX_COMMAND_DESCRIPTION_LENGTH = 256
_MAX_CALLBACK_ANSWER_LENGTH = 200
_MAX_POLL_QUESTION_LENGTH = 300
_MIN_POLL_OPTIONS = 2
_MAX_POLL_OPTIONS = 12
_MAX_POLL_OPTION_LENGTH = 100
_MAX_POLL_EXPLANATION_LENGTH = 200
_MAX_POLL_EXPLANATION_LINE_FEEDS = 2
_MAX_DEEP_LINK_PAYLOAD_LENGTH = 64
_MAX_INLINE_RESULTS = 50
_MAX_INLINE_RESULT_ID_BYTES = 64

_CANT_PARSE = "Bad Request: can't parse entities: "
_BAD_ENTITY = "Bad Request: can't parse MessageEntity: "
_BAD_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"

# Tag name -> entity type it produces (span is a spoiler only with class="tg-spoiler").
_TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_STYLE_TYPES = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_QUOTE_TYPES = frozenset({"blockquote", "expandable_blockquote"})
_MONOSPACE_TYPES = frozenset({"code", "pre"})
_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)
_HTML_SPACES = frozenset(" \t\r\n\v")
_ATTRIBUTE_NAME_END = _HTML_SPACES | frozenset("=>/\"'")
_CHAR_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9\-]{0,62}"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3}){3}"
)
_TG_HOST = re.compile(r"[A-Za-z0-9_\-]+")
_DIGITS = re.compile(r"[0-9]{1,20}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_DEEP_LINK = re.compile(r"[A-Za-z0-9_\-]{1,64}")

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "login_url",
    "web_app",
    "pay",
    "callback_game",
)
_BUTTON_EXTRAS = frozenset({"text", "style", "icon_custom_emoji_id"})
_BUTTON_STYLES = frozenset({"primary", "success", "danger"})
_REPLY_ACTIONS = (
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
    "request_users",
    "request_chat",
    "request_managed_bot",
)
_INLINE_RESULT_TYPES = frozenset(
    {
        "article",
        "photo",
        "gif",
        "mpeg4_gif",
        "video",
        "audio",
        "voice",
        "document",
        "location",
        "venue",
        "contact",
        "game",
        "sticker",
    }
)


class ApiError(Exception):
    """A Bot API error reply.

    Serialised as {"ok": false, "error_code": ..., "description": ..., "parameters": ...}.
    """

    def __init__(
        self, error_code: int, description: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(description)
        self.error_code: int = error_code
        self.description: str = description
        self.retry_after: int | None = retry_after

    def to_json(self) -> dict[str, object]:
        """The JSON body Telegram sends with this error."""
        body: dict[str, object] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    def __repr__(self) -> str:
        return f"ApiError({self.error_code}, {self.description!r})"


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram counts offsets and limits)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _require_utf8(text: str, what: str) -> None:
    if _has_lone_surrogate(text):
        raise _bad_request(f"{what} must be encoded in UTF-8")


def _json_arg(value: object, error: ApiError) -> object:
    """Decode a JSON-string argument (form-encoded requests send JSON as strings)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise error from None
    return value


def _as_bool(value: object, name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if _is_int(value) and value in (0, 1):
        return bool(value)
    raise _bad_request(f'field "{name}" must be of type Boolean')


def _is_valid_link(url: str, *, allow_tg: bool = True, https_only: bool = False) -> bool:
    """Whether ``url`` is an absolute http(s) link with a real host, or a tg:// link."""
    if not url or any(c.isspace() for c in url) or _has_lone_surrogate(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme == "tg":
        return allow_tg and bool(_TG_HOST.fullmatch(parts.netloc))
    if scheme not in (("https",) if https_only else ("http", "https")):
        return False
    if port == 0 or "@" in parts.netloc:
        return False
    host = parts.hostname or ""
    return bool(_HOST.fullmatch(host)) and len(host) <= 253


# --------------------------------------------------------------------------------------------
# Entity nesting rules (Bot API "Formatting options"): two entities either do not overlap or
# one contains the other; bold/italic/underline/strikethrough/spoiler may contain and be part
# of anything except that pre and code contain nothing; blockquotes can't be nested; all other
# entities can't contain each other. Telegram silently drops what breaks these rules; the
# emulator refuses it instead, so a bot whose formatting would be lost fails its tests.
# --------------------------------------------------------------------------------------------


def _nesting_error(outer: str, inner: str) -> str | None:
    """Why an entity of type ``inner`` can't be inside one of type ``outer``, or None if it can."""
    if outer in _MONOSPACE_TYPES:
        return f'{outer} entities can\'t contain other entities (found "{inner}")'
    if inner in _STYLE_TYPES or outer in _STYLE_TYPES:
        return None
    if outer in _QUOTE_TYPES:
        return "blockquote entities can't be nested" if inner in _QUOTE_TYPES else None
    return f'"{inner}" entities can\'t be nested inside "{outer}" entities'


def _type_rank(entity_type: str) -> int:
    if entity_type in _QUOTE_TYPES:
        return 0
    if entity_type in _STYLE_TYPES:
        return 1
    return 2


def _check_nesting(entities: list[dict[str, object]], prefix: str) -> None:
    def key(entity: dict[str, object]) -> tuple[int, int, int]:
        offset, length = _span(entity)
        return (offset, -length, _type_rank(str(entity["type"])))

    stack: list[tuple[int, str]] = []  # (end, type) of the entities containing the current one
    for entity in sorted(entities, key=key):
        offset, length = _span(entity)
        end = offset + length
        entity_type = str(entity["type"])
        while stack and stack[-1][0] <= offset:
            stack.pop()
        if stack and stack[-1][0] < end:
            raise ApiError(400, f"{prefix}entities must not partially overlap (at offset {offset})")
        for _, outer in stack:
            problem = _nesting_error(outer, entity_type)
            if problem is not None:
                raise ApiError(400, prefix + problem)
        stack.append((end, entity_type))


def _span(entity: dict[str, object]) -> tuple[int, int]:
    offset, length = entity["offset"], entity["length"]
    assert isinstance(offset, int) and isinstance(length, int)
    return offset, length


def _sorted_entities(entities: list[dict[str, object]]) -> list[dict[str, object]]:
    return sorted(entities, key=lambda e: (*_span_key(e), _type_rank(str(e["type"]))))


def _span_key(entity: dict[str, object]) -> tuple[int, int]:
    offset, length = _span(entity)
    return offset, -length


# --------------------------------------------------------------------------------------------
# HTML parse mode
# --------------------------------------------------------------------------------------------


@dataclass
class _OpenTag:
    name: str
    entity_type: str
    begin: int  # index of "<" in the source, for error messages
    offset: int  # UTF-16 offset of the tag's content in the output
    seq: int
    argument: str = ""
    code_children: list[tuple[int, int, str]] = field(default_factory=list)


class _At:
    """Where a tag begins, as an error names it ("at byte offset N"): counted only when an
    error is raised (each tag counted the text's bytes before it)."""

    __slots__ = ("index", "source")

    def __init__(self, source: str, index: int) -> None:
        self.source = source
        self.index = index

    def __str__(self) -> str:
        return f"at byte offset {len(self.source[: self.index].encode('utf-8'))}"


# A run of text with no markup in it: taken whole (a character at a time, the text of a
# message was most of what checking it cost).
_PLAIN_RUN = re.compile(r"[^&<]+")


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.out: list[str] = []
        self.pos = 0  # UTF-16 length of the output so far
        self.stack: list[_OpenTag] = []
        self.entities: list[tuple[int, dict[str, object]]] = []  # (seq, entity)
        self.seq = 0

    def error(self, message: str) -> ApiError:
        return ApiError(400, _CANT_PARSE + message)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def char_ref(self, index: int) -> tuple[str, int]:
        """Decode the character reference at ``index`` or refuse the bare '&'."""
        match = _CHAR_REF.match(self.source, index)
        if match is not None:
            named, decimal, hexadecimal = match.groups()
            if named is not None:
                return _NAMED_REFS[named], match.end()
            code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
            if 0 < code < 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code), match.end()
        raise self.error(
            f"Character '&' at byte offset {self.byte_offset(index)} is reserved and must be "
            'escaped as "&amp;" (only &lt; &gt; &amp; &quot; and numeric references are supported)'
        )

    def parse(self) -> tuple[str, list[dict[str, object]]]:
        source, n = self.source, len(self.source)
        i = 0
        while i < n:
            c = source[i]
            if c == "&":
                char, i = self.char_ref(i)
                self.emit(char)
            elif c != "<":
                run = _PLAIN_RUN.match(source, i)
                assert run is not None  # source[i] is neither "&" nor "<"
                self.emit_run(run.group())
                i = run.end()
            elif i + 1 < n and source[i + 1] == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise self.error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        ordered = sorted(self.entities, key=lambda se: (_span(se[1])[0], -_span(se[1])[1], se[0]))
        return "".join(self.out), [entity for _, entity in ordered]

    def emit(self, char: str) -> None:
        self.out.append(char)
        self.pos += 2 if ord(char) > 0xFFFF else 1

    def emit_run(self, text: str) -> None:
        """`emit` each character of `text` (no lone surrogates: see `_require_utf8`)."""
        self.out.append(text)
        self.pos += len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2

    def skip_spaces(self, i: int) -> int:
        while i < len(self.source) and self.source[i] in _HTML_SPACES:
            i += 1
        return i

    def start_tag(self, begin: int) -> int:
        source, n = self.source, len(self.source)
        at = _At(self.source, begin)
        i = begin + 1
        while i < n and source[i] not in _HTML_SPACES and source[i] != ">":
            i += 1
        if i >= n:
            raise self.error(f"Unclosed start tag {at}")
        raw_name = source[begin + 1 : i]
        name = raw_name.lower() if raw_name.isascii() else raw_name
        if name not in _TAG_TYPES:
            raise self.error(f'Unsupported start tag "{name}" {at}')
        attributes: dict[str, str | None] = {}
        while True:
            i = self.skip_spaces(i)
            if i >= n:
                raise self.error(f"Unclosed start tag {at}")
            if source[i] == ">":
                i += 1
                break
            name_begin = i
            while i < n and source[i] not in _ATTRIBUTE_NAME_END:
                i += 1
            attribute = source[name_begin:i]
            if not attribute:
                raise self.error(f'Empty attribute name in the tag "{name}" {at}')
            i = self.skip_spaces(i)
            if i >= n:
                raise self.error(f"Unclosed start tag {at}")
            if source[i] != "=":
                attributes[attribute] = None
                continue
            i = self.skip_spaces(i + 1)
            if i >= n:
                raise self.error(f"Unclosed start tag {at}")
            value, i = self.attribute_value(i, at)
            attributes[attribute] = value
        self.open(name, attributes, begin, at)
        return i

    def attribute_value(self, i: int, at: _At) -> tuple[str, int]:
        source, n = self.source, len(self.source)
        quote = source[i]
        if quote not in "\"'":
            # An unquoted value is an HTML name token, compared case-insensitively.
            match = _NAME_TOKEN.match(source, i)
            assert match is not None
            end = match.end()
            if end >= n:
                raise self.error(f"Unclosed start tag {at}")
            if source[end] not in _HTML_SPACES and source[end] != ">":
                raise self.error(
                    f"Unexpected end of name token at byte offset {self.byte_offset(i)}"
                )
            return match.group().lower(), end
        i += 1
        value: list[str] = []
        while i < n and source[i] != quote:
            if source[i] == "&":
                char, i = self.char_ref(i)
                value.append(char)
            elif source[i] == "<":
                raise self.error(
                    f"Character '<' at byte offset {self.byte_offset(i)} must be escaped as "
                    '"&lt;" in an attribute value'
                )
            else:
                value.append(source[i])
                i += 1
        if i >= n:
            raise self.error(f"Unclosed start tag {at}")
        return "".join(value), i + 1

    def open(self, name: str, attributes: dict[str, str | None], begin: int, at: _At) -> None:
        entity_type = _TAG_TYPES[name]
        argument = ""
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise self.error(f'Tag "span" must have class "tg-spoiler" {at}')
        if name == "a":
            href = attributes.get("href")
            if not href:
                raise self.error(f'Tag "a" must have a non-empty attribute "href" {at}')
            if not _is_valid_link(href):
                raise self.error(f'Invalid URL "{href}" in the tag "a" {at}')
            argument = href
        elif name == "tg-emoji":
            emoji_id = attributes.get("emoji-id")
            if emoji_id is None or not _DIGITS.fullmatch(emoji_id) or int(emoji_id) == 0:
                raise self.error(f"Invalid custom emoji identifier specified {at}")
            argument = emoji_id
        elif name == "code":
            css_class = attributes.get("class") or ""
            if css_class.startswith("language-"):
                argument = css_class[len("language-") :]
        elif name == "blockquote" and "expandable" in attributes:
            entity_type = "expandable_blockquote"
        parent = self.stack[-1] if self.stack else None
        for outer in self.stack:
            if outer is parent and outer.name == "pre" and name == "code":
                continue  # <pre><code class="language-x"> gives the pre block its language
            problem = _nesting_error(outer.entity_type, entity_type)
            if problem is not None:
                raise self.error(
                    f'Tag "{name}" can\'t be used inside "{outer.name}": {problem} {at}'
                )
        self.seq += 1
        self.stack.append(_OpenTag(name, entity_type, begin, self.pos, self.seq, argument))

    def end_tag(self, begin: int) -> int:
        source, n = self.source, len(self.source)
        at = _At(self.source, begin)
        if not self.stack:
            raise self.error(f"Unexpected end tag {at}")
        i = begin + 2
        while i < n and source[i] not in _HTML_SPACES and source[i] != ">":
            i += 1
        name = source[begin + 2 : i]
        i = self.skip_spaces(i)
        if i >= n or source[i] != ">":
            raise self.error(f"Unclosed end tag {at}")
        top = self.stack[-1]
        if name.lower() != top.name:
            raise self.error(f'Unmatched end tag {at}, expected "</{top.name}>", found "</{name}>"')
        self.stack.pop()
        self.close(top)
        return i + 1

    def close(self, tag: _OpenTag) -> None:
        length = self.pos - tag.offset
        if length == 0:
            return  # Telegram drops empty entities
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            parent.code_children.append((tag.offset, length, tag.argument))
            return
        entity: dict[str, object] = {
            "type": tag.entity_type,
            "offset": tag.offset,
            "length": length,
        }
        if tag.name == "a":
            entity["url"] = tag.argument
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        elif tag.name == "pre":
            children = tag.code_children
            if len(children) == 1 and children[0][:2] == (tag.offset, length):
                if children[0][2]:
                    entity["language"] = children[0][2]
            elif any(language for _, _, language in children):
                raise self.error(
                    'A "code" tag with a language must be the whole content of its "pre" tag'
                )
        self.entities.append((tag.seq, entity))


def parse_html(text: str) -> tuple[str, list[dict[str, object]]]:
    """Parse Telegram's HTML parse mode into (plain text, entities) as Telegram would.

    Raises ApiError(400, "Bad Request: can't parse entities: ...") for bad markup: unknown tag,
    unclosed or mismatched tag, a raw '<' not starting a tag, an '&' not starting &lt; &gt;
    &amp; &quot; or a numeric reference (with its ';'). A raw '>' is accepted. Entity offsets
    and lengths are in UTF-16 code units; empty entities are dropped; entities are ordered by
    offset (outer first). ``<a>`` gives text_link (also for tg://user?id= links).

    Stricter than Telegram where Telegram would silently lose formatting: a bare '&' is refused
    (Telegram keeps it literally), ``<a>`` needs a valid absolute http(s) or tg:// href
    (Telegram drops links it can't use), tags breaking the Bot API nesting rules are refused
    (Telegram drops the entities), as is ``</>``; a ``<code>`` with a language inside ``<pre>``
    must be the whole content of the ``<pre>``. ``<tg-time>`` is not supported.
    """
    _require_utf8(text, "text")
    return _HtmlParser(text).parse()


# --------------------------------------------------------------------------------------------
# Explicit entities and parse modes
# --------------------------------------------------------------------------------------------


def _check_entities(text: str, entities: object) -> list[dict[str, object]]:
    raw = _json_arg(entities, ApiError(400, _BAD_ENTITY + "entities must be a JSON array"))
    if not isinstance(raw, list):
        raise ApiError(400, _BAD_ENTITY + "entities must be an array")
    # UTF-16 positions that fall between two characters (not inside a surrogate pair).
    boundaries = {0}
    position = 0
    for char in text:
        position += 2 if ord(char) > 0xFFFF else 1
        boundaries.add(position)
    result: list[dict[str, object]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise ApiError(400, _BAD_ENTITY + "entity must be an object")
        entity_type, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if not isinstance(entity_type, str) or entity_type not in _ENTITY_TYPES:
            raise ApiError(400, _BAD_ENTITY + "Unsupported type specified")
        if not _is_int(offset) or not _is_int(length):
            raise ApiError(400, _BAD_ENTITY + 'fields "offset" and "length" must be integers')
        assert isinstance(offset, int) and isinstance(length, int)
        if offset < 0 or length <= 0 or offset + length > position:
            raise ApiError(
                400, _CANT_PARSE + f"entity {entity_type} at {offset}+{length} is out of the text"
            )
        if offset not in boundaries or offset + length not in boundaries:
            raise ApiError(400, _CANT_PARSE + f"entity at {offset} splits a surrogate pair")
        entity_type = str(entity_type)  # a PTB enum member serialises as its plain value
        entity: dict[str, object] = {"type": entity_type, "offset": offset, "length": length}
        if entity_type == "text_link":
            url = item.get("url")
            if not isinstance(url, str) or not _is_valid_link(url):
                raise ApiError(400, _CANT_PARSE + "Wrong text_link URL")
            entity["url"] = url
        elif entity_type == "text_mention":
            user = item.get("user")
            if not isinstance(user, dict) or not _is_int(user.get("id")):
                raise ApiError(400, _BAD_ENTITY + 'text_mention needs a "user" with an "id"')
            entity["user"] = user
        elif entity_type == "custom_emoji":
            emoji_id = item.get("custom_emoji_id")
            if not isinstance(emoji_id, str) or not _DIGITS.fullmatch(emoji_id):
                raise ApiError(400, _CANT_PARSE + "Invalid custom emoji identifier specified")
            entity["custom_emoji_id"] = emoji_id
        elif entity_type == "pre" and item.get("language") is not None:
            language = item.get("language")
            if not isinstance(language, str):
                raise ApiError(400, _BAD_ENTITY + 'field "language" must be a string')
            if language:
                entity["language"] = language
        elif entity_type == "date_time":
            unix_time = item.get("unix_time")
            if not _is_int(unix_time):
                raise ApiError(400, _BAD_ENTITY + 'date_time needs an integer "unix_time"')
            entity["unix_time"] = unix_time
            if isinstance(item.get("date_time_format"), str):
                entity["date_time_format"] = item["date_time_format"]
        result.append(entity)
    _check_nesting(result, _CANT_PARSE)
    return _sorted_entities(result)


def _parse(text: str, parse_mode: object, entities: object) -> tuple[str, list[dict[str, object]]]:
    mode = None if parse_mode == "" else parse_mode
    if mode is not None and not isinstance(mode, str):
        raise _bad_request("unsupported parse mode")
    if entities is not None and not isinstance(entities, (list, str)):
        raise ApiError(400, _BAD_ENTITY + "entities must be an array")
    if entities in ("", "[]", []):
        entities = None
    if mode is not None and entities is not None:
        raise _bad_request("parse_mode and entities can't be used together in this emulator")
    _require_utf8(text, "text")
    if mode is None:
        return text, [] if entities is None else _check_entities(text, entities)
    lowered = mode.lower()
    if lowered == "html":
        return parse_html(text)
    if lowered in ("markdown", "markdownv2"):
        raise _bad_request("unsupported parse mode in this emulator")
    raise _bad_request("unsupported parse mode")


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, object]] | None
) -> tuple[str, list[dict[str, object]]]:
    """Turn text plus parse mode or entities into (plain text, entities).

    parse_mode None: the text as is with the given entities, validated (known types, offsets
    and lengths within the text in UTF-16 units, not splitting a surrogate pair, nesting
    rules); "HTML": parse_html; "Markdown"/"MarkdownV2": 400 "Bad Request: unsupported parse
    mode in this emulator" (the bot only uses HTML); anything else: 400 "Bad Request:
    unsupported parse mode". Parse modes are case-insensitive as in the Bot API and "" counts
    as None. Entities may also be a JSON string (form-encoded requests). A parse mode together
    with a non-empty entity list is refused (Telegram would silently ignore the entities).
    """
    return _parse(text, parse_mode, entities)


def check_message_text(
    text: object, parse_mode: object, entities: object
) -> tuple[str, list[dict[str, object]]]:
    """Validate the text of sendMessage/editMessageText; return (plain text, entities).

    The text must be a str. After parsing: empty or whitespace-only -> 400 "Bad Request:
    message text is empty"; more than 4096 UTF-16 units -> 400 "Bad Request: message is too
    long"; more than 100 entities -> 400 "Bad Request: too many message entities".
    """
    if text is None:
        raise _bad_request("message text is empty")
    if not isinstance(text, str):
        raise _bad_request('field "text" must be of type String')
    plain, parsed = _parse(text, parse_mode, entities)
    if not plain.strip():
        raise _bad_request("message text is empty")
    if utf16_len(plain) > _MAX_MESSAGE_LENGTH:
        raise _bad_request("message is too long")
    if len(parsed) > _MAX_ENTITIES:
        raise _bad_request("too many message entities")
    return plain, parsed


def check_caption(
    caption: object, parse_mode: object, entities: object
) -> tuple[str, list[dict[str, object]]]:
    """Validate a media caption; return (plain text, entities), ("", []) for None.

    0-1024 UTF-16 units after parsing, else 400 "Bad Request: message caption is too long";
    more than 100 entities -> 400 "Bad Request: too many message entities".
    """
    if caption is None:
        return "", []
    if not isinstance(caption, str):
        raise _bad_request('field "caption" must be of type String')
    plain, parsed = _parse(caption, parse_mode, entities)
    if utf16_len(plain) > _MAX_CAPTION_LENGTH:
        raise _bad_request("message caption is too long")
    if len(parsed) > _MAX_ENTITIES:
        raise _bad_request("too many message entities")
    return plain, parsed


# --------------------------------------------------------------------------------------------
# Keyboards
# --------------------------------------------------------------------------------------------


def _check_button_text(button: dict[str, object]) -> None:
    if "text" not in button:
        raise _bad_request('can\'t find field "text"')
    text = button["text"]
    if not isinstance(text, str):
        raise _bad_request('field "text" must be of type String')
    if not text.strip() or _has_lone_surrogate(text):
        raise _bad_request("BUTTON_TEXT_INVALID")
    style = button.get("style")
    if style is not None and style not in _BUTTON_STYLES:
        raise _bad_request("BUTTON_STYLE_INVALID")
    icon = button.get("icon_custom_emoji_id")
    if icon is not None and not (isinstance(icon, str) and _DIGITS.fullmatch(icon)):
        raise _bad_request("BUTTON_ICON_INVALID")


def _check_inline_action(action: str, value: object, first: bool) -> None:
    if action == "callback_data":
        if not isinstance(value, str) or _has_lone_surrogate(value):
            raise _bad_request("BUTTON_DATA_INVALID")
        if not 1 <= len(value.encode("utf-8")) <= _MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")
    elif action == "url":
        if not isinstance(value, str) or not _is_valid_link(value):
            raise _bad_request("BUTTON_URL_INVALID")
    elif action in ("switch_inline_query", "switch_inline_query_current_chat"):
        if not isinstance(value, str):
            raise _bad_request(f'field "{action}" must be of type String')
    elif action == "switch_inline_query_chosen_chat":
        if not isinstance(value, dict):
            raise _bad_request("BUTTON_TYPE_INVALID")
    elif action == "copy_text":
        text = value.get("text") if isinstance(value, dict) else None
        if not isinstance(text, str) or not 1 <= utf16_len(text) <= _MAX_COPY_TEXT_LENGTH:
            raise _bad_request("COPY_TEXT_INVALID")
    elif action in ("login_url", "web_app"):
        url = value.get("url") if isinstance(value, dict) else None
        if not isinstance(url, str) or not _is_valid_link(
            url, allow_tg=False, https_only=action == "web_app"
        ):
            raise _bad_request("BUTTON_URL_INVALID")
    elif action == "pay":
        if value is not True:
            raise _bad_request("BUTTON_TYPE_INVALID")
        if not first:
            raise _bad_request("BUTTON_POS_INVALID: a pay button must be the first one")
    elif action == "callback_game":
        if not isinstance(value, dict):
            raise _bad_request("BUTTON_TYPE_INVALID")
        if not first:
            raise _bad_request("BUTTON_POS_INVALID: a game button must be the first one")


def _check_inline_keyboard(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request('field "inline_keyboard" must be an Array of Arrays')
    total = 0
    for row_index, row in enumerate(rows):
        assert isinstance(row, list)
        if not row or len(row) > _MAX_INLINE_BUTTONS_PER_ROW:
            raise _bad_request("reply markup is too long")
        total += len(row)
        if total > _MAX_INLINE_BUTTONS:
            raise _bad_request("reply markup is too long")
        for index, button in enumerate(row):
            if not isinstance(button, dict):
                raise _bad_request("InlineKeyboardButton must be an Object")
            _check_button_text(button)
            unknown = set(button) - _BUTTON_EXTRAS - set(_INLINE_ACTIONS)
            if unknown:
                raise _bad_request("BUTTON_TYPE_INVALID")
            actions = [a for a in _INLINE_ACTIONS if button.get(a) is not None]
            if not actions:
                raise _bad_request("text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise _bad_request("BUTTON_TYPE_INVALID")
            _check_inline_action(actions[0], button[actions[0]], row_index == 0 and index == 0)


def _check_placeholder(markup: dict[str, object]) -> None:
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and not (
        isinstance(placeholder, str) and 1 <= utf16_len(placeholder) <= _MAX_PLACEHOLDER_LENGTH
    ):
        raise _bad_request("input field placeholder must be 1-64 characters long")


def _check_flags(markup: dict[str, object], names: tuple[str, ...]) -> None:
    for name in names:
        if name in markup and not isinstance(markup[name], bool):
            raise _bad_request(f'field "{name}" must be of type Boolean')


def _check_reply_keyboard(markup: dict[str, object]) -> None:
    rows = markup["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request('field "keyboard" must be an Array of Arrays')
    if not rows:
        raise _bad_request("keyboard must be non-empty")
    total = 0
    for row in rows:
        assert isinstance(row, list)
        if not row or len(row) > _MAX_REPLY_BUTTONS_PER_ROW:
            raise _bad_request("reply markup is too long")
        total += len(row)
        if total > _MAX_REPLY_BUTTONS:
            raise _bad_request("reply markup is too long")
        for button in row:
            if isinstance(button, str):
                if not button.strip():
                    raise _bad_request("BUTTON_TEXT_INVALID")
                continue
            if not isinstance(button, dict):
                raise _bad_request("KeyboardButton must be a String or an Object")
            _check_button_text(button)
            if set(button) - _BUTTON_EXTRAS - set(_REPLY_ACTIONS):
                raise _bad_request("BUTTON_TYPE_INVALID")
            actions = [a for a in _REPLY_ACTIONS if button.get(a) not in (None, False)]
            if len(actions) > 1:
                raise _bad_request("BUTTON_TYPE_INVALID")
            if actions == ["web_app"]:
                web_app = button["web_app"]
                url = web_app.get("url") if isinstance(web_app, dict) else None
                if not isinstance(url, str) or not _is_valid_link(
                    url, allow_tg=False, https_only=True
                ):
                    raise _bad_request("BUTTON_URL_INVALID")
    _check_placeholder(markup)
    _check_flags(markup, ("resize_keyboard", "one_time_keyboard", "is_persistent", "selective"))


_MARKUP_KEYS: dict[str, frozenset[str]] = {
    "inline_keyboard": frozenset({"inline_keyboard"}),
    "keyboard": frozenset(
        {
            "keyboard",
            "resize_keyboard",
            "one_time_keyboard",
            "is_persistent",
            "input_field_placeholder",
            "selective",
        }
    ),
    "remove_keyboard": frozenset({"remove_keyboard", "selective"}),
    "force_reply": frozenset({"force_reply", "input_field_placeholder", "selective"}),
}


def check_reply_markup(markup: object) -> dict[str, object] | None:
    """Validate reply_markup and return it parsed (None when absent).

    Accepts None, "", a dict or a JSON string (form-encoded requests send JSON strings); an
    empty object (PTB's InlineKeyboardMarkup([])) means no markup and gives None.
    inline_keyboard: a list of non-empty rows (lists) of at most 8 buttons, 100 in all (else 400
    "Bad Request: reply markup is too long"); each button a dict with a non-empty "text" and
    exactly one action among url, callback_data, switch_inline_query,
    switch_inline_query_current_chat, switch_inline_query_chosen_chat, copy_text, login_url,
    web_app, pay, callback_game (none -> "Bad Request: text buttons are unallowed in the inline
    keyboard"; several or unknown keys -> "Bad Request: BUTTON_TYPE_INVALID"). callback_data
    must be 1-64 bytes in UTF-8 ("Bad Request: BUTTON_DATA_INVALID"); url must be http(s):// or
    tg:// with a host ("Bad Request: BUTTON_URL_INVALID"); pay/callback_game come first.
    Reply keyboards (keyboard: rows of at most 12 buttons, 300 in all), remove_keyboard and
    force_reply get shape checks. Unknown top-level keys are refused.
    """
    if markup is None or markup == "":
        return None
    parsed = _json_arg(markup, ApiError(400, _BAD_MARKUP))
    if not isinstance(parsed, dict):
        raise ApiError(400, _BAD_MARKUP)
    if not parsed:
        return None  # what PTB sends for InlineKeyboardMarkup([]); Telegram reads it as no markup
    kinds = [kind for kind in _MARKUP_KEYS if kind in parsed]
    if len(kinds) != 1 or set(parsed) - _MARKUP_KEYS[kinds[0]]:
        raise ApiError(400, _BAD_MARKUP)
    kind = kinds[0]
    if kind == "inline_keyboard":
        _check_inline_keyboard(parsed["inline_keyboard"])
    elif kind == "keyboard":
        _check_reply_keyboard(parsed)
    elif kind == "remove_keyboard":
        if parsed["remove_keyboard"] is not True:
            raise _bad_request('field "remove_keyboard" must be true')
        _check_flags(parsed, ("selective",))
    else:
        if parsed["force_reply"] is not True:
            raise _bad_request('field "force_reply" must be true')
        _check_placeholder(parsed)
        _check_flags(parsed, ("selective",))
    return parsed


# --------------------------------------------------------------------------------------------
# Commands, callback answers, polls, deep links, inline results
# --------------------------------------------------------------------------------------------


def check_commands(commands: object) -> list[dict[str, str]]:
    """Validate setMyCommands' commands: a list (or JSON string) of {command, description}.

    More than 100 -> 400 "Bad Request: BOT_COMMANDS_TOO_MUCH"; command 1-32 chars of [a-z0-9_]
    -> else "Bad Request: BOT_COMMAND_INVALID"; description 1-256 UTF-16 units, not blank ->
    else "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"; a repeated command -> "Bad Request:
    BOT_COMMAND_DUPLICATE".
    """
    error = _bad_request("can't parse commands JSON object")
    raw = _json_arg(commands, error)
    if not isinstance(raw, list):
        raise error
    if len(raw) > _MAX_COMMANDS:
        raise _bad_request("BOT_COMMANDS_TOO_MUCH")
    result: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            raise error
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND.fullmatch(command):
            raise _bad_request("BOT_COMMAND_INVALID")
        if (
            not isinstance(description, str)
            or not description.strip()
            or utf16_len(description) > _MAX_COMMAND_DESCRIPTION_LENGTH
            or _has_lone_surrogate(description)
        ):
            raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        if command in seen:
            raise _bad_request("BOT_COMMAND_DUPLICATE")
        seen.add(command)
        result.append({"command": command, "description": description})
    return result


# BotCommandScope types: those that name no chat, and those that name one.
_CHATLESS_SCOPES = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)
_CHAT_SCOPES = frozenset({"chat", "chat_administrators", "chat_member"})
_SCOPE_FIELDS = {
    **{kind: frozenset({"type"}) for kind in _CHATLESS_SCOPES},
    "chat": frozenset({"type", "chat_id"}),
    "chat_administrators": frozenset({"type", "chat_id"}),
    "chat_member": frozenset({"type", "chat_id", "user_id"}),
}


@dataclass(frozen=True)
class CommandScope:
    """A BotCommandScope as Telegram reads it: its type, and the chat (and member) it names."""

    type: str
    chat_id: int | str | None = None  # a chat id, or a public chat's @username
    user_id: int | None = None


def check_command_scope(scope: object) -> CommandScope:
    """Read the `scope` of setMyCommands, getMyCommands or deleteMyCommands, as Telegram does.

    None or "" is the default scope. Otherwise a BotCommandScope object (or its JSON):
    not JSON -> 400 "Bad Request: can't parse BotCommandScope JSON object"; then, each as
    "Bad Request: can't parse BotCommandScope: …": not an object -> "BotCommandScope must be
    an Object"; no type -> 'Can't find field "type"'; a type not a string -> 'Field "type"
    must be of type String'; an unknown type -> "Unsupported type specified"; a chat scope
    without chat_id -> 'Can't find field "chat_id"', with an empty one -> "Empty chat_id
    specified"; chat_member without user_id -> 'Can't find field "user_id"', a user_id not
    a positive whole number -> "Invalid user_id specified".

    Stricter than Telegram, which ignores what it does not read: a field the scope's type
    does not have (a chat_id on all_private_chats, a typo) is refused as 'Unexpected field
    "…"', and a chat_id or user_id must be a number (or a chat's @username), not a boolean,
    a fraction or an object; a bot sending those has a bug.
    """
    if scope is None or scope == "":
        return CommandScope("default")
    raw = _json_arg(scope, _bad_request("can't parse BotCommandScope JSON object"))

    def fail(problem: str) -> ApiError:
        return _bad_request(f"can't parse BotCommandScope: {problem}")

    if not isinstance(raw, dict):
        raise fail("BotCommandScope must be an Object")
    kind = raw.get("type")
    if kind is None:
        raise fail('Can\'t find field "type"')
    if not isinstance(kind, str):
        raise fail('Field "type" must be of type String')
    if kind not in _SCOPE_FIELDS:
        raise fail("Unsupported type specified")
    if kind in _CHATLESS_SCOPES:
        chat_id: int | str | None = None
    else:
        value = raw.get("chat_id")
        if value is None:
            raise fail('Can\'t find field "chat_id"')
        if value == "":
            raise fail("Empty chat_id specified")
        chat_id = _scope_chat_id(value, fail)
    user_id = None
    if kind == "chat_member":
        value = raw.get("user_id")
        if value is None:
            raise fail('Can\'t find field "user_id"')
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value):
            value = int(value)
        if not _is_int(value) or value <= 0:
            raise fail("Invalid user_id specified")
        user_id = value
    for name in raw:
        if name not in _SCOPE_FIELDS[kind]:
            raise fail(f'Unexpected field "{name}"')
    return CommandScope(kind, chat_id, user_id)


def _scope_chat_id(value: object, fail: Callable[[str], ApiError]) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        if re.fullmatch(r"-?[0-9]{1,19}", value):
            return int(value)
        if re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}", value):
            return value
        raise _bad_request("chat not found")
    raise fail('Field "chat_id" must be of type String')


def check_command_language(code: object) -> str:
    """Read the `language_code` of the command methods: empty, or two lower-case letters
    (an ISO 639-1 code) -> else 400 "Bad Request: invalid language code specified"."""
    if code is None or code == "":
        return ""
    if not isinstance(code, str) or not re.fullmatch(r"[a-z]{2}", code):
        raise _bad_request("invalid language code specified")
    return code


def check_callback_answer_text(text: object) -> str | None:
    """Validate answerCallbackQuery's text: None or a str of 0-200 characters.

    Longer -> 400 "Bad Request: MESSAGE_TOO_LONG" (counted in UTF-16 units).
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise _bad_request('field "text" must be of type String')
    _require_utf8(text, "text")
    if utf16_len(text) > _MAX_CALLBACK_ANSWER_LENGTH:
        raise _bad_request("MESSAGE_TOO_LONG")
    return text


def check_callback_answer_url(url: object, bot_username: str) -> str | None:
    """Validate answerCallbackQuery's url: None, or a link that opens this bot with a start
    parameter, `https://t.me/<bot>?start=<payload>` (http and telegram.me too; the username
    in any case; a valid deep-link payload).

    Anything else -> 400 "Bad Request: URL_INVALID": other sites, another bot's link, the bot
    without a start parameter, tg:// links (a game's URL is allowed only for a callback_game
    button, which this emulator does not offer).
    """
    if url is None:
        return None
    if not isinstance(url, str):
        raise _bad_request('field "url" must be of type String')
    invalid = _bad_request("URL_INVALID")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise invalid from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or (parts.hostname or "").lower() not in ("t.me", "telegram.me")
        or parts.port is not None
        or parts.username is not None
        or parts.fragment
        or parts.path.lower() != "/" + bot_username.lower()
    ):
        raise invalid
    name, _, payload = parts.query.partition("=")
    if name != "start" or not check_deep_link_payload(payload):
        raise invalid
    return url


def _poll_option_text(item: object) -> str:
    invalid = _bad_request("POLL_OPTION_INVALID")
    if isinstance(item, str):
        text = item
    elif isinstance(item, dict) and isinstance(item.get("text"), str):
        text = str(item["text"])
        parse_mode = item.get("text_parse_mode")
        if parse_mode is not None or item.get("text_entities") is not None:
            text, _ = _parse(text, parse_mode, item.get("text_entities"))
    else:
        raise invalid
    if not text.strip() or utf16_len(text) > _MAX_POLL_OPTION_LENGTH or _has_lone_surrogate(text):
        raise invalid
    return text


def _correct_option_ids(value: object, option_count: int, multiple: bool) -> list[int]:
    invalid = _bad_request("POLL_CORRECT_ANSWERS_INVALID")
    ids = _json_arg(value, invalid)
    if not isinstance(ids, list) or not ids or not all(_is_int(i) for i in ids):
        raise invalid
    checked = [int(i) for i in ids]
    if any(not 0 <= i < option_count for i in checked):
        raise invalid
    if any(a >= b for a, b in pairwise(checked)):
        raise invalid  # must be distinct and increasing
    if len(checked) > 1 and not multiple:
        raise invalid
    return checked


def check_poll(
    question: object,
    options: object,
    *,
    poll_type: object,
    correct_option_ids: object,
    explanation: object,
    explanation_parse_mode: object,
    allows_multiple_answers: object,
) -> tuple[str, list[str], str | None]:
    """Validate sendPoll; return (question, option texts, explanation plain text or None).

    question: 1-300 characters, not blank ("Bad Request: POLL_QUESTION_INVALID"). options: a
    list (or JSON string) of 2-12 items ("Bad Request: POLL_ANSWERS_INVALID"; stricter than Bot
    API 10.0, which allows 1), each a str or {"text": str}, 1-100 characters, not blank ("Bad
    Request: POLL_OPTION_INVALID"); repeated texts -> POLL_ANSWERS_INVALID. poll_type None,
    "regular" or "quiz" (else "Bad Request: wrong poll type specified"). A quiz needs
    correct_option_ids: a list (or JSON string) of increasing valid option indexes, exactly one
    unless allows_multiple_answers ("Bad Request: POLL_CORRECT_ANSWERS_INVALID"); a regular poll
    must not have any. explanation (quiz only): at most 200 characters and 2 line feeds after
    parsing with explanation_parse_mode ("Bad Request: POLL_EXPLANATION_INVALID"); "" counts as
    None. Characters are counted in UTF-16 units.
    """
    if (
        not isinstance(question, str)
        or not question.strip()
        or utf16_len(question) > _MAX_POLL_QUESTION_LENGTH
        or _has_lone_surrogate(question)
    ):
        raise _bad_request("POLL_QUESTION_INVALID")
    answers_invalid = _bad_request("POLL_ANSWERS_INVALID")
    raw = _json_arg(options, answers_invalid)
    if not isinstance(raw, list) or not _MIN_POLL_OPTIONS <= len(raw) <= _MAX_POLL_OPTIONS:
        raise answers_invalid
    texts = [_poll_option_text(item) for item in raw]
    if len(set(texts)) != len(texts):
        raise answers_invalid
    kind = "regular" if poll_type is None else poll_type
    if kind not in ("regular", "quiz"):
        raise _bad_request("wrong poll type specified")
    multiple = _as_bool(allows_multiple_answers, "allows_multiple_answers")
    if kind == "quiz":
        if correct_option_ids is None:
            raise _bad_request("POLL_CORRECT_ANSWERS_INVALID")
        _correct_option_ids(correct_option_ids, len(texts), multiple)
    elif correct_option_ids not in (None, [], "", "[]"):
        raise _bad_request("POLL_CORRECT_ANSWERS_INVALID")
    if explanation is None or explanation == "":
        return question, texts, None
    explanation_invalid = _bad_request("POLL_EXPLANATION_INVALID")
    if kind != "quiz" or not isinstance(explanation, str):
        raise explanation_invalid
    plain, _ = _parse(explanation, explanation_parse_mode, None)
    if (
        utf16_len(plain) > _MAX_POLL_EXPLANATION_LENGTH
        or plain.count("\n") > _MAX_POLL_EXPLANATION_LINE_FEEDS
    ):
        raise explanation_invalid
    return question, texts, plain


def check_deep_link_payload(payload: str) -> bool:
    """Whether ``payload`` is a valid /start deep-link payload: 1-64 chars of A-Za-z0-9_-."""
    return isinstance(payload, str) and _DEEP_LINK.fullmatch(payload) is not None


def check_inline_results(results: object) -> list[dict[str, object]]:
    """Validate answerInlineQuery's results: a list (or JSON string) of at most 50.

    Errors (400 "Bad Request: ..."): RESULTS_TOO_MUCH (more than 50), RESULT_TYPE_INVALID,
    RESULT_ID_INVALID (id not 1-64 bytes), RESULT_ID_DUPLICATE, RESULT_TITLE_EMPTY (article
    without a title); an article needs input_message_content; any message_text is validated
    like check_message_text with its parse_mode; a result's reply_markup must be an inline
    keyboard (REPLY_MARKUP_INVALID). Returns copies of the results in which a text
    input_message_content holds the plain "message_text" and its "entities" (no "parse_mode").
    """
    error = _bad_request("can't parse inline query results JSON object")
    raw = _json_arg(results, error)
    if not isinstance(raw, list):
        raise error
    if len(raw) > _MAX_INLINE_RESULTS:
        raise _bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    checked: list[dict[str, object]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise error
        result = dict(item)
        result_type = result.get("type")
        if not isinstance(result_type, str) or result_type not in _INLINE_RESULT_TYPES:
            raise _bad_request("RESULT_TYPE_INVALID")
        result_id = result.get("id")
        if (
            not isinstance(result_id, str)
            or _has_lone_surrogate(result_id)
            or not 1 <= len(result_id.encode("utf-8")) <= _MAX_INLINE_RESULT_ID_BYTES
        ):
            raise _bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise _bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        content = result.get("input_message_content")
        if result_type == "article":
            title = result.get("title")
            if not isinstance(title, str) or not title.strip():
                raise _bad_request("RESULT_TITLE_EMPTY")
            if not isinstance(content, dict):
                raise _bad_request(
                    "SEND_MESSAGE_MEDIA_INVALID: article needs input_message_content"
                )
        if content is not None:
            if not isinstance(content, dict):
                raise _bad_request("input_message_content must be an Object")
            if "message_text" in content:
                text, entities = check_message_text(
                    content.get("message_text"), content.get("parse_mode"), content.get("entities")
                )
                content = {k: v for k, v in content.items() if k != "parse_mode"}
                content["message_text"] = text
                content["entities"] = entities
            result["input_message_content"] = content
        if result.get("reply_markup") is not None:
            markup = check_reply_markup(result["reply_markup"])
            if markup is None or "inline_keyboard" not in markup:
                raise _bad_request("REPLY_MARKUP_INVALID")
            result["reply_markup"] = markup
        checked.append(result)
    return checked

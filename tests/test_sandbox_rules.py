"""The emulator's Bot API rules: whatever they accept, Telegram must accept too."""

from __future__ import annotations

import json
import re

import pytest

from clicksbot.botapi.rules import (
    ApiError,
    check_callback_answer_text,
    check_caption,
    check_commands,
    check_deep_link_payload,
    check_inline_results,
    check_message_text,
    check_poll,
    check_reply_markup,
    parse_html,
    parse_text,
    utf16_len,
)

CANT_PARSE = "Bad Request: can't parse entities: "


def refused(description: str) -> pytest.RaisesExc[ApiError]:
    """Expect a 400 ApiError whose description starts with ``description``."""
    return pytest.raises(ApiError, match="^" + re.escape(description))


def button(**fields: object) -> dict[str, object]:
    """An inline keyboard button with a label."""
    return {"text": "Go", **fields}


def inline(*rows: list[dict[str, object]]) -> dict[str, object]:
    """An inline keyboard markup."""
    return {"inline_keyboard": list(rows)}


def poll(
    question: object = "Which?",
    options: object = ("a", "b"),
    *,
    poll_type: object = None,
    correct_option_ids: object = None,
    explanation: object = None,
    explanation_parse_mode: object = None,
    allows_multiple_answers: object = None,
) -> tuple[str, list[str], str | None]:
    """check_poll with defaults for everything a test doesn't care about."""
    return check_poll(
        question,
        list(options) if isinstance(options, tuple) else options,
        poll_type=poll_type,
        correct_option_ids=correct_option_ids,
        explanation=explanation,
        explanation_parse_mode=explanation_parse_mode,
        allows_multiple_answers=allows_multiple_answers,
    )


def article(result_id: str = "1", text: str = "hi", **extra: object) -> dict[str, object]:
    """An inline article result."""
    return {
        "type": "article",
        "id": result_id,
        "title": "Title",
        "input_message_content": {"message_text": text, **extra},
    }


# -- ApiError and UTF-16 --------------------------------------------------------------------


def test_api_error_json_body() -> None:
    """An ApiError serialises as Telegram's error body, with parameters only when retrying."""
    error = ApiError(400, "Bad Request: message text is empty")
    assert error.to_json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }
    assert error.retry_after is None
    flood = ApiError(429, "Too Many Requests: retry after 3", retry_after=3)
    assert flood.to_json()["parameters"] == {"retry_after": 3}
    assert str(flood) == "Too Many Requests: retry after 3"


def test_utf16_len_counts_surrogate_pairs_twice() -> None:
    """Characters outside the BMP take two UTF-16 code units; others one."""
    assert utf16_len("") == 0
    assert utf16_len("abc") == 3
    assert utf16_len("é") == 1
    assert utf16_len("😀") == 2
    assert utf16_len("a😀b") == 4


# -- HTML: what it produces -----------------------------------------------------------------


def test_plain_text_has_no_entities() -> None:
    """Text without markup comes back unchanged and without entities."""
    assert parse_html("Hello, world") == ("Hello, world", [])


def test_bold() -> None:
    """<b> gives a bold entity over its content."""
    assert parse_html("a <b>bold</b> word") == (
        "a bold word",
        [{"type": "bold", "offset": 2, "length": 4}],
    )


@pytest.mark.parametrize(
    ("tag", "entity_type"),
    [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("tg-spoiler", "spoiler"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
    ],
)
def test_every_simple_tag(tag: str, entity_type: str) -> None:
    """Each supported tag gives its entity type."""
    assert parse_html(f"<{tag}>x</{tag}>") == (
        "x",
        [{"type": entity_type, "offset": 0, "length": 1}],
    )


def test_tag_names_are_case_insensitive() -> None:
    """<B>...</b> is bold: tag names are compared case-insensitively."""
    assert parse_html("<B>x</b>") == ("x", [{"type": "bold", "offset": 0, "length": 1}])


def test_nested_tags_outer_first() -> None:
    """Nested styles give one entity each, ordered by offset, the outer one first."""
    text, entities = parse_html("<b>bo<i>th</i></b> <u>u</u>")
    assert text == "both u"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 2, "length": 2},
        {"type": "underline", "offset": 5, "length": 1},
    ]


def test_same_span_keeps_opening_order() -> None:
    """Entities over the same span are listed in the order their tags opened."""
    _, entities = parse_html("<i><b>x</b></i>")
    assert [e["type"] for e in entities] == ["italic", "bold"]


def test_span_spoiler() -> None:
    """<span class="tg-spoiler"> is a spoiler, in any quoting style."""
    for markup in (
        '<span class="tg-spoiler">s</span>',
        "<span class='tg-spoiler'>s</span>",
        "<span class=tg-spoiler>s</span>",
    ):
        assert parse_html(markup) == ("s", [{"type": "spoiler", "offset": 0, "length": 1}])


def test_span_without_spoiler_class_is_refused() -> None:
    """A span is only allowed as a spoiler."""
    with refused(CANT_PARSE + 'Tag "span" must have class "tg-spoiler"'):
        parse_html('<span class="red">x</span>')
    with refused(CANT_PARSE + 'Tag "span" must have class "tg-spoiler"'):
        parse_html("<span>x</span>")


def test_link_href() -> None:
    """<a href> gives a text_link with the (unescaped) URL."""
    text, entities = parse_html('see <a href="https://example.com/?a=1&amp;b=2">this</a>')
    assert text == "see this"
    assert entities == [
        {"type": "text_link", "offset": 4, "length": 4, "url": "https://example.com/?a=1&b=2"}
    ]


def test_link_single_quoted_href_and_extra_attributes() -> None:
    """Single quotes work, and attributes Telegram ignores are ignored."""
    _, entities = parse_html("<a target=\"_blank\" href='http://t.me/x'>x</a>")
    assert entities == [{"type": "text_link", "offset": 0, "length": 1, "url": "http://t.me/x"}]


def test_user_mention_link() -> None:
    """A tg://user link is kept as a text_link."""
    _, entities = parse_html('<a href="tg://user?id=123">Ann</a>')
    assert entities == [{"type": "text_link", "offset": 0, "length": 3, "url": "tg://user?id=123"}]


@pytest.mark.parametrize(
    "markup",
    [
        "<a>x</a>",
        '<a href="">x</a>',
        '<a HREF="https://example.com">x</a>',  # Telegram reads attribute names case-sensitively
    ],
)
def test_link_without_href_is_refused(markup: str) -> None:
    """<a> needs an href (Telegram would use the link text as the URL)."""
    with refused(CANT_PARSE + 'Tag "a" must have a non-empty attribute "href"'):
        parse_html(markup)


@pytest.mark.parametrize("href", ["example.com", "javascript:alert(1)", "http://", "ftp://x.org"])
def test_link_with_unusable_url_is_refused(href: str) -> None:
    """Telegram silently drops a link it can't use; the emulator refuses it."""
    with refused(CANT_PARSE + "Invalid URL"):
        parse_html(f'<a href="{href}">x</a>')


def test_nested_links_are_refused() -> None:
    """A link inside a link is an error."""
    with refused(CANT_PARSE + 'Tag "a" can\'t be used inside "a"'):
        parse_html('<a href="https://a.org"><a href="https://b.org">x</a></a>')


def test_style_inside_link_and_link_inside_style() -> None:
    """Bold/italic/... may contain and be part of links."""
    _, entities = parse_html('<b><a href="https://a.org"><i>x</i></a></b>')
    assert [e["type"] for e in entities] == ["bold", "text_link", "italic"]


def test_nothing_inside_code() -> None:
    """Code and pre contain no other entities (Telegram would drop them)."""
    with refused(CANT_PARSE + 'Tag "b" can\'t be used inside "code"'):
        parse_html("<code><b>x</b></code>")
    with refused(CANT_PARSE + 'Tag "i" can\'t be used inside "pre"'):
        parse_html("<pre><i>x</i></pre>")


def test_code_inside_bold_is_fine() -> None:
    """A style may contain code."""
    _, entities = parse_html("<b><code>x</code></b>")
    assert [e["type"] for e in entities] == ["bold", "code"]


def test_pre_with_language() -> None:
    """<pre><code class="language-x"> is one pre entity with that language."""
    assert parse_html('<pre><code class="language-python">x = 1</code></pre>') == (
        "x = 1",
        [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
    )


def test_pre_with_plain_code() -> None:
    """<pre><code> without a language is just a pre entity."""
    assert parse_html("<pre><code>x</code></pre>") == (
        "x",
        [{"type": "pre", "offset": 0, "length": 1}],
    )


def test_language_code_not_filling_pre_is_refused() -> None:
    """The language would be lost if the code block is not the whole pre."""
    with refused(CANT_PARSE):
        parse_html('<pre>a<code class="language-py">b</code></pre>')


def test_standalone_code_ignores_language() -> None:
    """A language can't be given to inline code; Telegram ignores it."""
    assert parse_html('<code class="language-py">x</code>') == (
        "x",
        [{"type": "code", "offset": 0, "length": 1}],
    )


def test_blockquotes() -> None:
    """<blockquote expandable> is an expandable_blockquote; blockquotes don't nest."""
    assert parse_html("<blockquote expandable>q</blockquote>") == (
        "q",
        [{"type": "expandable_blockquote", "offset": 0, "length": 1}],
    )
    assert parse_html('<blockquote><b>q</b> <a href="https://a.org">l</a></blockquote>')[1][0] == {
        "type": "blockquote",
        "offset": 0,
        "length": 3,
    }
    with refused(CANT_PARSE):
        parse_html("<blockquote>a<blockquote>b</blockquote></blockquote>")


def test_custom_emoji() -> None:
    """<tg-emoji emoji-id> gives a custom_emoji entity; the id must be a number."""
    assert parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>') == (
        "👍",
        [
            {
                "type": "custom_emoji",
                "offset": 0,
                "length": 2,
                "custom_emoji_id": "5368324170671202286",
            }
        ],
    )
    with refused(CANT_PARSE + "Invalid custom emoji identifier specified"):
        parse_html("<tg-emoji>👍</tg-emoji>")
    with refused(CANT_PARSE + "Invalid custom emoji identifier specified"):
        parse_html('<tg-emoji emoji-id="abc">👍</tg-emoji>')


def test_escaped_characters_are_decoded() -> None:
    """&lt; &gt; &amp; &quot; and numeric references become their characters."""
    assert parse_html("&lt;b&gt; &amp; &quot;q&quot; &#65;&#x42;&#x1F600;") == (
        '<b> & "q" AB😀',
        [],
    )


def test_escaped_characters_count_once_in_offsets() -> None:
    """Offsets count the decoded character, not its reference."""
    assert parse_html("&lt;&amp;<b>x</b>") == ("<&x", [{"type": "bold", "offset": 2, "length": 1}])


def test_emoji_offsets_are_utf16() -> None:
    """An emoji before an entity shifts it by two UTF-16 code units."""
    assert parse_html("😀<b>x</b>") == ("😀x", [{"type": "bold", "offset": 2, "length": 1}])
    assert parse_html("<b>😀é</b>") == ("😀é", [{"type": "bold", "offset": 0, "length": 3}])
    assert parse_html("&#x1F600;<i>y</i>")[1] == [{"type": "italic", "offset": 2, "length": 1}]


def test_raw_greater_than_is_accepted() -> None:
    """Telegram accepts a raw '>' in text."""
    assert parse_html("a > b -> c") == ("a > b -> c", [])


def test_empty_entities_are_dropped() -> None:
    """A tag with no content gives no entity."""
    assert parse_html("<b></b>x<i></i>") == ("x", [])


def test_newlines_are_kept() -> None:
    """Line feeds are plain text."""
    assert parse_html("a\n<b>b</b>\n") == ("a\nb\n", [{"type": "bold", "offset": 2, "length": 1}])


# -- HTML: errors ---------------------------------------------------------------------------


def test_unknown_tag() -> None:
    """Unknown tags are refused with their byte offset."""
    with refused(CANT_PARSE + 'Unsupported start tag "x" at byte offset 0'):
        parse_html("<x>y</x>")
    with refused(CANT_PARSE + 'Unsupported start tag "br" at byte offset 2'):
        parse_html("a <br> b")
    with refused(CANT_PARSE + 'Unsupported start tag "br/" at byte offset 6'):
        parse_html("é😀<br/>")  # byte offsets: é is 2 bytes, the emoji 4


def test_tg_time_is_not_supported() -> None:
    """The emulator doesn't know <tg-time>."""
    with refused(CANT_PARSE + 'Unsupported start tag "tg-time"'):
        parse_html('<tg-time unix="1">now</tg-time>')


def test_unclosed_tag() -> None:
    """A tag left open at the end is refused."""
    with refused(CANT_PARSE + 'Can\'t find end tag corresponding to start tag "b"'):
        parse_html("<b>bold")
    with refused(CANT_PARSE + 'Can\'t find end tag corresponding to start tag "i"'):
        parse_html("<b>x</b><i>y")


def test_mismatched_end_tag() -> None:
    """An end tag must close the innermost open tag."""
    with refused(CANT_PARSE + 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'):
        parse_html("<b>x</i>")


def test_end_tag_without_start() -> None:
    """An end tag with nothing open is unexpected."""
    with refused(CANT_PARSE + "Unexpected end tag at byte offset 1"):
        parse_html("x</b>")


def test_empty_end_tag_is_refused() -> None:
    """</> is refused (Telegram would close whatever is open)."""
    with refused(CANT_PARSE + "Unmatched end tag"):
        parse_html("<b>x</>")


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("a <", "Unclosed start tag at byte offset 2"),
        ("a<b", "Unclosed start tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('x<a href="https://a.org>x', "Unclosed start tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<a href=https://a.org>x</a>", "Unexpected end of name token at byte offset 8"),
        ('<b ="x">y</b>', 'Empty attribute name in the tag "b" at byte offset 0'),
        ('<a href="https://a.org/<">x</a>', "Character '<'"),
    ],
)
def test_stray_less_than(markup: str, message: str) -> None:
    """A raw '<' that doesn't start a well-formed tag is refused."""
    with refused(CANT_PARSE + message):
        parse_html(markup)


@pytest.mark.parametrize(
    "markup",
    [
        "Tom & Jerry",
        "a &b",
        "&nbsp;",
        "&lt",  # no semicolon
        "&#;",
        "&#0;",
        "&#xD800;",  # a lone surrogate
        "&#x110000;",
        "&#12345678;",
        '<a href="https://a.org/?a=1&b=2">x</a>',  # also in attribute values
        "&",
    ],
)
def test_bad_ampersand(markup: str) -> None:
    """Only &lt; &gt; &amp; &quot; and numeric references may follow '&'."""
    with refused(CANT_PARSE + "Character '&'"):
        parse_html(markup)


def test_lone_surrogate_text_is_refused() -> None:
    """Text must be valid Unicode."""
    with refused("Bad Request: text must be encoded in UTF-8"):
        parse_html("a\ud800b")


# -- parse_text -----------------------------------------------------------------------------


def test_parse_text_without_parse_mode() -> None:
    """Without a parse mode the text is kept as is, markup included."""
    assert parse_text("<b>x</b> & y", None, None) == ("<b>x</b> & y", [])


def test_parse_text_html_any_case() -> None:
    """The parse mode name is case-insensitive."""
    for mode in ("HTML", "html", "Html"):
        assert parse_text("<b>x</b>", mode, None) == (
            "x",
            [{"type": "bold", "offset": 0, "length": 1}],
        )


def test_parse_text_markdown_not_emulated() -> None:
    """The bot only uses HTML; Markdown modes are refused by the emulator."""
    for mode in ("Markdown", "MarkdownV2"):
        with refused("Bad Request: unsupported parse mode in this emulator"):
            parse_text("*x*", mode, None)


def test_parse_text_unknown_mode() -> None:
    """Any other parse mode is refused."""
    with refused("Bad Request: unsupported parse mode"):
        parse_text("x", "XML", None)


def test_parse_text_with_entities() -> None:
    """Explicit entities are validated, normalised and ordered by offset."""
    entities: list[dict[str, object]] = [
        {"type": "italic", "offset": 4, "length": 2},
        {"type": "bold", "offset": 0, "length": 3, "extra": 1},
        {"type": "text_link", "offset": 4, "length": 2, "url": "https://a.org"},
    ]
    text, parsed = parse_text("abc de", None, entities)
    assert text == "abc de"
    assert parsed == [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "italic", "offset": 4, "length": 2},
        {"type": "text_link", "offset": 4, "length": 2, "url": "https://a.org"},
    ]


def test_parse_text_entities_as_json_string() -> None:
    """Form-encoded requests send entities as a JSON string."""
    raw = json.dumps([{"type": "bold", "offset": 0, "length": 1}])
    assert parse_text("x", None, raw)[1] == [{"type": "bold", "offset": 0, "length": 1}]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "entity",
    [
        {"type": "bold", "offset": 0, "length": 4},  # beyond the end
        {"type": "bold", "offset": -1, "length": 1},
        {"type": "bold", "offset": 0, "length": 0},
        {"type": "bold", "offset": 1, "length": 1},  # inside the emoji's surrogate pair
    ],
)
def test_parse_text_entity_out_of_text(entity: dict[str, object]) -> None:
    """Entity offsets and lengths must lie within the text, in UTF-16 units."""
    with refused("Bad Request: can't parse entities"):
        parse_text("😀a", None, [entity])


def test_parse_text_entity_at_utf16_end_is_fine() -> None:
    """An entity may end exactly at the UTF-16 length of the text."""
    assert parse_text("😀a", None, [{"type": "bold", "offset": 0, "length": 3}])[1] == [
        {"type": "bold", "offset": 0, "length": 3}
    ]


@pytest.mark.parametrize(
    "entity",
    [
        {"type": "shiny", "offset": 0, "length": 1},
        {"offset": 0, "length": 1},
        {"type": "bold", "offset": "0", "length": 1},
        {"type": "bold", "offset": 0, "length": True},
        {"type": "text_link", "offset": 0, "length": 1},
        {"type": "text_link", "offset": 0, "length": 1, "url": "not a url"},
        {"type": "custom_emoji", "offset": 0, "length": 1},
        {"type": "text_mention", "offset": 0, "length": 1},
    ],
)
def test_parse_text_bad_entity(entity: dict[str, object]) -> None:
    """Unknown types, bad fields and missing arguments are refused."""
    with pytest.raises(ApiError) as caught:
        parse_text("abc", None, [entity])
    assert caught.value.error_code == 400


def test_parse_text_entity_nesting_rules() -> None:
    """Explicit entities must not partially overlap nor break the nesting rules."""
    with refused(CANT_PARSE + "entities must not partially overlap"):
        parse_text(
            "abcd",
            None,
            [
                {"type": "bold", "offset": 0, "length": 3},
                {"type": "italic", "offset": 2, "length": 2},
            ],
        )
    with refused(CANT_PARSE):
        parse_text(
            "abcd",
            None,
            [
                {"type": "code", "offset": 0, "length": 4},
                {"type": "bold", "offset": 1, "length": 1},
            ],
        )
    ok: list[dict[str, object]] = [
        {"type": "code", "offset": 0, "length": 4},
        {"type": "bold", "offset": 0, "length": 4},
    ]
    assert [e["type"] for e in parse_text("abcd", None, ok)[1]] == ["bold", "code"]


def test_parse_mode_and_entities_together_refused() -> None:
    """Telegram would ignore the entities; the emulator refuses the ambiguity."""
    with refused("Bad Request: parse_mode and entities"):
        parse_text("x", "HTML", [{"type": "bold", "offset": 0, "length": 1}])
    assert parse_text("<b>x</b>", "HTML", []) == ("x", [{"type": "bold", "offset": 0, "length": 1}])


# -- message text and captions ----------------------------------------------------------------


def test_message_text_ok() -> None:
    """A normal HTML message parses."""
    assert check_message_text("<b>Hi</b>", "HTML", None) == (
        "Hi",
        [{"type": "bold", "offset": 0, "length": 2}],
    )


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t", "<b> </b>", "<b></b>"])
def test_message_text_empty(text: object) -> None:
    """Missing, empty or whitespace-only text (after parsing) is refused."""
    with refused("Bad Request: message text is empty"):
        check_message_text(text, "HTML", None)


def test_message_text_not_a_string() -> None:
    """The text must be a string."""
    with pytest.raises(ApiError):
        check_message_text(42, None, None)


def test_message_text_length_limit() -> None:
    """4096 UTF-16 units are accepted, 4097 refused."""
    assert check_message_text("a" * 4096, None, None)[0] == "a" * 4096
    with refused("Bad Request: message is too long"):
        check_message_text("a" * 4097, None, None)


def test_message_text_length_counted_after_parsing() -> None:
    """Markup doesn't count: 4096 characters wrapped in <b> pass; escapes count once."""
    text, entities = check_message_text("<b>" + "a" * 4096 + "</b>", "HTML", None)
    assert len(text) == 4096
    assert entities == [{"type": "bold", "offset": 0, "length": 4096}]
    assert check_message_text("&amp;" * 4096, "HTML", None)[0] == "&" * 4096
    with refused("Bad Request: message is too long"):
        check_message_text("<b>" + "a" * 4097 + "</b>", "HTML", None)


def test_message_text_length_counts_utf16() -> None:
    """Emoji count twice toward the limit."""
    assert check_message_text("😀" * 2048, None, None)
    with refused("Bad Request: message is too long"):
        check_message_text("😀" * 2048 + "a", None, None)


def test_message_entity_count_limit() -> None:
    """100 entities are accepted, 101 refused."""
    assert len(check_message_text("<b>x</b> " * 100, "HTML", None)[1]) == 100
    with refused("Bad Request: too many message entities"):
        check_message_text("<b>x</b> " * 101, "HTML", None)


def test_message_text_bad_html_refused() -> None:
    """Bad markup in a message text is a can't-parse error."""
    with refused(CANT_PARSE):
        check_message_text("<b>x", "HTML", None)


def test_caption_limits() -> None:
    """Captions are 0-1024 UTF-16 units after parsing; None means no caption."""
    assert check_caption(None, None, None) == ("", [])
    assert check_caption("", "HTML", None) == ("", [])
    assert check_caption("<i>" + "a" * 1024 + "</i>", "HTML", None)[0] == "a" * 1024
    with refused("Bad Request: message caption is too long"):
        check_caption("a" * 1025, None, None)
    with refused("Bad Request: message caption is too long"):
        check_caption("😀" * 513, None, None)


# -- reply markup -----------------------------------------------------------------------------


def test_reply_markup_absent() -> None:
    """No markup, an empty string or an empty object mean no markup."""
    assert check_reply_markup(None) is None
    assert check_reply_markup("") is None
    assert check_reply_markup("{}") is None


def test_inline_keyboard_dict_and_json() -> None:
    """An inline keyboard is accepted as a dict or a JSON string and returned parsed."""
    markup = inline([button(callback_data="a"), button(url="https://t.me/clicks")])
    assert check_reply_markup(markup) == markup
    assert check_reply_markup(json.dumps(markup)) == markup
    assert check_reply_markup({"inline_keyboard": []}) == {"inline_keyboard": []}


@pytest.mark.parametrize(
    "action",
    [
        {"switch_inline_query": ""},
        {"switch_inline_query_current_chat": "q"},
        {"switch_inline_query_chosen_chat": {"query": "q", "allow_user_chats": True}},
        {"copy_text": {"text": "copy me"}},
        {"login_url": {"url": "https://example.com/login"}},
        {"web_app": {"url": "https://example.com/app"}},
        {"pay": True},
        {"callback_game": {}},
        {"url": "tg://resolve?domain=clicks"},
        {"callback_data": "x", "style": "primary"},
    ],
)
def test_inline_button_actions(action: dict[str, object]) -> None:
    """Every button kind is accepted with a well-formed value."""
    assert check_reply_markup(inline([button(**action)]))


def test_callback_data_bytes() -> None:
    """callback_data is 1-64 bytes in UTF-8: 64 ASCII ok, 65 refused, multibyte counted in bytes."""
    assert check_reply_markup(inline([button(callback_data="x" * 64)]))
    assert check_reply_markup(inline([button(callback_data="é" * 32)]))  # 64 bytes
    for data in ("x" * 65, "é" * 33, "😀" * 17, "", 5):
        with refused("Bad Request: BUTTON_DATA_INVALID"):
            check_reply_markup(inline([button(callback_data=data)]))


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com/path?q=1#f",
        "https://sub.example.co.uk:8443/x",
        "tg://resolve?domain=x",
        "https://t.me/clicksbot?start=quiz_1",
    ],
)
def test_url_button_ok(url: str) -> None:
    """http(s) URLs with a real host and tg:// links are accepted."""
    assert check_reply_markup(inline([button(url=url)]))


@pytest.mark.parametrize(
    "url",
    [
        "example.com",
        "ftp://example.com",
        "javascript:alert(1)",
        "https://",
        "https://localhost",
        "https://exa mple.com",
        "tg://",
        "",
    ],
)
def test_url_button_invalid(url: str) -> None:
    """Other URLs are refused."""
    with refused("Bad Request: BUTTON_URL_INVALID"):
        check_reply_markup(inline([button(url=url)]))


def test_web_app_needs_https() -> None:
    """A web app URL must be https."""
    with refused("Bad Request: BUTTON_URL_INVALID"):
        check_reply_markup(inline([button(web_app={"url": "http://example.com"})]))


def test_button_actions_must_be_exactly_one() -> None:
    """No action, two actions or an unknown key are refused."""
    with refused("Bad Request: text buttons are unallowed in the inline keyboard"):
        check_reply_markup(inline([button()]))
    with refused("Bad Request: BUTTON_TYPE_INVALID"):
        check_reply_markup(inline([button(callback_data="a", url="https://a.org")]))
    with refused("Bad Request: BUTTON_TYPE_INVALID"):
        check_reply_markup(inline([button(callback_data="a", teleport="now")]))


def test_button_text_required() -> None:
    """A button needs a non-empty text."""
    with pytest.raises(ApiError):
        check_reply_markup(inline([{"callback_data": "a"}]))
    with refused("Bad Request: BUTTON_TEXT_INVALID"):
        check_reply_markup(inline([button(text=" ", callback_data="a")]))


def test_keyboard_size_limits() -> None:
    """Rows must not be empty, hold at most 8 buttons, 100 in all."""
    assert check_reply_markup(inline([button(callback_data=str(i)) for i in range(8)]))
    with refused("Bad Request: reply markup is too long"):
        check_reply_markup(inline([button(callback_data=str(i)) for i in range(9)]))
    with refused("Bad Request: reply markup is too long"):
        check_reply_markup(inline([]))
    rows = [[button(callback_data=f"{r}-{c}") for c in range(5)] for r in range(20)]
    assert check_reply_markup(inline(*rows))
    rows.append([button(callback_data="one more")])
    with refused("Bad Request: reply markup is too long"):
        check_reply_markup(inline(*rows))


@pytest.mark.parametrize(
    "markup",
    [
        "not json",
        "[1, 2]",
        {"inline_keyboard": [[button(callback_data="a")]], "keyboard": [["x"]]},
        {"inline_keyboard": [[button(callback_data="a")]], "colour": "red"},
        {"something": 1},
    ],
)
def test_markup_shape(markup: object) -> None:
    """Markup must be one known kind of object."""
    with refused("Bad Request: can't parse reply keyboard markup JSON object"):
        check_reply_markup(markup)


def test_inline_keyboard_must_be_rows() -> None:
    """inline_keyboard is an array of arrays."""
    with pytest.raises(ApiError):
        check_reply_markup({"inline_keyboard": [button(callback_data="a")]})


def test_pay_button_must_be_first() -> None:
    """A pay button must be the first one."""
    with pytest.raises(ApiError):
        check_reply_markup(inline([button(callback_data="a"), button(pay=True)]))


def test_reply_keyboard() -> None:
    """Reply keyboards, remove_keyboard and force_reply get shape checks."""
    keyboard = {
        "keyboard": [["Yes", "No"], [{"text": "Share", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
        "input_field_placeholder": "Answer",
    }
    assert check_reply_markup(keyboard) == keyboard
    assert check_reply_markup({"remove_keyboard": True}) == {"remove_keyboard": True}
    assert check_reply_markup({"force_reply": True, "selective": True})
    bad_markups: list[dict[str, object]] = [
        {"keyboard": []},
        {"keyboard": [[]]},
        {"keyboard": [[" "]]},
        {"keyboard": [["a"] * 13]},
        {"keyboard": [["a"]], "input_field_placeholder": "x" * 65},
        {"keyboard": [[{"text": "a", "request_contact": True, "request_location": True}]]},
        {"remove_keyboard": False},
        {"force_reply": "yes"},
    ]
    for bad in bad_markups:
        with pytest.raises(ApiError):
            check_reply_markup(bad)


# -- commands -----------------------------------------------------------------------------


def test_commands_ok() -> None:
    """Valid commands come back as {command, description} dicts, also from JSON."""
    commands = [
        {"command": "start", "description": "Start"},
        {"command": "quiz_2", "description": "Q"},
    ]
    assert check_commands(commands) == commands
    assert check_commands(json.dumps(commands)) == commands
    assert check_commands([]) == []
    assert check_commands([{"command": "a" * 32, "description": "d" * 256}])


@pytest.mark.parametrize("command", ["", "a" * 33, "Start", "/start", "my-cmd", "café", 5, None])
def test_command_name_invalid(command: object) -> None:
    """Commands are 1-32 characters of a-z, 0-9 and _."""
    with refused("Bad Request: BOT_COMMAND_INVALID"):
        check_commands([{"command": command, "description": "d"}])


@pytest.mark.parametrize("description", ["", "   ", "d" * 257, None])
def test_command_description_invalid(description: object) -> None:
    """Descriptions are 1-256 characters."""
    with refused("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"):
        check_commands([{"command": "start", "description": description}])


def test_commands_duplicate_and_count() -> None:
    """A command may appear once; at most 100 commands."""
    with refused("Bad Request: BOT_COMMAND_DUPLICATE"):
        check_commands([{"command": "a", "description": "1"}, {"command": "a", "description": "2"}])
    hundred = [{"command": f"c{i}", "description": "d"} for i in range(100)]
    assert len(check_commands(hundred)) == 100
    with refused("Bad Request: BOT_COMMANDS_TOO_MUCH"):
        check_commands([*hundred, {"command": "extra", "description": "d"}])


def test_commands_shape() -> None:
    """Commands must be a list of objects."""
    for bad in ("nope", {"command": "a"}, ["start"]):
        with pytest.raises(ApiError):
            check_commands(bad)


# -- callback answers ---------------------------------------------------------------------------


def test_callback_answer_text() -> None:
    """None or up to 200 characters; 201 is too long."""
    assert check_callback_answer_text(None) is None
    assert check_callback_answer_text("") == ""
    assert check_callback_answer_text("a" * 200) == "a" * 200
    with refused("Bad Request: MESSAGE_TOO_LONG"):
        check_callback_answer_text("a" * 201)
    with pytest.raises(ApiError):
        check_callback_answer_text(12)


# -- polls --------------------------------------------------------------------------------------


def test_poll_regular_ok() -> None:
    """A regular poll returns its question and option texts."""
    assert poll("Q?", ("yes", {"text": "no"})) == ("Q?", ["yes", "no"], None)


def test_poll_options_as_json_string() -> None:
    """Form-encoded options arrive as a JSON string."""
    assert poll("Q?", json.dumps(["a", {"text": "b"}]))[1] == ["a", "b"]


def test_poll_question_length() -> None:
    """The question is 1-300 characters."""
    assert poll("q" * 300)[0] == "q" * 300
    for question in ("q" * 301, "", "  ", None):
        with refused("Bad Request: POLL_QUESTION_INVALID"):
            poll(question)


def test_poll_option_count() -> None:
    """2-12 options: 1 and 13 are refused."""
    assert len(poll(options=tuple("ab"))[1]) == 2
    assert len(poll(options=tuple("abcdefghijkl"))[1]) == 12
    for options in (("a",), tuple("abcdefghijklm"), (), "not json", {"a": 1}):
        with refused("Bad Request: POLL_ANSWERS_INVALID"):
            poll(options=options)


def test_poll_option_length() -> None:
    """Each option is 1-100 characters."""
    assert poll(options=("o" * 100, "b"))[1][0] == "o" * 100
    for option in ("o" * 101, "", " ", 5, {"label": "x"}):
        with refused("Bad Request: POLL_OPTION_INVALID"):
            poll(options=(option, "b"))


def test_poll_duplicate_options() -> None:
    """Two options with the same text are refused."""
    with refused("Bad Request: POLL_ANSWERS_INVALID"):
        poll(options=("a", {"text": "a"}))


def test_quiz_ok() -> None:
    """A quiz with one correct option (list or JSON string) passes."""
    assert poll(poll_type="quiz", correct_option_ids=[1]) == ("Which?", ["a", "b"], None)
    assert poll(poll_type="quiz", correct_option_ids="[0]")[1] == ["a", "b"]


def test_quiz_correct_options() -> None:
    """A quiz needs valid, distinct, increasing ids: one unless multiple answers are allowed."""
    for ids in (None, [], [2], [-1], ["0"], [True], 0, "zero", [0, 1]):
        with refused("Bad Request: POLL_CORRECT_ANSWERS_INVALID"):
            poll(poll_type="quiz", correct_option_ids=ids)
    three = ("a", "b", "c")
    assert poll(
        options=three, poll_type="quiz", correct_option_ids=[0, 2], allows_multiple_answers=True
    )
    for ids in ([2, 0], [1, 1]):
        with refused("Bad Request: POLL_CORRECT_ANSWERS_INVALID"):
            poll(
                options=three,
                poll_type="quiz",
                correct_option_ids=ids,
                allows_multiple_answers=True,
            )


def test_regular_poll_has_no_correct_options() -> None:
    """Correct options belong to quizzes."""
    with refused("Bad Request: POLL_CORRECT_ANSWERS_INVALID"):
        poll(correct_option_ids=[0])


def test_poll_type() -> None:
    """Only regular and quiz polls exist."""
    assert poll(poll_type="regular")
    with pytest.raises(ApiError):
        poll(poll_type="survey")


def test_quiz_explanation() -> None:
    """Explanations: at most 200 characters after parsing and 2 line feeds."""
    quiz = {"poll_type": "quiz", "correct_option_ids": [0]}
    assert poll(explanation="e" * 200, **quiz)[2] == "e" * 200
    assert (
        poll(explanation="<b>" + "e" * 200 + "</b>", explanation_parse_mode="HTML", **quiz)[2]
        == "e" * 200
    )
    assert poll(explanation="a\nb\nc", **quiz)[2] == "a\nb\nc"
    assert poll(explanation="", **quiz)[2] is None
    for explanation in ("e" * 201, "a\nb\nc\nd"):
        with refused("Bad Request: POLL_EXPLANATION_INVALID"):
            poll(explanation=explanation, **quiz)


def test_explanation_bad_html() -> None:
    """The explanation's markup is parsed like a message's."""
    with refused(CANT_PARSE):
        poll(
            poll_type="quiz",
            correct_option_ids=[0],
            explanation="<b>x",
            explanation_parse_mode="HTML",
        )


def test_explanation_only_for_quiz() -> None:
    """A regular poll has no explanation."""
    with refused("Bad Request: POLL_EXPLANATION_INVALID"):
        poll(explanation="because")


# -- deep links ---------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", ["a", "quiz_1-B", "x" * 64, "AZaz09_-"])
def test_deep_link_payload_ok(payload: str) -> None:
    """1-64 characters of A-Z, a-z, 0-9, _ and -."""
    assert check_deep_link_payload(payload)


@pytest.mark.parametrize("payload", ["", "x" * 65, "a b", "a+b", "é", "a=b", "a/b"])
def test_deep_link_payload_invalid(payload: str) -> None:
    """Anything else is no valid payload."""
    assert not check_deep_link_payload(payload)


# -- inline results -----------------------------------------------------------------------------


def test_inline_results_ok() -> None:
    """Results come back with their message text parsed."""
    results = check_inline_results(
        json.dumps([article("1", "<b>x</b>", parse_mode="HTML"), article("2", "plain")])
    )
    assert results[0]["input_message_content"] == {
        "message_text": "x",
        "entities": [{"type": "bold", "offset": 0, "length": 1}],
    }
    assert [r["id"] for r in results] == ["1", "2"]


def test_inline_results_count() -> None:
    """At most 50 results."""
    assert len(check_inline_results([article(str(i)) for i in range(50)])) == 50
    with refused("Bad Request: RESULTS_TOO_MUCH"):
        check_inline_results([article(str(i)) for i in range(51)])


def test_inline_result_ids() -> None:
    """Ids are 1-64 bytes and unique."""
    assert check_inline_results([article("i" * 64)])
    with refused("Bad Request: RESULT_ID_DUPLICATE"):
        check_inline_results([article("1"), article("1")])
    for result_id in ("", "i" * 65, "é" * 33):
        with refused("Bad Request: RESULT_ID_INVALID"):
            check_inline_results([article(result_id)])


def test_inline_article_message_checked() -> None:
    """An article's message text is checked like a message."""
    with refused("Bad Request: message text is empty"):
        check_inline_results([article("1", " ")])
    with refused("Bad Request: message is too long"):
        check_inline_results([article("1", "a" * 4097)])
    with refused(CANT_PARSE):
        check_inline_results([article("1", "a & b", parse_mode="HTML")])


def test_inline_article_needs_title_and_content() -> None:
    """Articles need a title and content; types must be known."""
    no_title = article()
    del no_title["title"]
    with pytest.raises(ApiError):
        check_inline_results([no_title])
    with pytest.raises(ApiError):
        check_inline_results([{"type": "article", "id": "1", "title": "T"}])
    with refused("Bad Request: RESULT_TYPE_INVALID"):
        check_inline_results([{"type": "hologram", "id": "1"}])


def test_inline_result_markup() -> None:
    """A result's keyboard must be an inline keyboard with valid buttons."""
    good = {**article(), "reply_markup": inline([button(url="https://t.me/x")])}
    assert check_inline_results([good])[0]["reply_markup"] == good["reply_markup"]
    with refused("Bad Request: BUTTON_URL_INVALID"):
        check_inline_results([{**article(), "reply_markup": inline([button(url="nope")])}])
    with pytest.raises(ApiError):
        check_inline_results([{**article(), "reply_markup": {"keyboard": [["a"]]}}])

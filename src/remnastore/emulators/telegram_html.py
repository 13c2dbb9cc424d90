"""Telegram's HTML parse mode: the same tags, the same tolerance and the same error texts.

The parser walks the text the way Telegram's server does: `&` starts an HTML entity only when one
can be decoded (a bare `&` stays literal), `<` always starts a tag, only a small set of tags is
allowed, and every start tag must be closed in order. Offsets of the produced entities are counted
in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from remnastore.emulators.telegram_params import ApiError, bad_request

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\v\f"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_offset: int
    byte_offset: int


def _error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity at `source[pos] == "&"`; return (character, next position)."""
    end = pos + 1
    code: int | None = None
    if end < len(source) and source[end] == "#":
        end += 1
        digits_start = end
        if end < len(source) and source[end] in "xX":
            end += 1
            digits_start = end
            while end < len(source) and source[end] in "0123456789abcdefABCDEF":
                end += 1
            code = int(source[digits_start:end], 16) if end > digits_start else None
        else:
            while end < len(source) and source[end].isdigit():
                end += 1
            code = int(source[digits_start:end]) if end > digits_start else None
        if code is None or code == 0 or code >= 0x110000 or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(source[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < len(source) and source[end] == ";":
        end += 1
    return char, end


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.out: list[str] = []
        self.utf16 = 0
        self.text_len = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, pos: int) -> int:
        return len(self.source[:pos].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += utf16_len(text)
        self.text_len += len(text)

    def at(self, pos: int) -> str:
        return self.source[pos] if pos < len(self.source) else ""

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        pos = 0
        source = self.source
        while pos < len(source):
            char = source[pos]
            if char == "&":
                decoded = _decode_entity(source, pos)
                if decoded is not None:
                    self.emit(decoded[0])
                    pos = decoded[1]
                    continue
            if char != "<":
                self.emit(char)
                pos += 1
                continue
            pos = self.end_tag(pos) if self.at(pos + 1) == "/" else self.start_tag(pos)
        if self.stack:
            raise _error(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda item: (item["offset"], -item["length"]))
        return "".join(self.out), self.entities

    def start_tag(self, begin: int) -> int:
        pos = begin + 1
        while self.at(pos) and self.at(pos) not in _SPACES and self.at(pos) != ">":
            pos += 1
        if not self.at(pos):
            raise _error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.source[begin + 1 : pos].lower()
        if tag not in SUPPORTED_TAGS:
            raise _error(f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}')
        argument = ""
        while self.at(pos) != ">":
            while self.at(pos) and self.at(pos) in _SPACES:
                pos += 1
            if self.at(pos) == ">":
                break
            if not self.at(pos):
                raise _error(f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}')
            name_start = pos
            while self.at(pos) and self.at(pos) not in _SPACES and self.at(pos) not in "=>":
                pos += 1
            attribute = self.source[name_start:pos]
            if not attribute:
                raise _error(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.byte_offset(begin)}'
                )
            while self.at(pos) and self.at(pos) in _SPACES:
                pos += 1
            if self.at(pos) != "=":
                if tag == "blockquote" and attribute.lower() == "expandable":
                    argument = "1"
                    continue
                raise _error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self.byte_offset(begin)}'
                )
            pos += 1
            while self.at(pos) and self.at(pos) in _SPACES:
                pos += 1
            if not self.at(pos):
                raise _error(f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}')
            value, pos = self.attribute_value(pos)
            if not self.at(pos):
                raise _error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            argument = self.tag_argument(tag, attribute.lower(), value, argument)
        if tag == "span" and argument != "spoiler":
            raise _error(f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}')
        self.stack.append(_OpenTag(tag, argument, self.utf16, self.text_len, self.byte_offset(begin)))
        return pos + 1

    def attribute_value(self, pos: int) -> tuple[str, int]:
        quote = self.at(pos)
        if quote not in ("'", '"'):
            start = pos
            while self.at(pos) and (self.at(pos).isalnum() or self.at(pos) in ".-"):
                pos += 1
            if self.at(pos) and self.at(pos) not in _SPACES and self.at(pos) != ">":
                raise _error(f"Unexpected end of name token at byte offset {self.byte_offset(start)}")
            return self.source[start:pos].lower(), pos
        pos += 1
        chars: list[str] = []
        while self.at(pos) and self.at(pos) != quote:
            if self.at(pos) == "&":
                decoded = _decode_entity(self.source, pos)
                if decoded is not None:
                    chars.append(decoded[0])
                    pos = decoded[1]
                    continue
            chars.append(self.at(pos))
            pos += 1
        if self.at(pos) == quote:
            pos += 1
        return "".join(chars), pos

    @staticmethod
    def tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
        if tag == "a" and attribute == "href":
            return value
        if tag == "code" and attribute == "class" and value.startswith("language-"):
            return value.removeprefix("language-")
        if tag == "span" and attribute == "class" and value.startswith("tg-"):
            return value.removeprefix("tg-")
        if tag == "tg-emoji" and attribute == "emoji-id":
            return value
        if tag == "blockquote" and attribute == "expandable":
            return "1"
        return current

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise _error(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        pos = begin + 2
        while self.at(pos) and self.at(pos) not in _SPACES and self.at(pos) != ">":
            pos += 1
        end_name = self.source[begin + 2 : pos].lower()
        while self.at(pos) and self.at(pos) in _SPACES:
            pos += 1
        if self.at(pos) != ">":
            raise _error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        opened = self.stack.pop()
        if end_name and end_name != opened.name:
            raise _error(
                f'Unmatched end tag at byte offset {self.byte_offset(begin)}, expected "</{opened.name}>", '
                f'found "</{end_name}>"'
            )
        self.close_entity(opened)
        return pos + 1

    def close_entity(self, opened: _OpenTag) -> None:
        length = self.utf16 - opened.utf16_offset
        if length == 0:
            return
        offset = opened.utf16_offset
        entity: dict[str, Any] = {"offset": offset, "length": length}
        tag = opened.name
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and last["offset"] == offset and last["length"] == length
        if tag in _SIMPLE_TYPES:
            entity["type"] = _SIMPLE_TYPES[tag]
        elif tag == "a":
            url = opened.argument or "".join(self.out)[opened.text_offset :]
            if not url:
                return
            entity.update(type="text_link", url=url)
        elif tag == "code":
            if last is not None and same_span and last["type"] == "pre":
                if opened.argument:
                    last["language"] = opened.argument
                return
            entity["type"] = "code"
            if opened.argument:
                entity["_language"] = opened.argument
        elif tag == "pre":
            entity["type"] = "pre"
            if last is not None and same_span and last["type"] == "code":
                language = last.pop("_language", None)
                self.entities.pop()
                if language:
                    entity["language"] = language
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
        else:  # tg-emoji
            if not opened.argument.isdigit():
                return
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and the message entities of an HTML formatted text.

    Raises ApiError(400, "Bad Request: can't parse entities: ...") on malformed input.
    """
    text, entities = _HtmlParser(source).parse()
    for entity in entities:
        entity.pop("_language", None)
    return text, entities


def parse_formatted(text: str, parse_mode: str | None, entities: Any) -> tuple[str, list[dict[str, Any]]]:
    """Apply a parse mode (or explicit entities) the way sendMessage and friends do."""
    if parse_mode and parse_mode.lower() == "html":
        return parse_html(text)
    if parse_mode and parse_mode.lower() not in {"markdown", "markdownv2"}:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    if isinstance(entities, list):
        return text, [item for item in entities if isinstance(item, dict)]
    return text, []

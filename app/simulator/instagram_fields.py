"""Graph API field expansion, plus the Instagram fields the simulator knows and renders.

Example: `business_discovery.username(x){id,media.after(C).limit(5){id}}`.

Grammar (whitespace ignored around names):

    fields   := field ("," field)*
    field    := name ("." name "(" argument ")")* ("{" fields "}")?

Arguments run to the next `)`; cursors are opaque but never contain parentheses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.simulator.world import PostCounters, SimPost

PROFILE_FIELDS = frozenset(
    {"id", "ig_id", "username", "name", "biography", "website", "profile_picture_url",
     "followers_count", "follows_count", "media_count", "media"}
)  # fmt: skip
MEDIA_FIELDS = frozenset(
    {"id", "caption", "comments_count", "like_count", "view_count", "media_type",
     "media_product_type", "timestamp", "permalink", "username", "thumbnail_url", "media_url"}
)  # fmt: skip
INSIGHT_TITLES = {
    "saved": "Saved",
    "shares": "Shares",
    "likes": "Likes",
    "comments": "Comments",
    "views": "Views",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FieldSyntaxError(ValueError):
    """The `fields` parameter is not valid field expansion, or names an unknown field."""


@dataclass(frozen=True, slots=True)
class FieldNode:
    """One requested field with its modifiers (`limit`, `after`, …) and sub-fields."""

    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    children: tuple[FieldNode, ...] | None = None

    def child_names(self) -> list[str]:
        """Names of the requested sub-fields (empty when none were given)."""
        return [child.name for child in self.children or ()]


def parse_fields(text: str) -> tuple[FieldNode, ...]:
    """Parse a whole `fields` parameter.

    Raises:
        FieldSyntaxError: on anything that is not valid field expansion.
    """
    parser = _Parser(text)
    nodes = parser.fields()
    parser.skip_spaces()
    if parser.pos != len(text):
        raise FieldSyntaxError(f"unexpected {text[parser.pos]!r} at {parser.pos}")
    return nodes


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_spaces()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise FieldSyntaxError(f"expected {char!r} at {self.pos}")
        self.pos += 1

    def name(self) -> str:
        self.skip_spaces()
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise FieldSyntaxError(f"expected a field name at {self.pos}")
        self.pos = match.end()
        return match.group()

    def fields(self) -> tuple[FieldNode, ...]:
        nodes = [self.field()]
        while self.peek() == ",":
            self.pos += 1
            nodes.append(self.field())
        return tuple(nodes)

    def field(self) -> FieldNode:
        name = self.name()
        modifiers: dict[str, str] = {}
        while self.peek() == ".":
            self.pos += 1
            modifier = self.name()
            self.expect("(")
            end = self.text.find(")", self.pos)
            if end < 0:
                raise FieldSyntaxError(f"unclosed ( after {modifier}")
            modifiers[modifier] = self.text[self.pos : end].strip()
            self.pos = end + 1
        children = None
        if self.peek() == "{":
            self.pos += 1
            children = self.fields()
            self.expect("}")
        return FieldNode(name, modifiers, children)


def check_fields(names: list[str], allowed: frozenset[str], node_type: str) -> None:
    for name in names:
        if name not in allowed:
            raise FieldSyntaxError(
                f"Tried accessing nonexisting field ({name}) on node type ({node_type})"
            )


def render_media(post: SimPost, counters: PostCounters, fields: list[str]) -> dict[str, Any]:
    video = post.media_type == "VIDEO"
    kind = "reel" if post.product_type == "REELS" else "p"
    values: dict[str, Any] = {
        "caption": post.caption,
        "comments_count": counters.comments,
        "like_count": counters.likes,  # None (hidden) → omitted
        "view_count": counters.views,  # None (not a video) → omitted
        "media_type": post.media_type,
        "media_product_type": post.product_type,
        "timestamp": post.published_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "permalink": f"https://www.instagram.com/{kind}/{post.shortcode}/",
        "username": post.author,
        "thumbnail_url": f"https://cdn.example/thumbs/{post.shortcode}.jpg" if video else None,
        "media_url": f"https://cdn.example/media/{post.shortcode}.{'mp4' if video else 'jpg'}",
    }
    out = {name: values[name] for name in fields if values.get(name) is not None}
    out["id"] = post.graph_id
    return out

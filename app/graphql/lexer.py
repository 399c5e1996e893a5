"""graphql-core's lexer with its character-by-character loops replaced by regular expressions.

graphql-core reads comments, strings, names, digits and ignored characters one Python step per
character (≈ 170 ns each), so a 100 KB comment alone takes ≈ 15 ms to parse; here the runs of
plain characters are matched in C. Tokens, their locations and every syntax error (message and
position) are the same as graphql-core's (tests/graphql/test_lexer.py compares them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLSyntaxError, Lexer, Source, Token, TokenKind
from graphql.language.block_string import dedent_block_string_lines
from graphql.language.character_classes import is_digit
from graphql.language.lexer import EscapeSequence
from graphql.language.parser import Parser, nested_too_deeply_error

# A character class of source characters but `excluded`, surrogate pairs allowed, lone
# surrogates not (graphql-core's is_unicode_scalar_value / is_supplementary_code_point).
_PAIR = "[\ud800-\udbff][\udc00-\udfff]"


def _run_of(excluded: str) -> re.Pattern[str]:
    plain = f"[^{excluded}\ud800-\udfff]*"
    return re.compile(f"{plain}(?:{_PAIR}{plain})*")


_COMMENT = _run_of(r"\r\n")
_STRING = _run_of(r'"\\\r\n')
_BLOCK = _run_of(r'"\\\r\n')
_NAME = re.compile("[_0-9A-Za-z]*")
_DIGITS = re.compile("[0-9]*")
_IGNORED = re.compile("[ \t,\ufeff\r\n]*")


def _end(pattern: re.Pattern[str], body: str, position: int) -> int:
    """Where the run of `pattern` starting at `position` ends (the patterns match empty runs)."""
    match = pattern.match(body, position)
    return position if match is None else match.end()


class FastLexer(Lexer):
    """A Lexer that skips runs of plain characters with one regular-expression match.

    It also counts the tokens it creates (comments included), even when parsing fails.
    """

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        self.tokens = 1  # the start-of-file token

    def create_token(
        self, kind: TokenKind, start: int, end: int, value: str | None = None
    ) -> Token:
        """A token located at its line and column, counted."""
        self.tokens += 1
        return Token(kind, start, end, self.line, 1 + start - self.line_start, value)

    def read_next_token(self, start: int) -> Token:
        """Skip ignored characters (counting lines), then lex the token as graphql-core does."""
        end = _end(_IGNORED, self.source.body, start)
        if end > start:
            skipped = self.source.body[start:end]
            breaks = skipped.count("\n") + skipped.count("\r") - skipped.count("\r\n")
            if breaks:
                self.line += breaks
                self.line_start = start + max(skipped.rfind("\n"), skipped.rfind("\r")) + 1
        return super().read_next_token(end)

    def read_comment(self, start: int) -> Token:
        """A comment up to the end of its line."""
        if self._max_comments is not None:
            self._comment_count += 1
            if self._comment_count > self._max_comments:
                raise GraphQLSyntaxError(
                    self.source,
                    start,
                    f"Document contains more than {self._max_comments} comments. Parsing aborted.",
                )
        body = self.source.body
        end = _end(_COMMENT, body, start + 1)
        return self.create_token(TokenKind.COMMENT, start, end, body[start + 1 : end])

    def read_string(self, start: int) -> Token:
        """A single-quoted string, escapes decoded."""
        body = self.source.body
        position = start + 1
        value: list[str] = []
        while True:
            chunk_end = _end(_STRING, body, position)
            value.append(body[position:chunk_end])
            position = chunk_end
            char = body[position : position + 1]
            if char == '"':
                return self.create_token(TokenKind.STRING, start, position + 1, "".join(value))
            if char != "\\":
                break
            escape = self._escape(position)
            value.append(escape.value)
            position += escape.size
        if char in ("", "\r", "\n"):
            raise GraphQLSyntaxError(self.source, position, "Unterminated string.")
        raise GraphQLSyntaxError(
            self.source,
            position,
            f"Invalid character within String: {self.print_code_point_at(position)}.",
        )

    def _escape(self, position: int) -> EscapeSequence:
        body = self.source.body
        if body[position + 1 : position + 2] != "u":
            return self.read_escaped_character(position)
        if body[position + 2 : position + 3] == "{":
            return self.read_escaped_unicode_variable_width(position)
        return self.read_escaped_unicode_fixed_width(position)

    def read_block_string(self, start: int) -> Token:
        """A block string, its lines dedented as graphql-core does."""
        body = self.source.body
        line_start = self.line_start
        position = chunk_start = start + 3
        current_line = ""
        block_lines: list[str] = []
        while True:
            position = _end(_BLOCK, body, position)
            char = body[position : position + 1]
            if char == '"':
                if body[position + 1 : position + 3] != '""':
                    position += 1
                    continue
                block_lines.append(current_line + body[chunk_start:position])
                value = "\n".join(dedent_block_string_lines(block_lines))
                token = self.create_token(TokenKind.BLOCK_STRING, start, position + 3, value)
                self.line += len(block_lines) - 1
                self.line_start = line_start
                return token
            if char == "\\":
                if body[position + 1 : position + 4] == '"""':
                    current_line += body[chunk_start:position]
                    chunk_start = position + 1  # skip only the slash
                    position += 4
                else:
                    position += 1
                continue
            if char in ("\r", "\n"):
                block_lines.append(current_line + body[chunk_start:position])
                crlf = char == "\r" and body[position + 1 : position + 2] == "\n"
                position += 2 if crlf else 1
                current_line = ""
                chunk_start = line_start = position
                continue
            break
        if char == "":
            raise GraphQLSyntaxError(self.source, position, "Unterminated string.")
        raise GraphQLSyntaxError(
            self.source,
            position,
            f"Invalid character within String: {self.print_code_point_at(position)}.",
        )

    def read_name(self, start: int) -> Token:
        """A name: letters, digits and underscores."""
        body = self.source.body
        end = _end(_NAME, body, start + 1)
        return self.create_token(TokenKind.NAME, start, end, body[start:end])

    def read_digits(self, start: int, first_char: str) -> int:
        """The position after one or more digits."""
        if not is_digit(first_char):
            return super().read_digits(start, first_char)  # raises the same error
        return _end(_DIGITS, self.source.body, start + 1)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed document or the syntax error, and how many tokens were read either way."""

    document: DocumentNode | None
    error: GraphQLSyntaxError | None
    tokens: int


def parse_document(text: str, max_tokens: int | None = None) -> Parsed:
    """`graphql.parse(text, max_tokens=…)` with the fast lexer, errors returned."""
    source = Source(text)
    lexer = FastLexer(source)
    parser = Parser(source, max_tokens=max_tokens, lexer=lexer)
    try:
        return Parsed(parser.parse_document(), None, lexer.tokens)
    except GraphQLSyntaxError as exc:
        return Parsed(None, exc, lexer.tokens)
    except RecursionError:
        return Parsed(None, nested_too_deeply_error(parser), lexer.tokens)


def fast_parse(text: str, max_tokens: int | None = None) -> DocumentNode:
    """`graphql.parse(text, max_tokens=…)` with the fast lexer."""
    parsed = parse_document(text, max_tokens)
    if parsed.error is not None:
        raise parsed.error
    assert parsed.document is not None
    return parsed.document

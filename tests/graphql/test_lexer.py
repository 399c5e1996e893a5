"""The fast lexer gives graphql-core's tokens, locations and syntax errors, only sooner."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from graphql import GraphQLSyntaxError, Lexer, Source, TokenKind, parse, print_ast

from app.bench.limits import HOSTILE, REFUSED, padded
from app.graphql.lexer import FastLexer, fast_parse
from app.settings import LimitSettings

# Every character class the lexer tells apart, and the sequences it treats specially.
PIECES = [
    " ", "\t", ",", "\ufeff", "\n", "\r", "\r\n", "#", '"', '"""', '\\"""', "\\", "\\n",
    "\\u00e9", "\\u{1F600}", "\\uD83D\\uDE00", "\\x", "\\u{", "a", "Z", "_", "é", "0", "7", "-",
    ".", "...", "..", "e", "E", "+", "{", "}", "(", ")", "[", "]", ":", "!", "$", "&", "|", "@",
    "=", "'", "\x00", "\x7f", "\u2028", "\U0001f600", "\ud83d", "\ude00", "abc", "123", "1.5e3",
]  # fmt: skip
CASES = [
    "{ viewer { id } }",
    '# a comment\r\n{ a(b: "c\\"d", e: 1.5e-3, f: -0) }\r{ g }\n',
    '{ a(b: """\n    block\r\n      \\""" lines\n  """) }',
    '{ a(b: "é\U0001f600\\u00e9\\u{1F600}\\uD83D\\uDE00") }',
    'query Q($v: [ID!]! = ["x"]) @d { ... on T { ...F } } fragment F on T { x }',
    '"unterminated',
    '"bad \ud83d char"',
    '"""unterminated block',
    "{ a(b: 00) }",
    "{ a(b: 1.) }",
    "{ a(b: 1x) }",
    "# comment with a lone \ud83d surrogate\n{ a }",
    '{ a(b: "\\q") }',
    "..",
    "'single'",
]


def lex(lexer_type: type[Lexer], text: str) -> list[tuple[Any, ...]] | tuple[str, Any]:
    """Every token (kind, start, end, line, column, value), or the syntax error."""
    lexer = lexer_type(Source(text))
    tokens: list[tuple[Any, ...]] = []
    try:
        while True:
            token = lexer.advance()
            tokens.append((token.kind, token.start, token.end, token.line, token.column))
            tokens[-1] += (token.value,)
            if token.kind is TokenKind.EOF:
                return tokens
            # Comments are skipped by advance(): read them as the linked list keeps them.
            prev = token.prev
            while prev is not None and prev.kind is TokenKind.COMMENT and len(tokens) < 10_000:
                tokens.append(("comment", prev.start, prev.end, prev.line, prev.column, prev.value))
                prev = prev.prev
    except GraphQLSyntaxError as exc:
        return exc.message, exc.locations


def random_document(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))


@pytest.mark.parametrize("text", CASES)
def test_tokens_and_errors_are_graphql_cores(text: str) -> None:
    assert lex(FastLexer, text) == lex(Lexer, text)


def test_random_documents_lex_alike() -> None:
    rng = random.Random(8)
    for _ in range(5_000):
        text = random_document(rng)
        assert lex(FastLexer, text) == lex(Lexer, text), repr(text)


def test_hostile_documents_parse_to_the_same_ast() -> None:
    limits = LimitSettings()
    texts = [padded(h.build(8), limits) for h in HOSTILE] + [text for _, text in REFUSED]
    for text in texts:
        try:
            expected: Any = print_ast(parse(text, max_tokens=limits.max_tokens))
        except GraphQLSyntaxError as exc:
            expected = exc.message
        try:
            got: Any = print_ast(fast_parse(text, max_tokens=limits.max_tokens))
        except GraphQLSyntaxError as exc:
            got = exc.message
        assert got == expected


@pytest.mark.parametrize(
    "filler",
    ["# " + "x" * 99_000 + "\n", " " * 99_000, "\n" * 99_000, ",\r\n" * 33_000],
    ids=["comment", "spaces", "newlines", "commas-crlf"],
)
def test_a_padded_document_lexes_in_a_fraction_of_graphql_cores_time(filler: str) -> None:
    text = filler + '{ viewer(x: "' + "y" * 1000 + '") { id } }'
    assert lex(FastLexer, text) == lex(Lexer, text)
    timings = []
    for parser in (parse, fast_parse):
        start = time.process_time()
        for _ in range(3):
            parser(text)
        timings.append(time.process_time() - start)
    assert timings[1] < timings[0] / 4, timings

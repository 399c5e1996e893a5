"""The installed graphql-core speed-ups give exactly graphql-core's hashes and locations."""

from __future__ import annotations

import random

from graphql import GraphQLError, Source, parse, validate
from graphql.language import ast

from app.bench.limits import HOSTILE, padded
from app.graphql import speedups
from app.graphql.schema import schema

PIECES = ["a", " ", "\n", "\r", "\r\n", "\n\r", "x" * 50, "\r\r", "\n\n"]


def test_locations_are_graphql_cores() -> None:
    rng = random.Random(8)
    for _ in range(2_000):
        body = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
        source = Source(body)
        for position in range(len(body) + 2):
            expected = speedups.ORIGINAL_GET_LOCATION(source, position)
            assert source.get_location(position) == expected, (body, position)
        positions = [(source, rng.randint(0, len(body))) for _ in range(3)]
        assert speedups._get_locations(positions) == speedups.ORIGINAL_GET_LOCATIONS(positions)


def test_node_hashes_are_the_values_hashes_computed_once() -> None:
    text = padded(HOSTILE[0].build(5), None)
    document = parse(text)
    nodes: list[ast.Node] = []

    def collect(value: object) -> None:
        if isinstance(value, ast.Node):
            nodes.append(value)
            for key in value.keys:
                collect(getattr(value, key))
        elif isinstance(value, tuple | list):
            for item in value:
                collect(item)

    collect(document)
    for node in nodes:
        original = type(node).__hash__.original  # type: ignore[attr-defined]
        assert hash(node) == original(node) == hash(node)
    again = parse(text)
    assert again == document
    assert hash(again) == hash(document)


def test_validation_errors_are_located_as_before() -> None:
    text = "#" + "x" * 5_000 + "\r\n{ viewer {\n apiKey { nope: id nope: name } } }\r{ a }"
    document = parse(text)
    errors = validate(schema._schema, document)
    assert errors
    for error in errors:
        assert isinstance(error, GraphQLError)
        source = error.source
        assert source is not None
        assert error.positions is not None
        expected = [speedups.ORIGINAL_GET_LOCATION(source, p) for p in error.positions]
        assert error.locations == expected

"""Every string argument of the schema has a maximum length (app.graphql.input_bounds)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLString,
    get_named_type,
    parse,
)

from app.graphql.input_bounds import MAX_LENGTHS, check_variables, scan_document
from app.graphql.schema import schema

STRINGS = (GraphQLString, GraphQLID)


def inputs() -> Iterator[tuple[str, str, GraphQLInputType]]:
    """(coordinate, name, type) of every argument and input field of the schema."""
    for type_ in schema._schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                for arg_name, arg in field.args.items():
                    yield f"{type_.name}.{field_name}({arg_name}:)", arg_name, arg.type
        elif isinstance(type_, GraphQLInputObjectType):
            for field_name, input_field in type_.fields.items():
                yield f"{type_.name}.{field_name}", field_name, input_field.type


def test_every_string_argument_has_a_maximum_length() -> None:
    missing = [
        coordinate
        for coordinate, name, type_ in inputs()
        if get_named_type(type_) in STRINGS and name not in MAX_LENGTHS
    ]
    assert missing == [], f"add a maximum length to MAX_LENGTHS (and the README) for {missing}"


def test_the_table_names_only_string_arguments_and_none_that_is_gone() -> None:
    used = {name for _, name, type_ in inputs() if get_named_type(type_) in STRINGS}
    misused = [
        coordinate
        for coordinate, name, type_ in inputs()
        if name in MAX_LENGTHS and get_named_type(type_) not in STRINGS
    ]
    assert misused == []
    assert set(MAX_LENGTHS) - used == set()


def test_a_variable_takes_the_smallest_maximum_of_the_arguments_it_is_given_to() -> None:
    document = parse(
        "query($t: String!, $w: WindowInput!) { search(query: $t) { creators { name } }"
        " resolveUrl(url: $t) { kind } organization { metrics(window: $w) { views } } }"
    )
    refusal, limits = scan_document(document)
    assert refusal is None
    assert limits == {"t": (MAX_LENGTHS["query"], "query"), "w": (None, "window")}
    too_long = check_variables(limits, {"t": "x" * 201})
    assert too_long is not None
    assert too_long.extensions["field"] == "query"


def test_deeply_nested_variables_are_checked_without_recursion() -> None:
    nested: object = "n\x00"
    for _ in range(100_000):
        nested = [nested]
    refusal = check_variables({"ids": (128, "ids")}, {"ids": nested})
    assert refusal is not None
    assert refusal.extensions["reason"] == "NUL_CHARACTER"

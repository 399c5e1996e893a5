"""Document limits before validation: the shapes measured, hostile documents refused, the bound."""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Callable, Iterator
from math import comb
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    get_introspection_query,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule, OverlappingFieldsCanBeMergedRule
from graphql.validation.rules import overlapping_fields_can_be_merged as overlap_rule

from app.bench.limits import HOSTILE, admitted, bomb, deep_tree, largest_admitted
from app.bench.limits_timing import format_report, run_benchmark
from app.bench.run import DASHBOARD, ORG_METRICS, ORG_SERIES
from app.graphql import shape as shape_module
from app.graphql.errors import QueryTooComplex
from app.graphql.limits import (
    MAX_VALIDATION_ERRORS,
    OverlapRuleWithoutCycles,
    enforce,
    measure,
    validation_rules,
)
from app.graphql.schema import schema
from app.graphql.shape import CAP, DocumentShape, has_fragment_cycle
from app.settings import LimitSettings
from tests.metrics.harness import QUERY as ALL_SCOPES

ROOT = Path(__file__).resolve().parents[2]
SCHEMA: GraphQLSchema = schema._schema
DEFAULTS = LimitSettings()
# Loose enough to measure a hostile shape without another limit refusing it first.
LOOSE = LimitSettings(
    max_tokens=100_000,
    max_aliases=10_000,
    max_fields_per_selection=100_000,
    max_total_fields=100_000,
    max_overlap_checks=10**12,
)

GRAPHIQL_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
    one_of=True,
)


def repeat(count: int, text: str) -> str:
    return " ".join([text] * count)


def shape_of(text: str, limits: LimitSettings = DEFAULTS) -> DocumentShape:
    return measure(parse(text), None, limits)


def refusal(text: str, limits: LimitSettings = DEFAULTS) -> dict[str, Any]:
    """The extensions of the QUERY_TOO_COMPLEX error `text` gets, parsed without a token cap."""
    with pytest.raises(QueryTooComplex) as refused:
        enforce(shape_of(text, limits), limits)
    extensions = refused.value.extensions
    assert extensions["code"] == "QUERY_TOO_COMPLEX"
    return extensions


def fragments(count: int, body: Callable[[int], str], on: str = "Viewer") -> str:
    return " ".join(f"fragment F{i} on {on} {{ {body(i)} }}" for i in range(count))


def spreads(count: int) -> str:
    return " ".join(f"...F{i}" for i in range(count))


# --- What is measured -----------------------------------------------------------------------


def test_depth_and_aliases_are_measured_as_before() -> None:
    shape = shape_of("{ a: viewer { apiKey { id } } __schema { t: types { f: fields { name } } } }")
    assert shape.depth == 3  # introspection adds no depth
    assert shape.aliases == 1  # nor are aliases within it counted
    assert shape.total_fields == 7  # but its fields are validated, so they count
    assert shape.max_selection_fields == 2


def test_fields_of_fragments_and_inline_fragments_join_their_selection_set() -> None:
    text = (
        "{ viewer { ...A ... on Viewer { apiKey { id } } apiKey { name } } } "
        "fragment A on Viewer { apiKey { id name } ...B } "
        "fragment B on Viewer { organization { id } }"
    )
    shape = shape_of(text)
    assert shape.max_selection_fields == 4  # viewer collects apiKey ×3 and organization
    assert shape.total_fields == 1 + 4 + 5
    # Paths viewer.apiKey (3 fields: 3 pairs), .id (2: 1), .name (2: 1); spreads A and B under
    # viewer's one selection set: 1 × 2 + C(2, 2) + C(1, 2).
    assert shape.overlap_checks == 3 + 1 + 1 + 2 + 1


def test_the_executed_operation_gives_depth_and_aliases_the_document_the_rest() -> None:
    document = parse(
        "query Small { viewer { apiKey { id } } } "
        "query Big { a: viewer { apiKey { id } } b: viewer { organization { name } } }"
    )
    small, big = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    assert measure(document, small).aliases == 0
    assert measure(document, big).aliases == 2
    assert measure(document).aliases == 2  # no operation named: the worst of them
    # Validation visits both operations, so the fields of both count whichever runs.
    assert measure(document, small).total_fields == measure(document, big).total_fields == 9


def test_operations_and_unused_fragments_add_up() -> None:
    half = repeat(30, "viewer { apiKey { id } }")
    two = shape_of(f"query A {{ {half} }} query B {{ {half} }}")
    assert two.overlap_checks == 2 * 3 * comb(30, 2)
    assert two.total_fields == 180
    unused = shape_of(f"{{ viewer {{ apiKey {{ id }} }} }} fragment U on Query {{ {half} }}")
    assert unused.overlap_checks == 3 * comb(30, 2)
    assert unused.total_fields == 3 + 90


def test_a_fragment_defined_twice_counts_both_definitions() -> None:
    text = (
        "{ viewer { ...F } } fragment F on Viewer { apiKey { id } } "
        f"fragment F on Viewer {{ {repeat(20, 'apiKey { id }')} }}"
    )
    shape = shape_of(text)
    # Spreads resolve to the last F; the first is validated on its own.
    assert shape.total_fields == 1 + 40 + 2
    assert shape.max_selection_fields == 20


def test_fragment_bombs_are_measured_without_being_expanded() -> None:
    # 2**5000 copies: enumerating them would never end, and this test would time out.
    text = "{ viewer { ...F4999 } } fragment F0 on Viewer { id: __typename } " + " ".join(
        f"fragment F{i} on Viewer {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 5000)
    )
    shape = measure(parse(text))
    assert shape.total_fields == shape.max_selection_fields == CAP  # saturated, JSON-safe
    assert shape.overlap_checks == CAP
    assert shape.depth == 1


def test_long_fragment_chains_do_not_exhaust_the_stack() -> None:
    count = 3000
    text = "{ viewer { ...F0 } } " + " ".join(
        f"fragment F{i} on Viewer {{ apiKey {{ id }} ...F{i + 1} }}" for i in range(count - 1)
    )
    shape = measure(parse(text + f" fragment F{count - 1} on Viewer {{ apiKey {{ id }} }}"))
    assert shape.max_selection_fields == count
    assert shape.total_fields == 1 + 2 * count


@pytest.mark.parametrize("nesting", ["viewer { ", "... on Query { "])
def test_the_deepest_documents_the_parser_allows_are_measured(nesting: str) -> None:
    document = parse("{ " + nesting * 199 + "id" + " }" * 199 + " }")

    def under_a_deep_stack(frames: int) -> DocumentShape:
        # A server calls from deep in its own stack: measuring must not recurse per level.
        return measure(document) if frames == 0 else under_a_deep_stack(frames - 1)

    shape = under_a_deep_stack(700)
    assert shape.depth == (200 if nesting.startswith("viewer") else 1)


def test_measuring_each_definition_in_turn_measures_the_document_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[DocumentNode] = []
    original = shape_module._Measurement

    class Counted(original):  # type: ignore[misc, valid-type]
        def __init__(self, document: DocumentNode, limits: LimitSettings) -> None:
            built.append(document)
            super().__init__(document, limits)

    monkeypatch.setattr(shape_module, "_Measurement", Counted)
    text = "{ viewer { ...F0 } } " + " ".join(
        f"fragment F{i} on Viewer {{ apiKey {{ id }} ...F{i + 1} }}" for i in range(200)
    )
    document = parse(text + " fragment F200 on Viewer { apiKey { name } }")
    # As a caller measuring every definition does, fragments as stand-in operations.
    for definition in document.definitions:
        assert isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
        operation = OperationDefinitionNode(
            operation=OperationType.QUERY, selection_set=definition.selection_set
        )
        assert measure(document, operation).total_fields == 1 + 2 * 201
    assert built == [document]


@pytest.mark.parametrize(
    "text",
    [
        "{ viewer { ...Missing } }",
        "{ viewer { ...F } } fragment F on Viewer { apiKey { id } ...F }",
        "{ viewer { ...F } } fragment F on Viewer { apiKey { id } ...G } "
        "fragment G on Viewer { apiKey { id } ...F }",
        "fragment F on Query { viewer { apiKey { id } } viewer { ...F } }",
    ],
)
def test_unknown_and_cyclic_fragments_are_measured_and_left_to_validation(text: str) -> None:
    document = parse(text)
    enforce(measure(document), DEFAULTS)
    errors = validate(SCHEMA, document, validation_rules(True))
    assert errors
    if has_fragment_cycle(document):
        assert measure(document).overlap_checks == 0
        assert any("within itself" in e.message for e in errors)


# --- Hostile documents are refused ----------------------------------------------------------


def test_the_700_fold_repetition_is_refused_before_validation() -> None:
    text = "# a unique comment\n{ " + repeat(700, "viewer { apiKey { id } }") + " }"
    shape = shape_of(text, LOOSE)
    assert shape.max_selection_fields == 700
    assert shape.total_fields == 2100
    assert shape.overlap_checks == 3 * comb(700, 2)
    # Past 4 nodes per admitted field the expansion is too large to walk: a coarser bound.
    assert shape_of(text, LimitSettings(max_total_fields=500)).overlap_checks == comb(2100, 2)
    # The token cap refuses it first; past that, the measurement does.
    with pytest.raises(GraphQLSyntaxError, match="tokens"):
        parse(text, max_tokens=DEFAULTS.max_tokens)
    extensions = refusal(text)
    assert extensions["fieldsPerSelection"] == 700
    assert extensions["maxFieldsPerSelection"] == DEFAULTS.max_fields_per_selection
    # Past the selection limit, the overlap limit alone would refuse it.
    loose = LimitSettings(max_fields_per_selection=1000, max_total_fields=10_000)
    assert refusal(text, loose)["overlapChecks"] == 3 * comb(700, 2)


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("{ viewer { apiKey { " + repeat(101, "id") + " } } }", "fieldsPerSelection", 101),
        (
            "{ " + repeat(45, "viewer { " + repeat(44, "apiKey { id }") + " }") + " }",
            "totalFields",
            45 + 2 * 45 * 44,
        ),
        (bomb(12), "fieldsPerSelection", 2048),
        (
            f"{{ viewer {{ {spreads(101)} }} }} " + fragments(101, lambda _: "apiKey { id }"),
            "fieldsPerSelection",
            101,
        ),
        (
            "{ " + " ".join(f"a{i}: viewer {{ apiKey {{ id }} }}" for i in range(31)) + " }",
            "aliases",
            31,
        ),
        (
            "{ " + "accounts { nodes { creators { nodes { " * 3 + "id" + " } } } }" * 3 + " }",
            "depth",
            13,
        ),
        (
            "{ "
            + repeat(40, "viewer @include(if: true) @skip(if: false) { apiKey { id } }")
            + " }",
            "overlapChecks",
            3 * comb(40, 2),
        ),
        ("{ " + " ".join(deep_tree(i) for i in range(7)) + " }", "totalFields", 7 * 99),
    ],
    ids=[
        "same-named leaves in one set",
        "45 × a each with 44 × b",
        "fragment bomb",
        "many fragments in one set",
        "many aliases of one field",
        "deep",
        "repeated directives",
        "wide",
    ],
)
def test_hostile_shapes_are_refused_with_their_numbers(text: str, key: str, value: int) -> None:
    extensions = refusal(text)
    assert extensions[key] == value
    limit_key = "max" + key[0].upper() + key[1:]
    assert extensions[limit_key] < value


def test_nested_same_names_count_every_pair_of_a_path() -> None:
    text = "{ " + repeat(45, "viewer { " + repeat(44, "apiKey { id }") + " }") + " }"
    shape = shape_of(text, LOOSE)
    assert shape.overlap_checks == comb(45, 2) + 2 * comb(45 * 44, 2)


def test_fragment_comparisons_count_even_without_shared_fields() -> None:
    # 60 fragments with nothing in common are still compared pairwise by the overlap rule.
    text = f"{{ viewer {{ {spreads(60)} }} }} " + fragments(60, lambda i: f"x{i}")
    shape = shape_of(text)
    assert shape.overlap_checks == 60 + comb(60, 2)
    assert refusal(text, LimitSettings(max_overlap_checks=1000))["overlapChecks"] == 1830


def test_each_term_of_the_estimate_is_reached(comparisons: Callable[..., int]) -> None:
    # Shared fields: C(k, 2) per path, exactly.
    same = parse("{ " + repeat(30, "viewer { apiKey { id } }") + " }")
    assert comparisons(same) == measure(same).overlap_checks == 3 * comb(30, 2)
    # Spreads in one set: the set against each (sets × spreads) and each pair, exactly.
    flat = parse(f"{{ viewer {{ q {spreads(20)} }} }} " + fragments(20, lambda i: f"x{i}"))
    assert comparisons(flat) == measure(flat).overlap_checks == 20 + comb(20, 2)
    # Two spreads nested in spread fragments are compared twice: C(nested, 2), exactly.
    nested = parse(
        "{ viewer { q ...A ...B } } fragment A on Viewer { ...A1 x } "
        "fragment B on Viewer { ...B1 y } fragment A1 on Viewer { z } fragment B1 on Viewer { w }"
    )
    assert comparisons(nested) == measure(nested).overlap_checks == 4 + comb(4, 2) + comb(2, 2)


def test_operations_are_refused_together_when_each_alone_would_pass() -> None:
    half = repeat(20, "viewer { apiKey { id name } }")
    alone = 4 * comb(20, 2)
    assert alone <= DEFAULTS.max_overlap_checks < 2 * alone
    enforce(shape_of(f"{{ {half} }}"), DEFAULTS)
    assert refusal(f"query A {{ {half} }} query B {{ {half} }}")["overlapChecks"] == 2 * alone


def test_numbers_stay_json_safe() -> None:
    extensions = refusal(bomb(80))
    assert extensions["fieldsPerSelection"] == CAP


# --- Realistic documents pass ---------------------------------------------------------------

EXECUTABLE = re.compile(r"^\s*(#[^\n]*\n\s*)*(\{|query\b|mutation\b|subscription\b|fragment\b)")


def documents_in_python(root: Path) -> Iterator[tuple[str, str]]:
    """Every string constant of the tree that parses as an executable GraphQL document."""
    for path in sorted(root.rglob("*.py")):
        if path.name == Path(__file__).name or "node_modules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if EXECUTABLE.match(node.value) and executable(node.value):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node.value


def executable(text: str) -> bool:
    try:
        document = parse(text)
    except Exception:
        return False
    return any(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def realistic_documents() -> list[tuple[str, str]]:
    found = list(documents_in_python(ROOT / "tests")) + list(documents_in_python(ROOT / "app"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for number, block in enumerate(re.findall(r"```graphql\n(.*?)```", readme, re.S)):
        found.append((f"README.md block {number}", block))
    found += [
        ("introspection (graphql-core default)", get_introspection_query()),
        ("introspection (GraphiQL)", GRAPHIQL_INTROSPECTION),
        ("dashboard", DASHBOARD),
    ]
    return found


REALISTIC = realistic_documents()


def test_the_repository_has_documents_to_check() -> None:
    assert len(REALISTIC) > 50
    names = [name for name, _ in REALISTIC]
    assert any(name.startswith("README.md") for name in names)


@pytest.mark.parametrize(("where", "text"), REALISTIC, ids=[name for name, _ in REALISTIC])
def test_realistic_documents_pass_the_default_limits(where: str, text: str) -> None:
    document = parse(text, max_tokens=DEFAULTS.max_tokens)
    enforce(measure(document, None, DEFAULTS), DEFAULTS)


@pytest.mark.parametrize(
    "text",
    [get_introspection_query(), GRAPHIQL_INTROSPECTION, DASHBOARD, ORG_METRICS, ORG_SERIES],
    ids=["introspection", "graphiql introspection", "dashboard", "org metrics", "org series"],
)
def test_introspection_and_dashboard_are_valid_within_the_limits(text: str) -> None:
    document = parse(text, max_tokens=DEFAULTS.max_tokens)
    shape = measure(document, None, DEFAULTS)
    enforce(shape, DEFAULTS)
    assert validate(SCHEMA, document, validation_rules(True)) == []
    # Far from the limits, so they keep passing when the schema grows.
    assert shape.total_fields * 1.5 < DEFAULTS.max_total_fields
    assert shape.overlap_checks * 10 < DEFAULTS.max_overlap_checks


def test_every_scope_in_one_document_is_within_the_limits() -> None:
    """Metrics, series and comparison of every scope at once (435 fields), as an audit asks."""
    document = parse(ALL_SCOPES, max_tokens=DEFAULTS.max_tokens)
    shape = measure(document, None, DEFAULTS)
    enforce(shape, DEFAULTS)
    assert validate(SCHEMA, document, validation_rules(True)) == []
    assert shape.total_fields > 400


# --- Validation rules -----------------------------------------------------------------------


def test_validation_rules_are_the_specified_ones() -> None:
    with_introspection = validation_rules(True)
    expected = [
        OverlapRuleWithoutCycles if rule is OverlappingFieldsCanBeMergedRule else rule
        for rule in specified_rules
    ]
    assert list(with_introspection) == expected
    assert list(validation_rules(False)) == [*expected, NoSchemaIntrospectionCustomRule]
    assert MAX_VALIDATION_ERRORS >= 1


def test_introspection_off_refuses_schema_and_type_but_not_typename() -> None:
    def errors(text: str, introspection: bool) -> list[str]:
        rules = validation_rules(introspection)
        return [e.message for e in validate(SCHEMA, parse(text), rules)]

    schema_query = "{ __schema { queryType { name } } }"
    type_query = '{ __type(name: "Account") { name } }'
    typename = "{ __typename viewer { __typename apiKey { id } } }"
    assert errors(schema_query, True) == errors(type_query, True) == []
    assert any("introspection has been disabled" in m for m in errors(schema_query, False))
    assert any("introspection has been disabled" in m for m in errors(type_query, False))
    assert errors(GRAPHIQL_INTROSPECTION, False)
    assert errors(typename, False) == []
    assert errors(DASHBOARD, False) == []


def test_the_overlap_rule_still_reports_conflicts() -> None:
    text = "{ viewer { apiKey { id: name id } } }"
    messages = [e.message for e in validate(SCHEMA, parse(text), validation_rules(True))]
    assert any("Fields 'id' conflict" in m for m in messages)


# --- The bound, proven by counting graphql-core's comparisons -------------------------------

COMPARISONS = (
    "find_conflict",
    "collect_conflicts_between_fields_and_fragment",
    "collect_conflicts_between_fragments",
)


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """Validates a document, returning how many comparisons the overlap rule made."""
    counter = [0]
    for name in COMPARISONS:
        original = getattr(overlap_rule, name)

        def counting(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            counter[0] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(overlap_rule, name, counting)

    def count(document: DocumentNode, schema: GraphQLSchema = SCHEMA) -> int:
        counter[0] = 0
        # No early stop on errors: every comparison the rule would make is made.
        validate(schema, document, validation_rules(True), max_errors=10**9)
        return counter[0]

    return count


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_the_estimate_bounds_the_real_comparisons_at_the_limits(
    hostile: Any, comparisons: Callable[..., int]
) -> None:
    n = largest_admitted(hostile, DEFAULTS)
    assert n > 0
    document = parse(hostile.build(n))
    estimate = measure(document, None, DEFAULTS).overlap_checks
    assert comparisons(document) <= estimate <= DEFAULTS.max_overlap_checks
    assert not admitted(hostile.build(n + 1), DEFAULTS)  # one step further is refused


ADVERSARIAL = {
    "700 fold": "{ " + repeat(700, "viewer { apiKey { id } }") + " }",
    "nested same names": "{ " + repeat(10, "viewer { " + repeat(20, "apiKey { id }") + " }") + " }",
    "fragments in one set": f"{{ viewer {{ {spreads(80)} }} }} "
    + fragments(80, lambda _: "apiKey { id name }"),
    "nested fragments": "{ viewer { ...A ...B apiKey { id } } } "
    + "fragment A on Viewer { "
    + spreads(30)
    + " } fragment B on Viewer { ...A "
    + spreads(30)
    + " } "
    + fragments(30, lambda i: f"apiKey {{ id }} organization {{ name }} x{i}"),
    "diamonds": "{ viewer { ...D0 ...D1 } } "
    + " ".join(
        f"fragment D{i} on Viewer {{ ...D{i + 2} ...D{i + 3} apiKey {{ id }} }}" for i in range(20)
    )
    + " "
    + " ".join(f"fragment D{i} on Viewer {{ apiKey {{ name }} }}" for i in range(20, 23)),
    "spreads under same-named fields": "{ "
    + " ".join(f"viewer {{ ...F{i % 7} apiKey {{ id }} }}" for i in range(40))
    + " } "
    + fragments(7, lambda i: f"apiKey {{ name }} ...F{i + 1}" if i < 6 else "apiKey { id }"),
    "inline fragments": "{ "
    + repeat(
        30, '... on Query { node(id: "x") { ... on Account { id handle } ... on Node { id } } }'
    )
    + " }",
    "arguments and aliases": "{ "
    + " ".join(f"a: accounts(first: {i % 3}) {{ totalCount nodes {{ id }} }}" for i in range(40))
    + " }",
    "fragment bomb": bomb(12),
    "operations and unused fragments": f"query A {{ {repeat(20, 'viewer { apiKey { id } }')} }} "
    f"query B {{ viewer {{ ...F0 }} }} " + fragments(3, lambda i: repeat(15, "apiKey { id name }")),
    "cycle": "{ viewer { ...F } } fragment F on Viewer { apiKey { id } ...G } "
    "fragment G on Viewer { apiKey { id } ...F }",
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_the_estimate_bounds_the_real_comparisons(
    text: str, comparisons: Callable[..., int]
) -> None:
    document = parse(text)
    assert comparisons(document) <= measure(document, None, LOOSE).overlap_checks


TOY = build_schema("type Query { a: T b: T x: Int y: Int } type T { a: T b: T x: Int y: Int }")


def random_document(rng: random.Random) -> str:
    """Fields, aliases, inline fragments and fragment spreads (acyclic or not) at random."""
    count = rng.randint(0, 10)

    def selections(depth: int, names: list[str], width: int) -> str:
        parts = []
        for _ in range(width):
            roll = rng.random()
            if roll < 0.4 and names:
                parts.append("..." + rng.choice(names))
            elif roll < 0.5 and depth > 0:
                parts.append(f"... on T {{ {selections(depth - 1, names, rng.randint(1, 3))} }}")
            elif roll < 0.75 or depth == 0:
                parts.append(rng.choice(["", "", "x: ", "y: "]) + rng.choice("xy"))
            else:
                inner = selections(depth - 1, names, rng.randint(1, 4))
                parts.append(f"{rng.choice(['', '', 'a: '])}{rng.choice('ab')} {{ {inner} }}")
        return " ".join(parts)

    definitions = []
    for i in range(count):
        later = [f"F{j}" for j in range(i + 1, count)]
        if rng.random() < 0.05:
            later.append(f"F{rng.randint(0, i)}")  # a cycle
        if rng.random() < 0.05:
            later.append("Missing")
        body = selections(rng.randint(0, 3), later, rng.randint(1, 6))
        definitions.append(f"fragment F{i} on T {{ {body} }}")
    every = [f"F{j}" for j in range(count)]
    operation = f"{{ {selections(rng.randint(1, 3), every, rng.randint(1, 6))} }}"
    return " ".join([operation, *definitions])


@pytest.mark.parametrize("seed", range(40))
def test_the_estimate_bounds_random_documents(seed: int, comparisons: Callable[..., int]) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        document = parse(random_document(rng))
        assert comparisons(document, TOY) <= measure(document, None, LOOSE).overlap_checks


def test_the_benchmark_times_every_family_and_the_refusals() -> None:
    timings, refused = run_benchmark(DEFAULTS, runs=1)
    assert [t.name for t in timings] == [h.name for h in HOSTILE]
    assert all(t.shape is not None for t in timings)
    assert all(not t.outcome.startswith("refused") for t in timings)
    assert all(t.outcome.startswith("refused") for t in refused)
    report = format_report(timings, refused, DEFAULTS)
    assert "700 × viewer { apiKey { id } }" in report
    assert "ms target" in report

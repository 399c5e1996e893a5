"""The cost model: requested costs of a table of documents, actual costs of real responses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import build_schema, get_operation_ast, parse, validate

from app import models
from app.bench.run import DASHBOARD
from app.graphql.cost import CostPlan, actual_cost, requested_cost
from app.graphql.cost_rules import unruled_fields
from app.graphql.ids import encode_id
from app.graphql.schema import schema
from app.identifiers import Platform
from tests.conftest import Org

SCHEMA = schema._schema
A, C = encode_id("Account", 1), encode_id("Creator", 1)
V1, V2 = encode_id("AccountVideo", 1), encode_id("IndividualVideo", 2)
PAGE = "query($n: Int) { accounts(first: $n) { nodes { id } } }"
SKIP = (
    "query($s: Boolean!) { accounts(first: 5) @skip(if: $s) { nodes { id } }"
    " viewer { apiKey { name } } }"
)
ALL_TYPES = (
    "... on Account { videos(first: 10) { nodes { id } } }"
    " ... on Creator { accounts(first: 3) { nodes { id } } }"
)
FRAGMENTS = """
query { accounts(first: 5) { ...P } again: accounts(first: 5) { ...P ...P } }
fragment P on AccountConnection { nodes { ...A } edges { node { ...A } } }
fragment A on Account { id metrics(window: {preset: D7}) { views window { days } } }
"""
SERIES = "query($w: WindowInput!) { organization { series(window: $w) { dates views } } }"
RANGE = {"range": {"start": "2024-01-01", "end": "2024-12-31"}}

# (document, variables, requested cost, what the row shows)
TABLE: list[tuple[str, dict[str, Any], int, str]] = [
    ("{ __typename }", {}, 1, "the total is at least 1"),
    ("{ viewer { organization { name } apiKey { name scopes } } }", {}, 3, "1 per object"),
    ("{ accounts { totalCount } }", {}, 2, "connection 1 + COUNT 1, no items selected"),
    ("{ accounts { nodes { id handle } } }", {}, 51, "`first` defaults to 50"),
    (
        "{ accounts(first: 10) { edges { cursor node { id } } pageInfo { hasNextPage } } }",
        {},
        12,
        "edges are free, their node is 1, pageInfo 1",
    ),
    ("{ accounts(first: 10) { edges { node { id } } nodes { id } } }", {}, 21, "edges + nodes"),
    ("{ accounts(first: 500) { nodes { id } } }", {}, 201, "capped at 200"),
    (PAGE, {"n": 20}, 21, "a variable"),
    (PAGE, {}, 51, "a missing variable: the argument's default"),
    (PAGE, {"n": None}, 51, "null: the resolver's default"),
    (PAGE, {"n": "20"}, 201, "a lying variable (not an int) counts the maximum"),
    (PAGE, {"n": 10**9}, 201, "a lying variable (out of range) counts the maximum"),
    (PAGE, {"n": 0}, 201, "zero is refused, counted as the maximum"),
    (PAGE.replace("Int)", "Int = 5)"), {}, 6, "the variable's default"),
    (
        "{ a: accounts(first: 5) { nodes { id } } b: accounts(first: 7) { nodes { x: id } } }",
        {},
        14,
        "aliases are separate fields",
    ),
    ("{ accounts(first: 5) { nodes { id } nodes { handle } } }", {}, 6, "same key: merged"),
    (FRAGMENTS, {}, 62, "fragments expanded, merged, spread twice counts once"),
    (
        "{ accounts(first: 100) { nodes { videos(first: 10) { nodes { id } } } } }",
        {},
        1_201,
        "nested lists multiply",
    ),
    (
        "{ accounts(first: 200) { nodes { videos(first: 200) { totalCount nodes { id } } } } }",
        {},
        40_601,
        "the largest nesting",
    ),
    (f'{{ node(id: "{A}") {{ id {ALL_TYPES} }} }}', {}, 12, "abstract: the costliest type"),
    (f'{{ nodes(ids: ["{A}", "{C}", "x"]) {{ id }} }}', {}, 3, "nodes(ids): one per id"),
    (f'{{ nodes(ids: ["{A}", "{C}"]) {{ {ALL_TYPES} }} }}', {}, 24, "ids × costliest type"),
    ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": "x"}, 1, "one value: a list"),
    ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {}, 200, "missing ids: the maximum"),
    (SKIP, {"s": True}, 2, "@skip(if: true)"),
    (SKIP, {"s": False}, 8, "@skip(if: false)"),
    (SKIP, {}, 8, "undecidable condition: counted"),
    ("{ viewer @include(if: false) { apiKey { name } } }", {}, 1, "@include(if: false)"),
    ("{ organization { metrics(window: {preset: D90}) { views window { days } } } }", {}, 3, ""),
    ("{ organization { comparison(window: {preset: D7}) { views { current } } } }", {}, 4, ""),
    (SERIES, {"w": {"preset": "D7"}}, 3, "series D7: 1 + ⌈7/15⌉"),
    (SERIES, {"w": {"preset": "D30"}}, 4, "series D30: 1 + ⌈30/15⌉"),
    (SERIES, {"w": {"preset": "D90"}}, 8, "series D90: 1 + ⌈90/15⌉"),
    (SERIES, {"w": RANGE}, 27, "series over 366 days"),
    (SERIES, {"w": {"range": {"start": "2024-01-10", "end": "2024-01-01"}}}, 27, "bad range"),
    (SERIES, {}, 27, "missing window: the longest"),
    (
        f'{{ accountMetrics(ids: ["{A}", "x"], window: {{preset: D7}}) {{'
        " items { account { handle } metrics { views } } notFound } }",
        {},
        7,
        "batch: 1 + ids × (account 1 + metrics 2)",
    ),
    (
        "query($ids: [ID!]!) { videoMetrics(ids: $ids, window: {preset: D7}) {"
        " items { metrics { views } } } }",
        {"ids": [str(i) for i in range(150)]},
        301,
        "batch ids from a variable",
    ),
    (
        f'{{ videoDeltas(ids: ["{V1}", "{V2}", "x"], days: [1, 7, 30]) {{'
        " items { video { id } deltas { days views window { days } } } } }",
        {},
        13,
        "videoDeltas: 1 + ids × (video 1 + days × 1)",
    ),
    (
        'query($d: [Int!]!) { videoDeltas(ids: ["x"], days: $d) { items { deltas { views } } } }',
        {"d": list(range(1, 40))},
        11,
        "too many look-backs: the maximum (10)",
    ),
    ('{ search(query: "a") { accounts { handle } creators { name } } }', {}, 21, "2 sections"),
    ('{ search(query: "a", limit: 25) { videos { id } } }', {}, 26, "search limit"),
    (
        "{ topCreators(window: {preset: D7}) { rank creator { name } window { days } } }",
        {},
        80,
        "leaderboard: 50 + limit 10 × 3",
    ),
    ("{ topCreators(window: {preset: D7}, limit: 3) { rank } }", {}, 53, "leaderboard limit"),
    (
        'mutation { trackAccount(platform: TIKTOK, handle: "costly") {'
        " account { id } created userErrors { message } } }",
        {},
        11,
        "mutation: 10 + payload",
    ),
    (
        'mutation { a: createCreator(name: "c1", accountIds: []) { userErrors { code } }'
        ' b: createCreator(name: "c2", accountIds: []) {'
        " creator { accounts(first: 20) { nodes { id } } } } }",
        {},
        42,
        "two mutations, one with a connection in its payload",
    ),
    ("{ __schema { types { name fields { name } } } }", {}, 10, "introspection"),
    ('{ __typename __type(name: "Account") { name } viewer { apiKey { id } } }', {}, 12, ""),
]


def plan(document: str, variables: Mapping[str, Any] | None = None) -> CostPlan:
    parsed = parse(document)
    assert validate(SCHEMA, parsed) == []
    operation = get_operation_ast(parsed)
    assert operation is not None
    return requested_cost(SCHEMA, parsed, operation, variables)


def dashboard(accounts: int) -> str:
    return DASHBOARD.replace("first: 100", f"first: {accounts}")


@pytest.mark.parametrize(("document", "variables", "cost", "why"), TABLE)
def test_requested_cost(document: str, variables: dict[str, Any], cost: int, why: str) -> None:
    assert plan(document, variables).requested == cost, why


@pytest.mark.parametrize(("accounts", "cost"), [(10, 91), (50, 451), (100, 901), (200, 1801)])
def test_dashboard_cost(accounts: int, cost: int) -> None:
    # 1 + accounts × (node 1 + metrics 2 + comparison 3 + series D30 3)
    assert plan(dashboard(accounts)).requested == cost


def test_every_list_of_objects_has_a_rule() -> None:
    assert unruled_fields(SCHEMA) == []


def test_the_guard_finds_fields_without_a_rule() -> None:
    sdl = """
    type Query {
      things: [Thing!]! grid: [[Thing]] page: ThingConnection! ok(first: Int): ThingConnection!
      batch(ids: [ID!]!): ThingBatch! tags: [String!]!
    }
    type Thing { id: ID! }
    type ThingConnection { nodes: [Thing!]! edges: [Thing!]! totalCount: Int! }
    type ThingBatch { items: [Thing!]! }
    """
    assert unruled_fields(build_schema(sdl)) == [
        "Query.batch: a batch or search result without a sizing rule",
        "Query.grid: a list of lists",
        "Query.page: a connection without `first`",
        "Query.things: a list of objects without a cost rule",
    ]


def test_no_data_costs_nothing() -> None:
    assert actual_cost(plan("{ accounts { nodes { id } } }"), None) == 0
    assert actual_cost(plan("{ __typename }"), {"__typename": "Query"}) == 1


class Poison(dict[str, Any]):
    """A value the actual cost must not look into."""

    def __getitem__(self, key: str) -> Any:
        raise AssertionError("walked into a flat-weight result")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("walked into a flat-weight result")

    def get(self, key: str, default: Any = None) -> Any:
        raise AssertionError("walked into a flat-weight result")


def test_actual_cost_never_reads_metric_results() -> None:
    nodes = [{"id": "x", "metrics": Poison(), "comparison": Poison(), "series": Poison()}]
    data = {"accounts": {"nodes": nodes * 7}}
    assert actual_cost(plan(dashboard(100)), data) == 1 + 7 * 9


async def _seed(org: Org) -> dict[str, str]:
    """Three accounts (2, 1 and 0 videos), a creator of the first two, one individual video."""
    now = datetime.now(UTC)
    accounts = [
        await models.Account.create(
            organization_id=org.id,
            platform=Platform.TIKTOK,
            handle=f"costly{i}",
            added_at=now + timedelta(seconds=i),
        )
        for i in range(3)
    ]
    videos = [
        await models.Video.create(
            organization_id=org.id,
            platform=Platform.TIKTOK,
            platform_video_id=str(7_000_000 + n),
            account_id=account.id,
            discovered_at=now,
        )
        for n, account in enumerate(accounts[:1] * 2 + accounts[1:2])
    ]
    individual = await models.Video.create(
        organization_id=org.id,
        platform=Platform.TIKTOK,
        platform_video_id="7999999",
        is_individual=True,
    )
    creator = await models.Creator.create(organization_id=org.id, name="costly creator")
    for account in accounts[:2]:
        await models.CreatorAccount.create(creator_id=creator.id, account_id=account.id)
    return {
        "a0": encode_id("Account", accounts[0].id),
        "a2": encode_id("Account", accounts[2].id),
        "c": encode_id("Creator", creator.id),
        "v0": encode_id("AccountVideo", videos[0].id),
        "v2": encode_id("AccountVideo", videos[2].id),
        "iv": encode_id("IndividualVideo", individual.id),
    }


async def _run(org: Org, document: str, variables: dict[str, Any] | None = None) -> tuple[int, int]:
    """(requested, actual) of a document run on the real app; it must succeed."""
    cost = plan(document, variables)
    data = (await org.gql(document, variables)).data
    return cost.requested, actual_cost(cost, data)


NESTED = """
query { accounts(first: 50) { totalCount edges { cursor node { handle
  videos(first: 10) { nodes { id } } creators { nodes { name } } } } } }
"""


async def test_actual_cost_counts_the_items_returned(org: Org) -> None:
    await _seed(org)
    requested, actual = await _run(org, NESTED)
    # accounts 1 + COUNT 1 + per account (1 + videos 1 + its videos + creators 1 + its creators)
    assert actual == 2 + (3 + 2 + 1) + (3 + 1 + 1) + (3 + 0 + 0)
    assert requested == 2 + 50 * (1 + 11 + 51)


async def test_actual_cost_of_abstract_types_batches_and_discovery(org: Org) -> None:
    ids = await _seed(org)
    listed = ", ".join(f'"{i}"' for i in (ids["a0"], ids["c"], ids["iv"], "nope"))
    nodes = f"{{ nodes(ids: [{listed}]) {{ {ALL_TYPES} }} }}"
    # account 1 + videos (1 + 2), creator 1 + accounts (1 + 2), individual video 1, null 1
    assert await _run(org, nodes) == (4 * 12, 4 + 4 + 1 + 1)
    typed = nodes.replace("{ ... on", "{ __typename ... on")
    assert await _run(org, typed) == (4 * 12, 4 + 4 + 1 + 1)
    deltas = (
        f'{{ videoDeltas(ids: ["{ids["v0"]}", "{ids["iv"]}", "{ids["a0"]}"], days: [1, 7]) {{'
        " items { video { id } deltas { views } } notFound } }"
    )
    assert await _run(org, deltas) == (1 + 3 * 3, 1 + 2 * 3)
    search = '{ search(query: "costly") { accounts { handle } creators { name } videos { id } } }'
    assert await _run(org, search) == (31, 1 + 3 + 1 + 0)
    top = "{ topCreators(window: {preset: D7}) { rank creator { name } } }"
    requested, actual = await _run(org, top)
    assert (requested, actual) == (70, 50)  # nothing measured yet: nobody is ranked


async def test_actual_cost_of_mutations(org: Org) -> None:
    document = (
        'mutation { trackAccount(platform: TIKTOK, handle: "costly_new") {'
        " account { id creators { nodes { id } } } userErrors { message } } }"
    )
    assert await _run(org, document) == (10 + 1 + 51, 10 + 1 + 1)


async def test_dashboard_with_100_accounts_costs_901(org: Org) -> None:
    await models.Account.bulk_create(
        [
            models.Account(organization_id=org.id, platform=Platform.TIKTOK, handle=f"d{i:03d}")
            for i in range(120)
        ]
    )
    assert await _run(org, DASHBOARD) == (901, 901)


async def test_actual_never_exceeds_requested(org: Org) -> None:
    await _seed(org)
    for document, variables, cost, _why in TABLE:
        planned = plan(document, variables)
        response = await org.gql(document, variables)
        assert actual_cost(planned, response.body.get("data")) <= cost, document

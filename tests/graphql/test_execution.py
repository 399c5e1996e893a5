"""The fast execution context gives exactly what the stock one gives: data and errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app import models
from app.graphql.context import build_context
from app.graphql.execution import FastExecutionContext
from app.graphql.http import format_error
from app.graphql.schema import schema
from app.identifiers import Platform
from app.metrics import store
from app.metrics.windows import today_utc
from tests.conftest import Org

QUERIES = [
    """
    query Dashboard($w: WindowInput!) {
      accounts(first: 10) {
        totalCount
        edges { cursor node { id handle platform followers isVerified
          metrics(window: $w) { window { start end days } followers followersChange
            videosPublished views plays likes comments shares saves engagementRate coverage }
          series(window: {preset: D7}) { dates observed followers followersChange views saves
            engagementRate videosPublished }
          comparison(window: $w) { previousWindow { start } views { current previous change
            changePercent } engagementRate { current change } }
          videos(first: 2) { nodes { videoId metrics(window: {preset: D7}) { views saves } } }
        } }
      }
      organization { metrics(window: {preset: D30}) { views followers coverage } }
    }
    """,
    # A bad window inside the page: the same error at the same path, the rest intact.
    """
    query Bad {
      accounts { nodes { handle
        metrics(window: {range: {start: "2020-01-01", end: "2030-01-01"}}) { views } } }
    }
    """,
    # Whole-object plans of the metric types: __typename anywhere, fragments, directives and
    # aliases inside them, the same field twice.
    """
    query Typenames($w: WindowInput!, $yes: Boolean = true) {
      accounts(first: 10) { nodes { __typename handle
        metrics(window: $w) { __typename views window { __typename days start } ...M
          likes @include(if: $yes) saves @skip(if: $yes) rate: engagementRate views }
        comparison(window: $w) { views { ...C __typename } __typename
          engagementRate { ... on RateChange { current } change } }
        series(window: $w) { dates __typename ... on EngagementSeries { views observed } }
      } }
      organization { series(window: {preset: D7}) { __typename dates views } }
    }
    fragment M on EngagementMetrics { followers coverage }
    fragment C on CountChange { current change changePercent }
    """,
    """
    query Aliases { viewer { apiKey { name } }
      a: accounts(first: 1) { nodes { m1: metrics(window: {preset: D7}) { views }
        m2: metrics(window: {preset: D90}) { views } ... on Account { handle } } } }
    """,
]


def day(offset: int) -> datetime:
    return datetime.combine(today_utc(), datetime.min.time(), UTC) + timedelta(days=offset, hours=3)


async def _seed(org: Org) -> None:
    for index, platform in enumerate((Platform.INSTAGRAM, Platform.TIKTOK)):
        account = await models.Account.create(
            organization_id=org.id, platform=platform, handle=f"exec{index}"
        )
        await store.record_profile(
            account.id,
            [
                store.ProfileCounters(day(-9), followers=10),
                store.ProfileCounters(day(-1), followers=12),
            ],
        )
        video = await models.Video.create(
            organization_id=org.id,
            platform=platform,
            platform_video_id=str(900 + index),
            account_id=account.id,
            published_at=day(-5),
        )
        await store.record_video(
            video.id,
            [
                store.VideoCounters(day(-4), views=100, likes=5, saves=1),
                store.VideoCounters(day(-1), views=150, likes=None, saves=2),
            ],
        )


async def _run(org: Org, query: str, context_class: type) -> tuple[Any, list[dict[str, Any]]]:
    api_key = (
        await models.ApiKey.filter(organization_id=org.id).select_related("organization").first()
    )
    assert api_key is not None
    context = build_context(None, org.client._transport.app.state.settings, api_key, "req")  # type: ignore[arg-type,attr-defined]
    previous = schema.execution_context_class
    schema.execution_context_class = context_class
    try:
        result = await schema.execute(
            query, context_value=context, variable_values={"w": {"preset": "D30"}}
        )
    finally:
        schema.execution_context_class = previous
    return result.data, [format_error(e, "req") for e in result.errors or []]


@pytest.mark.parametrize("query", QUERIES)
async def test_fast_and_stock_executors_agree(org: Org, query: str) -> None:
    await _seed(org)
    fast = await _run(org, query, FastExecutionContext)
    stock = await _run(org, query, StrawberryGraphQLCoreExecutionContext)
    # Compared as the JSON clients receive: the fast path may leave dates for orjson to write.
    assert orjson.dumps(fast) == orjson.dumps(stock)
    data, errors = fast
    if "Bad" in query:
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"] * len(errors)
        assert errors[0]["path"][:3] == ["accounts", "nodes", 0]
    else:
        assert errors == []
        assert data is not None


def test_a_flat_plan_gives_way_to_the_executor_on_a_null_where_none_may_be() -> None:
    from graphql import GraphQLObjectType, OperationDefinitionNode, parse
    from graphql.execution.collect_fields import collect_fields
    from graphql.pyutils import Undefined

    from app.graphql.flat_plan import compile_flat
    from app.graphql.types.metrics import EngagementMetrics

    graphql_schema = schema._schema
    metrics_type = graphql_schema.type_map["EngagementMetrics"]
    assert isinstance(metrics_type, GraphQLObjectType)
    operation = parse("{ views videosPublished coverage }").definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    no_variables: Any = {}
    grouped = collect_fields(
        graphql_schema, {}, no_variables, metrics_type, operation
    ).grouped_field_set
    plan = compile_flat(metrics_type, grouped, lambda *_: None)
    assert plan is not None
    values: dict[str, Any] = {
        "window": None,
        "followers": None,
        "followers_change": None,
        "videos_published": 2,
        "views": 7,
        "plays": None,
        "likes": None,
        "comments": None,
        "shares": None,
        "saves": None,
        "engagement_rate": None,
        "coverage": 0.5,
    }
    assert plan.complete(EngagementMetrics(**values)) == {
        "views": 7,
        "videosPublished": 2,
        "coverage": 0.5,
    }
    broken = EngagementMetrics(**{**values, "videos_published": None})
    assert plan.complete(broken) is Undefined

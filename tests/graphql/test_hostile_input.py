"""Regression tests for the input handling that fuzzing broke (issue 9), over HTTP."""

from __future__ import annotations

import asyncio
import gc
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from app import models
from app.graphql.input_bounds import MAX_LENGTHS
from app.models import Platform, Scope
from tests.conftest import GraphQLResponse, Org

SEARCH = "query($q: String!) { search(query: $q) { accounts { handle } creators { name } videos { videoId } } }"  # noqa: E501
VIDEO_LIST = "query($q: String) { %s(query: $q) { totalCount nodes { videoId } } }"
CAPTION_WORDS = "a caption long enough to be searched by more than sixteen characters " * 3


def refused(result: GraphQLResponse, field: str, reason: str) -> dict[str, Any]:
    """The one BAD_USER_INPUT error of a request refused before it ran."""
    assert result.codes == ["BAD_USER_INPUT"], result.body
    assert "data" not in result.body
    extensions = result.errors[0]["extensions"]
    assert (extensions["field"], extensions["reason"]) == (field, reason)
    return dict(extensions)


async def seed_video(org: Org, **fields: Any) -> models.Video:
    account = await models.Account.create(
        organization_id=org.id, platform=Platform.TIKTOK, handle=f"author{org.id}"
    )
    defaults: dict[str, Any] = {"platform": Platform.TIKTOK, "platform_video_id": "7300000000001"}
    video = await models.Video.create(
        organization_id=org.id, account_id=account.id, is_individual=True, **defaults | fields
    )
    return video


@pytest.mark.parametrize("length", [17, 33, 65, 200])
async def test_search_texts_longer_than_a_shortcode_run_and_find_captions(
    org: Org, length: int
) -> None:
    video = await seed_video(org, caption=CAPTION_WORDS)
    text = CAPTION_WORDS[2 : 2 + length]
    result = await org.gql(SEARCH, {"q": text})
    assert result.data["search"]["videos"] == [{"videoId": video.platform_video_id}]
    for field in ("accountVideos", "individualVideos"):
        page = (await org.gql(VIDEO_LIST % field, {"q": text})).data[field]
        assert page == {"totalCount": 1, "nodes": [{"videoId": video.platform_video_id}]}


async def test_search_still_matches_shortcodes_and_ids_exactly(org: Org) -> None:
    video = await seed_video(org, platform=Platform.INSTAGRAM, shortcode="CJBsZ11MYha")
    for text in ("CJBsZ11MYha", "7300000000001"):
        result = await org.gql(SEARCH, {"q": text})
        assert result.data["search"]["videos"] == [{"videoId": video.platform_video_id}]
        page = (await org.gql(VIDEO_LIST % "accountVideos", {"q": text})).data["accountVideos"]
        assert page["totalCount"] == 1


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (SEARCH, {"q": "a\x00b"}, "query"),
        (VIDEO_LIST % "accountVideos", {"q": "x\x00"}, "query"),
        (VIDEO_LIST % "individualVideos", {"q": "\x00"}, "query"),
        ('{ search(query: "a\\u0000b") { creators { name } } }', None, "query"),
        ('{ accounts(query: "\\u0000") { totalCount } }', None, "query"),
        ('{ accounts(after: "\\u0000abc") { totalCount } }', None, "after"),
        ('{ node(id: "\\u0000abc") { id } }', None, "id"),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["ok", "n\x00"]}, "ids"),
        ('mutation { createApiKey(name: "a\\u0000b") { secret } }', None, "name"),
        (
            "mutation($k: String) { createCreator(name: \"n\", accountIds: [], idempotencyKey: $k)"
            " { creator { id } } }",
            {"k": "k\x00"},
            "idempotencyKey",
        ),
        (
            'mutation { createCreator(name: "n", description: "d\\u0000", accountIds: []) '
            "{ creator { id } } }",
            None,
            "description",
        ),
        ('mutation { trackAccount(platform: TIKTOK, handle: "a\\u0000") { created } }', None,
         "handle"),
    ],
)  # fmt: skip
async def test_a_nul_character_is_bad_user_input_and_stores_nothing(
    org: Org, document: str, variables: dict[str, Any] | None, field: str
) -> None:
    refused(await org.gql(document, variables), field, "NUL_CHARACTER")
    assert await models.Creator.filter(organization_id=org.id).count() == 0
    assert await models.Account.filter(organization_id=org.id).count() == 0
    assert await models.ApiKey.filter(organization_id=org.id).count() == len(Scope)


@pytest.mark.parametrize(
    ("template", "field"),
    [
        ("query($v: String!) { search(query: $v) { creators { name } } }", "query"),
        ("query($v: String) { accounts(after: $v) { totalCount } }", "after"),
        ("query($v: String!) { resolveUrl(url: $v) { kind } }", "url"),
        ("query($v: ID!) { node(id: $v) { id } }", "id"),
        ("mutation($v: String!) { createApiKey(name: $v) { secret } }", "name"),
        ("mutation($v: String) { trackAccount(platform: TIKTOK, handle: $v) { created } }",
         "handle"),
        ("mutation($v: String) { addVideo(url: \"https://www.tiktok.com/@a/video/7300000000001\","
         " authorHandle: $v) { created } }", "authorHandle"),
        ("mutation($v: String!) { connectAccount(id: \"x\", accessToken: $v) { account { id } } }",
         "accessToken"),
    ],
)  # fmt: skip
async def test_a_text_over_its_maximum_is_bad_user_input_with_the_numbers(
    org: Org, template: str, field: str
) -> None:
    limit = MAX_LENGTHS[field]
    extensions = refused(await org.gql(template, {"v": "x" * (limit + 1)}), field, "TOO_LONG")
    assert (extensions["maxLength"], extensions["length"]) == (limit, limit + 1)
    keyword, literal = template.split("(")[0], template.replace("$v", f'"{"x" * (limit + 1)}"')
    inline = f"{keyword} {{{literal.split(') {', 1)[1]}"
    extensions = refused(await org.gql(inline), field, "TOO_LONG")
    assert extensions["maxLength"] == limit


async def test_a_text_at_its_maximum_gets_the_arguments_own_answer(org: Org) -> None:
    at_limit = "x" * MAX_LENGTHS["id"]
    assert (await org.gql("query($v: ID!) { node(id: $v) { id } }", {"v": at_limit})).data == {
        "node": None
    }
    cursor = "x" * MAX_LENGTHS["after"]
    result = await org.gql(
        "query($v: String) { accounts(after: $v) { totalCount } }", {"v": cursor}
    )
    assert result.codes == ["BAD_USER_INPUT"]
    assert "reason" not in result.errors[0]["extensions"]  # the cursor's own check, not the bound


WINDOWED = [
    "{ organization { metrics(window: $W) { views } } }",
    "{ organization { series(window: $W) { dates } } }",
    "{ organization { comparison(window: $W) { window { start } } } }",
    "{ topCreators(window: $W) { rank } }",
]


@pytest.mark.parametrize("document", WINDOWED)
@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01", "0001-01-01", "window.range.start"),
        ("0001-01-01", "0001-12-31", "window.range.start"),
        ("1999-12-31", "2000-01-05", "window.range.start"),
        ("9999-12-31", "9999-12-31", "window.range.end"),
    ],
)
async def test_a_window_outside_the_accepted_dates_is_bad_user_input(
    org: Org, document: str, start: str, end: str, field: str
) -> None:
    window = f'{{range: {{start: "{start}", end: "{end}"}}}}'
    result = await org.gql(document.replace("$W", window))
    assert result.codes == ["BAD_USER_INPUT"], result.body
    assert result.errors[0]["extensions"]["field"] == field


async def test_the_earliest_accepted_window_runs(org: Org) -> None:
    window = '{range: {start: "2000-01-01", end: "2000-01-07"}}'
    for document in WINDOWED:
        result = await org.gql(document.replace("$W", window))
        assert "errors" not in result.body, result.body


TWO_OPERATIONS = (
    'mutation Create { createCreator(name: "should-not-run", accountIds: []) { creator { id } } }'
    " query Read { viewer { apiKey { name } } }"
)


@pytest.mark.parametrize(
    ("accept", "status"),
    [("application/graphql-response+json", 400), ("application/json", 200)],
)
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "query A { viewer { apiKey { id } } }", "operationName": "B"}, "operationName"),
        ({"query": TWO_OPERATIONS}, None),
        ({"query": TWO_OPERATIONS, "operationName": "Nope"}, "operationName"),
    ],
)
async def test_an_operation_that_cannot_be_chosen_is_a_coded_error_and_nothing_runs(
    org: Org, accept: str, status: int, body: dict[str, Any], field: str | None
) -> None:
    response = await org.client.post(
        "/graphql",
        json=body,
        headers={"Authorization": f"Bearer {org.keys[Scope.ADMIN]}", "Accept": accept},
    )
    assert response.status_code == status
    assert response.headers["content-type"].startswith(accept)
    assert response.headers["x-request-id"]
    payload = response.json()
    assert "data" not in payload
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["BAD_USER_INPUT"]
    assert payload["errors"][0]["extensions"].get("field") == field
    assert await models.Creator.filter(organization_id=org.id).count() == 0


async def test_options_advertises_only_methods_that_are_answered(org: Org) -> None:
    options = await org.client.options("/graphql")
    assert options.status_code == 204
    allowed = [m.strip() for m in options.headers["allow"].split(",")]
    assert sorted(allowed) == ["GET", "OPTIONS", "POST"]
    auth = {"Authorization": f"Bearer {org.keys[Scope.READ]}"}
    got = await org.client.get("/graphql", params={"query": "{ viewer { apiKey { name } } }"},
                               headers=auth)  # fmt: skip
    posted = await org.client.post(
        "/graphql", json={"query": "{ viewer { apiKey { name } } }"}, headers=auth
    )
    assert (got.status_code, posted.status_code) == (200, 200)
    for method in ("PUT", "PATCH", "DELETE"):
        refused_method = await org.client.request(method, "/graphql", headers=auth)
        assert refused_method.status_code == 405
        assert refused_method.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert method not in allowed


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"documentId": "doc\x00"}, "documentId", "NUL_CHARACTER"),
        ({"documentId": "d" * 201}, "documentId", "TOO_LONG"),
        ({"query": "{ viewer { apiKey { name } } }", "operationName": "A\x00"}, "operationName",
         "NUL_CHARACTER"),
        ({"query": "{ viewer { apiKey { name } } }", "operationName": "A" * 201}, "operationName",
         "TOO_LONG"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_names_beside_the_document_are_bounded(
    org: Org, params: dict[str, str], field: str, reason: str, method: str
) -> None:
    auth = {"Authorization": f"Bearer {org.keys[Scope.READ]}"}
    if method == "GET":
        response = await org.client.get("/graphql", params=params, headers=auth)
    else:
        response = await org.client.post("/graphql", json=params, headers=auth)
    assert response.status_code == 400
    extensions = response.json()["errors"][0]["extensions"]
    assert (extensions["code"], extensions["field"], extensions["reason"]) == (
        "BAD_USER_INPUT",
        field,
        reason,
    )


@pytest.mark.parametrize(
    "document",
    [
        "{ organization { metrics(window: { preset: null }) { views } } }",
        "{ videoMetrics(ids: [], window: { preset: null }) { notFound } }",
        "{ topCreators(window: { range: null }) { rank } }",
    ],
)
async def test_a_null_member_of_a_one_of_input_is_bad_user_input(org: Org, document: str) -> None:
    # Found by the schema fuzz run: Strawberry refuses it while coercing arguments, and the
    # error was masked as an internal one.
    result = await org.gql(document)
    assert result.codes == ["BAD_USER_INPUT"], result.body


@pytest.mark.parametrize(
    "selection",
    [
        "metrics(window: {preset: D7}) { views coverage }",
        "comparison(window: {preset: D7}) { views { change } }",
    ],
)
async def test_a_field_cancelled_by_a_siblings_error_leaves_no_coroutine_unawaited(
    org: Org, selection: str
) -> None:
    # Found by the schema fuzz run (server log: "coroutine ... was never awaited"): the
    # sibling's error cancels the metrics field between its two awaits.
    document = (
        f"{{ organization {{ {selection} }} topCreators(window: {{range: "
        '{start: "1990-01-01", end: "1990-01-02"}}) { rank } }'
    )
    unawaited: list[str] = []
    previous_hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: unawaited.append(repr(unraisable.object))
    try:
        result = await org.gql(document)
        await asyncio.sleep(0.1)  # background settling of the cancelled fields
        gc.collect()
    finally:
        sys.unraisablehook = previous_hook
    assert result.codes == ["BAD_USER_INPUT"]
    assert unawaited == []


# DateTime arguments near the ends of the calendar: with an offset, some have no UTC equivalent.
FILTERED = {
    "accountVideos": "accountVideos(%s) { totalCount }",
    "individualVideos": "individualVideos(%s) { totalCount }",
    "Account.videos": "accounts(first: 1) { nodes { videos(%s) { totalCount } } }",
}
BEYOND_UTC = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]


@pytest.mark.parametrize("field", FILTERED)
@pytest.mark.parametrize("argument", ["publishedAfter", "publishedBefore"])
@pytest.mark.parametrize("value", BEYOND_UTC)
@pytest.mark.parametrize("given", ["literal", "variable", "default"])
async def test_a_time_without_a_utc_equivalent_is_bad_user_input_naming_it(
    org: Org, field: str, argument: str, value: str, given: str
) -> None:
    await seed_video(org)  # Account.videos resolves only under an account
    selection = FILTERED[field] % f"{argument}: {'$t' if given != 'literal' else f'{value!r}'}"
    selection = selection.replace("'", '"')
    variables = {"variable": "($t: DateTime)", "default": f'($t: DateTime = "{value}")'}
    document = f"query{variables.get(given, '')} {{ {selection} }}"
    result = await org.gql(document, {"t": value} if given == "variable" else None)
    assert result.codes == ["BAD_USER_INPUT"], result.body
    extensions = result.errors[0]["extensions"]
    assert (extensions["field"], extensions["reason"]) == (argument, "OUT_OF_RANGE")


async def test_the_ends_of_the_calendar_in_utc_are_accepted(org: Org) -> None:
    await seed_video(org, published_at=datetime(2024, 5, 1, tzinfo=UTC))
    for after, before in [
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
        ("0001-01-01T00:00:00-05:00", "9999-12-31T23:59:59+05:00"),
        ("0001-01-01T00:00:00", "9999-12-31T23:59:59.999999"),
    ]:
        for selection in FILTERED.values():
            arguments = f'publishedAfter: "{after}", publishedBefore: "{before}"'
            result = await org.gql(f"{{ {selection % arguments} }}")
            assert "errors" not in result.body, result.body

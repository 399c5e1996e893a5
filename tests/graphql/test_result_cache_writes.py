"""Every mutation moves the organization's data version: the next read executes, never stale."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from app import models
from app.metrics import store
from app.models import Scope
from tests.conftest import Org
from tests.graphql.result_cache_support import fresh, mutate, read, warm

EVERYTHING = """
{
  organization { name rateLimitPolicy { points } metrics(window: {preset: D30}) { followers } }
  accounts(first: 50, orderBy: {field: ADDED_AT, direction: ASC}) {
    totalCount
    nodes { id handle scrapeIntervalHours isConnected nextScrapeTime followers }
  }
  individualVideos(first: 50) { totalCount nodes { id scrapeIntervalHours nextScrapeTime } }
  creators(first: 50) { totalCount nodes { id name description accounts { totalCount } } }
}
"""
TRACK = (
    "mutation($p: Platform!, $h: String!) { trackAccount(platform: $p, handle: $h) {"
    " account { id } userErrors { code } } }"
)
ADD_VIDEO = "mutation($url: String!) { addVideo(url: $url) { video { id } userErrors { code } } }"
CREATOR_FIELDS = "creator { id } userErrors { code }"


def _accounts(data: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = data["accounts"]["nodes"]
    return nodes


async def _track(org: Org, handle: str, platform: str = "TIKTOK") -> str:
    data = await mutate(org, TRACK, {"p": platform, "h": handle})
    account_id: str = data["trackAccount"]["account"]["id"]
    return account_id


async def _step(org: Org, mutation: str, variables: dict[str, Any] | None = None) -> Any:
    """Warm the read, write through the API, and return the read that follows."""
    await warm(org, EVERYTHING)
    await mutate(org, mutation, variables)
    return await fresh(org, EVERYTHING)


async def test_account_mutations_move_the_data_version(org: Org) -> None:
    await warm(org, EVERYTHING)
    first = await _track(org, "cache.one")
    data = await fresh(org, EVERYTHING)
    assert [a["handle"] for a in _accounts(data)] == ["cache.one"]
    data = await _step(
        org,
        "mutation($id: ID!) { updateAccount(id: $id, scrapeIntervalHours: 12) {"
        " userErrors { code } } }",
        {"id": first},
    )
    assert _accounts(data)[0]["scrapeIntervalHours"] == 12
    await warm(org, EVERYTHING)
    instagram = await _track(org, "cache.ig", "INSTAGRAM")
    token = {"id": instagram, "token": "owner-token"}
    data = await _step(
        org,
        "mutation($id: ID!, $token: String!) { connectAccount(id: $id, accessToken: $token)"
        " { userErrors { code } } }",
        token,
    )
    assert _accounts(data)[1]["isConnected"] is True
    data = await _step(
        org,
        "mutation($id: ID!) { disconnectAccount(id: $id) { userErrors { code } } }",
        {"id": instagram},
    )
    assert _accounts(data)[1]["isConnected"] is False
    data = await _step(
        org,
        "mutation($id: ID!) { requestRefresh(id: $id) { queued userErrors { code } } }",
        {"id": first},
    )
    assert _accounts(data)[0]["nextScrapeTime"] is not None
    data = await _step(
        org,
        "mutation($id: ID!) { untrackAccount(id: $id) { userErrors { code } } }",
        {"id": instagram},
    )
    assert data["accounts"]["totalCount"] == 1


async def test_video_mutations_move_the_data_version(org: Org) -> None:
    url = "https://www.tiktok.com/@cache.author/video/7702928068044340301"
    data = await _step(org, ADD_VIDEO, {"url": url})
    video = data["individualVideos"]["nodes"][0]
    data = await _step(
        org,
        "mutation($id: ID!) { updateVideo(id: $id, scrapeIntervalHours: 6) {"
        " userErrors { code } } }",
        {"id": video["id"]},
    )
    assert data["individualVideos"]["nodes"][0]["scrapeIntervalHours"] == 6
    data = await _step(
        org,
        "mutation($id: ID!) { requestRefresh(id: $id) { queued userErrors { code } } }",
        {"id": video["id"]},
    )
    assert data["individualVideos"]["nodes"][0]["nextScrapeTime"] != video["nextScrapeTime"]
    data = await _step(
        org,
        "mutation($id: ID!) { removeVideo(id: $id) { userErrors { code } } }",
        {"id": video["id"]},
    )
    assert data["individualVideos"]["totalCount"] == 0


async def test_creator_mutations_move_the_data_version(org: Org) -> None:
    one, two = await _track(org, "cache.c1"), await _track(org, "cache.c2")
    created = 'mutation($ids: [ID!]!) { createCreator(name: "Cached", accountIds: $ids) {'
    data = await _step(org, f"{created} {CREATOR_FIELDS} }} }}", {"ids": [one]})
    creator = data["creators"]["nodes"][0]
    assert (creator["name"], creator["accounts"]["totalCount"]) == ("Cached", 1)
    renamed = 'mutation($id: ID!) { updateCreator(id: $id, name: "Renamed", description: "d") {'
    data = await _step(org, f"{renamed} {CREATOR_FIELDS} }} }}", {"id": creator["id"]})
    assert (data["creators"]["nodes"][0]["name"], data["creators"]["nodes"][0]["description"]) == (
        "Renamed",
        "d",
    )
    members = {"c": creator["id"], "ids": [two]}
    data = await _step(
        org,
        "mutation($c: ID!, $ids: [ID!]!) { addAccountsToCreator(creatorId: $c, "
        f"accountIds: $ids) {{ {CREATOR_FIELDS} }} }}",
        members,
    )
    assert data["creators"]["nodes"][0]["accounts"]["totalCount"] == 2
    data = await _step(
        org,
        "mutation($c: ID!, $ids: [ID!]!) { removeAccountsFromCreator(creatorId: $c, "
        f"accountIds: $ids) {{ {CREATOR_FIELDS} }} }}",
        members,
    )
    assert data["creators"]["nodes"][0]["accounts"]["totalCount"] == 1
    data = await _step(
        org,
        "mutation($id: ID!) { deleteCreator(id: $id) { userErrors { code } } }",
        {"id": creator["id"]},
    )
    assert data["creators"]["totalCount"] == 0


async def test_key_and_rate_limit_mutations_move_the_data_version(org: Org) -> None:
    data = await _step(org, "mutation { setRateLimit(points: 5000) { userErrors { code } } }")
    assert data["organization"]["rateLimitPolicy"]["points"] == 5000
    await _step(org, 'mutation { createApiKey(name: "extra") { secret userErrors { code } } }')
    write_key = await read(org, "{ viewer { apiKey { id } } }", scope=Scope.WRITE)
    key_id = write_key.data["viewer"]["apiKey"]["id"]
    revoked_at = "query($id: ID!) { node(id: $id) { ... on ApiKey { revokedAt } } }"
    admin = Scope.ADMIN  # other keys are visible to ADMIN keys only
    assert (await warm(org, revoked_at, {"id": key_id}, admin))["node"]["revokedAt"] is None
    await mutate(
        org, "mutation($id: ID!) { revokeApiKey(id: $id) { userErrors { code } } }", {"id": key_id}
    )
    assert (await fresh(org, revoked_at, {"id": key_id}, admin))["node"]["revokedAt"] is not None


async def test_persisted_only_switches_move_the_data_version(org: Org) -> None:
    write_key = await read(org, "{ viewer { apiKey { id } } }", scope=Scope.WRITE)
    key_id = write_key.data["viewer"]["apiKey"]["id"]
    flag = "query($id: ID!) { node(id: $id) { ... on ApiKey { persistedQueriesOnly } } }"
    admin = Scope.ADMIN
    assert (await warm(org, flag, {"id": key_id}, admin))["node"]["persistedQueriesOnly"] is False
    switch = (
        "mutation($id: ID!) { setPersistedQueriesOnly(enabled: true, apiKeyId: $id) {"
        " userErrors { code } } }"
    )
    await mutate(org, switch, {"id": key_id})
    assert (await fresh(org, flag, {"id": key_id}, admin))["node"]["persistedQueriesOnly"] is True


async def test_reads_always_reflect_the_write_just_done(org: Org) -> None:
    account_id = await _track(org, "cache.loop")
    row = await models.Account.get(organization_id=org.id, handle="cache.loop")
    update = (
        "mutation($id: ID!, $h: Int!) { updateAccount(id: $id, scrapeIntervalHours: $h) {"
        " userErrors { code } } }"
    )
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=12)
    for i in range(12):
        if i % 3 == 2:  # a refresh-style write through the store, not the API
            observed = store.ProfileCounters(start + timedelta(days=i), followers=1000 + i)
            await store.record_profile(row.id, [observed])
            expected = ("followers", 1000 + i)
        else:
            await mutate(org, update, {"id": account_id, "h": i + 1})
            expected = ("scrapeIntervalHours", i + 1)
        data = await fresh(org, EVERYTHING)
        assert _accounts(data)[0][expected[0]] == expected[1], (i, expected)


async def test_concurrent_reads_during_writes_end_on_the_last_write(org: Org) -> None:
    account_id = await _track(org, "cache.race")
    update = (
        "mutation($id: ID!, $h: Int!) { updateAccount(id: $id, scrapeIntervalHours: $h) {"
        " userErrors { code } } }"
    )
    done = asyncio.Event()

    async def reader() -> None:
        while not done.is_set():
            await org.gql(EVERYTHING, scope=Scope.READ)

    async def writer() -> None:
        for hours in range(1, 21):
            await mutate(org, update, {"id": account_id, "h": hours})
            await asyncio.sleep(0)
        done.set()

    await asyncio.gather(writer(), *(reader() for _ in range(4)))
    final = await read(org, EVERYTHING)
    assert _accounts(final.data)[0]["scrapeIntervalHours"] == 20

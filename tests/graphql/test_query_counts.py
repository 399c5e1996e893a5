"""Relations are batched: the SQL statement count does not grow with the page size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import models
from app.identifiers import Platform
from tests.conftest import Org, count_statements

PAGE = """
query Page($first: Int!) {
  accounts(first: $first, orderBy: {field: ADDED_AT, direction: ASC}) {
    totalCount
    nodes {
      handle
      creators(first: 10) { totalCount nodes { name accounts(first: 5) { nodes { handle } } } }
      videos(first: 3) { totalCount nodes { videoId account { handle } } }
    }
  }
}
"""


async def _seed(org: Org, accounts: int) -> None:
    now = datetime.now(UTC)
    await models.Account.bulk_create(
        [
            models.Account(
                organization_id=org.id,
                platform=Platform.TIKTOK if i % 2 else Platform.INSTAGRAM,
                handle=f"acct{i:04d}",
                added_at=now + timedelta(seconds=i),
            )
            for i in range(accounts)
        ]
    )
    rows = await models.Account.filter(organization_id=org.id).order_by("id")
    creators = [
        await models.Creator.create(organization_id=org.id, name=f"creator {i}") for i in range(10)
    ]
    await models.CreatorAccount.bulk_create(
        [
            models.CreatorAccount(creator_id=creators[(i + k) % 10].id, account_id=row.id)
            for i, row in enumerate(rows)
            for k in range(2)
        ]
    )
    await models.Video.bulk_create(
        [
            models.Video(
                organization_id=org.id,
                platform=row.platform,
                platform_video_id=str(10_000 * (i + 1) + v),
                account_id=row.id,
                discovered_at=now,
                published_at=now - timedelta(days=v),
            )
            for i, row in enumerate(rows)
            for v in range(5)
        ]
    )


async def test_statement_count_is_the_same_for_10_50_and_200_accounts(org: Org) -> None:
    await _seed(org, 250)  # creators also hold accounts outside both pages
    counts = {}
    for first in (10, 50, 200):
        with count_statements() as statements:
            result = await org.gql(PAGE, {"first": first})
        nodes = result.data["accounts"]["nodes"]
        assert len(nodes) == first
        assert all(len(n["creators"]["nodes"]) == 2 for n in nodes)
        assert all(len(n["videos"]["nodes"]) == 3 for n in nodes)
        assert all(n["videos"]["totalCount"] == 5 for n in nodes)
        assert all(
            v["account"]["handle"] == n["handle"] for n in nodes for v in n["videos"]["nodes"]
        )
        counts[first] = len(statements)
    assert counts[10] == counts[50] == counts[200], counts
    assert counts[200] <= 12, counts

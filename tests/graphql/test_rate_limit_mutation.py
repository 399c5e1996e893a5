"""setRateLimit and Organization.rateLimitPolicy: an organization chooses its keys' rate limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app import models
from app.models import Scope
from app.services.rate_limit import set_operator_limits
from app.settings import Settings
from tests.conftest import Org

POLICY = "rateLimitPolicy { points ceiling chosenPoints windowSeconds }"
SET = (
    "mutation($points: Int) { setRateLimit(points: $points) {"
    f" {POLICY} userErrors {{ field message code }} }} }}"
)
READ = f"{{ organization {{ {POLICY} }} viewer {{ organization {{ {POLICY} }} }} }}"


async def set_limit(org: Org, points: int | None, scope: Scope = Scope.ADMIN) -> Any:
    response = await org.gql(SET, {"points": points}, scope=scope)
    return response.data["setRateLimit"]


async def policy(org: Org) -> dict[str, Any]:
    data = (await org.gql(READ, scope=Scope.READ)).data
    assert data["organization"] == data["viewer"]["organization"]
    read: dict[str, Any] = data["organization"]["rateLimitPolicy"]
    return read


def expected(points: int, ceiling: int, chosen: int | None = None) -> dict[str, Any]:
    return {"points": points, "ceiling": ceiling, "chosenPoints": chosen, "windowSeconds": 60.0}


@pytest.fixture
def default(settings: Settings) -> int:
    """The deployment's default points per key (the ceiling of an organization without one)."""
    assert settings.rate_limit.window_seconds == 60
    return settings.rate_limit.points


async def test_the_default_policy_is_the_deployment_default(org: Org, default: int) -> None:
    assert await policy(org) == expected(default, default)


async def test_an_organization_lowers_its_limit_raises_it_back_and_restores_the_default(
    org: Org, default: int
) -> None:
    lowered = await set_limit(org, 1000)
    assert lowered == {"rateLimitPolicy": expected(1000, default, 1000), "userErrors": []}
    assert await policy(org) == expected(1000, default, 1000)
    assert (await set_limit(org, default))["rateLimitPolicy"] == expected(default, default, default)
    assert (await set_limit(org, None))["rateLimitPolicy"] == expected(default, default)
    # Omitting the argument is the same as null.
    await set_limit(org, 100)  # the least: this mutation still fits
    omitted = (await org.gql("mutation { setRateLimit { rateLimitPolicy { points } } }")).data
    assert omitted["setRateLimit"]["rateLimitPolicy"]["points"] == default
    row = await models.Organization.get(id=org.id)
    assert row.rate_limit_points is None


async def test_no_organization_raises_its_limit_past_the_default_without_a_ceiling(
    org: Org, default: int
) -> None:
    await set_limit(org, 2000)
    refused = await set_limit(org, default + 1)
    assert refused["userErrors"] == [
        {
            "field": ["points"],
            "message": f"At most {default} points: this organization's ceiling",
            "code": "LIMIT_EXCEEDED",
        }
    ]
    assert refused["rateLimitPolicy"] == expected(2000, default, 2000)  # unchanged
    assert await policy(org) == expected(2000, default, 2000)


async def test_an_operator_ceiling_bounds_what_the_organization_may_choose(
    org: Org, settings: Settings
) -> None:
    await set_operator_limits(org.organization, settings, ceiling=50_000)
    assert await policy(org) == expected(50_000, ceiling=50_000)
    assert (await set_limit(org, 40_000))["rateLimitPolicy"] == expected(40_000, 50_000, 40_000)
    assert (await set_limit(org, 50_000))["rateLimitPolicy"] == expected(50_000, 50_000, 50_000)
    refused = await set_limit(org, 50_001)
    assert [e["code"] for e in refused["userErrors"]] == ["LIMIT_EXCEEDED"]
    assert "50000" in refused["userErrors"][0]["message"]
    # The operator lowers the ceiling below the choice: the ceiling applies, the choice stays.
    await set_operator_limits(org.organization, settings, ceiling=10_000)
    assert await policy(org) == expected(10_000, ceiling=10_000, chosen=50_000)


@pytest.mark.parametrize("points", [99, 0, -5])
async def test_a_limit_too_small_to_undo_is_refused(org: Org, points: int, default: int) -> None:
    refused = await set_limit(org, points)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("INVALID_POINTS", ["points"])
    ]
    assert "between 100 and" in refused["userErrors"][0]["message"]
    assert refused["rateLimitPolicy"] == expected(default, default)


@pytest.mark.parametrize("scope", [Scope.WRITE, Scope.READ])
async def test_only_admin_keys_set_the_limit(org: Org, scope: Scope) -> None:
    refused = await org.gql(SET, {"points": 10}, scope=scope)
    assert refused.codes == ["INSUFFICIENT_SCOPE"]
    row = await models.Organization.get(id=org.id)
    assert row.rate_limit_points is None


async def test_only_the_callers_organization_changes(
    make_org: Callable[[], Awaitable[Org]], default: int
) -> None:
    mine, theirs = await make_org(), await make_org()
    await set_limit(theirs, 700)
    assert (await set_limit(mine, 100))["rateLimitPolicy"]["points"] == 100
    assert await policy(theirs) == expected(700, default, 700)
    rows = {
        o.id: o.rate_limit_points
        for o in await models.Organization.filter(id__in=[mine.id, theirs.id])
    }
    assert rows == {mine.id: 100, theirs.id: 700}

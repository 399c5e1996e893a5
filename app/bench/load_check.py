"""Before timing: the persisted and plain forms of each request must answer the same data."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import orjson

from app.bench.load_documents import LoadRequest

_EXTENSIONS = b',"extensions":'
_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


@dataclass(slots=True)
class CheckResult:
    """What the check found: requests compared, mismatches, registrations, requested costs."""

    checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    registered: int = 0
    costs: dict[str, int] = field(default_factory=dict)


def data_bytes(body: bytes) -> bytes:
    """The answer without `extensions` (the cost, which changes per request), byte for byte.

    The endpoint appends `extensions` last; what precedes it is the serialised answer.
    """
    cut = body.rfind(_EXTENSIONS)
    return body if cut < 0 else body[:cut] + b"}"


def _problem(response: httpx.Response) -> str | None:
    """Why an answer is not a clean 200 with data, or None."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    parsed = orjson.loads(response.content)
    if parsed.get("errors"):
        return "errors: " + ", ".join(
            str(e.get("extensions", {}).get("code")) for e in parsed["errors"]
        )
    if parsed.get("data") is None:
        return "no data"
    if orjson.loads(data_bytes(response.content)) != {"data": parsed["data"]}:
        return "extensions not where expected"
    return None


def _code(response: httpx.Response) -> str | None:
    errors = orjson.loads(response.content).get("errors") or [{}]
    code = errors[0].get("extensions", {}).get("code")
    return None if code is None else str(code)


async def _persisted(
    client: httpx.AsyncClient, urls: tuple[str, str], request: LoadRequest, result: CheckResult
) -> httpx.Response:
    """The hash-only answer, registering the text by APQ first when the registry lacks it."""
    answer = await client.post(urls[1], content=request.persisted_body())
    if answer.status_code == 200 and _code(answer) == _NOT_FOUND:
        result.registered += 1
        await client.post(urls[0], content=request.register_body())
        answer = await client.post(urls[1], content=request.persisted_body())
    return answer


async def check_answers(
    urls: list[str], key: str, requests: list[LoadRequest], result: CheckResult
) -> None:
    """Plain on one server, persisted (hash only) on the other; `data` must be identical."""
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    async with httpx.AsyncClient(headers=headers, timeout=60.0) as client:
        for index, request in enumerate(requests):
            pair = (urls[index % 2], urls[(index + 1) % 2])
            plain = await client.post(pair[0], content=request.plain_body())
            persisted = await _persisted(client, pair, request, result)
            result.checked += 1
            label = f"{request.kind} {orjson.dumps(request.variables).decode()[:60]}"
            for form, answer in (("plain", plain), ("persisted", persisted)):
                problem = _problem(answer)
                if problem is not None:
                    result.mismatches.append(f"{label}: {form}: {problem}")
            if data_bytes(plain.content) != data_bytes(persisted.content):
                result.mismatches.append(f"{label}: persisted and plain data differ")
            cost = orjson.loads(plain.content).get("extensions", {}).get("cost", {})
            if "requested" in cost:
                result.costs[request.kind] = int(cost["requested"])

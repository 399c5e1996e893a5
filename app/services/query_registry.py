"""The automatic-persisted-query registry: SHA-256 → document text, shared by API processes."""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

DEFAULT_PREFIX = "creatoraudit:apq:"
# Registrations kept in process memory when there is no Redis (the embedded mode).
LOCAL_CAPACITY = 10_000
LOCAL_BYTES = 32 * 1024 * 1024


class RegistryUnavailable(Exception):
    """The shared registry (Redis) did not answer."""


class QueryRegistry(Protocol):
    """Where documents registered through Apollo's APQ protocol live."""

    async def get(self, sha256: str) -> str | None:
        """The registered text of `sha256`, or None; RegistryUnavailable when unreachable."""
        ...

    async def put(self, sha256: str, text: str) -> None:
        """Register `text` under its (already verified) hash; RegistryUnavailable likewise."""
        ...


class RedisQueryRegistry:
    """Registrations in Redis, so every API process sees what any one registered.

    Each registration lives `ttl_seconds` after its last use: a read renews it in the same
    command (GETEX), so documents clients still send never expire.
    """

    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix

    async def get(self, sha256: str) -> str | None:
        """The registered text, its lifetime renewed."""
        try:
            value = await self._redis.getex(self._prefix + sha256, ex=self._ttl)
        except (RedisError, OSError) as exc:
            raise RegistryUnavailable(f"persisted-query registry unavailable: {exc}") from exc
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def put(self, sha256: str, text: str) -> None:
        """Register (or renew) a document."""
        try:
            await self._redis.set(self._prefix + sha256, text.encode(), ex=self._ttl)
        except (RedisError, OSError) as exc:
            raise RegistryUnavailable(f"persisted-query registry unavailable: {exc}") from exc


class LocalQueryRegistry:
    """Registrations in this process only, least recently used dropped first.

    Bounded by entries and by the bytes of the texts it holds (`sys.getsizeof`).
    """

    def __init__(self, capacity: int = LOCAL_CAPACITY, max_bytes: int = LOCAL_BYTES) -> None:
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        """Bytes of the texts held now."""
        return self._bytes

    async def get(self, sha256: str) -> str | None:
        """The registered text, marked as recently used."""
        text = self._texts.get(sha256)
        if text is not None:
            self._texts.move_to_end(sha256)
        return text

    async def put(self, sha256: str, text: str) -> None:
        """Register a document, dropping the least recently used ones when full."""
        size = sys.getsizeof(text)
        if size > self._max_bytes:
            return  # larger than the whole registry: the client sends its text again
        previous = self._texts.pop(sha256, None)
        if previous is not None:
            self._bytes -= sys.getsizeof(previous)
        self._texts[sha256] = text
        self._bytes += size
        while len(self._texts) > self._capacity or self._bytes > self._max_bytes:
            _, dropped = self._texts.popitem(last=False)
            self._bytes -= sys.getsizeof(dropped)

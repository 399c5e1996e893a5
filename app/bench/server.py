"""The API as served in production plus the benchmark's floor endpoint, for `uvicorn`."""

from __future__ import annotations

import argparse
import asyncio
import gc

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.bench.floor import floor_endpoint
from app.main import create_app
from app.settings import Settings

_pool_lock = asyncio.Lock()


def build(settings: Settings) -> Starlette:
    """The real app with `/bench/floor` added."""
    app = create_app(settings)
    dsn = settings.database_url.replace("postgres://", "postgresql://", 1)

    async def floor(request: Request) -> Response:
        async with _pool_lock:
            if getattr(app.state, "bench_pool", None) is None:
                app.state.bench_pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
        return await floor_endpoint(request)

    app.router.routes.append(Route("/bench/floor", floor))
    return app


def main() -> None:
    """Run the benchmark server."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings(log_level="WARNING")
    app = build(settings)
    gc.freeze()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

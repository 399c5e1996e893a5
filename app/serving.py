"""`creatoraudit serve`: check what the API needs, bind its port, then run it under uvicorn."""

from __future__ import annotations

import errno
import logging
import socket

import uvicorn

from app.collector import tune_collector
from app.logs import settings_logging_config
from app.main import create_app
from app.preflight import StartupError
from app.preflight.startup import require_dependencies
from app.settings import Settings

logger = logging.getLogger("creatoraudit.serve")
PORT_FIX = "stop the other process, or choose another port with --port or CREATORAUDIT_PORT"


def bind_socket(host: str, port: int) -> socket.socket:
    """Listen on host:port, or raise StartupError saying why not and what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except socket.gaierror as exc:
        detail = f"cannot listen on {host!r}: {exc.strerror}"
        raise StartupError(f"port: {detail} — use --host 127.0.0.1 or 0.0.0.0") from exc
    except OSError as exc:
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            detail = f"{where} is already in use (another `creatoraudit serve`?)"
            raise StartupError(f"port: {detail} — {PORT_FIX}") from exc
        if exc.errno == errno.EACCES:
            detail = f"not allowed to listen on {where} (ports below 1024 need privileges)"
            raise StartupError(f"port: {detail} — choose a port above 1023") from exc
        if exc.errno == errno.EADDRNOTAVAIL:
            detail = f"{host} is not an address of this machine"
            raise StartupError(f"port: {detail} — use --host 127.0.0.1 or 0.0.0.0") from exc
        raise StartupError(f"port: cannot listen on {where}: {exc.strerror or exc}") from exc


class _Server(uvicorn.Server):
    """uvicorn's server, tuning the collector once the app's start-up is done."""

    def __init__(self, config: uvicorn.Config, settings: Settings) -> None:
        super().__init__(config)
        self._settings = settings

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        tune_collector(self._settings.collector)


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the API on host:port until interrupted."""
    sock = bind_socket(host, port)
    try:
        require_dependencies(settings)
        config = uvicorn.Config(
            create_app(settings),
            log_config=settings_logging_config(settings),
            access_log=False,  # RequestContextMiddleware logs each request, with its id
            # Named, not "auto": its request-target limit (65,535 bytes) is what
            # CREATORAUDIT_LIMITS__MAX_QUERY_STRING_BYTES stays below; h11 would allow 16 KiB.
            http="httptools",
        )
        # uvicorn does not announce sockets it is handed: say where the API is.
        logger.info("listening on http://%s:%d (GraphiQL at /graphql)", host, port)
        _Server(config, settings).run(sockets=[sock])
    finally:
        sock.close()

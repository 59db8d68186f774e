"""``tagscape serve --production``: the app under gunicorn, several worker processes.

Each worker process builds its own app after the fork (no ``preload_app``): SQLite connections,
memory maps and numba's threads must not cross a ``fork``. Workers are gunicorn's ``gthread``
kind: a few threads each, so slow clients and audio downloads do not hold a whole process, and
kept-alive connections wait in a poller rather than in a thread.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from tagscape.errors import UsageError

#: How long a request may run before its worker is replaced (an on-demand t-SNE of the largest
#: allowed subset takes well under a minute on 2 cores).
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 0  # 0: one per core, at least 2
    threads: int = 8
    read_only: bool = False
    warm_up: bool = True
    access_log: bool = False
    allowed_hosts: tuple[str, ...] = ()  # Host names beyond those of ``host`` ("*": any)

    @property
    def n_workers(self) -> int:
        return self.workers or max(2, os.cpu_count() or 1)


def gunicorn_options(options: ServerOptions) -> dict:
    """gunicorn settings (their names as in gunicorn's documentation)."""
    return {
        "bind": f"[{options.host}]:{options.port}" if ":" in options.host else f"{options.host}:{options.port}",
        "workers": options.n_workers,
        "worker_class": "gthread",
        "threads": options.threads,
        "timeout": TIMEOUT_SECONDS,
        "graceful_timeout": 10,
        "keepalive": 5,
        "preload_app": False,
        "accesslog": "-" if options.access_log else None,
        "proc_name": "tagscape",
    }


def serve_production(collection_path: str, options: ServerOptions) -> None:
    """Run gunicorn in this process (its arbiter) until it is stopped (Ctrl+C, SIGTERM)."""
    if sys.platform == "win32":
        raise UsageError("--production runs gunicorn, which needs Linux or macOS; on Windows serve without --production")
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise UsageError("--production needs gunicorn, which is not installed: pip install gunicorn") from None

    def build_app():
        from tagscape.web import allowed_hosts, create_app

        config = {"TAGSCAPE_WARM_UP": options.warm_up, "TAGSCAPE_ALLOWED_HOSTS": allowed_hosts(options.host, options.allowed_hosts)}
        return create_app(collection_path, config, read_only=options.read_only)

    class Server(BaseApplication):
        def load_config(self):
            for key, value in gunicorn_options(options).items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25: no runtime-control socket in ~/.gunicorn
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return build_app()

    Server().run()

"""``minsheng serve``: the Starlette app under uvicorn, in one process or several (PostgreSQL only), optionally
with the demo district.

The database is opened — and migrated — once, in the parent, before any worker starts. With ``--workers 1`` that
engine serves directly. With more, uvicorn spawns processes that each build the app from ``app_from_env`` (an
import-string factory): the parent hands them the database URL in ``MINSHENG_DB`` and the API settings as JSON in
``MINSHENG_API_SETTINGS``, and workers refuse to start on a database that would still need migrations.
uvicorn picks uvloop and httptools when installed (``uvicorn[standard]``).
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
from pathlib import Path
from typing import Any

import uvicorn
from pony import orm
from starlette.applications import Starlette

from engine.api.app import ApiSettings, create_app
from engine.api.throttle import CostLimits
from engine.core import Engine
from engine.storage.db import db_url_from_env, parse_url
from engine.storage.sql import Sql

DEMO_DB_FILE = "minsheng-demo.db"
SETTINGS_ENV = "MINSHENG_API_SETTINGS"
ACCESS_LOG_ENV = "MINSHENG_ACCESS_LOG"
FACTORY = "engine.api.serve:app_from_env"


def serve(args: argparse.Namespace) -> int:
    """Run the server until interrupted; ``RuntimeError``/``ValueError`` for a configuration it refuses."""
    url = database_url(args)
    check_workers(url, args.workers)
    if args.demo and not args.db:
        _remove_demo_file()
    limits = CostLimits(max_cost=args.max_cost, actor_rate=args.budget, public_rate=args.public_budget)
    settings = ApiSettings(graphiql=args.graphiql or args.demo, introspection=args.graphiql or args.demo,
                           threads=args.threads, reader_threads=getattr(args, "reader_threads", None),
                           cache_results=not getattr(args, "no_result_cache", False),
                           timeout_seconds=args.timeout or None, cost_limits=limits,
                           tick_seconds=getattr(args, "tick_interval", 3600.0) or None, tick_at_start=True)
    engine = Engine.open(url)  # migrations run here, once, before any worker starts
    if args.demo:
        _build_demo(engine, url, args.host, args.port)
    if args.workers == 1:
        app = create_app(engine, settings)
        settle_memory()
        uvicorn.Server(server_config(app, args.host, args.port)).run()
    else:
        engine.close()
        _run_workers(url, settings, args)
    return 0


def _run_workers(url: str, settings: ApiSettings, args: argparse.Namespace) -> None:
    os.environ["MINSHENG_DB"] = url
    os.environ[SETTINGS_ENV] = json.dumps(dataclasses.asdict(settings))
    uvicorn.run(FACTORY, factory=True, workers=args.workers, **_uvicorn_options(args.host, args.port))


def _remove_demo_file() -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(DEMO_DB_FILE + suffix).unlink(missing_ok=True)


def database_url(args: argparse.Namespace) -> str:
    """``--db``, else ``$MINSHENG_DB``, else the default file; for ``--demo`` ``minsheng-demo.db`` here (which
    ``serve`` deletes and rebuilds) unless ``--db`` names one."""
    if not args.demo:
        return db_url_from_env(args.db)
    return args.db or f"sqlite:///{DEMO_DB_FILE}"


def check_workers(url: str, workers: int) -> None:
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    if workers > 1 and parse_url(url).is_sqlite:
        raise RuntimeError(f"--workers {workers} needs PostgreSQL: SQLite takes one writer at a time and its "
                           "connections cannot be shared between processes. Serve with --db postgresql://user@host/"
                           "name, or run one worker and raise --threads.")


def server_config(app: Any, host: str, port: int) -> uvicorn.Config:
    """The uvicorn settings the server uses (the HTTP benchmark uses the same)."""
    return uvicorn.Config(app, **_uvicorn_options(host, port))


def _uvicorn_options(host: str, port: int) -> dict[str, Any]:
    access_log = os.environ.get(ACCESS_LOG_ENV, "").lower() in ("1", "true", "yes", "on")
    return {"host": host, "port": port, "loop": "auto", "http": "auto", "ws": "auto", "lifespan": "on",
            "access_log": access_log, "timeout_graceful_shutdown": 5}


def settings_from_env() -> ApiSettings:
    raw = json.loads(os.environ.get(SETTINGS_ENV) or "{}")
    if "allowed_origins" in raw:
        raw["allowed_origins"] = tuple(raw["allowed_origins"])
    if "cost_limits" in raw:
        raw["cost_limits"] = CostLimits(**raw["cost_limits"])
    return ApiSettings(**raw)


def app_from_env() -> Starlette:
    """The app of one worker process (``uvicorn --factory engine.api.serve:app_from_env``): the database from
    ``MINSHENG_DB``, the settings from ``MINSHENG_API_SETTINGS``; migrations must already be applied."""
    app = create_app(Engine.open(upgrade=False), settings_from_env())
    settle_memory()
    return app


def settle_memory() -> None:
    """Once the app is built: what start-up made (the schema, the workflows, the plugins: hundreds of thousands
    of objects that live as long as the process) leaves the cyclic garbage collector's care, and the youngest
    generation is collected after 50,000 allocations instead of 700. A 50-project page allocates tens of
    thousands of short-lived objects; with the defaults the collector ran several times per request and walked
    everything start-up made, about a tenth of the server's CPU (the page without the result cache: 437–500 →
    511–533 req/s on two cores). Garbage in cycles is still collected, in larger and rarer rounds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _build_demo(engine: Engine, url: str, host: str, port: int) -> None:
    from engine.demo import build_demo
    from engine.demo.banner import banner

    with orm.db_session:
        regions = Sql(engine.db).scalar("SELECT COUNT(*) FROM region")
    if regions:
        raise RuntimeError(f"--demo needs an empty database, and {url} already has {regions} region(s); "
                           "leave out --db to use a fresh minsheng-demo.db")
    demo = build_demo(engine)
    engine.clock.run_from(engine.clock.now())  # the demo's date, advancing with real time from here
    print(banner(demo, url, host, port), flush=True)

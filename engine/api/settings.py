"""How the API is served: GraphiQL and introspection, body size, worker threads, result cache, origins, time
and cost limits (``minsheng serve`` flags set them)."""
from __future__ import annotations

from dataclasses import dataclass

from engine.api.throttle import CostLimits


@dataclass(frozen=True)
class ApiSettings:
    graphiql: bool = False
    introspection: bool = False
    max_body_bytes: int = 64 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024  # a multipart upload to /graphql (importProjects: the annual list)
    upload_timeout_seconds: float | None = 300.0  # an upload's operation (a large import) may run this long
    threads: int = 8  # worker threads per process = the most database connections it opens
    reader_threads: int | None = None  # of which execute queries at once (None: 1 on SQLite, all on PostgreSQL)
    cache_results: bool = True  # keep query results while the data generation is unchanged (SQLite)
    allowed_origins: tuple[str, ...] = ()
    timeout_seconds: float | None = 5.0  # the longest one operation may hold a worker thread (None: no limit)
    cost_limits: CostLimits = CostLimits()  # the most one request may cost, and each caller's budget over time
    tick_seconds: float | None = 3600.0  # the plugins' periodic work (督办, 序时进度) runs this often (None: never)
    tick_at_start: bool = False  # also once at start-up (``minsheng serve`` does: today's figures at once)

"""Many projects at once for the dashboard tests: plain INSERTs into the engine's own project table (what the
bulk builder of the benchmarks does), so that 1,530 projects take a moment; figures are then read through the API."""
from __future__ import annotations

import datetime as dt
from itertools import count
from typing import Iterable

from pony import orm

from engine.core import Engine
from engine.storage.sql import Sql

PROJECT = ("INSERT INTO project (code, title, year, category, region_id, region_path, lead_unit_id, budget, "
           "workflow_id, state, previous_state, version, audit_seq, audit_head, created_at, updated_at, "
           "planned_start, planned_end, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, '', ?, ?, ?, ?, ?)")
_codes = count(1)


def add_projects(engine: Engine, region_id: int, states: Iterable[tuple[str, str | None, int]],
                 unit_id: int | None = None, year: int = 2024, category: str = "教育",
                 workflow: str = "minsheng", created_by: int | None = None) -> list[int]:
    """``n`` projects of the default workflow for each (state, previous state, n), in ``region_id``; their ids."""
    workflow_id = engine.workflows.named(workflow).id
    now = engine.clock.now()
    ids = []
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        path = sql.scalar("SELECT path FROM region WHERE id = ?", (region_id,))
        for state, previous, n in states:
            for _ in range(n):
                code = f"D-{next(_codes):06d}"
                ids.append(sql.insert(PROJECT, (code, f"项目{code}", year, category, region_id, path, unit_id,
                                                "1000000.00", workflow_id, state, previous, now, now,
                                                dt.date(year, 1, 1), dt.date(year, 12, 31), created_by)))
    return ids

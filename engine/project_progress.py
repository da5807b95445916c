"""Progress figures (序时进度, colour) of many projects, from whichever plugin keeps schedules
(``minsheng_project_progress``); empty when none does."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Sequence

from engine.hookspecs import ProjectProgress
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine


def project_progress(engine: Engine, sql: Sql, project_ids: Sequence[int], on: dt.date) -> dict[int, ProjectProgress]:
    """Project id → its progress on ``on`` (inside the caller's db_session); ids the plugin leaves out, and every
    id when no plugin keeps schedules, are missing."""
    if not project_ids:
        return {}
    found = engine.plugins.hook.minsheng_project_progress(engine=engine, sql=sql, project_ids=list(project_ids), on=on)
    return dict(found or {})

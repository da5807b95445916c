"""The kinds of record a file may be attached to: the engine's own (the project, a transition such as 验收
acceptance) and those plugins declare through ``minsheng_record_kinds`` (an inspection, a rectification, a
progress report, a suggestion …)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.core import Engine


@dataclass(frozen=True)
class RecordKind:
    """``table`` holds the records (with ``id`` and ``project_id`` columns); None for the engine's own kinds."""

    name: str
    label: str
    table: str | None = None


CORE_KINDS = (RecordKind("project", "项目"), RecordKind("transition", "流转记录（如验收）"))


def record_kinds(engine: Engine) -> dict[str, RecordKind]:
    kinds = {kind.name: kind for kind in CORE_KINDS}
    for declared in engine.plugins.hook.minsheng_record_kinds():
        for kind in declared or ():
            kinds.setdefault(kind.name, kind)
    return kinds

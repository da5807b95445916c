"""A batch of projects read together, and what has been loaded for all of them at once.

The API gives every project of a page the same batch (``engine.api.batch``); guards explaining the page's
available transitions share it too (``GuardContext.load``), so a figure a guard needs is read for the whole page
in one query. A loader takes the ids of every project in the batch and returns a mapping from id to value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Mapping, Sequence

Loader = Callable[[Sequence[int]], Mapping[int, Any]]


@dataclass(eq=False)
class ProjectBatch:
    """The ids of the projects one read returned together, and what has been loaded for them so far."""

    ids: tuple[int, ...]
    loaded: dict[Hashable, Mapping[int, Any]] = field(default_factory=dict)

    def load(self, key: Hashable, loader: Loader, project_id: int, default: Any = None) -> Any:
        """``project_id``'s value of ``key``; the first call per key runs ``loader(self.ids)`` for all of them."""
        values = self.loaded.get(key)
        if values is None:
            values = self.loaded[key] = loader(self.ids)
        return values.get(project_id, default)

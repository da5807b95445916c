"""Fields of a page of projects, loaded together: one query per field for the whole page, never one per project.

Every ``Project`` the API returns belongs to a ``ProjectBatch``: all projects of a ``projects`` page share one, a
single project (``project``, ``node``, a mutation's payload) has its own. A field resolver — the core's or a
plugin's — asks the batch for its value instead of querying for its own project::

    @strawberry.field
    def funding(self, info: Info) -> ProjectFunding:
        figures = batched(self, "funding", lambda ids: figures_of(info.context.sql, ids))
        ...

The first project that asks runs the loader with the ids of every project in the batch; the loader returns a
mapping from project id to value (ids it leaves out get ``default``), and the other projects read from it. The key
names what is loaded together with any argument that changes it (``("inspection.rectifications", status)``), so
each distinct argument costs one query per page. ``engine.storage.sql`` has the pieces loaders are made of:
``marks`` for the ``IN (...)`` list, ``by_project`` to group rows, ``first_rows_per_project`` for "the newest
twenty of each". An object below a project that loads more (``funding { receipts
}``) keeps the project's batch (``batch_of(project)``) and asks it with ``ProjectBatch.load``.

Loaders run inside the request's read session and only ever see projects the reader may read (the page was
already filtered by the access rule); what a reader may see of each value is still the resolver's to decide.
"""
from __future__ import annotations

from typing import Any, Hashable

from engine.storage.batch import Loader, ProjectBatch

__all__ = ["Loader", "ProjectBatch", "batch_of", "batched"]


def batch_of(project: Any) -> ProjectBatch:
    """The project's batch (a project built without one gets a batch of its own)."""
    batch = getattr(project, "batch", None)
    if batch is None:
        batch = ProjectBatch((project.database_id,))
        project.batch = batch
    return batch


def batched(project: Any, key: Hashable, loader: Loader, default: Any = None) -> Any:
    """In a resolver of a ``Project`` field: the value of ``key`` for ``project``, loaded for its whole batch by
    ``loader(ids) -> {project id: value}`` the first time any project of the batch asks."""
    return batch_of(project).load(key, loader, project.database_id, default)

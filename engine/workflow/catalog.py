"""The named guards and actions all plugins provide, and their chained tables (``engine.chain``), gathered once at
start-up."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy

from engine.workflow.guards import ActionSpec, GuardSpec
from engine.plugins import PluginLoadError, flatten


@dataclass
class Catalog:
    guards: dict[str, GuardSpec] = field(default_factory=dict)
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    tables: list[Any] = field(default_factory=list)  # engine.chain.ChainedTable of every plugin

    @property
    def record_kinds(self) -> frozenset[str]:
        """The record kinds of the chained tables: what a final state may list in ``records``."""
        return frozenset(table.kind for table in self.tables)


def gather(pm: pluggy.PluginManager) -> Catalog:
    """Collect guards and actions; a name two plugins both provide is an error naming both."""
    catalog = Catalog()
    for kind, hook, target in (("guard", pm.hook.minsheng_guards, catalog.guards),
                               ("action", pm.hook.minsheng_actions, catalog.actions)):
        for impl in hook.get_hookimpls():
            for spec in flatten([impl.function()]):
                if spec.name in target:
                    raise PluginLoadError(f"{kind} '{spec.name}' is registered twice (again by plugin "
                                          f"'{impl.plugin_name}')")
                target[spec.name] = spec
    tables: dict[str, Any] = {}
    for impl in pm.hook.minsheng_chained_tables.get_hookimpls():
        for table in flatten([impl.function()]):
            if table.table in tables:
                raise PluginLoadError(f"chained table '{table.table}' is registered twice (again by plugin "
                                      f"'{impl.plugin_name}')")
            tables[table.table] = table
    catalog.tables = list(tables.values())
    return catalog

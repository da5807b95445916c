"""The named guards and actions all plugins provide, gathered once at start-up."""
from __future__ import annotations

from dataclasses import dataclass, field

import pluggy

from engine.workflow.guards import ActionSpec, GuardSpec
from engine.plugins import PluginLoadError, flatten


@dataclass
class Catalog:
    guards: dict[str, GuardSpec] = field(default_factory=dict)
    actions: dict[str, ActionSpec] = field(default_factory=dict)


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
    return catalog

"""The plugin manager: built-in plugins, then third-party ones from the ``minsheng`` entry-point group."""
from __future__ import annotations

import importlib
import importlib.metadata
import logging
from types import ModuleType
from typing import Any, Iterable, Sequence

import pluggy

from engine import hookspecs

log = logging.getLogger("minsheng.plugins")

ENTRY_POINT_GROUP = "minsheng"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "engine.workflow.core_guards",
    "plugins.funding",
    "plugins.inspection",
    "plugins.custody",
    "plugins.satisfaction",
    "plugins.schedule",
    "plugins.supervision",
    "plugins.participation",
    "plugins.participation.voting",
)


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded; the message names it."""


def _import(name: str, target: str) -> Any:
    try:
        if isinstance(target, str):
            return importlib.import_module(target)
        return target.load()
    except Exception as exc:  # the plugin is broken: say which one, fail start-up
        raise PluginLoadError(f"plugin '{name}' failed to load: {type(exc).__name__}: {exc}") from exc


def make_plugin_manager(
    disabled: Iterable[str] = (),
    extra: Sequence[ModuleType | object] = (),
    entry_points: bool = True,
) -> pluggy.PluginManager:
    """Build the manager: built-ins from ``DEFAULT_PLUGINS``, entry points one by one, then ``extra``.

    ``disabled`` lists plugin names (a built-in's module name, its short name such as ``funding``, or an entry
    point's name) that are not registered.
    """
    disabled = set(disabled)
    pm = pluggy.PluginManager("minsheng")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        short = module_name.rsplit(".", 1)[-1]
        if module_name in disabled or short in disabled:
            continue
        _register(pm, short, _import(short, module_name))
    if entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name not in disabled:
                _register(pm, ep.name, _import(ep.name, ep))
    for plugin in extra:
        _register(pm, getattr(plugin, "__name__", repr(plugin)), plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(str(exc)) from exc
    return pm


def _register(pm: pluggy.PluginManager, name: str, plugin: object) -> None:
    if pm.has_plugin(name):
        raise PluginLoadError(f"two plugins are named '{name}'")
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginLoadError(f"plugin '{name}' is invalid: {exc}") from exc


def plugin_names(pm: pluggy.PluginManager) -> list[str]:
    return [name for name, _ in pm.list_name_plugin()]


def flatten(results: Iterable[Any]) -> list[Any]:
    """Hook results are per plugin; each may be None, one item or a list."""
    items: list[Any] = []
    for result in results:
        if result is None:
            continue
        items.extend(result if isinstance(result, (list, tuple)) else [result])
    return items

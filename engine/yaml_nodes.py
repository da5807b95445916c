"""Reading YAML mappings node by node, so that every problem names its line (calendar and ranking rule files)."""
from __future__ import annotations

from typing import Callable, Collection

from yaml.nodes import MappingNode, Node, ScalarNode

Report = Callable[[Node, str], None]


def mapping(node: Node, keys: Collection[str], where: str, report: Report) -> dict[str, Node] | None:
    """The values of a mapping node by key; an unknown or repeated key is reported (and left out), and so is a
    node that is not a mapping (then None)."""
    if not isinstance(node, MappingNode):
        report(node, f"{where} must be a mapping")
        return None
    found: dict[str, Node] = {}
    for key, value in node.value:
        name = key.value if isinstance(key, ScalarNode) else "?"
        if name not in keys:
            report(key, f"unknown key '{name}' in {where} (expected {', '.join(sorted(keys))})")
        elif name in found:
            report(key, f"duplicate key '{name}' in {where}")
        else:
            found[name] = value
    return found

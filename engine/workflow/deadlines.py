"""Deadlines and escalation ladders (督办) in workflow files, validated with file and line.

A state may carry ``deadline: planned_end`` (a project date field) or ``deadline: "30 days"`` (a duration after the
project entered it) and its own ``supervision: {ladder: [...]}``. At the top level, ``supervision`` gives the
default ladder and, optionally, the ladder for rectification deadlines::

    supervision:
      ladder:
        - {before: "5 working days", step: warn, to: lead_unit, label: 预警}
        - {at: 0, step: overdue, label: 逾期}
        - {after: "10 working days", step: escalate, to: office, label: 挂牌督办}
      rectifications: true        # or {ladder: [...]} of their own; absent: not supervised
      measures: true              # measures' due dates (措施/节点), the same way; absent: not supervised

``to`` is ``lead_unit`` (the default: the project's lead unit, or a rectification's or a measure's responsible
unit) or a role declared in the file (that role in the project's region, e.g. the office).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.workflow.durations import parse_duration
from engine.workflow.model import DEADLINE_FIELDS, LEAD_UNIT, Deadline, LadderStep, Supervision

if TYPE_CHECKING:
    from engine.workflow.loader import _Parser

SUPERVISION = {"ladder": "node!", "rectifications": "node", "measures": "node"}
STATE_SUPERVISION = {"ladder": "node!"}
STEP = {"step": "node!", "before": "node", "at": "node", "after": "node", "to": "node", "label": "str"}
WHEN = ("before", "at", "after")


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def read_deadline(parser: _Parser, state: str, node: Node) -> Deadline | None:
    """A state's ``deadline``: a project date field name or a duration (reported when neither)."""
    text = parser.value(node)
    if isinstance(text, str) and text in DEADLINE_FIELDS:
        return Deadline(field=text, line=_line(node))
    try:
        parse_duration(text)
    except ValueError:
        parser.report(node, f"state '{state}': deadline '{text}' is neither a project date field "
                            f"({', '.join(DEADLINE_FIELDS)}) nor a duration such as '30 days' or '10 working days'")
        return None
    return Deadline(duration=str(text), line=_line(node))


def read_state_supervision(parser: _Parser, state: str, node: Node) -> tuple[LadderStep, ...]:
    values = (parser.read(node, STATE_SUPERVISION, f"state '{state}': supervision") or ({}, {}))[0]
    return read_ladder(parser, values.get("ladder"), f"state '{state}': supervision: ladder")


def read_supervision(parser: _Parser, node: Node | None) -> Supervision:
    """The top-level ``supervision`` mapping (empty when absent)."""
    if node is None:
        return Supervision()
    values = (parser.read(node, SUPERVISION, "supervision") or ({}, {}))[0]
    ladder = read_ladder(parser, values.get("ladder"), "supervision: ladder")
    return Supervision(ladder, _own_ladder(parser, values.get("rectifications"), ladder, "rectifications"),
                       _own_ladder(parser, values.get("measures"), ladder, "measures"))


def _own_ladder(parser: _Parser, node: Node | None, ladder: tuple[LadderStep, ...],
                key: str) -> tuple[LadderStep, ...]:
    """``rectifications`` / ``measures``: absent (not supervised), ``true`` (the default ladder) or
    ``{ladder: [...]}`` (a ladder of their own)."""
    if node is None:
        return ()
    if isinstance(node, ScalarNode) and parser.value(node) is True:
        return ladder
    if isinstance(node, MappingNode):
        found = (parser.read(node, STATE_SUPERVISION, f"supervision: {key}") or ({}, {}))[0]
        return read_ladder(parser, found.get("ladder"), f"supervision: {key}: ladder")
    parser.report(node, f"supervision: {key} must be true or a mapping {{ladder: [...]}}")
    return ()


def read_ladder(parser: _Parser, node: Node | None, where: str) -> tuple[LadderStep, ...]:
    """A non-empty list of steps with distinct names, each before, at or after the deadline."""
    steps: list[LadderStep] = []
    for item in parser.entries(node, where, SequenceNode):
        step = _read_step(parser, item, where)
        if step is None:
            continue
        if any(s.step == step.step for s in steps):
            parser.report(item, f"{where}: step '{step.step}' is listed twice")
        steps.append(step)
    return tuple(steps)


def _read_step(parser: _Parser, item: Node, where: str) -> LadderStep | None:
    found = parser.read(item, STEP, f"{where}: step")
    if found is None:
        return None
    values = found[0]
    name = parser.name(values["step"], "step", f"{where}: ") if "step" in values else None
    prefix = f"{where}: step '{name or '?'}': "
    whens = [key for key in WHEN if key in values]
    if len(whens) != 1:
        parser.report(item, f"{prefix}give exactly one of before, at or after (the time relative to the deadline)")
        return None
    when, offset = whens[0], _offset(parser, values[whens[0]], whens[0], prefix)
    to = _scalar_text(values.get("to")) or LEAD_UNIT
    if to != LEAD_UNIT and parser.roles and to not in parser.roles:
        parser.report(values["to"], f"{prefix}to '{to}' is neither lead_unit nor a role declared in roles")
    if name is None or offset is None:
        return None
    return LadderStep(name, when, offset, to, values.get("label") or name, _line(item))


def _offset(parser: _Parser, node: Node, when: str, prefix: str) -> str | None:
    value = parser.value(node)
    if when == "at":
        if value in (0, "0", "0 days"):
            return ""
        parser.report(node, f"{prefix}at must be 0 (the deadline day itself), got {value!r}; use before or after")
        return None
    try:
        parse_duration(value)
    except ValueError:
        parser.report(node, f"{prefix}{when} must be a duration such as '5 working days' or '10 days', "
                            f"got {value!r}")
        return None
    return str(value)


def _scalar_text(node: Any) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def check_supervised(parser: _Parser, supervision: Supervision) -> None:
    """Every state with a deadline has a ladder to escalate it: its own or the workflow's."""
    for name, (state, key_node) in parser.states.items():
        if state.deadline is not None and not state.ladder and not supervision.ladder:
            parser.report(key_node, f"state '{name}' has a deadline but no escalation ladder: add "
                                    "supervision: {ladder: [...]} to the state or to the workflow")

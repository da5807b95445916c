"""Ranking rules: how units and regions are ranked and which go on the 红榜 / 黑榜, read from a YAML file.

The shipped ``rankings.yaml`` beside this module is the default; a deployment names its own in
``MINSHENG_RANKING_RULES``. Every problem in a file is reported with its file and line, all at once
(``InvalidDefinition``), as for workflow files. The format::

    rank_by:                                  # order of the rankings, first key first
      - {figure: core.completion_rate, order: desc}
    lists:                                    # an entry goes on the FIRST list whose conditions hold
      - name: black
        label: 黑榜
        match: any                            # any: one condition suffices; all: every condition must hold
        conditions:
          - {figure: schedule.lag, above: 30}             # above, at_least, below, at_most, equals
          - {figure: schedule.actual, at_least: schedule.expected}   # a number or another figure

Figures are named ``<plugin>.<name>`` (``core.<name>`` for the engine's counts); see each plugin's
``minsheng_dashboard_figures``. A figure without a value (no projects with a schedule, say) satisfies no condition.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from engine.errors import DefinitionProblem, InvalidDefinition
from engine.yaml_nodes import mapping

RULES_ENV = "MINSHENG_RANKING_RULES"
DEFAULT_RULES = Path(__file__).with_name("rankings.yaml")
OPERATORS = {"above": ">", "at_least": "≥", "below": "<", "at_most": "≤", "equals": "="}
FIGURE = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\Z")
NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Condition:
    figure: str
    operator: str  # a key of OPERATORS
    operand: Decimal | str  # a number, or another figure's name
    line: int


@dataclass(frozen=True)
class ListRule:
    name: str
    label: str
    match: str  # all | any
    conditions: tuple[Condition, ...]
    line: int


@dataclass(frozen=True)
class RankKey:
    figure: str
    descending: bool
    line: int


@dataclass(frozen=True)
class Rules:
    rank_by: tuple[RankKey, ...]
    lists: tuple[ListRule, ...]
    path: str

    def figures(self) -> list[tuple[str, int]]:
        """Every figure the rules name, with its line."""
        named = [(k.figure, k.line) for k in self.rank_by]
        for rule in self.lists:
            for c in rule.conditions:
                named.append((c.figure, c.line))
                if isinstance(c.operand, str):
                    named.append((c.operand, c.line))
        return named


def configured() -> Rules:
    """The deployment's rules (``MINSHENG_RANKING_RULES``, else the shipped file), read once per path."""
    return load(os.environ.get(RULES_ENV, "").strip() or str(DEFAULT_RULES))


@lru_cache(maxsize=8)
def load(path: str) -> Rules:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidDefinition([DefinitionProblem(path, 0, f"cannot read the ranking rules: {exc}")]) from exc
    return parse(text, path)


def parse(text: str, path: str) -> Rules:
    """Rules from YAML text; ``InvalidDefinition`` listing every problem as ``file:line: message``."""
    reader = _Reader(path)
    rules = reader.rules(text)
    if reader.problems or rules is None:
        raise InvalidDefinition(sorted(reader.problems, key=lambda p: p.line))
    return rules


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    def __init__(self, path: str) -> None:
        self.path, self.problems = path, []  # type: list[DefinitionProblem]

    def problem(self, node: Node | int, message: str) -> None:
        self.problems.append(DefinitionProblem(self.path, node if isinstance(node, int) else _line(node), message))

    def rules(self, text: str) -> Rules | None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            self.problem(mark.line + 1 if mark else 1, f"YAML syntax error: {getattr(exc, 'problem', None) or exc}")
            return None
        top = self.keys(root, {"rank_by": False, "lists": True}, "the ranking rules") if root is not None else None
        if top is None:
            if root is None:
                self.problem(1, "the ranking rules file is empty")
            return None
        rank_by = tuple(k for k in (self.rank_key(n) for n in self.items(top.get("rank_by"), "rank_by")) if k)
        lists = tuple(r for r in (self.list_rule(n) for n in self.items(top.get("lists"), "lists")) if r)
        seen: set[str] = set()
        for rule in lists:
            if rule.name in seen:
                self.problem(rule.line, f"list '{rule.name}' is defined twice")
            seen.add(rule.name)
        return Rules(rank_by, lists, self.path)

    def keys(self, node: Node, allowed: dict[str, bool], where: str) -> dict[str, Node] | None:
        """The mapping's values by key (unknown and repeated keys reported), each required key reported missing."""
        found = mapping(node, allowed, where, self.problem)
        for key in (k for k, required in allowed.items() if required and found is not None and k not in found):
            self.problem(node, f"{where}: '{key}' is missing")
        return found

    def items(self, node: Node | None, where: str) -> list[Node]:
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.problem(node, f"'{where}' must be a list")
            return []
        return list(node.value)

    def word(self, node: Node | None, pattern: re.Pattern[str], what: str) -> str | None:
        text = node.value.strip() if isinstance(node, ScalarNode) else None
        if node is not None and (text is None or not pattern.match(text)):
            self.problem(node, f"{what}: expected {'plugin.figure' if pattern is FIGURE else 'a snake_case name'}, "
                               f"got {text!r}")
            return None
        return text

    def rank_key(self, node: Node) -> RankKey | None:
        values = self.keys(node, {"figure": True, "order": False}, "rank_by entry")
        if values is None:
            return None
        figure = self.word(values.get("figure"), FIGURE, "figure")
        order = values.get("order")
        if order is not None and (not isinstance(order, ScalarNode) or order.value not in ("asc", "desc")):
            self.problem(order, "order must be 'asc' or 'desc'")
        descending = order is None or getattr(order, "value", "desc") == "desc"
        return RankKey(figure, descending, _line(node)) if figure else None

    def list_rule(self, node: Node) -> ListRule | None:
        values = self.keys(node, {"name": True, "label": True, "match": False, "conditions": True}, "list")
        if values is None:
            return None
        name = self.word(values.get("name"), NAME, "name")
        label = values.get("label")
        match = values.get("match")
        if match is not None and (not isinstance(match, ScalarNode) or match.value not in ("all", "any")):
            self.problem(match, "match must be 'all' or 'any'")
        conditions = tuple(c for c in (self.condition(n) for n in self.items(values.get("conditions"), "conditions"))
                           if c)
        if "conditions" in values and not conditions and not self.items(values["conditions"], "conditions"):
            self.problem(values["conditions"], f"list '{name}' has no conditions")
        if name is None or not isinstance(label, ScalarNode):
            return None
        return ListRule(name, str(label.value), getattr(match, "value", "all"), conditions, _line(node))

    def condition(self, node: Node) -> Condition | None:
        values = self.keys(node, {"figure": True, **{op: False for op in OPERATORS}}, "condition")
        if values is None:
            return None
        operators = [op for op in OPERATORS if op in values]
        if len(operators) != 1:
            self.problem(node, f"a condition needs exactly one of {', '.join(OPERATORS)}")
            return None
        figure = self.word(values.get("figure"), FIGURE, "figure")
        operand = self.operand(values[operators[0]])
        return Condition(figure, operators[0], operand, _line(node)) if figure and operand is not None else None

    def operand(self, node: Node) -> Decimal | str | None:
        if isinstance(node, ScalarNode) and node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            try:
                return Decimal(node.value.replace("_", ""))
            except InvalidOperation:
                pass
        elif isinstance(node, ScalarNode) and FIGURE.match(node.value.strip()):
            return node.value.strip()
        self.problem(node, f"expected a number or a figure (plugin.figure), got {getattr(node, 'value', '?')!r}")
        return None


def unknown_figures(rules: Rules, known: dict[str, set[str]]) -> list[DefinitionProblem]:
    """Figures the rules name that no loaded plugin gives: ``known`` maps each plugin that answered to the names
    of its figures (a plugin not loaded at all is ``known`` without an entry)."""
    problems = []
    for figure, line in rules.figures():
        plugin, _, name = figure.partition(".")
        if plugin not in known:
            problems.append(DefinitionProblem(rules.path, line, f"figure '{figure}': no loaded plugin '{plugin}'"))
        elif known[plugin] and name not in known[plugin]:
            problems.append(DefinitionProblem(rules.path, line, f"figure '{figure}': '{plugin}' has no figure "
                                              f"'{name}' (it has {', '.join(sorted(known[plugin]))})"))
    return problems


def describe(value: Any, unit: str) -> str:
    return "无" if value is None else f"{value}{unit}"

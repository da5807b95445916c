"""序时进度 colour schemes: the tolerance for 按序时 and the colour bands by lag, read from a YAML file.

A deployment names its scheme file in ``MINSHENG_SCHEDULE_COLOURS``; unset, the shipped ``colours.yaml`` (green /
yellow / red) applies. ``colours-five.yaml`` is the 红橙黄绿蓝 example. The format is documented in this package's
README ("序时进度"). Every problem in a file is reported with its file and line (``InvalidDefinition``), all at
once, like workflow files.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Mapping

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import DefinitionProblem, InvalidDefinition

SCHEME_ENV = "MINSHENG_SCHEDULE_COLOURS"
DEFAULT_PATH = Path(__file__).with_name("colours.yaml")
FIVE_COLOUR_PATH = Path(__file__).with_name("colours-five.yaml")
DEFAULT_TOLERANCE = Decimal(5)
NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
HEX = re.compile(r"#[0-9a-fA-F]{6}\Z")
NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
TOP_KEYS = {"tolerance": False, "colours": True, "bands": True, "completed": False}  # key -> required
COLOUR_KEYS = {"label": True, "hex": False}
BAND_KEYS = {"colour": True, "below": False, "up_to": False}


@dataclass(frozen=True)
class Colour:
    """A flag colour: ``name`` (e.g. ``green``) as the API returns it, ``label`` for people (绿), optional hex."""

    name: str
    label: str
    hex: str | None = None


@dataclass(frozen=True)
class Band:
    """Lags up to ``bound`` (``lag <= bound`` when ``inclusive``, else ``lag < bound``); ``None``: no upper bound.
    The lower edge is the previous band's upper edge, so bands never overlap and leave no gap."""

    colour: Colour
    bound: Decimal | None
    inclusive: bool

    def holds(self, lag: Decimal) -> bool:
        """Whether a lag at or above the previous band's edge falls in this band."""
        if self.bound is None:
            return True
        return lag <= self.bound if self.inclusive else lag < self.bound


@dataclass(frozen=True)
class ColourScheme:
    """A validated scheme: the bands run from least to most behind and the last one is open-ended."""

    bands: tuple[Band, ...]
    tolerance: Decimal = DEFAULT_TOLERANCE
    completed: Colour | None = None
    colours: Mapping[str, Colour] = field(default_factory=dict)
    source: str = ""

    def colour_for(self, lag: Decimal, *, completed: bool = False) -> Colour:
        """The colour of a lag (points behind; negative = ahead); the ``completed`` colour instead when the
        project is completed and accepted and the scheme has one."""
        if completed and self.completed is not None:
            return self.completed
        return next(band.colour for band in self.bands if band.holds(lag))

    @classmethod
    def parse(cls, text: str, filename: str) -> ColourScheme:
        """A scheme from YAML text; raises ``InvalidDefinition`` listing every problem as ``file:line: message``."""
        reader = _Reader(filename)
        scheme = reader.scheme(text)
        if scheme is None or reader.problems:
            raise InvalidDefinition(sorted(reader.problems, key=lambda problem: problem.line))
        return scheme

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ColourScheme:
        """A scheme from a UTF-8 file; an unreadable file is one problem at line 0 (``InvalidDefinition``)."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidDefinition([DefinitionProblem(str(path), 0, f"cannot read file: {exc.strerror or exc}")])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise InvalidDefinition([DefinitionProblem(str(path), line, "the file is not UTF-8 text")]) from exc
        return cls.parse(text.replace("\r\n", "\n"), str(path))

    @classmethod
    def default(cls) -> ColourScheme:
        """The shipped three-colour scheme (``colours.yaml``)."""
        return cls.load(DEFAULT_PATH)

    @classmethod
    def configured(cls, env: Mapping[str, str] | None = None) -> ColourScheme:
        """The deployment's scheme: the file named by ``MINSHENG_SCHEDULE_COLOURS``, else the default."""
        env = os.environ if env is None else env
        path = env.get(SCHEME_ENV, "").strip()
        return cls.load(path) if path else cls.default()


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Reads one scheme file's YAML nodes, collecting problems instead of stopping at the first."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[DefinitionProblem] = []
        self.colours: dict[str, Colour] = {}

    def report(self, where: Node | int, message: str) -> None:
        line = where if isinstance(where, int) else _line(where)
        self.problems.append(DefinitionProblem(self.filename, line, message))

    def compose(self, text: str) -> Node | None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            self.report(mark.line + 1 if mark else 1, f"YAML syntax error: {exc.problem or exc.context}")
            return None
        except yaml.YAMLError as exc:  # a character YAML does not allow
            line = text.count("\n", 0, getattr(exc, "position", 0)) + 1
            self.report(line, f"YAML syntax error: {str(exc).splitlines()[0]}")
            return None
        if root is None:
            self.report(1, "the colour scheme file is empty")
        return root

    def mapping(self, node: Node, keys: Mapping[str, bool], where: str,
                at: Node | None = None) -> dict[str, Node] | None:
        """The values of a mapping by key, after reporting unknown, duplicate and missing keys (missing ones
        at ``at``, the key that holds the mapping, when given)."""
        if not isinstance(node, MappingNode):
            required = ", ".join(f"'{key}'" for key, needed in keys.items() if needed)
            self.report(at or node, f"{where} must be a mapping (with {required})")
            return None
        found: dict[str, Node] = {}
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else "?"
            if key not in keys:
                self.report(key_node, f"unknown key '{key}' in {where}" + _expected(keys))
            elif key in found:
                self.report(key_node, f"duplicate key '{key}' in {where}")
            else:
                found[key] = value
        for key, required in keys.items():
            if required and key not in found:
                self.report(at or node, f"{where}: missing '{key}'")
        return found

    def number(self, node: Node, what: str) -> Decimal | None:
        """A finite number written in a scalar (exactly as written: ``30.01`` stays 30.01)."""
        text = node.value if isinstance(node, ScalarNode) and node.tag in NUMBER_TAGS else None
        try:
            value = Decimal(text.replace("_", "")) if text is not None else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            shown = repr(node.value) if isinstance(node, ScalarNode) else "a " + type(node).__name__[:-4].lower()
            self.report(node, f"{what} must be a number, got {shown}")
            return None
        return value

    def text(self, node: Node, what: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:str" or not node.value.strip():
            self.report(node, f"{what} must be a non-empty text")
            return None
        return node.value.strip()

    def scheme(self, text: str) -> ColourScheme | None:
        root = self.compose(text)
        top = self.mapping(root, TOP_KEYS, "the colour scheme") if root is not None else None
        if top is None:
            return None
        tolerance = DEFAULT_TOLERANCE
        if "tolerance" in top:
            tolerance = self.number(top["tolerance"], "tolerance") or Decimal(0)
            if tolerance < 0:
                self.report(top["tolerance"], f"tolerance must not be negative, got {tolerance}")
        if "colours" in top:
            self.read_colours(top["colours"])
        bands = self.read_bands(top["bands"]) if "bands" in top else ()
        completed = self.colour_ref(top["completed"], "completed") if "completed" in top else None
        return ColourScheme(bands, tolerance, completed, dict(self.colours), self.filename)

    def read_colours(self, node: Node) -> None:
        if not isinstance(node, MappingNode) or not node.value:
            self.report(node, "colours must be a non-empty mapping of colour names")
            return
        for key_node, value in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else ""
            if not NAME.match(name):
                self.report(key_node, f"colour name '{name}' must be snake_case ([a-z][a-z0-9_]*)")
                continue
            if name in self.colours:
                self.report(key_node, f"duplicate colour '{name}'")
                continue
            entry = self.mapping(value, COLOUR_KEYS, f"colour '{name}'", at=key_node)
            if entry is None:  # known by name all the same, so bands naming it report nothing more
                self.colours[name] = Colour(name, name)
                continue
            label = self.text(entry["label"], f"colour '{name}': label") if "label" in entry else None
            hex_code = self.text(entry["hex"], f"colour '{name}': hex") if "hex" in entry else None
            if hex_code is not None and not HEX.match(hex_code):
                self.report(entry["hex"], f"colour '{name}': hex must be '#rrggbb', got '{hex_code}'")
            self.colours[name] = Colour(name, label or name, hex_code)

    def colour_ref(self, node: Node, what: str) -> Colour | None:
        name = node.value if isinstance(node, ScalarNode) else ""
        if name not in self.colours:
            self.report(node, f"{what}: unknown colour '{name}'" + _expected(self.colours))
            return None
        return self.colours[name]

    def read_bands(self, node: Node) -> tuple[Band, ...]:
        if not isinstance(node, SequenceNode) or not node.value:
            self.report(node, "bands must be a non-empty list, from least to most behind")
            return ()
        bands: list[Band] = []
        previous: tuple[Decimal, bool, int] | None = None  # the last bound, whether inclusive, its band number
        for number, item in enumerate(node.value, start=1):
            band = self.read_band(item, number, last=number == len(node.value))
            if band is None:
                continue
            if band.bound is not None and previous is not None:
                self.check_order(item, number, band, previous)
            if band.bound is not None:
                previous = (band.bound, band.inclusive, number)
            bands.append(band)
        return tuple(bands)

    def read_band(self, item: Node, number: int, last: bool) -> Band | None:
        where = f"band {number}"
        entry = self.mapping(item, BAND_KEYS, where)
        if entry is None:
            return None
        colour = self.colour_ref(entry["colour"], where) if "colour" in entry else None
        edges = [key for key in ("below", "up_to") if key in entry]
        if len(edges) == 2:
            self.report(entry["up_to"], f"{where}: give either 'below' or 'up_to', not both")
            return None
        if edges and last:
            self.report(entry[edges[0]], f"{where}: the last band must have no bound, so that every lag has a "
                                         f"colour (remove '{edges[0]}')")
            return None
        if not edges and not last:
            self.report(item, f"{where}: only the last band may have no bound: give 'below' or 'up_to'")
            return None
        bound = self.number(entry[edges[0]], f"{where}: {edges[0]}") if edges else None
        if colour is None or (edges and bound is None):
            return None
        return Band(colour, bound, edges == ["up_to"])

    def check_order(self, item: Node, number: int, band: Band, previous: tuple[Decimal, bool, int]) -> None:
        """Report a band whose upper edge is not above the previous band's (it would be empty or overlap)."""
        bound, inclusive, before = previous
        assert band.bound is not None
        if band.bound < bound:
            self.report(item, f"band {number}: bound {band.bound} is below band {before}'s bound {bound}: "
                              f"list bands from least to most behind")
        elif band.bound == bound and (inclusive or not band.inclusive):
            self.report(item, f"band {number}: overlaps band {before} (both end at {bound}), so it holds no lag")


def _expected(names: Mapping[str, object]) -> str:
    return f" (expected one of: {', '.join(sorted(names))})" if names else ""

"""Load a workflow file (YAML) into a ``WorkflowDefinition``, reporting every problem with its line.

The text is composed into YAML nodes (not plain Python values) so that each problem names the line of the node
concerned. Parsing never stops at the first problem: it collects them all, then raises ``InvalidDefinition``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from typing import Any, Collection, Iterable, Mapping

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import DefinitionProblem, InvalidDefinition
from engine.workflow.fields import spec_problems
from engine.workflow.guards import ActionSpec, GuardSpec, check_params
from engine.workflow import deadlines
from engine.workflow.model import (FIELD_TYPES, PROGRESS_SOURCES, RETURN, SCOPES, SETTABLE, STAY, FieldSpec, NamedRef,
                                   RoleScope, State, Transition, WorkflowDefinition, default_scope)

NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
# Each schema maps a key to the kind of its value; "!" marks a required key; "node" values are read later.
TOP = {"name": "str!", "version": "node!", "label": "str", "initial": "node!", "roles": "node!", "states": "node!",
       "transitions": "node!", "create_roles": "node", "supervision": "node", "public_attachments": "node",
       "progress": "node"}
ROLE = {"label": "str", "scope": "node", "overrides": "node"}  # or just the label: ``unit: 牵头单位``
STATE = {"label": "str!", "final": "bool", "editable": "bool", "public": "bool", "description": "str",
         "deadline": "node", "supervision": "node", "stops_clock": "bool", "done": "bool",
         "planned": "bool", "started": "bool", "records": "node"}
TRANSITION = {"event": "node!", "label": "str", "from": "node!", "to": "node!", "roles": "node!", "fields": "node",
              "guards": "node", "actions": "node", "sets": "node"}
FIELD = {"type": "node!", "required": "bool", "label": "str", "choices": "list", "min": "number", "max": "number",
         "max_length": "int"}
KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "a string"), "bool": ((bool,), "true or false"), "int": ((int,), "an integer"),
    "number": ((int, float), "a number"), "list": ((list,), "a list"),
}
MISSING = {"initial": "initial state"}
_INVALID = object()

Pairs = dict[str, tuple[Node, Node]]  # key -> (key node, value node), first occurrence of each key
Edge = tuple[Transition, Node, tuple[Node, ...]]  # a transition with its event node and its source nodes


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: Node | None) -> str | None:
    """The text of a scalar node as written (names are read this way: ``no`` stays a string)."""
    return node.value if isinstance(node, ScalarNode) else None


class _Parser:
    """Reads one file's nodes, collecting problems in ``self.problems``."""

    def __init__(self, filename: str, guards: Mapping[str, GuardSpec], actions: Mapping[str, ActionSpec],
                 record_kinds: Collection[str] | None = None) -> None:
        self.filename = filename
        self.record_kinds = record_kinds  # the plugins' chained record kinds; None: not checked
        self.catalogs: dict[str, Mapping[str, GuardSpec | ActionSpec]] = {"guard": guards, "action": actions}
        self.problems: list[DefinitionProblem] = []
        self.constructor = SafeConstructor()
        self.states: dict[str, tuple[State, Node]] = {}
        self.roles: dict[str, str] = {}
        self.role_scopes: dict[str, RoleScope] = {}
        self.override_nodes: dict[str, list[Node]] = {}
        self.edges: list[Edge] = []
        self.edges_complete = True  # false once some transition's event, from or to could not be read

    def report(self, where: Node | int, message: str) -> None:
        line = where if isinstance(where, int) else _line(where)
        self.problems.append(DefinitionProblem(file=self.filename, line=line, message=message))

    def value(self, node: Node) -> Any:
        """The Python value of a node (numbers, booleans, labels, parameters)."""
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            self.constructor = SafeConstructor()
            self.report(node, f"cannot read value: {str(exc).splitlines()[0]}")
            return _INVALID

    def pairs(self, node: Node, where: str) -> Pairs | None:
        """The entries of a mapping node, or ``None`` after reporting that it is not a mapping."""
        if not isinstance(node, MappingNode):
            self.report(node, f"{where} must be a mapping")
            return None
        result: Pairs = {}
        for key, value in node.value:
            if _scalar(key) in result:
                self.report(key, f"duplicate key '{_scalar(key)}'")
            result.setdefault(_scalar(key) or "?", (key, value))
        return result

    def read(self, node: Node, schema: Mapping[str, str], where: str) -> tuple[dict[str, Any], Pairs] | None:
        """Check a mapping against ``schema``: unknown keys, missing keys, kinds of values."""
        pairs = self.pairs(node, where)
        if pairs is None:
            return None
        prefix = f"{where}: " if where != "workflow" else ""
        values: dict[str, Any] = {}
        for key, (key_node, value_node) in pairs.items():
            if key not in schema:
                self.report(key_node, f"unknown key '{key}' in {where}")
            else:
                values[key] = self.typed(value_node, schema[key].rstrip("!"), f"{prefix}{key}")
        for key in schema:
            if schema[key].endswith("!") and key not in pairs:
                self.report(node, f"{prefix}missing {MISSING.get(key, key)}")
        return values, pairs

    def typed(self, node: Node, kind: str, what: str) -> Any:
        """The node itself for kind "node", else its value if of the right kind (``None`` after a report)."""
        if kind == "node":
            return node
        value = self.value(node)
        types, words = KINDS[kind]
        if value is _INVALID:
            return None
        if not isinstance(value, types) or (isinstance(value, bool) and kind != "bool"):
            self.report(node, f"{what} must be {words}, got {value!r}")
            return None
        if kind == "str" and not value.strip():
            self.report(node, f"{what} must not be empty")
        return value

    def name(self, node: Node, kind: str, prefix: str = "") -> str | None:
        """A snake_case name written in ``node`` (a state, event, field or role)."""
        text = _scalar(node)
        if text is None or not NAME.match(text):
            self.report(node, f"{prefix}{kind} name '{text or '?'}' must be snake_case ([a-z][a-z0-9_]*)")
            return None
        return text

    def entries(self, node: Node | None, what: str, container: type[Node]) -> list[Any]:
        """The items of a non-empty mapping (as key and value nodes) or list (empty after a report)."""
        if node is None:
            return []
        if not isinstance(node, container):
            self.report(node, f"{what} must be a {'mapping' if container is MappingNode else 'list'}")
            return []
        if not node.value:
            self.report(node, f"{what} must not be empty")
        return list(self.pairs(node, what).values()) if container is MappingNode else list(node.value)

    # -- the file ----------------------------------------------------------------------------------------

    def parse(self, text: str) -> WorkflowDefinition | None:
        root = self.compose(text)
        found = self.read(root, TOP, "workflow") if root is not None else None
        if found is None:
            return None
        top = found[0]
        version = self.version(top.get("version"))
        for key_node, value_node in self.entries(top.get("roles"), "roles", MappingNode):
            if (role := self.name(key_node, "role")) and role not in self.roles:
                self.read_role(role, key_node, value_node)
        self.check_overrides()
        supervision = deadlines.read_supervision(self, top.get("supervision"))
        progress = self.progress_source(top.get("progress"))
        for key_node, value_node in self.entries(top.get("states"), "states", MappingNode):
            self.read_state(key_node, value_node)
        deadlines.check_supervised(self, supervision)
        initial = _scalar(top.get("initial")) or ""
        if "initial" in top and self.states and initial not in self.states:
            self.report(top["initial"], f"unknown initial state '{initial}'")
        transitions = self.entries(top.get("transitions"), "transitions", SequenceNode)
        for index, item in enumerate(transitions, start=1):
            self.read_transition(index, item)
        if self.states and transitions:
            _check_graph(self, initial)
        if self.problems:
            return None
        creators = self.transition_roles(top["create_roles"], "create_roles: ") if "create_roles" in top else ()
        if self.problems:
            return None
        public_attachments = self.public_attachments(top.get("public_attachments"))
        if self.problems:
            return None
        states = {key: state for key, (state, _) in self.states.items()}
        return WorkflowDefinition(top["name"], version, top.get("label") or top["name"], initial, states,
                                  tuple(edge[0] for edge in self.edges), dict(self.roles), creators,
                                  role_scopes=dict(self.role_scopes), supervision=supervision,
                                  public_attachments=public_attachments, progress=progress)

    def public_attachments(self, node: Node | None) -> tuple[str, ...]:
        """``public_attachments: [transition, inspection]``: record kinds whose files the public sees on published
        projects (location stripped)."""
        if node is None:
            return ()
        names = [self.name(item, "record kind", "public_attachments: ")
                 for item in self.entries(node, "public_attachments", SequenceNode)]
        return tuple(name for name in names if name)

    def compose(self, text: str) -> Node | None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark, context = exc.problem_mark or exc.context_mark, exc.context_mark
            where = f" ({exc.context} on line {context.line + 1})" if context and context is not mark else ""
            self.report(mark.line + 1 if mark else 1, f"YAML syntax error: {exc.problem or exc.context}{where}")
            return None
        except yaml.YAMLError as exc:  # a reader error: a character YAML does not allow
            line = text.count("\n", 0, getattr(exc, "position", 0)) + 1
            self.report(line, f"YAML syntax error: {str(exc).splitlines()[0]}")
            return None
        if root is None:
            self.report(1, "the workflow file is empty")
        return root

    def progress_source(self, node: Node | None) -> str:
        """``progress: reports`` (the default: the latest progress report) or ``progress: measures`` (the weighted
        share of measures done)."""
        if node is None:
            return PROGRESS_SOURCES[0]
        value = self.value(node)
        if value not in PROGRESS_SOURCES:
            self.report(node, f"progress must be one of {', '.join(PROGRESS_SOURCES)} (what a project's current "
                              f"progress is: the latest progress report, or the weighted share of measures done), "
                              f"got {value!r}")
            return PROGRESS_SOURCES[0]
        return value

    def version(self, node: Node | None) -> int:
        version = self.value(node) if node is not None else 1
        bad = not isinstance(version, int) or isinstance(version, bool) or version < 1
        if node is not None and bad and version is not _INVALID:
            self.report(node, f"version must be a positive integer, got {version!r}")
        return version if not bad else 0

    def read_role(self, role: str, key_node: Node, node: Node) -> None:
        """A role: its label, or ``{label, scope, overrides}``; the scope defaults by name (see ``SCOPES``)."""
        if not isinstance(node, MappingNode):
            self.roles[role] = self.typed(node, "str", f"role '{role}': label") or role
            self.role_scopes[role] = RoleScope(default_scope(role), (), _line(key_node))
            return
        values = (self.read(node, ROLE, f"role '{role}'") or ({}, {}))[0]
        self.roles[role] = values.get("label") or role
        scope = default_scope(role)
        if "scope" in values:
            scope = _scalar(values["scope"]) or ""
            if scope not in SCOPES:
                self.report(values["scope"], f"role '{role}': unknown scope '{scope}'; use {', '.join(SCOPES)}")
        nodes = self.entries(values.get("overrides"), f"role '{role}': overrides", SequenceNode)
        self.override_nodes[role] = nodes
        overrides = tuple(_scalar(n) or "?" for n in nodes)
        self.role_scopes[role] = RoleScope(scope, overrides, _line(key_node))

    def check_overrides(self) -> None:
        """Each overridden role is declared in this file and is not the role itself."""
        for role, nodes in self.override_nodes.items():
            for node in nodes:
                name = _scalar(node)
                if name == role:
                    self.report(node, f"role '{role}': a role cannot override itself")
                elif name not in self.roles:
                    self.report(node, f"role '{role}': overrides role '{name or '?'}', which is not declared in roles")

    def read_state(self, key_node: Node, node: Node) -> None:
        name = self.name(key_node, "state")
        if name and name not in self.states:
            values = (self.read(node, STATE, f"state '{name}'") or ({}, {}))[0]
            flags = {key: bool(values.get(key)) for key in ("final", "editable", "public", "stops_clock", "done",
                                                             "planned", "started")}
            deadline = deadlines.read_deadline(self, name, values["deadline"]) if "deadline" in values else None
            ladder = (deadlines.read_state_supervision(self, name, values["supervision"])
                      if "supervision" in values else ())
            records = self.read_records(name, values["records"], flags["final"]) if "records" in values else ()
            state = State(name, values.get("label") or name, description=values.get("description") or "",
                          deadline=deadline, ladder=ladder, records=records, **flags)
            self.states[name] = (state, key_node)

    def read_records(self, state: str, node: Node, final: bool) -> tuple[str, ...]:
        """A final state's ``records``: the plugin record kinds (``funding``, ``inspection``, ``rating`` …) it
        still takes."""
        prefix = f"state '{state}': records: "
        if not final:
            self.report(node, f"{prefix}only a final state lists the records it still takes; every other state "
                              "takes them all")
        kinds = []
        for item in self.entries(node, f"state '{state}': records", SequenceNode):
            kind = self.name(item, "record kind", prefix)
            if kind is None:
                continue
            if self.record_kinds is not None and kind not in self.record_kinds:
                known = ", ".join(sorted(self.record_kinds)) or "none"
                self.report(item, f"{prefix}unknown record kind '{kind}'; the plugins' kinds are: {known}")
            kinds.append(kind)
        return tuple(kinds)

    # -- transitions -------------------------------------------------------------------------------------

    def read_transition(self, index: int, item: Node) -> None:
        entries = item.value if isinstance(item, MappingNode) else []
        event_node = next((value for key, value in entries if _scalar(key) == "event"), None)
        event = _scalar(event_node)
        found = self.read(item, TRANSITION, f"transition '{event}'" if event else f"transition #{index}")
        if found is None or event_node is None:
            self.edges_complete = False
            return
        values, prefix = found[0], f"transition '{event}': "
        named = self.name(event_node, "event", "transition: ")
        from_node = values.get("from")
        source_nodes = [from_node] if isinstance(from_node, ScalarNode) else self.entries(
            from_node, prefix + "from", SequenceNode)
        sources = [self.state_ref(node, prefix) for node in source_nodes]
        dest = self.state_ref(values["to"], prefix, allow_return=True) if "to" in values else None
        fields = self.fields(values.get("fields"), event)
        transition = Transition(event, values.get("label") or event, tuple(s for s in sources if s), dest or "",
                                self.transition_roles(values.get("roles"), prefix), fields,
                                self.refs(values.get("guards"), "guard", prefix),
                                self.refs(values.get("actions"), "action", prefix), _line(item),
                                self.sets(values.get("sets"), fields, prefix))
        if named and dest and source_nodes and all(sources):
            self.edges.append((transition, event_node, tuple(source_nodes)))
        else:
            self.edges_complete = False

    def state_ref(self, node: Node, prefix: str, allow_return: bool = False) -> str | None:
        text = _scalar(node)
        if text in self.states or (allow_return and text in (RETURN, STAY)) or (text and not self.states):
            return text  # without states (reported already) no reference is checked
        self.report(node, f"{prefix}unknown state '{text}'" if text is not None else f"{prefix}expected a state")
        return None

    def transition_roles(self, node: Node | None, prefix: str) -> tuple[str, ...]:
        nodes = self.entries(node, prefix + "roles", SequenceNode)
        for role_node in nodes:
            if self.roles and _scalar(role_node) not in self.roles:
                self.report(role_node, f"{prefix}role '{_scalar(role_node)}' is not declared in roles")
        return tuple(_scalar(role_node) or "?" for role_node in nodes)

    def sets(self, node: Node | None, fields: tuple[FieldSpec, ...], prefix: str) -> tuple[tuple[str, str], ...]:
        """``sets: {project attribute: field}``: the attributes the transition writes from its own fields."""
        pairs = self.pairs(node, f"{prefix}sets") if node is not None else None
        found: list[tuple[str, str]] = []
        for attribute, (key_node, value_node) in (pairs or {}).items():
            name, spec = _scalar(value_node), None
            if attribute not in SETTABLE:
                self.report(key_node, f"{prefix}sets: project attribute '{attribute}' cannot be set by a transition; "
                                      f"use one of {', '.join(SETTABLE)}")
                continue
            spec = next((f for f in fields if f.name == name), None)
            if spec is None:
                self.report(value_node, f"{prefix}sets: '{attribute}' names field '{name or '?'}', which this "
                                        "transition does not have")
            elif spec.type not in SETTABLE[attribute]:
                self.report(value_node, f"{prefix}sets: field '{name}' is of type {spec.type}, but '{attribute}' "
                                        f"needs {' or '.join(SETTABLE[attribute])}")
            else:
                found.append((attribute, spec.name))
        return tuple(found)

    # -- fields, guards and actions ----------------------------------------------------------------------

    def fields(self, node: Node | None, event: str) -> tuple[FieldSpec, ...]:
        prefix = f"transition '{event}': "
        pairs = self.pairs(node, f"{prefix}fields") if node is not None else None
        specs = [self.field(name, value_node, event) for name, (key_node, value_node) in (pairs or {}).items()
                 if self.name(key_node, "field", prefix)]
        return tuple(spec for spec in specs if spec is not None)

    def field(self, name: str, node: Node, event: str) -> FieldSpec | None:
        found = self.read(node, FIELD, f"field '{name}' of transition '{event}'")
        if found is None:
            return None
        values, pairs = found
        kind = _scalar(values.get("type"))
        if "type" in values and kind not in FIELD_TYPES:
            self.report(values["type"], f"transition '{event}': unknown field type '{kind}' for field '{name}'")
        spec = FieldSpec(name, kind or "", values.get("label") or name, bool(values.get("required")),
                         tuple(str(choice) for choice in values.get("choices") or ()), values.get("min"),
                         values.get("max"), values.get("max_length"))
        for key, message in spec_problems(spec, pairs) if kind in FIELD_TYPES else ():
            self.report(pairs.get(key, pairs["type"])[1], f"transition '{event}': {message}")
        return spec

    def refs(self, node: Node | None, kind: str, prefix: str) -> tuple[NamedRef, ...]:
        """The guards or actions of a transition: each a name, or ``{name: {parameter: value}}``."""
        if node is not None and not isinstance(node, SequenceNode):
            self.report(node, f"{prefix}{kind}s must be a list")
            return ()
        refs = [self.ref(item, kind, prefix) for item in (node.value if node is not None else ())]
        return tuple(ref for ref in refs if ref is not None)

    def ref(self, item: Node, kind: str, prefix: str) -> NamedRef | None:
        single = isinstance(item, MappingNode) and len(item.value) == 1
        name_node, params_node = item.value[0] if single else (item, None)
        name = _scalar(name_node)
        spec = self.catalogs[kind].get(name or "")
        if not name:
            self.report(item, f"{prefix}each {kind} must be a name or a mapping {{name: {{parameters}}}}")
        elif spec is None:
            self.report(name_node, f"{prefix}unknown {kind} '{name}'")
        else:
            return NamedRef(name, self.params(params_node, f"{prefix}{kind} '{name}'", spec, item), _line(item))
        return None

    def params(self, node: Node | None, where: str, spec: GuardSpec | ActionSpec, item: Node) -> dict[str, Any]:
        is_null = node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null"))
        pairs = {} if is_null else (self.pairs(node, f"{where}: parameters") or {})
        values = {key: self.value(value_node) for key, (_, value_node) in pairs.items()}
        for message in check_params(values, spec.params):
            found = re.search(r"parameter '([^']*)'", message)
            key = found.group(1) if found else ""
            target = pairs[key][0 if message.startswith("unknown") else 1] if key in pairs else item
            self.report(target, f"{where}: {message}")
        return values


def _check_graph(parser: _Parser, initial: str) -> None:
    """Problems of the state graph: duplicate events, ways out of final states, returns, reachability."""
    seen: set[tuple[str, str]] = set()
    for t, event_node, source_nodes in parser.edges:
        for source, node in zip(t.sources, source_nodes):
            if (source, t.event) in seen:
                parser.report(event_node, f"event '{t.event}' is defined twice from state '{source}'")
            seen.add((source, t.event))
            if parser.states[source][0].final:
                parser.report(node, f"transition '{t.event}': final state '{source}' cannot have transitions out")
            if t.dest == RETURN and source == initial:
                parser.report(node, f"transition '{t.event}': cannot use '{RETURN}' from the initial state '{source}'")
    if parser.edges_complete and initial in parser.states:
        reached = reachable_states([edge[0] for edge in parser.edges], initial)
        leaving = {source for edge in parser.edges if edge[0].dest != STAY for source in edge[0].sources}
        for name, (state, key_node) in parser.states.items():
            if name not in reached:
                parser.report(key_node, f"state '{name}' is unreachable from the initial state '{initial}'")
            if not state.final and name not in leaving:
                parser.report(key_node, f"state '{name}' has no way out and is not final")


def return_targets(transitions: Iterable[Transition], state: str) -> list[str]:
    """The states a ``@return`` from ``state`` can go back to: those with a transition into ``state``."""
    targets: list[str] = []
    for t in transitions:
        if t.dest == state:
            targets.extend(source for source in t.sources if source not in targets)
    return targets


def reachable_states(transitions: list[Transition], initial: str) -> set[str]:
    """The states reachable from ``initial`` (a ``@return`` reaches every state that leads into its source)."""
    reached, todo = {initial}, [initial]
    while todo:
        state = todo.pop()
        for t in transitions:
            if state in t.sources and t.dest != STAY:
                for dest in return_targets(transitions, state) if t.dest == RETURN else [t.dest]:
                    if dest not in reached:
                        reached.add(dest)
                        todo.append(dest)
    return reached


def parse_definition(text: str, filename: str, guards: Mapping[str, GuardSpec],
                     actions: Mapping[str, ActionSpec], record_kinds: Collection[str] | None = None
                     ) -> WorkflowDefinition:
    """Parse and validate a workflow file's text; raise ``InvalidDefinition`` listing every problem by line."""
    parser = _Parser(filename, guards, actions, record_kinds)
    definition = parser.parse(text)
    if definition is None or parser.problems:
        raise InvalidDefinition(sorted(parser.problems, key=lambda problem: problem.line))
    checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return dataclasses.replace(definition, source=text, path=filename, checksum=checksum)


def load_definition(path: str | os.PathLike[str], guards: Mapping[str, GuardSpec],
                    actions: Mapping[str, ActionSpec], record_kinds: Collection[str] | None = None
                    ) -> WorkflowDefinition:
    """Read a workflow file (UTF-8) and parse it; problems name the file as ``str(path)``."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidDefinition([DefinitionProblem(str(path), line, "the file is not UTF-8 text")]) from exc
    return parse_definition(text.replace("\r\n", "\n"), str(path), guards, actions, record_kinds)


def check_files(paths: Iterable[str | os.PathLike[str]], guards: Mapping[str, GuardSpec],
                actions: Mapping[str, ActionSpec], record_kinds: Collection[str] | None = None
                ) -> list[DefinitionProblem]:
    """Every problem of every file (an unreadable file is one problem at line 0); empty when all are valid."""
    problems: list[DefinitionProblem] = []
    for path in paths:
        try:
            load_definition(path, guards, actions, record_kinds)
        except InvalidDefinition as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(DefinitionProblem(str(path), 0, f"cannot read file: {exc.strerror or exc}"))
    return problems

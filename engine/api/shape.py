"""The shape of a GraphQL document, measured in time linear in its size: depth, aliases and cost.

Each fragment is measured once and its figures reused at every spread, so ``fragment F0 { ...F1 ...F1 }
fragment F1 { ...F2 ...F2 } …`` costs one visit per fragment, not 2^n (strawberry's depth and alias limiters
re-walk a fragment at every spread: 20 such levels took 4 s of CPU). Fields whose name starts with ``__``
(introspection) count towards neither depth nor cost, as in strawberry's depth limiter.

Cost is the number of fields execution would resolve, in the manner of GitHub's and Shopify's limits: a field costs
1, and a field taking ``first`` (a page) multiplies what it selects by that page size (given as a literal, a
variable, or the argument's default); ``edges`` and ``nodes`` inside a page are counted by the page, and any other
list field multiplies what it selects by ``LIST_ESTIMATE``. Figures are upper bounds: every fragment of a union or
interface counts as if it applied.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from graphql import (DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, GraphQLField,
                     GraphQLSchema, InlineFragmentNode, IntValueNode, OperationDefinitionNode, SelectionSetNode,
                     VariableNode, get_named_type, get_nullable_type, is_list_type)
from graphql.validation import ValidationContext, ValidationRule

PAGE_ARGUMENT = "first"
LIST_ESTIMATE = 10  # items assumed in a list field that takes no page size
PAGED_CHILDREN = frozenset({"edges", "nodes"})
LIST_SIZE = "minsheng.cost.list_size"
ITEM_COST = "minsheng.cost.item"  # a page returned as one scalar (e.g. GeoJSON): what each of its items costs


@dataclass(frozen=True)
class Shape:
    depth: int
    aliases: int
    cost: int


class Measure:
    """Measures the selection sets of one document against ``schema``; fragments are memoised by name (a cycle
    counts as nothing). ``variables`` give page sizes written as variables (absent: the argument's default)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode,
                 variables: Mapping[str, Any] | None = None) -> None:
        self.schema, self.variables = schema, variables or {}
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.memo: dict[str, Shape] = {}

    def operation(self, node: OperationDefinitionNode) -> Shape:
        return self.selection_set(node.selection_set, self.schema.get_root_type(node.operation))

    def selection_set(self, node: SelectionSetNode | None, parent: Any, paged: bool = False) -> Shape:
        return self.merged([node] if node else [], parent, paged)

    def merged(self, nodes: list[SelectionSetNode], parent: Any, paged: bool) -> Shape:
        """Selection sets executed together: fields with one response key are merged into one (as execution
        merges them), so repeating a field costs nothing more; fragments are measured on their own."""
        fields: dict[str, list[FieldNode]] = {}
        parts: list[Shape] = []
        for selection in self._flat(nodes, parent):
            if isinstance(selection, FieldNode):
                fields.setdefault((selection.alias or selection.name).value, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                parts.append(self.selection_set(selection.selection_set,
                                                self._type(selection.type_condition.name.value), paged))
            elif isinstance(selection, FragmentSpreadNode):
                parts.append(self.fragment(selection.name.value))
        parts.extend(self.field(group, parent, paged) for group in fields.values())
        return Shape(max((p.depth for p in parts), default=0), sum(p.aliases for p in parts),
                     sum(p.cost for p in parts))

    def _flat(self, nodes: list[SelectionSetNode], parent: Any) -> Iterator[Any]:
        """The selections, with inline fragments on the parent's own type (or none) opened in place."""
        for node in nodes:
            for selection in node.selections:
                condition = getattr(selection, "type_condition", None)
                if isinstance(selection, InlineFragmentNode) and (
                        condition is None or self._type(condition.name.value) is parent):
                    yield from self._flat([selection.selection_set], parent)
                else:
                    yield selection

    def field(self, group: list[FieldNode], parent: Any, paged: bool) -> Shape:
        node = group[0]
        aliases = sum(1 for n in group if n.alias)
        if node.name.value.startswith("__"):
            return Shape(0, aliases, 0)
        definition = getattr(parent, "fields", {}).get(node.name.value) if parent is not None else None
        field_type = definition.type if definition is not None else None
        children = [n.selection_set for n in group if n.selection_set]
        size = self._page_size(node, definition)
        if size is not None:
            inner, factor = self.merged(children, get_named_type(field_type), paged=True), size
            inner = Shape(inner.depth, inner.aliases, max(inner.cost, _metadata(definition).get(ITEM_COST, 0)))
        else:
            inner = self.merged(children, get_named_type(field_type) if field_type else None, paged=False)
            listed = is_list_type(get_nullable_type(field_type)) if field_type is not None else False
            factor = list_size(definition) if listed and not (paged and node.name.value in PAGED_CHILDREN) else 1
        return Shape(1 + inner.depth, aliases + inner.aliases, 1 + factor * inner.cost)

    def fragment(self, name: str) -> Shape:
        if name not in self.memo:
            self.memo[name] = Shape(0, 0, 0)
            definition = self.fragments.get(name)
            self.memo[name] = (self.selection_set(definition.selection_set,
                                                  self._type(definition.type_condition.name.value))
                               if definition else Shape(0, 0, 0))
        return self.memo[name]

    def _type(self, name: str) -> Any:
        return self.schema.get_type(name)

    def _page_size(self, node: FieldNode, definition: GraphQLField | None) -> int | None:
        argument = definition.args.get(PAGE_ARGUMENT) if definition is not None else None
        if argument is None:
            return None
        value = argument_value(node, PAGE_ARGUMENT, self.variables)
        if value is ... or not isinstance(value, int) or isinstance(value, bool):
            value = argument.default_value if isinstance(argument.default_value, int) else LIST_ESTIMATE
        return max(0, value)


def _metadata(definition: GraphQLField | None) -> dict[str, Any]:
    field = definition.extensions.get("strawberry-definition") if definition is not None else None
    return getattr(field, "metadata", None) or {}


def list_size(definition: GraphQLField | None) -> int:
    """The items a list field is assumed to hold: its declared ``LIST_SIZE`` (see ``cost_hint``), else
    ``LIST_ESTIMATE``."""
    return _metadata(definition).get(LIST_SIZE, LIST_ESTIMATE)


def item_cost(cost: int) -> dict[str, int]:
    """Field metadata for a paged field (taking ``first``) that returns its items as one scalar, such as a GeoJSON
    FeatureCollection: each of the ``first`` items costs ``cost``."""
    return {ITEM_COST: cost}


def cost_hint(list_size: int) -> dict[str, int]:
    """Field metadata for a list field whose usual size differs from ``LIST_ESTIMATE``:
    ``strawberry.field(metadata=cost_hint(2))`` (a region's children: a tree is wide at few levels)."""
    return {LIST_SIZE: list_size}


def limits_rule(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """A validation rule refusing operations deeper than ``max_depth`` or with more than ``max_aliases``
    aliases (counted as executed: an alias inside a fragment counts at every spread)."""

    class DocumentLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measure = Measure(context.schema, context.document)
            for operation in operations_of(context.document):
                shape = measure.operation(operation)
                name = operation.name.value if operation.name else "anonymous"
                if shape.depth - 1 > max_depth:  # root fields are at depth 0
                    context.report_error(GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {max_depth}", operation))
                if shape.aliases > max_aliases:
                    context.report_error(GraphQLError(
                        f"{shape.aliases} aliases found. Allowed: {max_aliases}", operation))

    return DocumentLimits


def operations_of(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def operation_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                   variables: Mapping[str, Any] | None) -> int:
    """The cost of the operation that would run (the named one, or the only one); 0 when there is none."""
    operations = [op for op in operations_of(document)
                  if operation_name is None or (op.name is not None and op.name.value == operation_name)]
    return Measure(schema, document, variables).operation(operations[0]).cost if len(operations) == 1 else 0


def argument_value(node: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    """The value of argument ``name`` as written (a literal int or a variable's value); ... when absent."""
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            return variables.get(value.name.value, ...)
        return None
    return ...

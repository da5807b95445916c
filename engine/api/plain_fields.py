"""Completing plain fields without graphql-core's per-field machinery.

A *plain* field has no resolver of its own (strawberry's basic field: it reads an attribute of the object), no
arguments and no directives; a *plain subtree* is a plain field whose value is a leaf (scalar or enum), a list of
them, or an object (or list of objects) whose selected fields are all plain subtrees again. A list page is mostly
such subtrees: ``edges { node { id code state { name } region { name } } }`` is 550 fields for 50 projects, and
graphql-core spends about 5 µs on each (resolve info, path, middleware, completion by type). Here, the first time
an execution meets a selection set, it is compiled into a plan: plain subtrees become closures that read the
attributes and serialize the leaves directly; every other field is executed by graphql-core as usual (and the
objects it returns are completed through the same plans).

The result is the same as graphql-core's: the plan keeps the response keys in order, checks each object's type
(``is_type_of``) and the deadline at every list item, and serializes leaves with the schema's own scalars. Whenever
something is not as expected — a null for a non-null field, a value of the wrong type, a leaf that does not
serialize, an exception — the whole field is executed again the ordinary way, which produces graphql-core's exact
result or error; reading attributes twice is harmless because plain subtrees call no resolver.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable

from graphql import (GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLOutputType, is_leaf_type,
                     is_object_type)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

Completer = Callable[[Any], Any]
SLOW = None  # a plan entry executed by graphql-core


class Unexpected(Exception):
    """A plain subtree met something graphql-core reports on (null for non-null, wrong type): redo the field."""


def watch_items(executor: Any) -> Callable[[Any], Any]:
    """The items of a list one at a time, checking the executor's abort signal (the deadline) at each."""
    signal = executor.abort_signal
    if signal is None:
        return iter
    watch = getattr(signal, "watch", None)
    if watch is not None:
        return watch

    def checked(items: Any) -> Any:
        for item in items:
            if signal.aborted:
                raise Unexpected("aborted")
            yield item

    return checked


class PlainFieldsExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor with plain subtrees completed by compiled plans (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[Any, list[tuple[str, Any, Completer | None]]] | None] = {}
        middleware = self.middleware_manager
        hooks = middleware.middlewares if middleware is not None else ()
        # a schema extension's resolve hook must see every field, unless it says plain fields need not reach it
        self._plain_allowed = all(getattr(hook, "skips_plain_fields", False) for hook in hooks)

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None,
                       grouped_field_set: Any, position_context: Any) -> Any:
        plan = self._plan(parent_type, grouped_field_set) if position_context is None else None
        if plan is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        awaitable = False
        for key, field_details_list, complete in plan:
            if complete is not None:
                try:
                    results[key] = complete(source_value)
                    continue
                except Exception:  # noqa: BLE001 - redone the ordinary way, which reports it exactly
                    pass
            result = self.execute_field(parent_type, source_value, field_details_list,
                                        Path(path, key, parent_type.name), position_context)
            if result is not Undefined:
                results[key] = result
                awaitable = awaitable or self.is_awaitable(result)
        if awaitable:  # not expected in synchronous execution: let graphql-core gather them
            return self._gathered(results)
        return results

    def _gathered(self, results: dict[str, Any]) -> Any:
        async def gather() -> dict[str, Any]:
            for key, value in list(results.items()):
                if self.is_awaitable(value):
                    results[key] = await value
            return results

        return gather()

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any
              ) -> list[tuple[str, Any, Completer | None]] | None:
        """The plan of a selection set on ``parent_type``, or None when none of its fields is plain."""
        if not self._plain_allowed:
            return None
        kept = self._plans.get(id(grouped_field_set))
        if kept is not None and kept[0] is grouped_field_set:
            return kept[1]
        entries = [(key, details, self._field_completer(parent_type, details))
                   for key, details in grouped_field_set.items()]
        plan = entries if any(c is not None for _, _, c in entries) else None
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)  # keeps the set alive: ids stay unique
        return plan

    def _field_completer(self, parent_type: GraphQLObjectType, details: Any) -> Completer | None:
        """A closure reading and completing a plain subtree from its parent object, or None."""
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            type_name = parent_type.name
            return lambda _source: type_name
        if any(d.node.arguments or d.node.directives for d in details):
            return None
        field_def = parent_type.fields.get(name)
        if field_def is None or field_def.args or not getattr(field_def.resolve, "_is_default", False):
            return None
        definition = field_def.extensions.get("strawberry-definition")
        if definition is None or not definition.is_basic_field:
            return None
        complete = self._value_completer(field_def.type, details)
        if complete is None:
            return None
        read = attrgetter(definition.python_name)
        return lambda source: complete(read(source))

    def _value_completer(self, return_type: GraphQLOutputType, details: Any) -> Completer | None:
        if isinstance(return_type, GraphQLNonNull):
            inner = self._value_completer(return_type.of_type, details)
            return None if inner is None else _non_null(inner)
        if isinstance(return_type, GraphQLList):
            item = self._value_completer(return_type.of_type, details)
            return None if item is None else _nullable(_list(item, watch_items(self)))
        if is_leaf_type(return_type):
            return _nullable(_leaf(return_type.coerce_output_value))  # type: ignore[union-attr]
        if is_object_type(return_type):
            return self._object_completer(return_type, details)  # type: ignore[arg-type]
        return None  # interfaces and unions: graphql-core resolves the runtime type

    def _object_completer(self, object_type: GraphQLObjectType, details: Any) -> Completer | None:
        grouped, defer_usages, _ = self.collect_subfields(object_type, details)
        if defer_usages:
            return None
        fields = []
        for key, sub_details in grouped.items():
            complete = self._field_completer(object_type, sub_details)
            if complete is None:
                return None
            fields.append((key, complete))
        is_type_of = object_type.is_type_of

        def complete_object(value: Any) -> dict[str, Any]:
            if is_type_of is not None and not is_type_of(value, None):
                raise Unexpected(object_type.name)
            return {key: complete(value) for key, complete in fields}

        return _nullable(complete_object)


def _non_null(inner: Completer) -> Completer:
    def complete(value: Any) -> Any:
        result = inner(value)
        if result is None:
            raise Unexpected("null for a non-null field")
        return result

    return complete


def _nullable(inner: Completer) -> Completer:
    def complete(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        return inner(value)

    return complete


def _list(item: Completer, watch: Callable[[Any], Any]) -> Completer:
    def complete(values: Any) -> list[Any]:
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
            raise Unexpected("not a list")
        return [item(v) for v in watch(values)]

    return complete


def _leaf(coerce: Callable[[Any], Any]) -> Completer:
    def complete(value: Any) -> Any:
        result = coerce(value)
        if result is None or result is Undefined:
            raise Unexpected("a leaf that does not serialize")
        return result

    return complete

"""Transition form fields: the values a client submits, checked and converted per the transition's field specs.

Also the rules a field *definition* must follow (``spec_problems``), which the workflow loader reports with the
line of the offending key.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Collection, Mapping, Sequence

from engine.errors import FieldProblem, InvalidInput
from engine.texts import normalize_newlines, text_problem
from engine.workflow.model import FieldSpec

DEFAULT_MAX_LENGTH = {"string": 200, "text": 10000}
NUMBER_TYPES = ("int", "decimal")
ONLY_FOR = {"choices": ("enum",), "min": NUMBER_TYPES, "max": NUMBER_TYPES, "max_length": ("string", "text")}
CENT = Decimal("0.01")
MIN_INT, MAX_INT = -(2**31), 2**31 - 1  # GraphQL's Int, and what an INTEGER column holds on PostgreSQL
INTEGER = re.compile(r"[+-]?[0-9]{1,30}\Z")
DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]*)?|\.[0-9]+)\Z")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def coerce_fields(specs: Sequence[FieldSpec], values: Mapping[str, Any] | None,
                  path: Sequence[str] = ("fields",)) -> dict[str, Any]:
    """Check the submitted ``values`` against ``specs`` and convert them; raise ``InvalidInput`` with every
    problem (unknown field, missing required field, wrong type or range), each at ``[*path, field name]``.

    Returns the converted values of the fields given (a missing optional field is left out; ``None`` and ``""``
    count as missing).
    """
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise InvalidInput([FieldProblem(list(path), "must be an object of field values")])
    known = {spec.name for spec in specs}
    problems = [FieldProblem([*path, str(name)], "unknown field") for name in values if name not in known]
    result: dict[str, Any] = {}
    for spec in specs:
        value = values.get(spec.name)
        if _is_missing(value):
            if spec.required:
                problems.append(FieldProblem([*path, spec.name], "is required"))
            continue
        try:
            result[spec.name] = coerce_value(spec, value)
        except ValueError as exc:
            problems.append(FieldProblem([*path, spec.name], str(exc)))
    if problems:
        raise InvalidInput(problems)
    return result


def coerce_value(spec: FieldSpec, value: Any) -> Any:
    """One value converted to the field's type; ``ValueError`` with a short message when it is not valid."""
    converted = CONVERTERS[spec.type](spec, value)
    if spec.type in NUMBER_TYPES:
        if spec.min is not None and converted < _bound(spec.min):
            raise ValueError(f"must be at least {_show(spec.min)}")
        if spec.max is not None and converted > _bound(spec.max):
            raise ValueError(f"must be at most {_show(spec.max)}")
    return converted


def jsonable_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Coerced values made JSON-friendly: ``Decimal`` as a string with 2 places, dates as ISO strings."""
    return {name: _jsonable(value) for name, value in values.items()}


def spec_problems(spec: FieldSpec, given: Collection[str]) -> list[tuple[str, str]]:
    """Problems of a field definition, as (the key concerned, message); ``given`` are the keys the file sets.

    The type itself is assumed valid (one of ``FIELD_TYPES``).
    """
    problems = []
    if spec.type == "enum" and not spec.choices:
        problems.append(("choices", f"enum field '{spec.name}' has no choices"))
    for key, types in ONLY_FOR.items():
        if key in given and spec.type not in types:
            problems.append((key, f"field '{spec.name}' of type {spec.type} cannot have {key}"))
    if spec.min is not None and spec.max is not None and spec.min > spec.max:
        problems.append(("min", f"field '{spec.name}' has min {_show(spec.min)} greater than max {_show(spec.max)}"))
    if spec.max_length is not None and spec.max_length < 1:
        problems.append(("max_length", f"field '{spec.name}': max_length must be at least 1"))
    return problems


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    multiline = spec.type == "text"
    text = normalize_newlines(value.strip()) if multiline else value.strip()
    problem = text_problem(text, spec.max_length or DEFAULT_MAX_LENGTH[spec.type], multiline)
    if problem:
        raise ValueError(problem)
    return text


def _int(spec: FieldSpec, value: Any) -> int:
    if isinstance(value, str) and INTEGER.match(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("must be a whole number")
    if not MIN_INT <= value <= MAX_INT:
        raise ValueError(f"must be between {MIN_INT} and {MAX_INT}")
    return value


def _decimal(spec: FieldSpec, value: Any) -> Decimal:
    if isinstance(value, float):
        raise ValueError("must be given as a string or an integer, not a floating-point number")
    if isinstance(value, str) and DECIMAL.match(value.strip()):
        value = Decimal(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError("must be a number")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError("must be a finite number")
    try:
        rounded = number.quantize(CENT)
    except InvalidOperation:
        raise ValueError("is too large") from None
    if rounded != number:
        raise ValueError("must have at most 2 decimal places")
    return rounded


def _date(spec: FieldSpec, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"is not a valid date: {value.strip()}") from None
    raise ValueError("must be a date (YYYY-MM-DD)")


def _enum(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, str) and value.strip() in spec.choices:
        return value.strip()
    raise ValueError("must be one of: " + ", ".join(spec.choices))


def _bool(spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


CONVERTERS: dict[str, Callable[[FieldSpec, Any], Any]] = {
    "string": _text, "text": _text, "int": _int, "decimal": _decimal, "date": _date, "enum": _enum, "bool": _bool,
}


def _bound(bound: float) -> Decimal:
    """A min/max from the file as an exact Decimal (0.3 stays 0.3, not the float just below it)."""
    return Decimal(str(bound))


def _show(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, ".2f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value

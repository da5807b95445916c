"""Domain errors. Each carries a stable ``code`` the API returns as a userError.

Expected failures (not found, forbidden, bad input, guard failed, conflict, invalid event) are raised as
``DomainError`` subclasses and never reach a client as a server error.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    """One problem with one input value: ``path`` is the field path, e.g. ``["fields", "opinion"]``."""

    path: list[str]
    message: str


class DomainError(Exception):
    code = "ERROR"

    def __init__(self, message: str, *, path: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path or []

    def problems(self) -> list[FieldProblem]:
        return [FieldProblem(self.path, self.message)]


class NotFound(DomainError):
    code = "NOT_FOUND"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Conflict(DomainError):
    code = "CONFLICT"


class InvalidEvent(DomainError):
    code = "INVALID_EVENT"


class InvalidInput(DomainError):
    code = "INVALID_INPUT"

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{'.'.join(p.path)}: {p.message}" for p in problems))
        self.field_problems = problems

    def problems(self) -> list[FieldProblem]:
        return list(self.field_problems)


class GuardFailed(DomainError):
    code = "GUARD_FAILED"

    def __init__(self, event: str, reasons: list[str]) -> None:
        super().__init__(f"'{event}' is blocked: " + "; ".join(reasons))
        self.reasons = reasons

    def problems(self) -> list[FieldProblem]:
        return [FieldProblem(["event"], reason) for reason in self.reasons]


@dataclass
class DefinitionProblem:
    """One problem in a workflow file, with where it is."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class InvalidDefinition(Exception):
    problems: list[DefinitionProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

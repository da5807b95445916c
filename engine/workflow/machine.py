"""One ``transitions`` Machine per loaded workflow version.

The machine moves a lightweight model from state to state; guards, roles and fields are checked by the engine
before it is asked (so every failing reason can be collected and explained). Names from the file are never given
to ``transitions`` as callbacks: only the engine's own callables are.
"""
from __future__ import annotations

import threading

from transitions import Machine, MachineError

from engine.workflow.model import RETURN, STAY, WorkflowDefinition


class _Position:
    """The model ``transitions`` moves: a project's state for the duration of one trigger."""

    state: str


class StateMachine:
    """The machine of one workflow version, shared by all threads. Its one position (the model it moves) is added
    once and set to the project's state for each trigger, under a lock: adding a model to a ``transitions``
    machine costs far more than a trigger."""

    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self._lock = threading.Lock()
        self._position = _Position()
        self._machine = Machine(model=None, states=list(definition.states), initial=definition.initial,
                                auto_transitions=False, send_event=False, ignore_invalid_triggers=False)
        for t in definition.transitions:
            for source in t.sources:
                self._add(t.event, source, t.dest)
        self._machine.add_model(self._position, initial=definition.initial)

    def _add(self, event: str, source: str, dest: str) -> None:
        if dest == STAY:
            self._machine.add_transition(event, source, source)
            return
        if dest != RETURN:
            self._machine.add_transition(event, source, dest)
            return
        for candidate in self.definition.states:  # "back to where it was": one branch per possible state
            self._machine.add_transition(event, source, candidate,
                                         conditions=[lambda return_to=None, c=candidate: return_to == c])

    def next_state(self, current: str, event: str, return_to: str | None = None) -> str:
        """The state ``event`` leads to from ``current``; ``MachineError`` if it is not allowed there."""
        position = self._position
        with self._lock:  # a trigger costs microseconds
            self._machine.set_state(current, model=position)
            if not position.trigger(event, return_to=return_to):
                raise MachineError(f"'{event}' cannot return to {return_to!r} from '{current}'")
            return position.state

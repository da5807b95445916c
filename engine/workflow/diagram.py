"""A workflow drawn as a Mermaid ``stateDiagram-v2`` (plain text: render it with any Mermaid viewer)."""
from __future__ import annotations

from engine.workflow.loader import return_targets
from engine.workflow.model import RETURN, STAY, WorkflowDefinition

INDENT = "    "


def mermaid(defn: WorkflowDefinition) -> str:
    """The Mermaid text of ``defn``: states with their labels, one arrow per (source, destination) pair
    labelled with the transition label(s), ``[*]`` into the initial state and out of the final ones.

    A ``@return`` transition is drawn from its source to every state that has a transition into that source; a
    ``@stay`` transition as a loop on its source.
    """
    lines = ["stateDiagram-v2"]
    lines += [f'{INDENT}state "{_escape(state.label)}" as {state.name}' for state in defn.states.values()]
    lines.append(f"{INDENT}[*] --> {defn.initial}")
    lines += [f"{INDENT}{source} --> {dest}: {label}" for (source, dest), label in edges(defn).items()]
    lines += [f"{INDENT}{state.name} --> [*]" for state in defn.states.values() if state.final]
    return "\n".join(lines) + "\n"


def edges(defn: WorkflowDefinition) -> dict[tuple[str, str], str]:
    """Each (source, destination) pair of the graph, in file order, with its transition labels joined."""
    labels: dict[tuple[str, str], list[str]] = {}
    for transition in defn.transitions:
        label = _escape(transition.label)
        for source in transition.sources:
            returning = transition.dest == RETURN
            dests = [source] if transition.dest == STAY else [transition.dest]
            for dest in return_targets(defn.transitions, source) if returning else dests:
                names = labels.setdefault((source, dest), [])
                if label not in names:
                    names.append(label)
    return {edge: " / ".join(names) for edge, names in labels.items()}


def _escape(text: str) -> str:
    """Text safe inside a Mermaid label: no line breaks, quotes or statement separators."""
    return " ".join(text.split()).replace('"', "#quot;").replace(";", "#59;")

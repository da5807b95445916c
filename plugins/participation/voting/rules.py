"""The vote rules (票决规则) and the result they give, as pure functions of the figures.

- 应选数 ``places``: how many candidates are to be chosen;
- 差额数 ``margin``: the candidates must exceed the places by at least this many (差额票决);
- the majority: more than half of the deputies present (default) or of all deputies expected (全体代表过半数);
- chosen: the candidates with the majority, ranked by yes votes, within the places. When the last place is tied
  (equal yes votes across the line) the tied candidates are reported and none of them is chosen until the standing
  committee decides (``decide_tie``); the result never breaks a tie by itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

MAJORITY_OF = {"present": "出席代表", "expected": "全体代表"}
CHOSEN, TIED, NOT_CHOSEN, NO_MAJORITY = "chosen", "tied", "not_chosen", "no_majority"
OUTCOME_LABELS = {CHOSEN: "当选", "decided": "当选（主席团决定）", TIED: "票数相同待定", NOT_CHOSEN: "未当选（名额已满）", NO_MAJORITY: "未过半数"}


@dataclass(frozen=True)
class Rules:
    places: int
    margin: int
    abstain_allowed: bool = True
    majority_of: str = "present"


@dataclass(frozen=True)
class Count:
    project_id: int
    yes: int
    no: int
    abstain: int


@dataclass(frozen=True)
class Placed:
    """One candidate's outcome: ``place`` is its rank by yes votes among those with the majority (1 = most)."""

    project_id: int
    outcome: str
    place: int | None


def margin_problem(candidates: int, rules: Rules) -> str | None:
    """Why a list of ``candidates`` breaks the rules (差额), naming the figures; None when it keeps them."""
    needed = rules.places + rules.margin
    if candidates < needed:
        return (f"the list has {candidates} candidate(s) for {rules.places} place(s) (应选数) with a margin (差额数) "
                f"of {rules.margin}: it needs at least {needed} candidates")
    return None


def majority_needed(rules: Rules, present: int, expected: int) -> int:
    """The fewest yes votes that pass: more than half of the deputies present (or expected)."""
    base = expected if rules.majority_of == "expected" else present
    return base // 2 + 1


def place(counts: Sequence[Count], rules: Rules, needed: int) -> list[Placed]:
    """Each candidate's outcome: chosen within the places by yes votes, tied across the last place, not chosen
    (the places are full) or without the majority."""
    passing = sorted((c for c in counts if c.yes >= needed), key=lambda c: -c.yes)
    ranks = {c.project_id: 1 + sum(1 for o in passing if o.yes > c.yes) for c in passing}
    result: list[Placed] = []
    line = passing[rules.places - 1].yes if len(passing) >= rules.places else None
    tied_across = line is not None and sum(1 for c in passing if c.yes >= line) > rules.places
    for c in counts:
        if c.project_id not in ranks:
            result.append(Placed(c.project_id, NO_MAJORITY, None))
        elif line is None or c.yes > line or (c.yes == line and not tied_across):
            result.append(Placed(c.project_id, CHOSEN, ranks[c.project_id]))
        elif c.yes == line:
            result.append(Placed(c.project_id, TIED, ranks[c.project_id]))
        else:
            result.append(Placed(c.project_id, NOT_CHOSEN, ranks[c.project_id]))
    return result


def places_left(placed: Sequence[Placed], rules: Rules) -> int:
    """How many places the tied candidates share (0 without a tie)."""
    if not any(p.outcome == TIED for p in placed):
        return 0
    return rules.places - sum(1 for p in placed if p.outcome == CHOSEN)

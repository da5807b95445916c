"""The vote rules as pure functions: the majority, the places, ties across the last place, the margin."""
from __future__ import annotations

from plugins.participation.voting.rules import (CHOSEN, NO_MAJORITY, NOT_CHOSEN, TIED, Count, Rules, majority_needed,
                                                margin_problem, place, places_left)


def outcomes(yes: list[int], rules: Rules, needed: int) -> list[str]:
    return [p.outcome for p in place([Count(n, y, 0, 0) for n, y in enumerate(yes)], rules, needed)]


def test_the_majority_is_more_than_half_of_the_present_or_of_all():
    assert majority_needed(Rules(10, 5), present=236, expected=250) == 119
    assert majority_needed(Rules(10, 5), present=235, expected=250) == 118
    assert majority_needed(Rules(10, 5, majority_of="expected"), present=236, expected=250) == 126


def test_places_ties_and_the_majority():
    rules = Rules(places=2, margin=1)
    assert outcomes([200, 150, 120, 90], rules, 119) == [CHOSEN, CHOSEN, NOT_CHOSEN, NO_MAJORITY]
    assert outcomes([200, 150, 150, 90], rules, 119) == [CHOSEN, TIED, TIED, NO_MAJORITY]
    assert outcomes([150, 150, 150], rules, 119) == [TIED, TIED, TIED]
    assert outcomes([150, 150, 100], rules, 119) == [CHOSEN, CHOSEN, NO_MAJORITY]  # a tie within the places
    assert outcomes([200, 100, 100], rules, 119) == [CHOSEN, NO_MAJORITY, NO_MAJORITY]  # fewer pass than places
    placed = place([Count(n, y, 0, 0) for n, y in enumerate([200, 150, 150, 150])], Rules(3, 1), 119)
    assert places_left(placed, Rules(3, 1)) == 2 and [p.place for p in placed] == [1, 2, 2, 2]


def test_the_margin_names_the_figures():
    assert margin_problem(15, Rules(10, 5)) is None
    assert margin_problem(14, Rules(10, 5)) == ("the list has 14 candidate(s) for 10 place(s) (应选数) with a margin "
                                                "(差额数) of 5: it needs at least 15 candidates")

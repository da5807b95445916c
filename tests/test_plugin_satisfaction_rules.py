"""The arithmetic of satisfaction, checked against the figures in DOMAIN.md."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from plugins.satisfaction.scoring import (BASICALLY_SATISFIED, BOTTOM, DISSATISFIED, MIDDLE, SATISFIED, TOP, Tally,
                                          check_bands, deputies_verdict, grade_of, quorum_met, verdict_of_score)


def test_five_levels_map_to_verdicts() -> None:
    assert [verdict_of_score(s) for s in (100, 80, 60, 40, 20)] == [
        SATISFIED, SATISFIED, BASICALLY_SATISFIED, DISSATISFIED, DISSATISFIED]


@pytest.mark.parametrize("score", [0, 50, 70, 90, 101])
def test_scores_outside_the_five_levels_are_refused(score: int) -> None:
    with pytest.raises(ValueError, match="100, 80, 60, 40, 20"):
        verdict_of_score(score)


def test_rate_of_3200_questionnaires_98_percent_satisfied() -> None:
    tally = Tally(satisfied=2900, basically_satisfied=236, dissatisfied=64)
    assert tally.responses == 3200
    assert tally.favourable == 3136
    assert tally.rate_percent() == Decimal("98.00")


def test_rate_counts_basically_satisfied_as_favourable_and_rounds_half_up() -> None:
    assert Tally(satisfied=1, basically_satisfied=1, dissatisfied=1).rate_percent() == Decimal("66.67")
    assert Tally(satisfied=0, basically_satisfied=7, dissatisfied=1).rate_percent() == Decimal("87.50")


def test_no_answers_no_rate_and_no_mean() -> None:
    assert Tally().rate_percent() is None
    assert Tally().mean_score() is None


def test_mean_score_uses_five_level_answers_only() -> None:
    # 100 + 80 + 60 scored; 2 verdict-only answers (counted in the rate, not in the mean)
    tally = Tally(satisfied=3, basically_satisfied=1, dissatisfied=1, score_sum=240, scored=3)
    assert tally.mean_score() == Decimal("80.00")
    assert tally.rate_percent() == Decimal("80.00")


@pytest.mark.parametrize("votes, expected", [
    ((28, 1, 0), SATISFIED),  # DOMAIN.md: 29 present, 28 > 14.5
    ((17, 11, 1), SATISFIED),  # DOMAIN.md: 17 > 14.5
    ((10, 10, 9), BASICALLY_SATISFIED),  # 10 ≤ 14.5 but 20 > 14.5
    ((14, 1, 14), BASICALLY_SATISFIED),  # 14 is not more than half of 29
    ((5, 8, 16), DISSATISFIED),  # 13 ≤ 14.5
    ((0, 0, 0), DISSATISFIED),  # nobody voted
])
def test_deputies_majority_rule_with_29_present(votes: tuple[int, int, int], expected: str) -> None:
    assert deputies_verdict(29, votes[0], votes[1]) == expected


def test_exactly_half_is_not_a_majority() -> None:
    assert deputies_verdict(28, 14, 0) == DISSATISFIED
    assert deputies_verdict(28, 14, 14) == BASICALLY_SATISFIED
    assert deputies_verdict(28, 15, 0) == SATISFIED


def test_quorum_is_more_than_half_of_the_members() -> None:
    assert quorum_met(29, 35)
    assert not quorum_met(15, 30)
    assert quorum_met(16, 30)


def test_default_bands_90_and_75() -> None:
    assert grade_of(Fraction(90, 100)) == TOP
    assert grade_of(Fraction(8999, 10000)) == MIDDLE
    assert grade_of(Fraction(75, 100)) == MIDDLE
    assert grade_of(Fraction(7499, 10000)) == BOTTOM


def test_custom_bands_compare_exactly() -> None:
    assert grade_of(Fraction(3136, 3200), [98, 95]) == TOP  # 98.00%
    assert grade_of(Fraction(3135, 3200), [98, 95]) == MIDDLE  # 97.97%
    assert grade_of(Fraction(2, 3), [66.67, 50]) == MIDDLE  # 66.666…% is below 66.67
    assert grade_of(Fraction(1, 2), [66.67, 50.5]) == BOTTOM


@pytest.mark.parametrize("bands", [[75, 90], [90], [90, 75, 60], [120, 75], [90, -1], ["90", 75], [True, 0]])
def test_bad_bands_are_refused(bands: list) -> None:
    with pytest.raises(ValueError, match="bands"):
        check_bands(bands)

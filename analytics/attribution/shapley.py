"""Shapley value attribution, exact.

Players: the states (channels, or touchpoints) of the converting journeys. The
characteristic function (Zhao, Mahboobi & Bagheri, "Shapley Value Methods for
Attribution Modeling in Online Advertising", 2018, building on Dalessandro et al.,
"Causally Motivated Attribution for Online Advertising", 2012):

    v(S) = the conversions (or the value) of the converting journeys whose set of
           states is a subset of S,

i.e. what the coalition S brings in on its own. Written as v = sum over observed state
sets T of r(T) * u_T, with r(T) the conversions whose journey touched exactly the states
T and u_T(S) = [T subset of S] the unanimity game of T, whose Shapley value is 1/|T| to
each member of T. The Shapley value being linear,

    phi_i = sum over T containing i of r(T) / |T|

exactly (Zhao et al.'s "simplified Shapley value"). That is what `shapley` computes:
O(P * k) for P distinct state sets (P <= min(2^n - 1, converting journeys)) of at most
k states, whatever the number n of states. `shapley_by_coalitions` is the textbook
formula over all 2^n coalitions, O(2^n * n) time and O(2^n) memory, kept as the
reference the tests check `shapley` against.
"""

from collections import defaultdict
from collections.abc import Iterable
from math import factorial

StateSet = frozenset[str]


def state_sets(
    paths: Iterable[tuple[tuple[str, ...], int, float]],
) -> dict[StateSet, tuple[int, float]]:
    """(path, conversions, value) rows -> conversions and value per set of states."""
    sets: dict[StateSet, list] = defaultdict(lambda: [0, 0.0])
    for path, conversions, value in paths:
        if not path:
            continue
        entry = sets[frozenset(path)]
        entry[0] += conversions
        entry[1] += value
    return {states: (entry[0], entry[1]) for states, entry in sets.items()}


def shapley(sets: dict[StateSet, tuple[int, float]]) -> dict[str, tuple[float, float]]:
    """Each state's Shapley value of conversions and of value."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for states, (conversions, value) in sets.items():
        share = 1.0 / len(states)
        for state in states:
            out[state][0] += conversions * share
            out[state][1] += value * share
    return {state: (credit[0], credit[1]) for state, credit in out.items()}


def shapley_by_coalitions(
    sets: dict[StateSet, tuple[int, float]], max_players: int = 20
) -> dict[str, tuple[float, float]]:
    """The definition: phi_i = sum over S not containing i of
    |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)), over every coalition."""
    players = sorted({state for states in sets for state in states})
    n = len(players)
    if n > max_players:
        raise ValueError(f"{n} players: 2^{n} coalitions is too many to enumerate")
    bit = {player: 1 << i for i, player in enumerate(players)}
    size = 1 << n
    v_conversions = [0.0] * size
    v_value = [0.0] * size
    for states, (conversions, value) in sets.items():
        mask = sum(bit[state] for state in states)
        v_conversions[mask] += conversions
        v_value[mask] += value
    # Subset sums (zeta transform): v(S) = sum of r(T) over T subset of S.
    for i in range(n):
        for mask in range(size):
            if mask & (1 << i):
                v_conversions[mask] += v_conversions[mask ^ (1 << i)]
                v_value[mask] += v_value[mask ^ (1 << i)]
    weight = [factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)]
    out = {}
    for player in players:
        b = bit[player]
        conversions = value = 0.0
        for mask in range(size):
            if mask & b:
                continue
            w = weight[mask.bit_count()]
            conversions += w * (v_conversions[mask | b] - v_conversions[mask])
            value += w * (v_value[mask | b] - v_value[mask])
        out[player] = (conversions, value)
    return out

"""Markov chain attribution: removal effects solved exactly on the absorbing chain.

Input: distinct paths (consecutive repeats already collapsed) with their counts, of
converting journeys (absorbed in CONVERSION) and non-converting ones (absorbed in
NULL). For order k, a transient state is the tuple of the last k states, padded on the
left with START; every path starts in (START, ..., START). Transition probabilities are
the observed transition counts over the state's outgoing counts.

P = the probability of absorption in CONVERSION from the start, i.e. h[start] with
(I - Q) h = b, where Q holds the transient-to-transient probabilities and b the
probabilities of going to CONVERSION. Removing a state c turns every transient state
whose tuple contains c into NULL; its removal effect is RE_c = 1 - P_without_c / P.

All removal effects come from one inverse N = (I - Q)^-1: with h = N b and R the states
removed, P_without_R = h[s] - N[s, R] N[R, R]^-1 h[R] (the inverse of a principal block
of N is I - Q of the chain watched only on R: the censored chain, Kemeny & Snell, Finite
Markov Chains, 1960). That costs one n x n inverse plus one |R| x |R| solve per state
instead of one n x n solve per state. `conversion_probability` solves the reduced chain
directly; the tests check the two agree.
"""

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

# Single-threaded BLAS: the chains are small (tens to a few thousand states), where
# OpenBLAS's threads cost more than they give (a 375 x 375 solve took 100 ms with two
# threads and 1 ms with one on the 2-core benchmark machine). Set before numpy loads
# OpenBLAS; an operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"
# Above this many transient states the dense solve would outgrow the memory and time
# budget (3,000 states: a 72 MB matrix, about a second to invert on 2 cores).
MAX_STATES = 3000


class ChainTooLarge(ValueError):
    pass


Path = tuple[str, ...]
State = tuple[str, ...]


def chain_states(path: Path, order: int) -> list[State]:
    """The transient states a path visits, from the start state on."""
    padded = (START,) * order + tuple(path)
    return [padded[i : i + order] for i in range(len(path) + 1)]


def transition_counts(
    converting: Iterable[tuple[Path, int]], non_converting: Iterable[tuple[Path, int]], order: int
) -> Counter:
    counts: Counter = Counter()
    for paths, end in ((converting, CONVERSION), (non_converting, NULL)):
        for path, count in paths:
            if not path or count <= 0:
                continue
            states = chain_states(path, order)
            for before, after in pairwise(states):
                counts[before, after] += count
            counts[states[-1], end] += count
    return counts


@dataclass(frozen=True)
class Chain:
    states: list[State]  # transient; states[0] is the start state
    q: np.ndarray  # transient-to-transient probabilities
    b: np.ndarray  # probabilities of going to CONVERSION

    @classmethod
    def from_counts(cls, counts: Counter, order: int) -> "Chain":
        start = (START,) * order
        found = {start}
        for before, after in counts:
            found.add(before)
            if after not in (CONVERSION, NULL):
                found.add(after)
        states = [start, *sorted(found - {start})]
        if len(states) > MAX_STATES:
            raise ChainTooLarge(
                f"The Markov chain of order {order} has {len(states)} states, more than "
                f"the {MAX_STATES} the exact solver takes: use a lower order or channel "
                "states."
            )
        index = {state: i for i, state in enumerate(states)}
        q = np.zeros((len(states), len(states)))
        b = np.zeros(len(states))
        outgoing = np.zeros(len(states))
        for (before, after), count in counts.items():
            i = index[before]
            outgoing[i] += count
            if after == CONVERSION:
                b[i] += count
            elif after != NULL:
                q[i, index[after]] += count
        rows = outgoing > 0
        q[rows] /= outgoing[rows, None]
        b[rows] /= outgoing[rows]
        return cls(states, q, b)

    def removed(self, state: str) -> list[int]:
        """Indices of the transient states containing `state` (never the start)."""
        return [i for i, tuple_ in enumerate(self.states) if state in tuple_]


def conversion_probability(chain: Chain, removed: Iterable[int] = ()) -> float:
    """P(conversion from the start) with the `removed` states turned into NULL, by a
    direct solve of the reduced chain."""
    gone = set(removed)
    keep = [i for i in range(len(chain.states)) if i not in gone]
    q = chain.q[np.ix_(keep, keep)]
    h = np.linalg.solve(np.eye(len(keep)) - q, chain.b[keep])
    return float(h[0])


@dataclass(frozen=True)
class RemovalEffects:
    conversion_probability: float
    effects: dict[str, float]  # state -> removal effect
    chain_states: int


def transitions_from_steps(steps: Iterable, order: int) -> Counter:
    """Transition counts from the database's aggregated steps (journeys.markov_steps):
    a step to `state` after the `order` states `history` is a transition from the
    state (history) to the state (history[1:] + state); a journey's last step is also a
    transition from there to CONVERSION or NULL."""
    counts: Counter = Counter()
    for step in steps:
        before = tuple(START if name is None else name for name in step.history)
        after = (*before[1:], step.state)
        if step.steps:
            counts[before, after] += step.steps
        if step.ends:
            counts[after, CONVERSION if step.converted else NULL] += step.ends
    return counts


def removal_effects(counts: Counter, order: int) -> RemovalEffects:
    """The removal effect of every state seen, from transition counts."""
    chain = Chain.from_counts(counts, order)
    names = sorted({name for state in chain.states for name in state} - {START})
    n = len(chain.states)
    fundamental = np.linalg.inv(np.eye(n) - chain.q)
    h = fundamental @ chain.b
    probability = float(h[0])
    effects: dict[str, float] = {}
    for name in names:
        if probability <= 0:
            effects[name] = 0.0
            continue
        r = chain.removed(name)
        lost = float(fundamental[0, r] @ np.linalg.solve(fundamental[np.ix_(r, r)], h[r]))
        effects[name] = min(1.0, max(0.0, lost / probability))
    return RemovalEffects(probability, effects, n)


def credits(
    effects: dict[str, float], conversions: float, value: float
) -> dict[str, tuple[float, float]]:
    """credit_c = total x RE_c / sum of RE (conversions and value alike)."""
    total = sum(effects.values())
    if total <= 0:
        return {}
    return {
        name: (conversions * effect / total, value * effect / total)
        for name, effect in effects.items()
        if effect > 0
    }

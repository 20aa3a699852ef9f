"""Levels 1-2 over every feasible pair, from a matching over some of them: augmenting paths on the bits.

Ignoring `apart`, the sets of households that can be placed together are the independent
sets of a transversal matroid, so the lexicographic optimum of levels 1-2 is reached
greedily: a maximum matching among the households of S1 (high risk, plus any a branch
forces to be placed), extended to a maximum matching among all households. Augmenting along
a path never unplaces a placed household of the set augmented (the first step may unplace
others, whose units count as free to S1), so both steps start from any matching and end at
the optimum; a matching from which no path leads is therefore proved optimal (the
households and units reached from the unplaced ones form Koenig's vertex cover). The
search reads each reached household's whole feasibility row from `Candidates.bits`, a
chunk of rows at a time, so it costs rows reached, not pairs.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .candidates import Candidates
from .flow import units_of

FRONTIER_ROWS = 1024  # feasibility rows unpacked at once while searching


class AllowedRows:
    """Each household's allowed units: its feasibility row, or the row a branch of the search gives it."""

    def __init__(self, candidates: Candidates, overrides: Mapping[int, np.ndarray]):
        self.candidates, self.overrides = candidates, overrides
        self.special = np.zeros(candidates.degree.size, dtype=bool)
        self.special[list(overrides)] = True
        self.nonempty = candidates.degree > 0
        for h, row in overrides.items():
            self.nonempty[h] = bool(row.any())

    def rows(self, households: np.ndarray) -> np.ndarray:
        out = self.candidates.rows(households)
        for k in np.flatnonzero(self.special[households]).tolist():
            out[k] = self.overrides[int(households[k])]
        return out


def lexicographic_matching(allowed: AllowedRows, match: np.ndarray, first: np.ndarray) -> np.ndarray:
    """From `match` (unit per household, -1 for none), the most of `first` placed, then the most in all."""
    match = match.copy()
    _augment(allowed, match, first)
    _augment(allowed, match, np.ones(match.size, dtype=bool))
    return match


def _augment(allowed: AllowedRows, match: np.ndarray, among: np.ndarray) -> None:
    """Augment `match` in place until no path leads from an unplaced household of `among`.

    Units held by households outside `among` count as free: taking one unplaces its holder,
    which only the first step (S1) does, to place a household that ranks above it.
    """
    n_units = allowed.candidates.n_units
    while True:
        holder = np.full(n_units, -1, dtype=np.int64)
        placed = np.flatnonzero(match >= 0)
        holder[match[placed]] = placed
        owner = holder.copy()
        owner[match[placed[~among[placed]]]] = -1  # free as far as `among` is concerned
        roots = np.flatnonzero(among & (match < 0) & allowed.nonempty)
        if not roots.size:
            return
        parent = np.full(n_units, -1, dtype=np.int64)
        seen = np.zeros(n_units, dtype=bool)
        frontier, ends = roots, None
        while frontier.size:
            units, parents = _expand(allowed, frontier, seen)
            parent[units] = parents
            held = owner[units]
            if (held < 0).any():
                ends = units[held < 0]
                break
            frontier = held
        if ends is None:
            return
        used = np.zeros(match.size, dtype=bool)
        before = match.copy()  # paths are traced in the search's tree, before this round's changes
        for end in ends.tolist():
            path, u = [], end
            while u >= 0:
                h = int(parent[u])
                path.append((h, u))
                u = int(before[h])
            if any(used[h] for h, _ in path):
                continue  # shares a household with a path taken this round
            if holder[end] >= 0:
                match[holder[end]] = -1  # outside `among`: gives way
            for h, u in path:
                used[h] = True
                match[h] = u


def _expand(allowed: AllowedRows, frontier: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units first reached from `frontier` (marked in `seen`) and, for each, the household reaching it."""
    units, parents = [], []
    for lo in range(0, frontier.size, FRONTIER_ROWS):
        part = frontier[lo:lo + FRONTIER_ROWS]
        rows = allowed.rows(part)
        rows &= ~seen
        cols = np.flatnonzero(rows.any(axis=0))
        if cols.size:
            seen[cols] = True
            units.append(cols)
            parents.append(part[rows[:, cols].argmax(axis=0)])
    if not units:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(units), np.concatenate(parents)


class Certifier:
    """Whether a node's flow, over the modelled pairs, keeps its levels 1-2 over every feasible pair.

    Called with the node's choice, removed pairs and forced households, it returns None when
    no unmodelled pair raises the node's levels (so its bound holds for the whole problem), else
    the better matching found (unit per household). The node's allowed pairs over the whole
    feasibility are: for a forced household, its modelled pairs not removed (a branch forced it
    into some of them); for any other, every feasible unit but those of its removed pairs.
    """

    def __init__(self, candidates: Candidates, high: np.ndarray):
        self.candidates, self.high = candidates, high

    def __call__(self, choice: np.ndarray, removed: np.ndarray, forced: np.ndarray) -> np.ndarray | None:
        pairs = self.candidates.pairs
        match = units_of(choice, pairs)
        overrides = {}
        for h in np.union1d(np.unique(pairs.household[removed]), np.flatnonzero(forced)).tolist():
            own = pairs.of(h)
            if forced[h]:
                row = np.zeros(self.candidates.n_units, dtype=bool)
                row[pairs.unit[own[~removed[own]]]] = True
            else:
                row = self.candidates.rows(np.array([h]))[0]
                row[pairs.unit[own[removed[own]]]] = False
            overrides[h] = row
        better = lexicographic_matching(AllowedRows(self.candidates, overrides), match, self.high | forced)
        placed, placed_better = match >= 0, better >= 0
        same = ((placed & self.high).sum(), placed.sum()) == ((placed_better & self.high).sum(), placed_better.sum())
        return None if same else better

"""Which units the batch models for each household: every feasible unit, or only the best of them.

Rules 1-8 are decided for every (household, unit) pair, a chunk of households at a time, and
kept as one bit per pair (`Candidates.bits`: 20,000 x 31,000 pairs is 78 MB), so nothing of
size pairs x Python objects is ever built. The flow models `Candidates.pairs`: all of them
when there are at most `Settings.max_pairs`, else each household's `keep` best-fit feasible
units (ties broken by a fixed hash of the pair, so that equal households spread over equal
units). Sparsifying never costs optimality of levels 1-2: `solver.certify` proves them on
the whole feasibility from the bits, and names the pairs to add where the proof fails.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from .domain import Household
from .fit import fit_scaled_pairs
from .rules import UnitPool

ROW_CELLS = 4_000_000  # pairs decided at once: households per chunk = ROW_CELLS // units
TIE_BITS = 20


@dataclass(frozen=True)
class Pairs:
    """The modelled (household, unit) pairs, as parallel arrays, sorted by household then unit."""

    household: np.ndarray
    unit: np.ndarray
    fit: np.ndarray  # hundredths of a point

    def of(self, i: int) -> np.ndarray:
        """Pair indices of household i."""
        lo, hi = np.searchsorted(self.household, [i, i + 1])
        return np.arange(lo, hi)

    def find(self, household: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
        """Pair index of each (household, unit), -1 where the pair is not modelled."""
        keys = self.household * n_units + self.unit
        want = np.asarray(household, np.int64) * n_units + np.asarray(unit, np.int64)
        if not keys.size:
            return np.full(want.size, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, want), keys.size - 1)
        return np.where(keys[at] == want, at, -1)


@dataclass(frozen=True)
class Candidates:
    """Every feasible pair as bits, and the pairs the flow models (`complete`: a household's are all of its)."""

    bits: np.ndarray  # uint8, households x ceil(units / 8), np.packbits of the feasibility rows
    n_units: int
    degree: np.ndarray  # feasible units per household
    pairs: Pairs
    complete: np.ndarray  # boolean per household: its pairs are every unit it may take

    @property
    def truncated(self) -> bool:
        """Some household's feasible units are not all modelled."""
        return not bool(self.complete.all())

    def rows(self, households: np.ndarray) -> np.ndarray:
        """Boolean matrix (len(households) x units): rules 1-8."""
        return np.unpackbits(self.bits[households], axis=1, count=self.n_units).view(bool)

    def row(self, i: int) -> np.ndarray:
        """Unit indices household i may take (rules 1-8)."""
        return np.flatnonzero(self.rows(np.array([i]))[0])

    def with_pairs(self, pool: UnitPool, households: Sequence[Household], household: np.ndarray,
                   unit: np.ndarray, as_of: date | None) -> Candidates:
        """The same candidates with the pairs (household, unit) modelled too (feasible pairs only)."""
        new = self.pairs.find(household, unit, self.n_units) < 0
        household, unit = np.asarray(household, np.int64)[new], np.asarray(unit, np.int64)[new]
        if not household.size:
            return self
        fit = fit_scaled_pairs(pool, households, household, unit, as_of)
        h = np.concatenate([self.pairs.household, household])
        u = np.concatenate([self.pairs.unit, unit])
        f = np.concatenate([self.pairs.fit, fit])
        order = np.lexsort((u, h))
        pairs = Pairs(h[order], u[order], f[order])
        counts = np.bincount(pairs.household, minlength=self.degree.size)
        return Candidates(self.bits, self.n_units, self.degree, pairs, counts == self.degree)


def build(pool: UnitPool, households: Sequence[Household], as_of: date | None, max_pairs: int) -> Candidates:
    """Decide rules 1-8 for every pair in chunks; model every pair, or each household's best `keep`."""
    n, n_units = len(households), len(pool)
    chunk = max(1, ROW_CELLS // max(n_units, 1))
    bits = np.zeros((n, (n_units + 7) // 8), dtype=np.uint8)
    degree = np.zeros(n, dtype=np.int64)
    masks: dict[tuple, np.ndarray] = {}
    for lo in range(0, n, chunk):
        rows = pool.feasible_matrix(households[lo:lo + chunk], masks)
        bits[lo:lo + len(rows)] = np.packbits(rows, axis=1)
        degree[lo:lo + len(rows)] = rows.sum(axis=1)
    keep = max(1, max_pairs // max(n, 1)) if int(degree.sum()) > max_pairs else n_units
    parts = []
    for lo in range(0, n, chunk):
        part = households[lo:lo + chunk]
        rows = np.unpackbits(bits[lo:lo + len(part)], axis=1, count=n_units).view(bool)
        h, u = np.nonzero(rows)
        fit = fit_scaled_pairs(pool, part, h, u, as_of)
        if keep < n_units:
            h, u, fit = _best(h, u, fit, keep, lo)
        parts.append((h + lo, u, fit))
    h, u, fit = (np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, np.int64) for k in range(3))
    pairs = Pairs(h.astype(np.int64), u.astype(np.int64), fit.astype(np.int64))
    return Candidates(bits, n_units, degree, pairs, degree <= keep)


def _best(h: np.ndarray, u: np.ndarray, fit: np.ndarray, keep: int,
          offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of pairs sorted by (household, unit) in one chunk, each household's `keep` best by fit, still sorted."""
    key = (fit << TIE_BITS) + _tie(h + offset, u)
    bounds = np.flatnonzero(np.diff(h, prepend=-1, append=h.size and h[-1] + 1))
    chosen = np.ones(h.size, dtype=bool)
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        if hi - lo > keep:  # a row at a time: a few thousand pairs each, no households x units matrix
            chosen[lo:hi] = False
            chosen[lo + np.argpartition(-key[lo:hi], keep - 1)[:keep]] = True
    return h[chosen], u[chosen], fit[chosen]


def _tie(h: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random number in [0, 2^TIE_BITS) per pair (a multiply-xorshift hash)."""
    x = h.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ u.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    x ^= x >> np.uint64(29)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(32)
    return (x & np.uint64((1 << TIE_BITS) - 1)).astype(np.int64)

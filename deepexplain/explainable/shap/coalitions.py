"""Coalitions for Kernel SHAP (Lundberg & Lee, NeurIPS 2017), with their Shapley kernel weights.

The Shapley kernel gives a coalition ``z`` of size ``s`` out of ``M`` features the weight
``π(z) = (M − 1) / (C(M, s) · s · (M − s))``, so that all coalitions of size ``s`` together
weigh ``(M − 1) / (s · (M − s))``. A size and its complement ``M − s`` weigh the same, so sizes
are taken in pairs, smallest first: a pair is enumerated completely (each coalition with its
complement) while the budget it would get in proportion to its kernel mass covers all its
coalitions; the rest of the budget draws paired samples (a random coalition and its
complement) from the remaining sizes in proportion to their mass, and these share the mass
that enumeration left. Repeated draws add up their weight instead of being evaluated twice.
With a budget of ``2^M − 2`` or more every coalition is enumerated and the weighted regression
gives the exact Shapley values.
"""
import itertools
import math

import numpy as np


def size_masses(n_features):
    """Kernel mass of each size pair ``(s, M − s)`` for ``s = 1 … ⌊M/2⌋`` (index ``s − 1``)."""
    M = n_features
    sizes = np.arange(1, M // 2 + 1)
    mass = (M - 1) / (sizes * (M - sizes))
    return np.where(2 * sizes == M, mass, 2 * mass)


def _all_of_size(n_features, size):
    combos = np.array(list(itertools.combinations(range(n_features), size)), dtype=np.intp)
    masks = np.zeros((len(combos), n_features), dtype=bool)
    np.put_along_axis(masks, combos, True, axis=1)
    return masks


def _with_complements(masks, size, n_features):
    return masks if 2 * size == n_features else np.concatenate([masks, ~masks])


def kernel_coalitions(n_features, n_samples, rng):
    """``(masks, weights)``: at most ``n_samples`` distinct coalitions of ``n_features`` features
    (boolean rows, the empty and the full coalition excluded) and their kernel weights (sum 1)."""
    M = n_features
    if M < 2:
        return np.zeros((0, M), dtype=bool), np.zeros(0)
    if n_samples >= 2**M - 2:
        masks = np.concatenate([_all_of_size(M, s) for s in range(1, M)])
        sizes = masks.sum(axis=1)
        weights = (M - 1) / (np.array([math.comb(M, int(s)) for s in sizes]) * sizes * (M - sizes))
        return masks, weights / weights.sum()
    masses = size_masses(M)
    left_mass, budget = masses.sum(), n_samples
    parts, part_weights = [], []
    for size, mass in enumerate(masses, start=1):
        count = math.comb(M, size) * (1 if 2 * size == M else 2)
        if budget * mass / left_mass < count:
            break
        parts.append(_with_complements(_all_of_size(M, size), size, M))
        part_weights.append(np.full(count, mass / count))
        left_mass, budget = left_mass - mass, budget - count
    else:
        size = len(masses) + 1
    n_pairs = budget // 2
    if n_pairs and size <= len(masses):
        remaining = masses[size - 1:]
        draws = rng.choice(np.arange(size, len(masses) + 1), size=n_pairs, p=remaining / remaining.sum())
        order = np.argsort(rng.random((n_pairs, M)), axis=1)
        drawn = order < draws[:, None]
        parts.append(np.concatenate([drawn, ~drawn]))
        part_weights.append(np.full(2 * n_pairs, left_mass / (2 * n_pairs)))
    masks = np.concatenate(parts)
    packed = np.packbits(masks, axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=np.concatenate(part_weights), minlength=len(first))
    return masks[first], weights / weights.sum()

"""Counterfactual explanations (Wachter, Mittelstadt & Russell, "Counterfactual Explanations
without Opening the Black Box", Harvard JOLT 2018).

A counterfactual ``x'`` of ``x`` is a close instance that the model assigns to a
target class ``t``:

    min_x' (p_t(x') − 1)² + λ·d(x, x'),   d(x, x') = Σ_i |x'_i − x_i| / (max_i − min_i)

inside ``feature_ranges``; ``λ`` is halved for a candidate while it misses the target.
Several candidates start from ``x`` and from random points around it, so asking for
``n_counterfactuals > 1`` returns different solutions. The model is treated as a black
box: ``∂p/∂x'`` comes from central differences, one batched call per iteration for all
candidates. Categorical features are optimised as numbers and rounded to their nearest
valid value whenever the model is asked whether the target is reached.
"""
import warnings

import numpy as np
from tqdm.auto import tqdm

from deepexplain.explanation import Explanation
from deepexplain.numerical_gradients import jacobian_from_outputs, perturbed_rows
from deepexplain.validation import (
    aliased,
    as_float_array,
    boolean,
    describe,
    is_integer,
    pair,
    positive_float,
    positive_int,
    random_generator,
)

from .cem import PROGRESS_DELAY
from .predictor import Predictor

N_CANDIDATES = 8
"""Candidates optimised per requested counterfactual."""
BLOCK = 64
"""Candidates optimised together (one model call per iteration); more are optimised block after block."""


class Counterfactual:
    """Counterfactuals for ``model`` (a Keras model or any function returning class probabilities).

    ``feature_ranges`` is ``(min, max)`` (numbers or one value per feature) or an array of
    shape ``(n_features, 2)``. ``categorical_features`` lists the indices of integer-coded
    features (valid values: the integers in their range) or maps indices to their valid values.
    ``sess`` is the ``tf.compat.v1.Session`` of a tf_keras model in session style.
    ``random_state`` draws the random starting points: None (fresh randomness), an int or a
    ``numpy.random.Generator`` (reproducible); ``seed`` is its old name.
    """

    def __init__(self, model, feature_ranges, categorical_features=None, lam_init=0.1, learning_rate=0.02,
                 eps=1e-3, random_state=None, sess=None, seed=None):
        self.model = model
        self.predictor = Predictor(model, sess, name="model")
        self.feature_ranges = feature_ranges
        self.categorical_features = categorical_features
        self.lam_init = positive_float("lam_init", lam_init)
        self.learning_rate = positive_float("learning_rate", learning_rate)
        self.eps = as_float_array("eps", eps)
        if self.eps.ndim > 1 or np.any(self.eps <= 0):
            raise ValueError(f"eps: expected a number > 0 or one such number per feature, got {describe(eps)}")
        self.random_state = aliased("random_state", random_state, "seed", seed)
        random_generator("random_state", self.random_state)

    # --- parameters, checked against the instance -----------------------------------------

    def _bounds(self, n_features):
        given = self.feature_ranges
        ranges = None if isinstance(given, tuple) else as_float_array("feature_ranges", given)
        if ranges is not None and ranges.shape == (n_features, 2) and n_features != 2:
            low, high = ranges[:, 0], ranges[:, 1]
        else:
            low, high = (as_float_array(f"feature_ranges[{i}]", v) for i, v in enumerate(pair("feature_ranges", given)))
        try:
            low, high = (np.broadcast_to(b, (n_features,)).astype(np.float64) for b in (low, high))
        except ValueError:
            raise ValueError(f"feature_ranges: expected (min, max) with numbers or {n_features} values each, or an "
                             f"array of shape ({n_features}, 2), got {describe(given)}") from None
        if np.any(high <= low):
            raise ValueError("feature_ranges: expected min < max for every feature")
        return low, high

    def _categories(self, n_features, low, high):
        """``{index: sorted valid values}``."""
        spec = self.categorical_features or {}
        if not isinstance(spec, dict):
            spec = {i: None for i in spec}
        categories = {}
        for index, values in spec.items():
            if not is_integer(index) or not 0 <= index < n_features:
                raise ValueError(f"categorical_features: expected feature indices in [0, {n_features}), got {index!r}")
            if values is None:
                values = np.arange(np.ceil(low[index]), np.floor(high[index]) + 1)
            values = as_float_array(f"categorical_features[{index}]", values).ravel()
            categories[int(index)] = np.sort(values).astype(np.float64)
            if categories[int(index)].size == 0:
                raise ValueError(f"categorical_features: feature {index} has no valid value in its range")
        return categories

    def _snap(self, x, categories):
        x = x.copy()
        for index, values in categories.items():
            x[:, index] = values[np.abs(x[:, index, None] - values).argmin(1)]
        return x

    # --- public API ---------------------------------------------------------------------

    def distance(self, original, cf):
        """Range-normalised L1 distance ``Σ_i |cf_i − original_i| / (max_i − min_i)``."""
        original = as_float_array("original", original).ravel()
        cf = as_float_array("cf", cf).ravel()
        if cf.shape != original.shape:
            raise ValueError(f"cf: expected {original.size} features like original, got {cf.size}")
        low, high = self._bounds(original.size)
        return float(np.sum(np.abs(cf - original) / (high - low)))

    def generate(self, original, target_class, n_counterfactuals=1, max_iterations=1000, verbose=None):
        """Up to ``n_counterfactuals`` counterfactuals of ``original``, closest first.

        ``target_class`` is a class index or ``'other'`` (any class but the original one).
        Returns an ``Explanation`` (a dict with attribute access and ``meta``) that iterates,
        indexes and counts like the list of its ``counterfactuals`` (``for cf in result``):
        ``counterfactuals`` (arrays shaped like ``original``), ``distance`` (their
        :meth:`distance` to ``original``), ``cf_pred`` (their classes), ``X`` and ``X_pred``
        (``original`` and its class). Fewer than asked (and a warning) when fewer distinct
        solutions were found. ``verbose`` shows progress: True always,
        False never, None (default) once the search takes more than a few seconds.
        The ``8·n_counterfactuals`` candidates are optimised 64 at a time (``N_CANDIDATES``,
        ``BLOCK``): memory grows with the solutions kept only, never with ``max_iterations``.
        """
        verbose = boolean("verbose", verbose, allow_none=True)
        x = as_float_array("original", original)
        shape = x.shape
        if x.ndim == 2 and x.shape[0] == 1:
            x = x[0]
        if x.ndim != 1 or x.size == 0:
            raise ValueError(f"original: expected one instance of shape (n_features,) or (1, n_features) with "
                             f"n_features ≥ 1, got shape {shape}")
        if self.eps.size not in (1, x.size):
            raise ValueError(f"eps: expected a number or {x.size} values (one per feature), got {self.eps.size} values")
        n_counterfactuals = positive_int("n_counterfactuals", n_counterfactuals)
        max_iterations = positive_int("max_iterations", max_iterations)
        low, high = self._bounds(x.size)
        if np.any(x < low) or np.any(x > high):
            raise ValueError("original: expected values inside feature_ranges")
        categories = self._categories(x.size, low, high)
        probs = self.predictor(x[None], name="original")
        original_class = int(probs.argmax())
        target = self._target(target_class, probs.shape[1], original_class)

        found = self._search(x.astype(np.float64), low, high, categories, original_class, target,
                             n_counterfactuals, max_iterations, verbose)
        if len(found) < n_counterfactuals:
            warnings.warn(f"Found {len(found)} of {n_counterfactuals} counterfactuals; increase max_iterations",
                          stacklevel=2)
        counterfactuals = [cf.reshape(shape).astype(np.float32) for cf in found[:n_counterfactuals]]
        rows = np.array([cf.ravel() for cf in counterfactuals], np.float32).reshape(len(counterfactuals), x.size)
        params = {"target_class": target_class, "n_counterfactuals": n_counterfactuals,
                  "max_iterations": max_iterations, "lam_init": self.lam_init, "learning_rate": self.learning_rate,
                  "random_state": self.random_state}
        return Explanation({
            "counterfactuals": counterfactuals,
            "distance": np.array([self.distance(x, cf) for cf in counterfactuals]),
            "cf_pred": self.predictor(rows).argmax(1) if len(rows) else np.zeros(0, int),
            "X": x.reshape(shape), "X_pred": original_class,
        }, "Counterfactual", params=params, model=self.model, unpack="counterfactuals")

    def _target(self, target_class, n_classes, original_class):
        if target_class == "other":
            return None
        if not is_integer(target_class) or not 0 <= target_class < n_classes:
            raise ValueError(f"target_class: expected a class index in [0, {n_classes}) or 'other', "
                             f"got {describe(target_class)}")
        if target_class == original_class:
            raise ValueError(f"target_class: expected a class other than the original prediction {original_class}")
        return int(target_class)

    def _search(self, x, low, high, categories, original_class, target, wanted, max_iterations, verbose):
        """Up to ``wanted`` distinct solutions, closest first, of ``N_CANDIDATES·wanted`` candidates optimised
        ``BLOCK`` at a time: memory bounded by the block and the solutions kept, whatever ``wanted``."""
        rng = random_generator("random_state", self.random_state)
        scale = high - low
        z0 = (x - low) / scale
        n = N_CANDIDATES * wanted
        kept, kept_distance = np.zeros((0, x.size)), np.zeros(0)
        blocks = range(0, n, BLOCK)
        with tqdm(total=len(blocks) * max_iterations, desc="Counterfactual iterations", disable=verbose is False,
                  delay=0 if verbose else PROGRESS_DELAY, leave=False) as bar:
            for first in blocks:
                size = min(BLOCK, n - first)
                # Starts: x itself, points around x, and points anywhere in the box (for diversity).
                near = np.arange(first, first + size) < n // 2
                around = np.clip(z0 + rng.uniform(-0.25, 0.25, (size, x.size)), 0, 1)
                z = np.where(near[:, None], around, rng.uniform(0, 1, (size, x.size)))
                lam = self.lam_init * 10 ** rng.uniform(-1, 0, size)
                if first == 0:
                    z[0], lam[0] = z0, self.lam_init
                best, best_x = self._optimise(x, z, lam, low, scale, categories, original_class, target,
                                              max_iterations, bar)
                ok = np.isfinite(best)
                kept, kept_distance = np.concatenate([kept, best_x[ok]]), np.concatenate([kept_distance, best[ok]])
                order = self._distinct((kept - low) / scale, kept_distance)[:wanted]
                kept, kept_distance = kept[order], kept_distance[order]
        return list(kept)

    def _optimise(self, x, z, lam, low, scale, categories, original_class, target, max_iterations, bar):
        """Adam on the normalised features ``z = (x' − min)/(max − min)`` of the candidates ``z`` with
        weights ``lam``; returns the distance of each candidate's closest solution (inf: none) and the solution."""
        n = len(z)
        z0 = (x - low) / scale
        moment, second = np.zeros_like(z), np.zeros_like(z)
        best = np.full(n, np.inf)
        best_x = np.zeros_like(z)
        patience = max(1, max_iterations // 20)
        for step in range(1, max_iterations + 1):
            candidates = low + z * scale
            snapped = self._snap(candidates, categories)
            probs = self.predictor(np.concatenate([snapped, perturbed_rows(candidates, self.eps)]).astype(np.float32))
            classes = probs[:n].argmax(1)
            reached = classes != original_class if target is None else classes == target
            dist = np.sum(np.abs(snapped - x) / scale, 1)
            better = reached & (dist < best)
            best_x[better] = snapped[better]
            best = np.where(better, dist, best)
            # Gradient of (p_t − 1)² + λ·Σ|z − z0| with respect to z.
            t = np.full(n, target) if target is not None else self._best_other(probs[:n], original_class)
            dp_dx = jacobian_from_outputs(probs[n:], candidates.shape, self.eps)[np.arange(n), t]
            grad = 2 * (probs[:n][np.arange(n), t] - 1)[:, None] * dp_dx * scale + lam[:, None] * np.sign(z - z0)
            moment = 0.9 * moment + 0.1 * grad
            second = 0.999 * second + 0.001 * grad ** 2
            z -= self.learning_rate * (moment / (1 - 0.9 ** step)) / (np.sqrt(second / (1 - 0.999 ** step)) + 1e-8)
            z = np.clip(z, 0, 1)
            if step % patience == 0:
                lam = np.where(reached, lam, lam / 2)
            bar.update(1)
        return best, best_x

    @staticmethod
    def _best_other(probs, original_class):
        others = probs.copy()
        others[:, original_class] = -np.inf
        return others.argmax(1)

    @staticmethod
    def _distinct(solutions, distances, tolerance=0.05):
        """Indices of the solutions by increasing distance, without those within ``tolerance`` of a
        closer one (the solutions themselves are returned unchanged: categories stay exact)."""
        kept = []
        for i in np.argsort(distances):
            if all(np.abs(solutions[i] - solutions[j]).max() > tolerance for j in kept):
                kept.append(i)
        return kept
